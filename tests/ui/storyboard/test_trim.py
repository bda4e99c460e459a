"""The trim editor on real clips and a real QMediaPlayer: in and out points land on the frame
the person sees, on the clip's own frame rate, and playing the kept frames stops on the out
frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.ui.storyboard.players_clips import marked_clip, what_shows
from veo_desktop.ui.storyboard.players_timing import probe_clip
from veo_desktop.ui.storyboard.trim import TrimEditor

CLIP_FPS = 30
CLIP_FRAMES = 30


@pytest.fixture(scope="module")
def clip30(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second at 30 fps (the editor must not assume 24)."""
    return marked_clip(
        tmp_path_factory.mktemp("trim") / "thirty.mp4", fps=CLIP_FPS, frames=CLIP_FRAMES, mark=200
    )


@pytest.fixture
def editor(qtbot: Any, qloop: Any) -> Iterator[TrimEditor]:
    widget = TrimEditor()
    widget.audio.setMuted(True)
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    widget.show()
    yield widget
    widget.shutdown()


def open_clip(
    editor: TrimEditor, qtbot: Any, clip: Path, trim: tuple[float, float] | None = None
) -> None:
    with qtbot.waitSignal(editor.ready, timeout=10_000):
        editor.set_clip(clip, trim)


def wait_showing(editor: TrimEditor, qtbot: Any, frame: int) -> None:
    """Until the surface paints ``frame`` (read back from its pixels)."""

    def shows() -> None:
        seen = what_shows(editor.surface.frame_image)
        assert seen is not None and seen[1] == frame, seen
        assert editor.shown_frame == frame

    qtbot.waitUntil(shows, timeout=10_000)


def test_the_frame_rate_and_frame_count_come_from_the_file(clip30: Path, tmp_path: Path) -> None:
    timing = probe_clip(clip30)
    assert timing.fps == Fraction(30) and timing.frames == 30
    assert (timing.width, timing.height) == (96, 54)
    assert timing.duration_s == 1.0
    assert timing.snap(0.51) == 0.5 and timing.snap(0.52) == 16 / 30
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 2048)
    with pytest.raises(ValueError, match=r"junk\.mp4"):
        probe_clip(junk)


def test_in_and_out_are_set_on_the_frame_on_show_and_snapped(
    editor: TrimEditor, qtbot: Any, clip30: Path
) -> None:
    open_clip(editor, qtbot, clip30, (0.21, 0.49))
    # 0.21 s and 0.49 s snap to the boundaries of frames 6 and 15 (at 30 fps, not 24).
    assert editor.trim == (0.2, 0.5)
    assert (editor.in_frame, editor.out_frame) == (6, 14)
    wait_showing(editor, qtbot, 6)
    assert editor.in_fields.seconds.value() == 0.2
    assert editor.out_fields.frame.value() == 14

    emitted: list[tuple[float, float]] = []
    editor.trim_changed.connect(lambda start, end: emitted.append((start, end)))
    for _ in range(3):
        qtbot.keyClick(editor.surface, Qt.Key.Key_Period)
    qtbot.keyClick(editor.surface, Qt.Key.Key_Comma)
    wait_showing(editor, qtbot, 8)
    qtbot.keyClick(editor.surface, Qt.Key.Key_I)
    assert emitted[-1] == (8 / 30, 0.5)

    # A time typed in seconds picks the frame showing at that time and shows it.
    editor.out_fields.seconds.setValue(0.7)
    wait_showing(editor, qtbot, 21)
    assert editor.out_fields.frame.value() == 21
    assert emitted[-1] == (8 / 30, 22 / 30)
    assert editor.range_bar.trim == (8, 21)

    # "Set out" before the in point pulls the in point back with it.
    editor.show_frame(4)
    wait_showing(editor, qtbot, 4)
    editor.set_out_button.click()
    assert emitted[-1] == (4 / 30, 5 / 30)

    # O puts the out point on the frame on show.
    editor.show_frame(27)
    wait_showing(editor, qtbot, 27)
    qtbot.keyClick(editor.surface, Qt.Key.Key_O)
    assert emitted[-1] == (4 / 30, 28 / 30) and not editor.keeps_whole_clip

    editor.reset_button.click()
    assert emitted[-1] == (0.0, 1.0) and editor.trim == (0.0, 1.0)
    assert editor.keeps_whole_clip
    count = len(emitted)
    editor.set_clip(clip30, (0.0, 1.0))  # the same clip and trim: nothing reloads
    assert editor.shown_frame == 27 and len(emitted) == count
    assert editor.length_label.text() == "Keeps 1.000 s (30 of 30 frames, 30 fps)"


def test_playing_the_kept_frames_stops_on_the_out_frame(
    editor: TrimEditor, qtbot: Any, clip30: Path
) -> None:
    open_clip(editor, qtbot, clip30, (0.1, 0.3))
    assert (editor.in_frame, editor.out_frame) == (3, 8)
    painted: list[int] = []
    editor.surface.frame_shown.connect(
        lambda _us: painted.append(what_shows(editor.surface.frame_image)[1])  # type: ignore[index]
    )
    editor.toggle_play()
    qtbot.waitUntil(lambda: editor.playing, timeout=10_000)
    qtbot.waitUntil(lambda: not editor.playing, timeout=10_000)
    wait_showing(editor, qtbot, 8)
    assert painted and max(painted) == 8, painted
    assert painted[-1] == 8


def test_the_range_bar_handles_move_the_points_and_a_click_shows_a_frame(
    editor: TrimEditor, qtbot: Any, clip30: Path
) -> None:
    open_clip(editor, qtbot, clip30, (0.1, 0.3))
    bar = editor.range_bar
    emitted: list[tuple[float, float]] = []
    editor.trim_changed.connect(lambda start, end: emitted.append((start, end)))
    middle = bar.height() // 2
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(9)), middle))
    qtbot.mouseMove(bar, QPoint(round(bar.x_of(20)), middle))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(20)), middle))
    assert emitted[-1] == (0.1, 20 / 30) and bar.trim == (3, 19)
    wait_showing(editor, qtbot, 19)

    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(3)), middle))
    qtbot.mouseMove(bar, QPoint(round(bar.x_of(25)), middle))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(25)), middle))
    # The in point dragged past the out point takes the out point along.
    assert editor.trim == (25 / 30, 26 / 30)

    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(12.5)), middle))
    wait_showing(editor, qtbot, 12)
    assert editor.trim == (25 / 30, 26 / 30)


def test_a_file_that_is_no_video_is_reported_not_trimmed(
    editor: TrimEditor, qtbot: Any, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with qtbot.waitSignal(editor.failed, timeout=10_000) as failed:
        editor.set_clip(junk)
    assert "notes.mp4" in failed.args[0]
    assert editor.surface.message == failed.args[0]
    assert editor.trim is None and not editor.set_in_button.isEnabled()
    editor.set_clip(None)
    assert editor.surface.message == "Choose a take to trim it."


def test_with_loop_on_the_kept_frames_play_round_and_round(
    editor: TrimEditor, qtbot: Any, clip30: Path
) -> None:
    open_clip(editor, qtbot, clip30, (0.1, 0.2))
    assert (editor.in_frame, editor.out_frame) == (3, 5)
    painted: list[int] = []
    editor.playback.frame_ready.connect(lambda _frame, index: painted.append(index))
    qtbot.keyClick(editor.surface, Qt.Key.Key_L)
    assert editor.transport.loop_button.isChecked()
    qtbot.keyClick(editor.surface, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: painted.count(3) >= 2 and 5 in painted, timeout=10_000)
    assert editor.playing
    editor.toggle_play()
    assert not editor.playing
    assert set(painted) <= {3, 4, 5}, painted
