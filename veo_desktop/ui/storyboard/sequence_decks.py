"""Gapless playback of a film's shots on two QMediaPlayers that take turns.

While one deck plays the current shot, the other holds the next shot loaded, paused on its in
frame (already decoded). When the playing deck's next frame would be past the shot's out frame
(or its file ends), that frame is not shown: the waiting deck's in frame is shown at once and
the waiting deck starts playing, so the picture goes from the last kept frame of one shot to the
first kept frame of the next with no black and no pause. The decks then swap roles and the one
just freed loads the shot after.

Each deck paints into its own ``QVideoSink``; only the playing deck's frames reach the owner
(:attr:`SequenceDecks.frame_ready`), and only frames inside the shot's trim; paused on a
frame asked for, only that frame. The decks are
:class:`~veo_desktop.ui.storyboard.players_deck.Deck` (every player call queued; see there why).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtMultimedia import QVideoFrame

from veo_desktop.ui.storyboard.players_deck import Deck
from veo_desktop.ui.storyboard.sequence_timeline import FilmTimeline

#: "Previous shot" more than this far (seconds) into a shot goes back to that shot's own
#: start rather than to the shot before.
RESTART_SECONDS = 1.0


class SequenceDecks(QObject):
    """Plays a :class:`FilmTimeline` gaplessly (see the module docstring)."""

    #: A frame to paint (from the playing deck, inside the current shot's trim).
    frame_ready = Signal(QVideoFrame)
    #: The current shot changed (its index).
    shot_changed = Signal(int)
    #: Where in the film the frame on show starts (ms).
    position_changed = Signal(int)
    #: Playback started (True) or stopped (False).
    playing_changed = Signal(bool)
    #: A shot's file cannot be played (a message).
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.decks = (Deck("sequencePlayerA", self), Deck("sequencePlayerB", self))
        self._active = 0
        self._timeline = FilmTimeline(())
        self._current = -1
        self._shown: tuple[int, int] | None = None
        self._wanted: tuple[int, int] | None = None
        #: The frame a paused cue asked for (shot, frame): while paused there, the active
        #: deck's other frames are not shown (see on_deck_video_frame_changed); None: playing.
        self._held: tuple[int, int] | None = None
        self._asked_again = False
        self._playing = False
        self._ended = False
        self._loop = False
        for deck in self.decks:
            deck.sink.videoFrameChanged.connect(
                lambda frame, d=deck: self.on_deck_video_frame_changed(d, frame)
            )
            deck.ended.connect(lambda d=deck: self.on_deck_ended(d))
            deck.failed.connect(self.failed)

    @property
    def active(self) -> Deck:
        return self.decks[self._active]

    @property
    def standby(self) -> Deck:
        return self.decks[1 - self._active]

    @property
    def timeline(self) -> FilmTimeline:
        return self._timeline

    @property
    def current(self) -> int:
        """The current shot's index (-1: none)."""
        return self._current

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def shown(self) -> tuple[int, int] | None:
        """(shot, frame) on show."""
        return self._shown

    def set_muted(self, muted: bool) -> None:
        for deck in self.decks:
            deck.set_muted(muted)

    def set_timeline(self, timeline: FilmTimeline, shot: int = 0) -> None:
        """Play ``timeline`` from now on, paused on ``shot``'s in frame."""
        self._set_playing(False)
        for deck in self.decks:
            deck.unload()
        self._timeline = timeline
        self._current = -1
        self._shown = self._wanted = self._held = None
        self._ended = False
        if timeline.shots:
            shot = min(max(0, shot), len(timeline) - 1)
            self.cue(shot, timeline.shots[shot].in_frame, play=False)

    # -- moving about ----------------------------------------------------------------------

    def cue(self, index: int, frame: int, *, play: bool) -> None:
        """Show shot ``index``'s ``frame``, then play from there or stay paused."""
        shot = self._timeline.shots[index]
        frame = min(max(shot.in_frame, frame), shot.out_frame)
        self._ended = False
        self._wanted = None if play else (index, frame)
        self._held, self._asked_again = self._wanted, False
        if index != self._current and self.standby.shot == index:
            self._active = 1 - self._active
        if index != self._current:
            self.standby.set_playing(False)
        ready = self.active.shows(shot, frame) if self.active.cued == frame else None
        self.active.cue(shot, frame, play=play)
        self._enter(index)
        if ready is not None:
            self._show(ready, frame)
        self._set_playing(play)

    def _enter(self, index: int) -> None:
        if index == self._current:
            return
        self._current = index
        self.shot_changed.emit(index)
        self._preload()

    def _preload(self) -> None:
        """Have the waiting deck hold the next shot, paused on its in frame."""
        following = self._timeline.next_index(self._current, loop=self._loop)
        if self._current < 0 or following is None:
            return
        standby, shot = self.standby, self._timeline.shots[following]
        if standby.shot != following or standby.cued != shot.in_frame:
            standby.cue(shot, shot.in_frame, play=False)

    @property
    def loop(self) -> bool:
        """Whether the film starts again after its last shot."""
        return self._loop

    @loop.setter
    def loop(self, loop: bool) -> None:
        self._loop = loop
        self._preload()

    def seek(self, film_ms: int) -> None:
        """Show the frame at ``film_ms`` (keeps playing if it was)."""
        if self._timeline.shots:
            index, frame = self._timeline.locate(film_ms / 1000)
            self.cue(index, frame, play=self._playing)

    def where(self) -> tuple[int, int] | None:
        """(shot, frame) on show, or the one on its way after a step or seek."""
        return self._wanted or self._shown

    def step(self, count: int) -> None:
        """Pause and move ``count`` frames, into the next or previous shot past its ends."""
        here = self.where()
        if here is None:
            return
        index, frame = here
        shots = self._timeline.shots
        frame += count
        while frame > shots[index].out_frame and index + 1 < len(shots):
            frame = shots[index + 1].in_frame + frame - shots[index].out_frame - 1
            index += 1
        while frame < shots[index].in_frame and index > 0:
            frame = shots[index - 1].out_frame - (shots[index].in_frame - frame - 1)
            index -= 1
        self.cue(index, frame, play=False)

    def next_shot(self) -> None:
        if 0 <= self._current < len(self._timeline) - 1:
            target = self._timeline.shots[self._current + 1]
            self.cue(target.index, target.in_frame, play=self._playing)

    def previous_shot(self) -> None:
        """To the current shot's start, or the shot before when at (or near) that start."""
        here = self.where()
        if here is None:
            return
        index, frame = here
        shot = self._timeline.shots[index]
        into = shot.timing.time_of(frame) - shot.timing.time_of(shot.in_frame)
        if index > 0 and into < RESTART_SECONDS:
            index -= 1
        target = self._timeline.shots[index]
        self.cue(index, target.in_frame, play=self._playing)

    # -- playing -----------------------------------------------------------------------------

    def play(self) -> None:
        if not self._timeline.shots or self._playing:
            return
        here = self.where()
        if self._ended or here is None:
            self.cue(0, self._timeline.shots[0].in_frame, play=True)
            return
        index, frame = here
        shot = self._timeline.shots[index]
        if frame >= shot.out_frame and self._timeline.next_index(index, loop=self._loop) is None:
            self.cue(0, self._timeline.shots[0].in_frame, play=True)
            return
        self._wanted = self._held = None
        self.active.set_playing(True)
        self._set_playing(True)

    def pause(self) -> None:
        self.active.set_playing(False)
        self._set_playing(False)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def on_deck_video_frame_changed(self, deck: Deck, frame: QVideoFrame) -> None:
        if deck is not self.active or not 0 <= self._current < len(self._timeline):
            return
        shot = self._timeline.shots[self._current]
        if not frame.isValid() or deck.shot != shot.index or not deck.loaded:
            return  # not a frame of this shot's file yet (the one before, still arriving)
        index = shot.timing.frame_of_us(frame.startTime())
        held = self._held
        if self._playing and index > shot.out_frame:
            self._out_reached()
        elif not self._playing and held is not None and held != (self._current, index):
            # Paused on a frame asked for, the player sometimes decodes the one after it too
            # (two seeks in quick succession just after its file loaded): not shown; the
            # frame asked for is asked for again, once.
            if held[0] == self._current and not self._asked_again:
                self._asked_again = True
                deck.cue(shot, held[1], play=False)
        elif shot.contains(index):
            self._show(frame, index)

    def on_deck_ended(self, deck: Deck) -> None:
        """The playing deck's file ended (the shot's out frame is the clip's last)."""
        if deck is self.active and self._playing:
            self._out_reached()

    def _show(self, frame: QVideoFrame, index: int) -> None:
        self._shown = (self._current, index)
        if self._wanted == self._shown:
            self._wanted = None
        self.frame_ready.emit(frame)
        shot = self._timeline.shots[self._current]
        self.position_changed.emit(round(shot.film_time(index) * 1000))

    def _out_reached(self) -> None:
        """The playing shot is over: hand over to the waiting deck, or stop at the film's end."""
        following = self._timeline.next_index(self._current, loop=self._loop)
        if following is None:
            self.active.set_playing(False)
            last = self._timeline.shots[self._current]
            if self._shown != (self._current, last.out_frame):
                # The last frame came too late to be shown (a busy machine): show it now.
                self.cue(self._current, last.out_frame, play=False)
            self._ended = True
            self._set_playing(False)
            return
        finished = self.active
        self.cue(following, self._timeline.shots[following].in_frame, play=True)
        if finished is not self.active:
            finished.set_playing(False)
