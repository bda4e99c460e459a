"""CompareWindow: two real clips from the simulator, played in sync offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import save_screenshot
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from tests.ui.test_extend_dialog import assert_accessible
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.compare import CompareWindow, open_compare, settings_rows

engine_env = tasks_support.engine_env
PLAYING = QMediaPlayer.PlaybackState.PlayingState


@pytest.fixture
def sim(sim_factory: Callable[..., Any]) -> Any:
    """Clips of 2 s, so playing, seeking and looping have room."""
    return sim_factory(clip_seconds=2.0)


@pytest.fixture
def takes(engine_env: EngineEnv) -> tuple[TaskRecord, TaskRecord]:
    first = engine_env.finished("A kite over the dunes, take one", seed=11)
    second = engine_env.finished("A kite over the dunes, take two", seed=12, mode="quality")
    return first, second


@pytest.fixture
def window(takes: tuple[TaskRecord, TaskRecord], qtbot: Any) -> Iterator[CompareWindow]:
    compare = CompareWindow(*takes)
    qtbot.addWidget(compare)
    compare.audio_selector.setCurrentIndex(compare.audio_selector.findData(""))
    compare.resize(1024, 640)
    compare.show()
    yield compare
    compare.shutdown()


def positions(window: CompareWindow) -> tuple[int, int]:
    left, right = window.players
    return left.position(), right.position()


def wait_loaded(window: CompareWindow, qtbot: Any) -> None:
    def loaded() -> None:
        assert window.duration() > 1500
        assert all(surface.frame_image is not None for surface in window.surfaces)

    qtbot.waitUntil(loaded, timeout=10_000)


def media_time_passes(qtbot: Any, video: Path, ms: int) -> None:
    """Wait until a reference player of ``video`` has played ``ms`` of it.

    A paused player must not move meanwhile; the reference's clock runs as fast as theirs
    would (slowly on a busy machine), so this is a wait on the media clock, not on a timer.
    """
    reference = QMediaPlayer()
    sink = QVideoSink()
    reference.setVideoSink(sink)
    reference.setSource(QUrl.fromLocalFile(str(video)))
    reference.play()
    try:
        qtbot.waitUntil(lambda: reference.position() >= ms, timeout=10_000)
    finally:
        reference.stop()
        reference.setSource(QUrl())


def test_both_takes_show_their_first_frame_and_settings(
    window: CompareWindow, takes: tuple[TaskRecord, TaskRecord], qtbot: Any
) -> None:
    wait_loaded(window, qtbot)
    assert not window.is_playing()
    assert all(p.playbackState() != PLAYING for p in window.players)
    assert window.left.title.text() == "A kite over the dunes, take one"
    left_text = window.left.settings.text()
    right_text = window.right.settings.text()
    assert "<b>11</b>" in left_text and "<b>12</b>" in right_text  # seeds differ
    assert "<b>Quality ($1.50)</b>" in right_text
    assert "Text to video" in left_text and "<b>Text to video</b>" not in left_text
    assert "Seed: 11" in window.left.settings.accessibleDescription()
    assert window.windowTitle().startswith("Compare \u2013 A kite over the dunes")
    assert dict(settings_rows(takes[0]))["Task id"] == takes[0].apixo_task_id


def test_play_pause_and_seek_move_both_together(
    window: CompareWindow, takes: tuple[TaskRecord, TaskRecord], qtbot: Any
) -> None:
    wait_loaded(window, qtbot)
    window.transport.play_button.click()
    assert window.is_playing()

    def both_playing_past(ms: int) -> None:
        assert all(p.playbackState() == PLAYING for p in window.players)
        left, right = positions(window)
        assert left > ms and right > ms

    qtbot.waitUntil(lambda: both_playing_past(400), timeout=10_000)
    left, right = positions(window)
    assert abs(left - right) <= 250

    window.toggle_play()
    assert not window.is_playing()
    qtbot.waitUntil(lambda: all(p.playbackState() != PLAYING for p in window.players), timeout=5000)
    paused = positions(window)
    media_time_passes(qtbot, Path(takes[0].files[0]), 300)
    assert positions(window) == paused

    window.seek(1200)

    def both_at(ms: int) -> None:
        left, right = positions(window)
        assert abs(left - ms) <= 60 and abs(right - ms) <= 60

    qtbot.waitUntil(lambda: both_at(1200), timeout=5000)
    assert window.transport.seek_slider.value() == pytest.approx(1200, abs=60)
    assert window.transport.position_label.text() == "0:01"
    assert not window.is_playing()

    window.step_frames(1)
    qtbot.waitUntil(lambda: both_at(1229), timeout=5000)  # one frame at 24 fps, mid-frame
    window.step_frames(-2)
    qtbot.waitUntil(lambda: both_at(1146), timeout=5000)  # two frames back


def test_loop_restarts_both_and_without_loop_they_stop(window: CompareWindow, qtbot: Any) -> None:
    wait_loaded(window, qtbot)
    window.seek(window.duration() - 300)
    window.play()
    qtbot.waitUntil(lambda: max(positions(window)) < 800 and window.is_playing(), timeout=10_000)
    assert all(p.playbackState() == PLAYING for p in window.players)

    window.transport.loop_button.setChecked(False)
    window.seek(window.duration() - 300)
    qtbot.waitUntil(lambda: not window.is_playing(), timeout=10_000)
    assert window.transport.play_button.accessibleName() == "Play"
    window.play()  # from the end: starts again at the beginning
    qtbot.waitUntil(lambda: window.is_playing() and 0 < max(positions(window)) < 1500, timeout=5000)


def test_the_sound_comes_from_one_side(window: CompareWindow) -> None:
    window.audio_selector.setCurrentIndex(window.audio_selector.findData("right"))
    assert (window.left.audio.isMuted(), window.right.audio.isMuted()) == (True, False)
    window.audio_selector.setCurrentIndex(window.audio_selector.findData("left"))
    assert (window.left.audio.isMuted(), window.right.audio.isMuted()) == (False, True)
    window.audio_selector.setCurrentIndex(window.audio_selector.findData(""))
    assert window.left.audio.isMuted() and window.right.audio.isMuted()


def test_a_missing_file_is_said_and_the_transport_disabled(
    takes: tuple[TaskRecord, TaskRecord], qtbot: Any, tmp_path: Path
) -> None:
    gone = takes[1].evolve(files=(str(tmp_path / "moved-away.mp4"),))
    compare = CompareWindow(takes[0], gone)
    qtbot.addWidget(compare)
    assert "not on this computer" in compare.right.surface.message
    assert not compare.transport.play_button.isEnabled()
    compare.play()
    assert not compare.is_playing()
    compare.shutdown()


def test_closing_stops_both_players(takes: tuple[TaskRecord, TaskRecord], qtbot: Any) -> None:
    compare = open_compare(*takes)
    compare.audio_selector.setCurrentIndex(2)
    qtbot.waitUntil(lambda: compare.duration() > 0, timeout=10_000)
    compare.play()
    with qtbot.waitSignal(compare.closed, timeout=5000):
        compare.close()
    assert all(p.playbackState() != PLAYING for p in compare.players)
    assert all(p.source().isEmpty() for p in compare.players)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(
    window: CompareWindow,
    themed: Callable[[bool], None],
    qtbot: Any,
    tmp_path: Path,
    dark: bool,
) -> None:
    themed(dark)
    assert_accessible(window)
    window.set_tasks(*window.tasks())  # type: ignore[arg-type]
    wait_loaded(window, qtbot)
    window.seek(900)
    for width, height in ((1024, 640), (1600, 1000)):
        window.resize(width, height)
        qtbot.waitUntil(
            lambda: all(s.frame_time_us >= 800_000 for s in window.surfaces), timeout=5000
        )
        qtbot.wait(30)
        image = window.grab().toImage()
        save_screenshot(image, tmp_path, f"compare-{width}x{height}-{'dark' if dark else 'light'}")
        assert_legible(window, image, f"compare-{width}x{height}-{'dark' if dark else 'light'}")
        for surface in window.surfaces:
            grabbed = surface.grab().toImage()
            center = surface.video_rect().center().toPoint()
            color = grabbed.pixelColor(center)
            assert (color.red(), color.green(), color.blue()) != (12, 12, 13)
        # The settings are not clipped: both panels are as tall as their text needs.
        for side in (window.left, window.right):
            assert side.settings.height() >= side.settings.sizeHint().height() - 2


def test_the_window_opens_inside_the_screen_and_fits_a_laptop(
    takes: tuple[TaskRecord, TaskRecord], qtbot: Any
) -> None:
    # Under X at 1024x640 it opened at 1100x720: the transport and the settings were off-screen.
    compare = open_compare(*takes)
    qtbot.addWidget(compare)
    try:
        room = compare.screen().availableGeometry()
        assert compare.width() <= room.width() * 0.9 + 1
        assert compare.height() <= room.height() * 0.9 + 1
        # Everything it holds fits a 1024x640 screen less a panel and the title bar.
        least = compare.minimumSizeHint()
        assert least.width() <= 1024 - 40 and least.height() <= 640 - 80
    finally:
        compare.close()
