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

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QResizeEvent
from PySide6.QtMultimedia import QVideoFrame
from PySide6.QtWidgets import QBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from veo_desktop.imaging.worker import run_imaging
from veo_desktop.ui import style
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import TransportBar
from veo_desktop.ui.shortcuts import add_focused_key
from veo_desktop.ui.storyboard.players_timing import ClipTiming, clip_problem, probe_clip
from veo_desktop.ui.storyboard.trim_fields import TrimPointFields
from veo_desktop.ui.storyboard.trim_playback import TrimPlayback
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
        self._awaiting_first_frame = False
        self._jobs = JobRegistry()

        self.surface = VideoSurface(self)
        self.surface.setObjectName("trimSurface")
        self.surface.setAccessibleDescription("The shot's video. Click to play or pause.")
        self.playback = TrimPlayback(self)
        self.player = self.playback.player
        self.audio = self.playback.audio

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
            add_focused_key(self, key, slot)

        self.transport.play_clicked.connect(self.toggle_play)
        self.transport.frame_step_requested.connect(self.step_frames)
        self.transport.seek_requested.connect(self.playback.seek_ms)
        self.transport.loop_button.toggled.connect(self.on_loop_button_toggled)
        self.surface.clicked.connect(self.toggle_play)
        self.set_in_button.clicked.connect(self.set_in_here)
        self.set_out_button.clicked.connect(self.set_out_here)
        self.reset_button.clicked.connect(self.reset)
        self.range_bar.in_moved.connect(self.on_range_bar_in_moved)
        self.range_bar.out_moved.connect(self.on_range_bar_out_moved)
        self.range_bar.seek_requested.connect(self.show_frame)
        self.in_fields.frame_chosen.connect(self.on_in_fields_frame_chosen)
        self.out_fields.frame_chosen.connect(self.on_out_fields_frame_chosen)
        self.playback.frame_ready.connect(self.on_playback_frame_ready)
        self.playback.playing_changed.connect(self.transport.show_playing)
        self.playback.failed.connect(self.on_playback_failed)
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
    def keeps_whole_clip(self) -> bool:
        """Whether the trim keeps every frame (False without a clip)."""
        timing = self._timing
        return timing is not None and (self._in, self._out) == (0, timing.frames - 1)

    @property
    def shown_frame(self) -> int:
        """The frame on show (-1: none)."""
        return self.playback.shown_frame

    def set_clip(self, path: Path | None, trim: tuple[float, float] | None = None) -> None:
        """Trim ``path`` starting from ``trim`` (None: the whole clip); None: no clip.

        The clip on show with that trim already is left as it is (playing on).
        """
        timing = self._timing
        if (
            path is not None
            and timing is not None
            and Path(path) == self._path
            and timing.snap_trim(*(trim or (None, None))) == (self._in, self._out)
        ):
            return
        self._jobs.cancel_all()
        self.playback.unload()
        self._path = Path(path) if path is not None else None
        self._timing = None
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
            message = f"This clip cannot be trimmed: {clip_problem(path, error)}"
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
        self.playback.load(path, timing, self._in)

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
        self.playback.kept = (in_frame, out_frame)
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
        return self.playback.current_frame()

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
        self.playback.show_frame(frame)

    def step_frames(self, count: int) -> None:
        """Pause and move ``count`` frames (negative: back)."""
        self.playback.show_frame(self._current_frame() + count)

    @Slot()
    def toggle_play(self) -> None:
        """Play the kept frames from the one on show (from the in point when outside them)."""
        self.playback.toggle_play()

    @property
    def playing(self) -> bool:
        return self.playback.playing

    @Slot(bool)
    def on_loop_button_toggled(self, checked: bool) -> None:
        self.playback.loop = checked

    @Slot(QVideoFrame, int)
    def on_playback_frame_ready(self, frame: QVideoFrame, index: int) -> None:
        self.surface.on_sink_video_frame_changed(frame)
        self.range_bar.set_playhead(index)
        if self._timing is not None:
            self.transport.show_position(round(self._timing.time_of(index) * 1000))
        if self._awaiting_first_frame:
            self._awaiting_first_frame = False
            self.ready.emit()

    @Slot(str)
    def on_playback_failed(self, message: str) -> None:
        logger.warning("the trim editor cannot play %s: %s", self._path, message)
        self.surface.clear(message)
        self.failed.emit(message)

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
        self.playback.pause()
        super().hideEvent(event)

    def shutdown(self) -> None:
        """Stop playback and forget the clip (the window is closing)."""
        self._jobs.close()
        self.playback.unload()
