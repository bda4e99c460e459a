"""Stills out of the preview for the composer's frame slots: real simulator clips, real PNGs.

"Use this frame as first / last frame" takes the frame shown when playback is paused on
it, else the video's last frame (decoded with PyAV off the GUI thread); the PNG must hold
exactly that picture, at the video's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer

from tests.fixtures.mp4 import decoded_frames
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.imaging.frames import last_frame
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.preview.frames import save_png
from veo_desktop.ui.preview.panel import PreviewPanel

engine_env = tasks_support.engine_env


@pytest.fixture
def preview(qtbot: Any, tmp_path: Path) -> Iterator[PreviewPanel]:
    panel = PreviewPanel(frames_dir=tmp_path / "frames")
    panel.audio.setMuted(True)
    qtbot.addWidget(panel)
    panel.resize(640, 480)
    panel.show()
    yield panel
    panel.shutdown()


def same_picture(a: QImage, b: QImage) -> bool:
    return a.convertToFormat(QImage.Format.Format_RGB32) == b.convertToFormat(
        QImage.Format.Format_RGB32
    )


def video_of(task: TaskRecord) -> Path:
    return Path(task.files[0])


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (640, 360)), ("9:16", (360, 640))], ids=["16x9", "9x16"]
)
def test_last_frame_is_the_videos_true_last_frame_at_full_size(
    engine_env: EngineEnv, aspect: str, size: tuple[int, int]
) -> None:
    task = engine_env.finished(f"A frame in {aspect}", aspect_ratio=aspect)
    frames = decoded_frames(video_of(task))
    image = last_frame(video_of(task))
    assert (image.width(), image.height()) == size
    assert same_picture(image, frames[-1])
    assert not same_picture(image, frames[0]), "the clip's frames differ (its progress bar moves)"


def test_a_file_that_is_no_video_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 4096)
    with pytest.raises(ValueError, match=r"junk\.mp4"):
        last_frame(junk)


def test_save_png_writes_whole_files_with_safe_names(tmp_path: Path) -> None:
    image = QImage(32, 18, QImage.Format.Format_RGB32)
    image.fill(0x336699)
    path = save_png(image, tmp_path / "made" / "here", "../odd name:1")
    assert path.parent == tmp_path / "made" / "here"
    assert path.name == "odd-name-1.png"
    assert QImage(str(path)).size() == image.size()
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_use_last_frame_while_playing_saves_the_last_frame(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any, tmp_path: Path
) -> None:
    task = engine_env.finished("A lantern over the lake")
    preview.show_task(task)
    qtbot.waitUntil(lambda: preview.surface.frames_received > 2, timeout=10_000)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert preview.use_last_frame_action.isEnabled() and preview.frame_button.isEnabled()
    with qtbot.waitSignal(preview.frame_for_slot, timeout=10_000) as sent:
        preview.use_last_frame_action.trigger()
    slot, name = sent.args
    assert slot == "last"
    path = Path(name)
    assert path.parent == tmp_path / "frames" and path.name == f"{task.short_id}-last.png"
    saved = QImage(str(path))
    assert (saved.width(), saved.height()) == (640, 360)
    assert same_picture(saved, decoded_frames(video_of(task))[-1])


def test_paused_on_a_frame_that_frame_is_used(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished("A paper boat in the rain")
    preview.show_task(task)
    qtbot.waitUntil(lambda: preview.player.duration() > 0, timeout=10_000)
    preview.player.pause()
    preview.player.setPosition(int(5.5 * 1000 / 24))  # the middle of frame 5
    qtbot.waitUntil(
        lambda: round(preview.surface.frame_time_us * 24 / 1_000_000) == 5, timeout=10_000
    )
    shown = preview.surface.frame_image
    assert shown is not None
    with qtbot.waitSignal(preview.frame_for_slot, timeout=10_000) as sent:
        preview.use_frame("first")
    slot, name = sent.args
    assert slot == "first"
    assert Path(name).name == f"{task.short_id}-000208ms.png"
    saved = QImage(name)
    assert (saved.width(), saved.height()) == (640, 360)
    assert same_picture(saved, shown)
    assert not same_picture(saved, decoded_frames(video_of(task))[-1])


def test_without_a_video_there_is_nothing_to_use(
    engine_env: EngineEnv, preview: PreviewPanel
) -> None:
    preview.show_task(None)
    assert not preview.use_first_frame_action.isEnabled()
    assert not preview.frame_button.isEnabled()
    assert preview.use_frame("first") is None
    with pytest.raises(ValueError, match="slot"):
        preview.use_frame("middle")


def test_a_missing_video_file_reports_and_emits_nothing(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished("Gone soon")
    preview.show_task(task)
    qtbot.waitUntil(lambda: preview.player.duration() > 0, timeout=10_000)
    preview.player.stop()
    video_of(task).unlink()
    emitted: list[Any] = []
    preview.frame_for_slot.connect(lambda *args: emitted.append(args))
    with qtbot.waitSignal(preview.frame_failed, timeout=10_000) as failed:
        preview.use_frame("last")
    assert "could not be saved" in failed.args[0]
    assert emitted == []
