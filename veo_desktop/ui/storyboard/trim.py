"""A shot's trim editor: the shot's chosen take on its own player, and its in and out points
set to the frame.

The player is the preview's (:class:`~veo_desktop.ui.preview.surface.VideoSurface` and
:class:`~veo_desktop.ui.preview.transport.TransportBar`); under it the range bar shows the
kept frames over the whole clip, and two pairs of fields give the in and out points in
seconds and frames. "Set in" / "Set out" (keys I and O) take the frame on show; "," and "."
(or Left and Right) step one frame; Space plays the kept range (looping it when Loop is on).

The frame rate comes from the file (PyAV, :func:`probe_clip`), never assumed, and every time
the editor gives out is on a frame boundary: :attr:`TrimEditor.trim_changed` sends
``(start_s, end_s)``, from the start of the in frame to the end of the out frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QHideEvent, QKeySequence, QResizeEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from veo_desktop.imaging.worker import run_imaging
from veo_desktop.ui import style
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import TransportBar
from veo_desktop.ui.storyboard.players_timing import ClipTiming, probe_clip
from veo_desktop.ui.storyboard.trim_fields import TrimPointFields
from veo_desktop.ui.storyboard.trim_range import TrimRangeBar

logger = logging.getLogger(__name__)

NO_CLIP = "Choose a take to trim it."


class TrimEditor(QWidget):
    """In and out points of one clip, set on its own player (see the module docstring)."""

    #: The person changed the trim: (start_s, end_s) on frame boundaries, end exclusive.
    trim_changed = Signal(float, float)
    #: The clip is probed and its first frame is on show.
    ready = Signal()
    #: The clip cannot be trimmed here (a message to show).
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trimEditor")
        self.setAccessibleName("Trim")
        self._path: Path | None = None
        self._timing: ClipTiming | None = None
        self._in = 0
        self._out = 0
        self._shown = -1
        self._wanted: int | None = None
        self._range_play = False
        self._pending_ms: int | None = None
        self._awaiting_first_frame = False
        self._jobs = JobRegistry()

        self.surface = VideoSurface(self)
        self.surface.setObjectName("trimSurface")
        self.surface.setAccessibleDescription("The shot's video. Click to play or pause.")
        self.player = QMediaPlayer(self)
        self.player.setObjectName("trimPlayer")
        self.audio = QAudioOutput(self)
        self.audio.setVolume(0.8)
        self.player.setAudioOutput(self.audio)
        self._sink = QVideoSink(self)
        self.player.setVideoSink(self._sink)

        self.transport = TransportBar(
            "trim", seek_description="Where in the clip playback is; drag to seek", parent=self
        )
        self.transport.loop_button.setChecked(False)
        self.transport.loop_button.setToolTip("Loop the kept frames (L)")
        self.set_in_button = self._button("trimSetInButton", "Set in", "in point", "I")
        self.set_out_button = self._button("trimSetOutButton", "Set out", "out point", "O")
        self.reset_button = QPushButton("Reset", self)
        self.reset_button.setObjectName("trimResetButton")
        self.reset_button.setToolTip("Keep the whole clip")
        self.reset_button.setAccessibleDescription("Move the in and out points to the clip's ends")
        self.transport.add_control(self.set_in_button, space_before=8)
        self.transport.add_control(self.set_out_button)
        self.transport.add_control(self.reset_button, space_before=8)

        self.range_bar = TrimRangeBar(self)
        self.in_fields = TrimPointFields("In", "the in point (the first frame kept)", self)
        self.out_fields = TrimPointFields("Out", "the out point (the last frame kept)", self)
        self.length_label = QLabel(self)
        self.length_label.setObjectName("trimLength")
        style.follow_hint_color(self.length_label)
        #: In, Out and the length side by side, or one under the other when narrow.
        self.fields_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.fields_row.setSpacing(16)
        self.fields_row.addWidget(self.in_fields, 0, Qt.AlignmentFlag.AlignLeft)
        self.fields_row.addWidget(self.out_fields, 0, Qt.AlignmentFlag.AlignLeft)
        self.fields_row.addStretch(1)
        self.fields_row.addWidget(self.length_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.surface, 1)
        layout.addWidget(self.transport)
        layout.addWidget(self.range_bar)
        layout.addLayout(self.fields_row)

        for key, slot in (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_I, self.set_in_here),
            (Qt.Key.Key_O, self.set_out_here),
            (Qt.Key.Key_Comma, lambda: self.step_frames(-1)),
            (Qt.Key.Key_Period, lambda: self.step_frames(1)),
            (Qt.Key.Key_Left, lambda: self.step_frames(-1)),
            (Qt.Key.Key_Right, lambda: self.step_frames(1)),
            (Qt.Key.Key_L, self.transport.loop_button.toggle),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        self.transport.play_clicked.connect(self.toggle_play)
        self.transport.frame_step_requested.connect(self.step_frames)
        self.transport.seek_requested.connect(self.on_transport_seek_requested)
        self.surface.clicked.connect(self.toggle_play)
        self.set_in_button.clicked.connect(self.set_in_here)
        self.set_out_button.clicked.connect(self.set_out_here)
        self.reset_button.clicked.connect(self.reset)
        self.range_bar.in_moved.connect(self.on_range_bar_in_moved)
        self.range_bar.out_moved.connect(self.on_range_bar_out_moved)
        self.range_bar.seek_requested.connect(self.show_frame)
        self.in_fields.frame_chosen.connect(self.on_in_fields_frame_chosen)
        self.out_fields.frame_chosen.connect(self.on_out_fields_frame_chosen)
        self._sink.videoFrameChanged.connect(self.on_sink_video_frame_changed)
        self.player.mediaStatusChanged.connect(self.on_player_media_status_changed)
        self.player.playbackStateChanged.connect(self.on_player_playback_state_changed)
        self.player.errorOccurred.connect(self.on_player_error_occurred)
        self.set_clip(None)

    def _button(self, name: str, text: str, point: str, key: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(f"Put the {point} on the frame on show ({key})")
        button.setAccessibleDescription(f"Put the {point} on the frame on show")
        return button

    # -- the clip ----------------------------------------------------------------------------

    @property
    def timing(self) -> ClipTiming | None:
        """The clip's frame timing, once probed."""
        return self._timing

    @property
    def trim(self) -> tuple[float, float] | None:
        """(start_s, end_s) kept, or None without a clip."""
        if self._timing is None:
            return None
        return self._timing.trim_seconds(self._in, self._out)

    @property
    def in_frame(self) -> int:
        return self._in

    @property
    def out_frame(self) -> int:
        """The last frame kept."""
        return self._out

    @property
    def shown_frame(self) -> int:
        """The frame on show (-1: none)."""
        return self._shown

    def set_clip(self, path: Path | None, trim: tuple[float, float] | None = None) -> None:
        """Trim ``path`` starting from ``trim`` (None: the whole clip); None: no clip."""
        self._jobs.cancel_all()
        self.player.stop()
        self.player.setSource(QUrl())
        self._path = Path(path) if path is not None else None
        self._timing = None
        self._shown = -1
        self._wanted = None
        self._range_play = False
        self._show_timing(None)
        if self._path is None:
            self.surface.clear(NO_CLIP)
            return
        self.surface.clear("Opening the clip\u2026")
        self._jobs.start(self._open(self._path, trim), name="Opening a clip to trim")

    async def _open(self, path: Path, trim: tuple[float, float] | None) -> None:
        try:
            timing = await run_imaging(probe_clip, path)
        except (OSError, ValueError) as error:
            logger.warning("cannot trim %s: %s", path, error)
            message = f"This clip cannot be trimmed: {error}"
            self.surface.clear(message)
            self.failed.emit(message)
            return
        if path != self._path:
            return
        self._timing = timing
        start, end = trim if trim is not None else (None, None)
        self._in, self._out = timing.snap_trim(start, end)
        self._show_timing(timing)
        self._awaiting_first_frame = True
        self._pending_ms = timing.position_ms(self._in)
        self.player.setSource(QUrl.fromLocalFile(str(path)))

    def _show_timing(self, timing: ClipTiming | None) -> None:
        has = timing is not None
        for widget in (
            self.transport.play_button,
            self.transport.back_button,
            self.transport.forward_button,
            self.transport.seek_slider,
            self.set_in_button,
            self.set_out_button,
            self.reset_button,
            self.range_bar,
        ):
            widget.setEnabled(has)
        self.in_fields.set_timing(timing)
        self.out_fields.set_timing(timing)
        self.range_bar.set_frames(timing.frames if timing is not None else 0)
        self.range_bar.set_playhead(-1)
        if timing is None:
            self.transport.reset()
            self.length_label.setText("")
            return
        self.transport.show_duration(round(timing.duration_s * 1000))
        self._apply(self._in, self._out, emit=False)

    # -- in and out ----------------------------------------------------------------------------

    def _apply(self, in_frame: int, out_frame: int, *, emit: bool = True) -> None:
        timing = self._timing
        if timing is None:
            return
        last = timing.frames - 1
        in_frame = min(max(0, in_frame), last)
        out_frame = min(max(in_frame, out_frame), last)
        changed = (in_frame, out_frame) != (self._in, self._out)
        self._in, self._out = in_frame, out_frame
        self.range_bar.set_trim(in_frame, out_frame)
        self.in_fields.set_frame(in_frame)
        self.out_fields.set_frame(out_frame)
        kept = out_frame - in_frame + 1
        start, end = timing.trim_seconds(in_frame, out_frame)
        self.length_label.setText(
            f"Keeps {end - start:.3f} s ({kept} of {timing.frames} frames, "
            f"{float(timing.fps):g} fps)"
        )
        self._fit_fields(self.width())
        if emit and changed:
            self.trim_changed.emit(start, end)

    def _current_frame(self) -> int:
        """The frame on show, or the one a step or seek asked for that is on its way."""
        if self._wanted is not None:
            return self._wanted
        if self._shown >= 0:
            return self._shown
        timing = self._timing
        return timing.frame_at(self.player.position() / 1000) if timing is not None else 0

    @Slot()
    def set_in_here(self) -> None:
        """The in point goes to the frame on show (the out point moves too if it was before)."""
        frame = self._current_frame()
        self._apply(frame, max(frame, self._out))

    @Slot()
    def set_out_here(self) -> None:
        """The out point goes to the frame on show (the in point moves too if it was after)."""
        frame = self._current_frame()
        self._apply(min(frame, self._in), frame)

    @Slot()
    def reset(self) -> None:
        """Keep the whole clip."""
        if self._timing is not None:
            self._apply(0, self._timing.frames - 1)

    @Slot(int)
    def on_range_bar_in_moved(self, frame: int) -> None:
        self._apply(frame, max(frame, self._out))
        self.show_frame(self._in)

    @Slot(int)
    def on_range_bar_out_moved(self, frame: int) -> None:
        self._apply(min(frame, self._in), frame)
        self.show_frame(self._out)

    @Slot(int)
    def on_in_fields_frame_chosen(self, frame: int) -> None:
        self.on_range_bar_in_moved(frame)

    @Slot(int)
    def on_out_fields_frame_chosen(self, frame: int) -> None:
        self.on_range_bar_out_moved(frame)

    # -- playback ------------------------------------------------------------------------------

    @Slot(int)
    def show_frame(self, frame: int) -> None:
        """Pause on ``frame``."""
        if self._timing is None:
            return
        self._range_play = False
        self._wanted = min(max(0, frame), self._timing.frames - 1)
        self.player.pause()
        self.player.setPosition(self._timing.position_ms(self._wanted))

    def step_frames(self, count: int) -> None:
        """Pause and move ``count`` frames (negative: back)."""
        self.show_frame(self._current_frame() + count)

    @Slot(int)
    def on_transport_seek_requested(self, position_ms: int) -> None:
        if self._timing is None:
            return
        frame = self._timing.frame_at(position_ms / 1000)
        self._range_play = self._range_play and self._in <= frame <= self._out
        self._wanted = None if self.playing else frame
        self.player.setPosition(self._timing.position_ms(frame))

    @Slot()
    def toggle_play(self) -> None:
        """Play the kept frames from the one on show (from the in point when outside them)."""
        if self._timing is None:
            return
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
            return
        frame = self._current_frame()
        if not self._in <= frame < self._out:
            self.player.setPosition(self._timing.position_ms(self._in))
        self._range_play = True
        self._wanted = None
        self.player.play()

    @property
    def playing(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    @Slot(QVideoFrame)
    def on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        timing = self._timing
        if timing is None:
            return
        if not frame.isValid():
            self._reached_out()
            return
        index = timing.frame_of_us(frame.startTime())
        if self._range_play and self.playing and index > self._out:
            self._reached_out()
            return
        self.surface.on_sink_video_frame_changed(frame)
        self._shown = min(max(0, index), timing.frames - 1)
        if self._wanted == self._shown:
            self._wanted = None
        self.range_bar.set_playhead(self._shown)
        self.transport.show_position(round(timing.time_of(self._shown) * 1000))
        if self._awaiting_first_frame:
            self._awaiting_first_frame = False
            self.ready.emit()

    def _reached_out(self) -> None:
        """Playback passed the out frame: loop the kept frames, or stop on the out frame."""
        if not self._range_play or self._timing is None:
            return
        if self.transport.loop_button.isChecked():
            self.player.setPosition(self._timing.position_ms(self._in))
            self.player.play()
        else:
            self._range_play = False
            self.player.pause()

    @Slot(QMediaPlayer.MediaStatus)
    def on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._pending_ms is not None:
            position, self._pending_ms = self._pending_ms, None
            self.player.pause()
            self.player.setPosition(position)

    @Slot(QMediaPlayer.PlaybackState)
    def on_player_playback_state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        self.transport.show_playing(state == QMediaPlayer.PlaybackState.PlayingState)

    @Slot(QMediaPlayer.Error, str)
    def on_player_error_occurred(self, error: QMediaPlayer.Error, message: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        logger.warning("the trim editor cannot play %s: %s", self._path, message)
        text = f"This clip cannot be played here.\n{message}"
        self.surface.clear(text)
        self.failed.emit(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_fields(event.size().width())

    def _fit_fields(self, width: int) -> None:
        """In, Out and the length in one row when they fit, else one under the other."""
        row = self.fields_row
        needed = sum(
            widget.sizeHint().width()
            for widget in (self.in_fields, self.out_fields, self.length_label)
        )
        needed += 3 * row.spacing()
        wanted = (
            QBoxLayout.Direction.LeftToRight
            if needed <= width
            else QBoxLayout.Direction.TopToBottom
        )
        if row.direction() != wanted:
            row.setSpacing(16 if wanted == QBoxLayout.Direction.LeftToRight else 4)
            row.setDirection(wanted)

    def hideEvent(self, event: QHideEvent) -> None:
        """Pause while hidden (another tab, a collapsed splitter)."""
        if self.playing:
            self.player.pause()
        super().hideEvent(event)

    def shutdown(self) -> None:
        """Stop playback and forget the clip (the window is closing)."""
        self._jobs.close()
        self.player.stop()
        self.player.setSource(QUrl())
