"""One QMediaPlayer with its video sink and audio output, driven safely from Python, shared by
the trim editor and the sequence player: it shows a given frame of a clip, paused or playing
on from there, loading the clip's file first when it is another.

Every call into the player (``setSource``, ``stop``, ``play``, ``pause``, ``setPosition``)
is queued (``QMetaObject.invokeMethod``) so that Qt makes it from its event loop, without
Python's GIL. Made directly from Python, with the GIL held, ``stop()`` deadlocked about one
time in twenty: it waits for a Qt lock that the player's audio thread holds while that thread,
tearing down its renderer, waits for the GIL to ask the Python-made ``QAudioOutput`` whether
Python overrides ``disconnectNotify``. So the deck keeps its own account of what it asked
for (the file, loaded or not, playing or not) instead of reading it back from the player.

Qt traps it also avoids: a paused player shows the frame that started at or before its
position (:meth:`ClipTiming.position_ms` aims just past a frame's start); the statuses
reported while stopping the previous file are not the new file's (they are told apart by
the player's source); and a player stopped at the end of its file rewinds on ``pause()``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Q_ARG, QGenericArgumentHolder, QObject, QUrl, Signal, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink

from veo_desktop.ui import media_calls
from veo_desktop.ui.preview.media_logs import quiet_ffmpeg_errors
from veo_desktop.ui.storyboard.sequence_timeline import FilmShot

#: Statuses that say the file asked for is open.
_OPEN = (
    QMediaPlayer.MediaStatus.LoadedMedia,
    QMediaPlayer.MediaStatus.BufferingMedia,
    QMediaPlayer.MediaStatus.BufferedMedia,
    QMediaPlayer.MediaStatus.EndOfMedia,
)


class Deck(QObject):
    """A player, its sink and audio, and the shot frame it was asked to show.

    Args:
        name: the player's object name (``trimPlayer``, ``sequencePlayerA``...).
    """

    #: The player reached the end of its file.
    ended = Signal()
    #: The file cannot be played (a message naming it).
    failed = Signal(str)

    def __init__(self, name: str, parent: QObject) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        quiet_ffmpeg_errors()  # Qt's FFmpeg is loaded now
        self.player.setObjectName(name)
        self.sink = QVideoSink(self)
        self.audio = QAudioOutput(self)
        self.player.setVideoSink(self.sink)
        self.player.setAudioOutput(self.audio)
        media_calls.settle_overrides(self.player, self.audio, self.sink)
        #: The file asked for.
        self.path: Path | None = None
        #: The shot (index) and frame last asked for.
        self.shot: int | None = None
        self.cued: int | None = None
        self._loaded = False
        self._pending: int | None = None
        self._play_when_loaded = False
        self._wants_play = False
        self._at_end = False
        self.player.mediaStatusChanged.connect(self.on_player_media_status_changed)
        self.player.errorOccurred.connect(self.on_player_error_occurred)

    # -- queued calls --------------------------------------------------------------------------

    def _call(self, method: str, *args: QGenericArgumentHolder) -> None:
        media_calls.post(self.player, method, *args)

    def _go(self, position: int, play: bool) -> None:
        if play:
            self._call("setPosition", Q_ARG("qint64", position))
            self._call("play")
        elif self._at_end:
            # Stopped at the file's end: pausing first would rewind to (and show) frame 0.
            self._call("setPosition", Q_ARG("qint64", position))
            self._call("pause")
        else:
            self._call("pause")
            self._call("setPosition", Q_ARG("qint64", position))
        self._at_end = False
        self._wants_play = play

    # -- what the owner asks -------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether the deck was last asked to play (and has not reached its file's end)."""
        return self._wants_play and not self._at_end

    @property
    def loaded(self) -> bool:
        return self._loaded and self._pending is None

    def cue(self, shot: FilmShot, frame: int, *, play: bool) -> None:
        """Show ``shot``'s ``frame`` (loading its file first if need be), then play or pause."""
        if self.shows(shot, frame) is not None:
            # Already paused on that frame, decoded: no seek (it would decode it again).
            self.cued = frame
            self.set_playing(play)
            return
        position = shot.timing.position_ms(frame)
        self.shot, self.cued = shot.index, frame
        if shot.path != self.path:
            self.path = shot.path
            self._loaded = False
            self._at_end = False
            self._call("stop")
            self._call("setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(shot.path))))
        if not self._loaded:
            self._pending, self._play_when_loaded = position, play
            self._wants_play = play
            return
        self._pending = None
        self._go(position, play)

    def set_playing(self, play: bool) -> None:
        """Play or pause where the deck is (once loaded, if it is still loading)."""
        if not self.loaded:
            self._play_when_loaded = play
        elif play:
            self._at_end = False
            self._call("play")
        elif not self._at_end:
            # Not when stopped at the file's end: pausing a stopped player rewinds it.
            self._call("pause")
        self._wants_play = play

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute (queued too: the audio thread holds the output's locks)."""
        media_calls.post(self.audio, "setMuted", Q_ARG(bool, muted))

    def shows(self, shot: FilmShot, frame: int) -> QVideoFrame | None:
        """The deck's decoded frame when it is ``shot``'s ``frame``, else None."""
        if self.shot != shot.index or self.path != shot.path or not self.loaded:
            return None
        current = self.sink.videoFrame()
        if not current.isValid() or shot.timing.frame_of_us(current.startTime()) != frame:
            return None
        return current

    def unload(self) -> None:
        """Close the file."""
        if self.path is not None:
            self._call("stop")
            self._call("setSource", Q_ARG(QUrl, QUrl()))
        self.path = self.shot = self.cued = self._pending = None
        self._loaded = self._wants_play = self._at_end = False

    # -- what the player says ------------------------------------------------------------------

    def _about_asked_file(self) -> bool:
        """Whether the player's source is the file asked for (not the one being closed)."""
        return self.path is not None and self.player.source() == QUrl.fromLocalFile(str(self.path))

    @Slot(QMediaPlayer.MediaStatus)
    def on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status not in _OPEN or not self._about_asked_file():
            return
        if not self._loaded:
            self._loaded = True
            if self._pending is not None:
                position, self._pending = self._pending, None
                self._go(position, self._play_when_loaded)
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._at_end = True
            self.ended.emit()

    @Slot(QMediaPlayer.Error, str)
    def on_player_error_occurred(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError and self._about_asked_file():
            name = self.path.name if self.path is not None else "The video"
            self.failed.emit(f"{name} cannot be played: {message}")
