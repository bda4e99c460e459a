"""The sequence player on real clips and real QMediaPlayers: one playhead over the whole film,
seeks landing in the right shot on the right frame, and playback running from each shot's out
frame straight into the next shot's in frame with no gap, the current shot following.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.storyboard.players_clips import marked_clip, same_mark, what_shows
from veo_desktop.ui.storyboard.sequence import SequencePlayer

#: (mark, fps, frames) of the three clips; the film keeps A's frames 6-11 (0.25 s), B's
#: frames 3-11 (0.3 s at 30 fps) and all of C (12 frames, 0.5 s): 1.05 s.
CLIPS = {"A": (40, 24, 24), "B": (200, 30, 30), "C": (120, 24, 12)}
KEPT = {"A": range(6, 12), "B": range(3, 12), "C": range(0, 12)}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("film")
    return {
        name: marked_clip(folder / f"{name}.mp4", fps=fps, frames=frames, mark=mark)
        for name, (mark, fps, frames) in CLIPS.items()
    }


@pytest.fixture
def player(qtbot: Any, qloop: Any, clips: dict[str, Path]) -> Iterator[SequencePlayer]:
    widget = SequencePlayer()
    widget.mute_button.setChecked(True)
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    widget.show()
    with qtbot.waitSignal(widget.ready, timeout=10_000):
        widget.set_clips(
            [(clips["A"], 0.25, 0.5), (str(clips["B"]), 0.1, 0.4), (clips["C"], None, None)]
        )
    yield widget
    widget.shutdown()


def shown(player: SequencePlayer) -> tuple[str, int] | None:
    """(clip name, frame) the surface shows, read from its pixels."""
    seen = what_shows(player.surface.frame_image)
    if seen is None:
        return None
    for name, (mark, _fps, _frames) in CLIPS.items():
        if same_mark(mark, seen[0]):
            return name, seen[1]
    return None


def wait_shows(player: SequencePlayer, qtbot: Any, name: str, frame: int) -> None:
    def there() -> None:
        assert shown(player) == (name, frame)

    qtbot.waitUntil(there, timeout=10_000)


def test_seeking_the_film_lands_in_the_right_shot_on_the_right_frame(
    player: SequencePlayer, qtbot: Any
) -> None:
    assert player.duration_ms == 1050
    assert player.transport.seek_slider.maximum() == 1050
    assert player.current_shot == 0
    wait_shows(player, qtbot, "A", 6)
    assert player.shot_label.text() == "Shot 1 of 3 \u00b7 film 0:01"

    with qtbot.waitSignal(player.current_shot_changed, timeout=5_000) as changed:
        player.seek(300)  # 0.05 s into B's trim: B's frame 3 + 1.5 frames at 30 fps
    assert changed.args == [1]
    wait_shows(player, qtbot, "B", 4)
    assert player.strip.current == 1
    player.seek(1049)
    wait_shows(player, qtbot, "C", 11)
    assert player.current_shot == 2
    player.seek(100)  # 0.1 s into A's trim: frame 6 + 2.4 frames at 24 fps
    wait_shows(player, qtbot, "A", 8)
    assert player.current_shot == 0

    # Frame steps and shot jumps cross the cuts.
    player.show_shot(1)
    wait_shows(player, qtbot, "B", 3)
    player.step_frames(-1)
    wait_shows(player, qtbot, "A", 11)
    player.step_frames(2)
    wait_shows(player, qtbot, "B", 4)
    player.next_shot()
    wait_shows(player, qtbot, "C", 0)
    player.previous_shot()
    wait_shows(player, qtbot, "B", 3)


def test_the_film_plays_gaplessly_from_each_out_frame_to_the_next_in_frame(
    player: SequencePlayer, qtbot: Any
) -> None:
    wait_shows(player, qtbot, "A", 6)
    painted: list[tuple[float, tuple[str, int] | None]] = [(time.monotonic(), ("A", 6))]
    player.surface.frame_shown.connect(
        lambda _us: painted.append((time.monotonic(), shown(player)))
    )
    shots: list[int] = []
    player.current_shot_changed.connect(shots.append)
    positions: list[int] = []
    player.position_changed.connect(positions.append)

    player.play()
    assert player.playing
    qtbot.waitUntil(lambda: not player.playing, timeout=15_000)

    assert shots == [1, 2]
    seen = [what for _t, what in painted]
    assert None not in seen, "every frame painted is a frame of the film"
    order = {"A": 0, "B": 1, "C": 2}
    keys = [(order[name], frame) for name, frame in seen]  # type: ignore[misc]
    assert keys == sorted(keys)
    for name, kept in KEPT.items():
        frames = [frame for clip, frame in seen if clip == name]  # type: ignore[misc]
        assert frames[0] == kept[0] and frames[-1] == kept[-1], (name, frames)
        assert set(frames) <= set(kept), (name, frames)
    assert positions == sorted(positions) and positions[-1] == 1050 - round(1000 / 24)

    # The cuts: the time from a shot's last frame to the next shot's first frame is about one
    # frame of the outgoing shot, as between any two frames inside a shot.
    pairs = list(itertools.pairwise(painted))
    steps = [later - earlier for (earlier, _a), (later, _b) in pairs]
    cuts = [u - t for (t, a), (u, b) in pairs if a is not None and b is not None and a[0] != b[0]]
    inside = statistics.median(steps)
    print(
        f"\nframe to frame inside shots: median {inside * 1000:.1f} ms; "
        f"at the cuts: {', '.join(f'{c * 1000:.1f} ms' for c in cuts)}"
    )
    assert len(cuts) == 2
    assert max(cuts) < max(3 * inside, 0.2), (cuts, inside)
    wait_shows(player, qtbot, "C", 11)

    # At the film's end, Play starts it again from the first shot.
    with qtbot.waitSignal(player.current_shot_changed, timeout=5_000) as changed:
        player.play()
    assert changed.args == [0]
    player.pause()


def test_pause_holds_the_frame(player: SequencePlayer, qtbot: Any) -> None:
    with qtbot.waitSignal(player.current_shot_changed, timeout=10_000):
        player.play()
    player.pause()
    assert not player.playing
    held = shown(player)
    assert held is not None and held[0] == "B"
    with qtbot.assertNotEmitted(player.surface.frame_shown, wait=300):
        pass
    assert shown(player) == held and player.current_shot == 1
    player.play()
    qtbot.waitUntil(lambda: shown(player) != held, timeout=10_000)
    player.pause()


def test_no_clips_says_so_and_offers_nothing(qtbot: Any, qloop: Any) -> None:
    widget = SequencePlayer()
    qtbot.addWidget(widget)
    widget.set_clips([])
    assert "No shot has a chosen take" in widget.surface.message
    assert not widget.transport.play_button.isEnabled()
    assert not widget.next_button.isEnabled()
    assert widget.duration_ms == 0 and widget.current_shot == -1
    widget.play()
    assert not widget.playing


def test_a_missing_clip_is_named_and_nothing_plays(
    qtbot: Any, qloop: Any, clips: dict[str, Path], tmp_path: Path
) -> None:
    widget = SequencePlayer()
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.failed, timeout=10_000) as failed:
        widget.set_clips([(clips["A"], None, None), (tmp_path / "gone.mp4", None, None)])
    assert failed.args[0] == f"Shot 2 cannot be played: gone.mp4 is missing (it was at {tmp_path})."
    assert widget.surface.message == failed.args[0]
    assert widget.duration_ms == 0 and not widget.transport.play_button.isEnabled()
    widget.shutdown()


def test_opening_and_closing_films_over_and_over_never_hangs(
    qtbot: Any, qloop: Any, clips: dict[str, Path]
) -> None:
    """Players called from Python with the GIL held deadlocked about one stop() in twenty
    (players_deck.py); every call is queued now. Twenty rounds of load, seek, play, close."""
    for _round in range(20):
        widget = SequencePlayer()
        widget.mute_button.setChecked(True)
        qtbot.addWidget(widget)
        with qtbot.waitSignal(widget.ready, timeout=10_000):
            widget.set_clips([(clips["A"], 0.25, 0.5), (clips["C"], None, None)])
        widget.seek(400)
        widget.play()
        qtbot.waitUntil(lambda w=widget: w.current_shot == 1, timeout=10_000)
        widget.shutdown()
        widget.deleteLater()


def test_with_loop_on_the_film_goes_from_its_last_frame_to_its_first(
    player: SequencePlayer, qtbot: Any
) -> None:
    player.seek(1000)
    wait_shows(player, qtbot, "C", 10)
    qtbot.keyClick(player.surface, Qt.Key.Key_L)
    assert player.decks.loop
    positions: list[int] = []
    player.position_changed.connect(positions.append)
    with qtbot.waitSignal(player.current_shot_changed, timeout=10_000) as changed:
        player.play()
    assert changed.args == [0]
    qtbot.waitUntil(lambda: 0 in positions, timeout=10_000)
    player.pause()
    # C's last frame, then the film's first frame (A's in frame, preloaded): nothing between.
    assert positions[: positions.index(0) + 1][-2:] == [1050 - round(1000 / 24), 0]
