"""PreviewPanel: real clips from the simulator, played offscreen through QMediaPlayer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QFileDialog, QWidget

from tests.fixtures.recipe import assert_carries_recipe
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.preview.panel import NO_SELECTION, PreviewPanel
from veo_desktop.ui.preview.surface import letterbox

engine_env = tasks_support.engine_env

FRAME_US = 1_000_000 / 24


@pytest.fixture
def preview(qtbot: Any) -> Iterator[PreviewPanel]:
    panel = PreviewPanel()
    panel.audio.setMuted(True)
    qtbot.addWidget(panel)
    panel.resize(640, 480)
    panel.show()
    yield panel
    panel.shutdown()


def wait_frames(preview: PreviewPanel, qtbot: Any, more_than: int = 2) -> None:
    start = preview.surface.frames_received
    qtbot.waitUntil(lambda: preview.surface.frames_received > start + more_than, timeout=10_000)


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (640, 360)), ("9:16", (360, 640))], ids=["16x9", "9x16"]
)
def test_a_finished_clip_plays_inline_with_its_aspect_kept(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any, aspect: str, size: tuple[int, int]
) -> None:
    task = engine_env.finished(f"A clip in {aspect}", aspect_ratio=aspect)
    preview.show_task(task)
    player = preview.findChild(QMediaPlayer, "previewPlayer")
    assert player is preview.player
    wait_frames(preview, qtbot)
    assert player.mediaStatus() in (
        QMediaPlayer.MediaStatus.LoadedMedia,
        QMediaPlayer.MediaStatus.BufferingMedia,
        QMediaPlayer.MediaStatus.BufferedMedia,
        QMediaPlayer.MediaStatus.EndOfMedia,
    )
    frame = preview.surface.frame_image
    assert frame is not None and (frame.width(), frame.height()) == size
    painted = preview.surface.video_rect()
    area = preview.surface.rect()
    assert painted.width() / painted.height() == pytest.approx(size[0] / size[1], rel=0.01)
    assert painted.center().x() == pytest.approx(area.center().x(), abs=1)
    assert painted.center().y() == pytest.approx(area.center().y(), abs=1)
    if aspect == "9:16":
        assert painted.height() == pytest.approx(area.height(), abs=1)
        assert painted.left() > 10  # bars at the sides
    else:
        assert painted.width() == pytest.approx(area.width(), abs=1)
        assert painted.top() > 10  # bars above and below
    # What is painted is really in the widget's picture.
    grabbed = preview.surface.grab().toImage()
    center = grabbed.pixelColor(painted.center().toPoint())
    corner = grabbed.pixelColor(QPoint(2, 2))
    assert center != corner
    assert f"{size[0]}\u00d7{size[1]}" in preview.details.text()


def test_letterbox_geometry() -> None:
    from PySide6.QtCore import QRectF, QSize

    assert letterbox(QSize(1920, 1080), QRectF(0, 0, 400, 400)) == QRectF(0, 87.5, 400, 225)
    assert letterbox(QSize(1080, 1920), QRectF(0, 0, 400, 400)) == QRectF(87.5, 0, 225, 400)
    assert letterbox(QSize(0, 0), QRectF(0, 0, 400, 400)).isEmpty()


def test_play_pause_with_the_space_key_and_the_button(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    wait_frames(preview, qtbot)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    preview.surface.setFocus()
    qtbot.keyClick(preview.surface, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: preview.player.playbackState() == QMediaPlayer.PlaybackState.PausedState
    )
    assert preview.transport.play_button.toolTip() == "Play (Space)"
    preview.transport.play_button.click()
    qtbot.waitUntil(
        lambda: preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    )
    assert preview.transport.play_button.accessibleName() == "Pause"


def test_frame_step_moves_exactly_one_frame(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    wait_frames(preview, qtbot)
    preview.player.pause()
    preview.player.setPosition(520)  # the middle of frame 12 (500 ms)
    qtbot.waitUntil(lambda: preview.surface.frame_time_us == 500_000)
    here = preview.surface.frame_time_us
    preview.transport.forward_button.click()
    qtbot.waitUntil(lambda: preview.surface.frame_time_us != here)
    assert preview.surface.frame_time_us - here == pytest.approx(FRAME_US, abs=2)
    assert preview.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    there = preview.surface.frame_time_us
    preview.surface.setFocus()
    qtbot.keyClick(preview.surface, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: preview.surface.frame_time_us != there)
    assert preview.surface.frame_time_us == here


def test_seek_loop_mute_and_volume(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    wait_frames(preview, qtbot)
    qtbot.waitUntil(lambda: preview.transport.seek_slider.maximum() > 0)
    assert preview.transport.duration_label.text() == "0:01"
    preview.player.pause()
    preview.transport.seek_slider.sliderMoved.emit(700)
    qtbot.waitUntil(lambda: abs(preview.player.position() - 700) < 60)
    assert preview.player.loops() == QMediaPlayer.Loops.Infinite
    preview.transport.loop_button.click()
    assert preview.player.loops() == QMediaPlayer.Loops.Once
    preview.mute_button.setChecked(False)
    preview.mute_button.click()
    assert preview.audio.isMuted()
    preview.volume_slider.setValue(30)
    assert preview.audio.volume() == pytest.approx(0.3, abs=0.01)
    assert not preview.audio.isMuted()  # turning the volume up unmutes


def test_tab_walks_the_controls_in_the_order_they_read(
    engine_env: EngineEnv, preview: PreviewPanel
) -> None:
    """A keyboard user meets the slider, then the buttons from left to right."""
    preview.show_task(engine_env.finished())
    bar = preview.transport
    controls = [
        bar.seek_slider,
        bar.back_button,
        bar.play_button,
        bar.forward_button,
        bar.loop_button,
        preview.mute_button,
        preview.volume_slider,
        preview.frame_button,
        preview.save_button,
    ]
    assert all(c.isEnabled() and c.focusPolicy() & Qt.FocusPolicy.TabFocus for c in controls)
    met: list[QWidget] = []
    widget = bar.seek_slider
    while len(met) < len(controls):
        if widget in controls and widget not in met:
            met.append(widget)
        widget = widget.nextInFocusChain()
        assert widget is not bar.seek_slider, "the focus chain went round without them all"
    assert [c.objectName() for c in met] == [c.objectName() for c in controls]


def test_save_as_copies_the_video_with_its_recipe(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any, tmp_path: Path
) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    assert preview.save_action.shortcut().toString() == "Ctrl+S"
    preview.save_action.trigger()
    dialog = preview.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    target = tmp_path / "saved.mp4"
    job = preview.save_to(target)
    assert job is not None
    qtbot.waitUntil(job.done, timeout=5000)
    assert_carries_recipe(target, Path(task.files[0]), task)


def test_the_video_drags_out_as_a_file(engine_env: EngineEnv, preview: PreviewPanel) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    data = preview.surface.drag_mime()
    assert data is not None
    assert [url.toLocalFile() for url in data.urls()] == [task.files[0]]
    preview.show_task(None)
    assert preview.surface.drag_mime() is None


def test_a_click_on_the_video_toggles_play(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task = engine_env.finished()
    preview.show_task(task)
    wait_frames(preview, qtbot)
    center = QPointF(preview.surface.rect().center())
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        event = QMouseEvent(
            kind,
            center,
            preview.surface.mapToGlobal(center),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton
            if kind == QEvent.Type.MouseButtonPress
            else (Qt.MouseButton.NoButton),
            Qt.KeyboardModifier.NoModifier,
        )
        preview.surface.event(event)
    qtbot.waitUntil(
        lambda: preview.player.playbackState() == QMediaPlayer.PlaybackState.PausedState
    )


def test_unfinished_and_failed_tasks_say_why_there_is_no_video(
    preview: PreviewPanel,
) -> None:
    from tests.ui.tasks_support import make_record

    preview.show_task(None)
    assert preview.surface.message == NO_SELECTION
    assert not preview.transport.play_button.isEnabled()
    preview.show_task(make_record(0, state=TaskState.PROCESSING))
    assert "not ready yet" in preview.surface.message
    assert not preview.save_action.isEnabled()
    preview.show_task(
        make_record(1, state=TaskState.FAILED, fail_code="SensitiveContent", fail_message="Flagged")
    )
    assert "SensitiveContent: Flagged" in preview.surface.message
    preview.show_task(make_record(2, state=TaskState.SUCCEEDED, files=("/gone/video.mp4",)))
    assert "missing" in preview.surface.message
    assert preview.source is None


def test_the_same_task_again_does_not_restart_the_video(
    engine_env: EngineEnv, preview: PreviewPanel, qtbot: Any
) -> None:
    task: TaskRecord = engine_env.finished()
    preview.show_task(task)
    wait_frames(preview, qtbot, more_than=6)
    position = preview.player.position()
    sources: list[Any] = []
    preview.player.sourceChanged.connect(sources.append)
    preview.show_task(task.evolve(note=None))
    assert sources == []
    assert preview.player.position() >= position
