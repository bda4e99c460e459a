"""The trim editor's player: one clip on a QMediaPlayer, moved a frame at a time, and played
over the kept frames only.

Frames go through the playback's own ``QVideoSink`` so that, while the kept frames play, the
first frame past the out point is never shown: playback stops on the out frame (or, looping,
goes back to the in frame). Paused, any frame of the clip can be shown, to choose new points.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink

from veo_desktop.ui.storyboard.players_timing import ClipTiming


class TrimPlayback(QObject):
    """Plays one clip for the trim editor (see the module docstring)."""

    #: A frame to paint and its index in the clip.
    frame_ready = Signal(QVideoFrame, int)
    #: Playback started (True) or stopped (False).
    playing_changed = Signal(bool)
    #: The clip cannot be played (Qt's message).
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.player.setObjectName("trimPlayer")
        self.audio = QAudioOutput(self)
        self.audio.setVolume(0.8)
        self.player.setAudioOutput(self.audio)
        self._sink = QVideoSink(self)
        self.player.setVideoSink(self._sink)
        self.timing: ClipTiming | None = None
        #: The kept frames (inclusive), which playback stays inside.
        self.kept = (0, 0)
        #: Whether playback goes back to the in frame after the out frame.
        self.loop = False
        self._shown = -1
        self._wanted: int | None = None
        self._range_play = False
        self._pending_ms: int | None = None
        self._sink.videoFrameChanged.connect(self.on_sink_video_frame_changed)
        self.player.mediaStatusChanged.connect(self.on_player_media_status_changed)
        self.player.playbackStateChanged.connect(self.on_player_playback_state_changed)
        self.player.errorOccurred.connect(self.on_player_error_occurred)

    def load(self, path: Path, timing: ClipTiming, frame: int) -> None:
        """Open ``path`` and pause on ``frame``."""
        self.unload()
        self.timing = timing
        self._pending_ms = timing.position_ms(frame)
        self.player.setSource(QUrl.fromLocalFile(str(path)))

    def unload(self) -> None:
        self.player.stop()
        self.player.setSource(QUrl())
        self.timing = None
        self._shown = -1
        self._wanted = self._pending_ms = None
        self._range_play = False

    @property
    def shown_frame(self) -> int:
        """The frame on show (-1: none)."""
        return self._shown

    @property
    def playing(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def current_frame(self) -> int:
        """The frame on show, or the one a step or seek asked for that is on its way."""
        if self._wanted is not None:
            return self._wanted
        if self._shown >= 0:
            return self._shown
        timing = self.timing
        return timing.frame_at(self.player.position() / 1000) if timing is not None else 0

    def show_frame(self, frame: int) -> None:
        """Pause on ``frame``."""
        if self.timing is None:
            return
        self._range_play = False
        self._wanted = min(max(0, frame), self.timing.frames - 1)
        self.player.pause()
        self.player.setPosition(self.timing.position_ms(self._wanted))

    def seek_ms(self, position_ms: int) -> None:
        """Show the frame at ``position_ms``, playing on if playing."""
        if self.timing is None:
            return
        frame = self.timing.frame_at(position_ms / 1000)
        first, last = self.kept
        self._range_play = self._range_play and first <= frame <= last
        self._wanted = None if self.playing else frame
        self.player.setPosition(self.timing.position_ms(frame))

    def toggle_play(self) -> None:
        """Play the kept frames from the one on show (from the in frame when outside them)."""
        if self.timing is None:
            return
        if self.playing:
            self.player.pause()
            return
        first, last = self.kept
        if not first <= self.current_frame() < last:
            self.player.setPosition(self.timing.position_ms(first))
        self._range_play = True
        self._wanted = None
        self.player.play()

    def pause(self) -> None:
        if self.playing:
            self.player.pause()

    @Slot(QVideoFrame)
    def on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        timing = self.timing
        if timing is None or not frame.isValid():
            return
        index = timing.frame_of_us(frame.startTime())
        if self._range_play and self.playing and index > self.kept[1]:
            self._reached_out()
            return
        self._shown = min(max(0, index), timing.frames - 1)
        if self._wanted == self._shown:
            self._wanted = None
        self.frame_ready.emit(frame, self._shown)

    def _reached_out(self) -> None:
        """Playback passed the out frame: loop the kept frames, or stop on the out frame."""
        if not self._range_play or self.timing is None:
            return
        if self.loop:
            self.player.setPosition(self.timing.position_ms(self.kept[0]))
            self.player.play()
        else:
            self._range_play = False
            # Not when stopped at the file's end: pausing a stopped player rewinds it.
            self.pause()

    @Slot(QMediaPlayer.MediaStatus)
    def on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._pending_ms is not None:
            position, self._pending_ms = self._pending_ms, None
            self.player.pause()
            self.player.setPosition(position)
        elif status == QMediaPlayer.MediaStatus.EndOfMedia:
            # The out frame is the clip's last: its end is the file's.
            self._reached_out()

    @Slot(QMediaPlayer.PlaybackState)
    def on_player_playback_state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState)

    @Slot(QMediaPlayer.Error, str)
    def on_player_error_occurred(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.failed.emit(message)
