"""The inline preview: the selected task's video with play/pause, seek, loop, volume, frame step,
and "Use this frame as first / last frame" to continue a scene in the next video.

Keyboard (while the preview has focus): Space plays or pauses, Left/Right (or , and .) step
one frame, L toggles looping, M mutes. Ctrl+S saves a copy anywhere in the window.

The panel shows the task and drives the player; "Use frame" is
:class:`~veo_desktop.ui.preview.stills.FrameGrabber` and "Save as…" is
:class:`~veo_desktop.ui.preview.saving.VideoSaver`. Every call that opens, plays, pauses,
seeks or stops the video goes through :mod:`veo_desktop.ui.media_calls` (made straight from
Python, such calls could deadlock with the player's audio thread).
"""

from __future__ import annotations

import asyncio
import html
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QHideEvent, QResizeEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QWidget,
)

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui import media_calls
from veo_desktop.ui.preview.controls import (
    NO_SELECTION,
    SEEK_DESCRIPTION,
    describe,
    details_label,
    fit_text_buttons,
    lay_out,
    message_for,
    title_label,
    volume_slider,
)
from veo_desktop.ui.preview.media_logs import quiet_ffmpeg_errors
from veo_desktop.ui.preview.saving import VideoSaver
from veo_desktop.ui.preview.stills import FrameGrabber
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import (
    TransportBar,
    frame_rate,
    frame_step_position,
    tool_button,
)
from veo_desktop.ui.shortcuts import add_focused_key
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file
from veo_desktop.ui.tasks.icons import glyph_icon

logger = logging.getLogger(__name__)

__all__ = ["NO_SELECTION", "PreviewPanel"]


class PreviewPanel(QWidget):
    """The selected task's video, played inline (``previewPlayer`` is the QMediaPlayer)."""

    #: A copy of the video was saved (the path).
    saved = Signal(object)
    #: Saving a copy failed (a message to show).
    save_failed = Signal(str)
    #: A still of the video was saved for a composer slot: the slot ("first" or "last") and
    #: the PNG's path.
    frame_for_slot = Signal(str, str)
    #: A still could not be made (a message to show).
    frame_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, frames_dir: Path | None = None) -> None:
        """``frames_dir``: where stills are saved (the app's cache; a temp folder if None)."""
        super().__init__(parent)
        self.setObjectName("previewPanel")
        self.setAccessibleName("Preview")
        self._task: TaskRecord | None = None
        self._source: Path | None = None

        self.surface = VideoSurface(self)
        self.player = QMediaPlayer(self)
        quiet_ffmpeg_errors()  # Qt's FFmpeg is loaded now
        self.player.setObjectName("previewPlayer")
        self.audio = QAudioOutput(self)
        self.audio.setObjectName("previewAudio")
        self.player.setAudioOutput(self.audio)
        self.player.setVideoSink(self.surface.sink)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        media_calls.settle_overrides(self.player, self.audio, self.surface.sink)

        # The look is shared with the placeholder that holds the panel's place until it is
        # built (:mod:`.controls`): the same widgets, so the same sizes.
        self.title = title_label(self)
        self.details = details_label(self)

        self.transport = TransportBar("preview", seek_description=SEEK_DESCRIPTION, parent=self)
        self.mute_button = tool_button("previewMuteButton", "volume", "Mute (M)", checkable=True)
        self.volume_slider = volume_slider(self)
        self.audio.setVolume(0.8)
        self.saver = VideoSaver(self, task=lambda: self._task, source=lambda: self._source)
        self.surface.carry = self.saver.carried  # a drag out hands out a copy with the recipe
        self.saver.saved.connect(self.saved)
        self.saver.save_failed.connect(self.save_failed)
        self.save_button = self.saver.save_button
        self.save_action = self.saver.save_action
        self.stills = FrameGrabber(
            self,
            player=self.player,
            surface=self.surface,
            task=lambda: self._task,
            source=lambda: self._source,
            frames_dir=frames_dir or Path(tempfile.gettempdir()) / "veo-desktop-frames",
        )
        self.stills.frame_for_slot.connect(self.frame_for_slot)
        self.stills.frame_failed.connect(self.frame_failed)
        self.frame_button = self.stills.frame_button
        self.frame_menu = self.stills.frame_menu
        self.use_first_frame_action = self.stills.use_first_frame_action
        self.use_last_frame_action = self.stills.use_last_frame_action

        self._shortcut(Qt.Key.Key_Space, self.toggle_play)
        self._shortcut(Qt.Key.Key_Left, lambda: self.step_frames(-1))
        self._shortcut(Qt.Key.Key_Right, lambda: self.step_frames(1))
        self._shortcut(Qt.Key.Key_Comma, lambda: self.step_frames(-1))
        self._shortcut(Qt.Key.Key_Period, lambda: self.step_frames(1))
        self._shortcut(Qt.Key.Key_L, self.transport.loop_button.toggle)
        self._shortcut(Qt.Key.Key_M, self.mute_button.toggle)

        self.transport.add_control(self.mute_button)
        self.transport.add_control(self.volume_slider)
        self.transport.add_control(self.frame_button, space_before=8)
        self.transport.add_control(self.save_button)
        lay_out(self, self.title, self.details, self.surface, self.transport)

        self.transport.play_clicked.connect(self.toggle_play)
        self.transport.frame_step_requested.connect(self.step_frames)
        self.transport.seek_requested.connect(self.on_transport_seek_requested)
        self.transport.loop_button.toggled.connect(self.on_loop_button_toggled)
        self.mute_button.toggled.connect(self.on_mute_button_toggled)
        self.volume_slider.valueChanged.connect(self.on_volume_slider_value_changed)
        self.surface.clicked.connect(self.toggle_play)
        self.surface.frame_size_changed.connect(self._update_details)
        self.player.positionChanged.connect(self.on_player_position_changed)
        self.player.durationChanged.connect(self.on_player_duration_changed)
        self.player.playbackStateChanged.connect(self.on_player_playback_state_changed)
        self.player.errorOccurred.connect(self.on_player_error_occurred)
        self.show_task(None)

    def _shortcut(self, key: Qt.Key, slot: Callable[[], object]) -> QAction:
        return add_focused_key(self, key, slot)

    # -- the task --------------------------------------------------------------------------

    @property
    def task(self) -> TaskRecord | None:
        """The task on show."""
        return self._task

    @property
    def source(self) -> Path | None:
        """The video file loaded into the player."""
        return self._source

    def show_task(self, task: TaskRecord | None) -> None:
        """Show ``task``: play its video if it has one, else say where it is."""
        self._task = task
        video = video_file(task) if task is not None and task.state == TaskState.SUCCEEDED else None
        if video is None:
            self._unload(self._message_for(task))
        elif video != self._source:
            self._load(video)
        elif self.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState:
            media_calls.play(self.player)
        self._describe()
        has_video = video is not None
        self.transport.set_controls_enabled(has_video)
        self.saver.set_enabled(has_video)
        self.stills.set_enabled(has_video)
        self.surface.set_file(video)

    def _load(self, video: Path) -> None:
        self._source = video
        self.surface.clear()
        media_calls.set_source(self.player, video)
        media_calls.play(self.player)

    def _unload(self, message: str) -> None:
        if self._source is not None:
            media_calls.release(self.player)
            self._source = None
        self.surface.clear(message)
        self.transport.reset()

    def _describe(self) -> None:
        task = self._task
        if task is None:
            self.title.set_full_text("Preview", tooltip="")
            self.details.setText("")
            return
        # Elided to the title's own width (and again on each resize), by the label itself.
        self.title.set_full_text(
            fmt.short_prompt(task),
            tooltip=f"<p style='white-space:pre-wrap'>{_escape(task.prompt)}</p>",
        )
        self._update_details()

    def _update_details(self) -> None:
        """Type, mode, aspect, and once known the picture size and the length."""
        task = self._task
        if task is None:
            self.details.setText("")
            return
        parts = describe(task)
        frame = self.surface.frame_image
        if self._source is not None and frame is not None:
            parts.append(f"{frame.width()}\u00d7{frame.height()}")
        if self._source is not None and self.player.duration() > 0:
            parts.append(fmt.clock_text(round(self.player.duration() / 1000)))
        self.details.setText(" \u00b7 ".join(parts))
        self.details.setToolTip(str(self._source) if self._source is not None else "")

    @staticmethod
    def _message_for(task: TaskRecord | None) -> str:
        return message_for(task)

    # -- playback --------------------------------------------------------------------------

    @Slot()
    def toggle_play(self) -> None:
        if self._source is None:
            return
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            media_calls.pause(self.player)
        else:
            media_calls.play(self.player)

    def frame_rate(self) -> float:
        return frame_rate(self.player)

    def step_frames(self, count: int) -> None:
        """Pause and move ``count`` frames (negative: back)."""
        if self._source is None:
            return
        media_calls.pause(self.player)
        fps = self.frame_rate()
        shown = self.surface.frame_time_us
        if shown >= 0:
            index = round(shown * fps / 1_000_000)
        else:
            index = int(self.player.position() * fps / 1000)
        media_calls.set_position(
            self.player, frame_step_position(index, count, self.player.duration(), fps)
        )

    @Slot(int)
    def on_transport_seek_requested(self, position_ms: int) -> None:
        media_calls.set_position(self.player, position_ms)

    @Slot(bool)
    def on_loop_button_toggled(self, checked: bool) -> None:
        self.player.setLoops(QMediaPlayer.Loops.Infinite if checked else QMediaPlayer.Loops.Once)

    @Slot(bool)
    def on_mute_button_toggled(self, checked: bool) -> None:
        media_calls.set_muted(self.audio, checked)
        self.mute_button.setIcon(glyph_icon("muted" if checked else "volume"))
        self.mute_button.setToolTip("Unmute (M)" if checked else "Mute (M)")

    @Slot(int)
    def on_volume_slider_value_changed(self, value: int) -> None:
        media_calls.set_volume(self.audio, value / 100)
        if value and self.mute_button.isChecked():
            self.mute_button.setChecked(False)

    @Slot("qlonglong")
    def on_player_position_changed(self, position: int) -> None:
        self.transport.show_position(position)

    @Slot("qlonglong")
    def on_player_duration_changed(self, duration: int) -> None:
        self.transport.show_duration(duration)
        self._update_details()

    @Slot(QMediaPlayer.PlaybackState)
    def on_player_playback_state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        self.transport.show_playing(state == QMediaPlayer.PlaybackState.PlayingState)

    @Slot(QMediaPlayer.Error, str)
    def on_player_error_occurred(self, error: QMediaPlayer.Error, message: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        logger.warning("The preview cannot play %s: %s", self._source, message)
        self.surface.clear(f"This video cannot be played here.\n{message}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_buttons(event.size().width())

    def _fit_buttons(self, width: int) -> None:
        fit_text_buttons(self.transport.buttons_row, (self.frame_button, self.save_button), width)

    def hideEvent(self, event: QHideEvent) -> None:
        """Pause while hidden (a collapsed splitter, a minimised window)."""
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            media_calls.pause(self.player)
        super().hideEvent(event)

    # -- saving and stills ------------------------------------------------------------------

    def save_to(self, destination: Path) -> asyncio.Task[Path | None] | None:
        """Copy the video on show to ``destination`` (see :meth:`VideoSaver.save_to`)."""
        return self.saver.save_to(destination)

    def use_frame(self, slot: str) -> asyncio.Task[Path | None] | None:
        """Send a still to a composer slot (see :meth:`FrameGrabber.use_frame`)."""
        return self.stills.use_frame(slot)

    def shutdown(self) -> None:
        """Stop playback and cancel copies still running (the window is closing)."""
        media_calls.release(self.player)
        self._source = None
        self.saver.cancel()
        self.stills.cancel()


def _escape(text: str) -> str:
    return html.escape(text[:2000])
