"""The trim editor's player: one clip on a :class:`~veo_desktop.ui.storyboard.players_deck.
Deck`, moved a frame at a time, and played over the kept frames only.

Frames go through the deck's own ``QVideoSink`` so that, while the kept frames play, the first
frame past the out point is never shown: playback stops on the out frame (or, looping, goes
back to the in frame). Paused, any frame of the clip can be shown, to choose new points.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtMultimedia import QVideoFrame

from veo_desktop.ui.storyboard.players_deck import Deck
from veo_desktop.ui.storyboard.players_timing import ClipTiming
from veo_desktop.ui.storyboard.sequence_timeline import FilmShot


class TrimPlayback(QObject):
    """Plays one clip for the trim editor (see the module docstring)."""

    #: A frame to paint and its index in the clip.
    frame_ready = Signal(QVideoFrame, int)
    #: Playback started (True) or stopped (False).
    playing_changed = Signal(bool)
    #: The clip cannot be played (a message).
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.deck = Deck("trimPlayer", self)
        self.player = self.deck.player
        self.audio = self.deck.audio
        self.audio.setVolume(0.8)
        self._clip: FilmShot | None = None
        #: The kept frames (inclusive), which playback stays inside.
        self.kept = (0, 0)
        #: Whether playback goes back to the in frame after the out frame.
        self.loop = False
        self._shown = -1
        self._wanted: int | None = None
        self._range_play = False
        self._playing = False
        self.deck.sink.videoFrameChanged.connect(self.on_sink_video_frame_changed)
        self.deck.ended.connect(self.on_deck_ended)
        self.deck.failed.connect(self.failed)

    @property
    def timing(self) -> ClipTiming | None:
        return self._clip.timing if self._clip is not None else None

    def load(self, path: Path, timing: ClipTiming, frame: int) -> None:
        """Open ``path`` and pause on ``frame``."""
        self.unload()
        self._clip = FilmShot(0, timing, 0, timing.frames - 1, 0.0)
        self._cue(frame, play=False)

    def unload(self) -> None:
        self.deck.unload()
        self._clip = None
        self._shown = -1
        self._wanted = None
        self._range_play = False
        self._set_playing(False)

    @property
    def shown_frame(self) -> int:
        """The frame on show (-1: none)."""
        return self._shown

    @property
    def playing(self) -> bool:
        return self._playing

    def current_frame(self) -> int:
        """The frame on show, or the one a step or seek asked for that is on its way."""
        if self._wanted is not None:
            return self._wanted
        return max(0, self._shown)

    def _cue(self, frame: int, *, play: bool) -> None:
        clip = self._clip
        if clip is None:
            return
        frame = min(max(0, frame), clip.out_frame)
        self._wanted = None if play else frame
        self.deck.cue(clip, frame, play=play)
        self._set_playing(play)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def show_frame(self, frame: int) -> None:
        """Pause on ``frame``."""
        self._range_play = False
        self._cue(frame, play=False)

    def seek_ms(self, position_ms: int) -> None:
        """Show the frame at ``position_ms``, playing on if playing."""
        timing = self.timing
        if timing is None:
            return
        frame = timing.frame_at(position_ms / 1000)
        first, last = self.kept
        self._range_play = self._range_play and first <= frame <= last
        self._cue(frame, play=self._playing)

    def toggle_play(self) -> None:
        """Play the kept frames from the one on show (from the in frame when outside them)."""
        if self._clip is None:
            return
        if self._playing:
            self.pause()
            return
        first, last = self.kept
        frame = self.current_frame()
        self._range_play = True
        self._cue(frame if first <= frame < last else first, play=True)

    def pause(self) -> None:
        if self._playing:
            self.deck.set_playing(False)
            self._set_playing(False)

    @Slot(QVideoFrame)
    def on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        timing = self.timing
        if timing is None or not frame.isValid() or not self.deck.loaded:
            return
        index = timing.frame_of_us(frame.startTime())
        if self._range_play and self._playing and index > self.kept[1]:
            self._reached_out()
            return
        self._shown = min(max(0, index), timing.frames - 1)
        if self._wanted == self._shown:
            self._wanted = None
        self.frame_ready.emit(frame, self._shown)

    @Slot()
    def on_deck_ended(self) -> None:
        """The file ended (the out frame is the clip's last)."""
        if self._playing:
            self._reached_out()
            if self._playing and not self.loop:
                self._set_playing(False)

    def _reached_out(self) -> None:
        """Playback passed the out frame: loop the kept frames, or stop on the out frame."""
        if not self._range_play:
            self._set_playing(False)
            return
        first, last = self.kept
        if self.loop:
            self._cue(first, play=True)
        elif self._shown == last:
            self._range_play = False
            self.pause()
        else:
            # The out frame came too late to be shown (a busy machine): stop on it anyway.
            self.show_frame(last)
