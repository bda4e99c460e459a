"""The sequence player paused on a frame asked for (a seek, a step, a shot jump) shows that
frame, not one its player decodes after it: the Qt FFmpeg player, asked for two frames in
quick succession just after loading a file, sometimes sends the frame after the second
one too (seen in ``test_sequence.py``'s seek test about one run in eight: "B" 5 instead of 4,
"C" 1 instead of 0). Here that stray frame is handed to the decks as the player hands them,
on real clips and real players."""

from __future__ import annotations

from typing import Any

from PySide6.QtMultimedia import QVideoFrame

from tests.ui.storyboard.test_sequence import (  # noqa: F401  (clips, player are fixtures)
    clips,
    player,
    wait_shows,
)
from veo_desktop.ui.storyboard.sequence import SequencePlayer
from veo_desktop.ui.storyboard.sequence_timeline import FilmShot


def test_a_paused_player_shows_the_frame_asked_for_not_the_one_decoded_after_it(
    player: SequencePlayer,  # noqa: F811  (the fixture)
    qtbot: Any,
) -> None:
    wait_shows(player, qtbot, "A", 6)
    decks = player.decks
    asked: list[tuple[int, int, int | None]] = []
    for number, deck in enumerate(decks.decks):

        def spy(
            shot: FilmShot, frame: int, *, play: bool, number: int = number, cue: Any = deck.cue
        ) -> None:
            asked.append((number, frame, shot.index))
            cue(shot, frame, play=play)

        deck.cue = spy  # type: ignore[method-assign]
    player.seek(300)  # B's frame 4
    wait_shows(player, qtbot, "B", 4)
    deck = decks.active
    active = decks.decks.index(deck)
    assert decks.shown == (1, 4) and not decks.playing
    positions: list[int] = []
    player.position_changed.connect(positions.append)
    stray = QVideoFrame(deck.sink.videoFrame().toImage())
    stray.setStartTime(round(5 * 1_000_000 / 30))  # B's frame 5 (30 fps)

    decks.on_deck_video_frame_changed(deck, stray)
    decks.on_deck_video_frame_changed(deck, stray)

    assert decks.shown == (1, 4) and positions == []
    # Asked for by the seek, then once again (for this stray frame, or for one the player
    # sent itself before it), never more.
    assert asked.count((active, 4, 1)) == 2, asked
    wait_shows(player, qtbot, "B", 4)

    # Playing, every frame of the shot is shown as it comes.
    player.play()
    qtbot.waitUntil(lambda: decks.shown is not None and decks.shown > (1, 4), timeout=10_000)
    player.pause()
