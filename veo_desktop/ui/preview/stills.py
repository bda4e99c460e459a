"""The preview's "Use this frame as first / last frame": a still of the video for the
composer's frame slots, to continue a scene in the next video.

The still is the frame on show when playback is paused on it, else the video's last frame
(decoded by :func:`veo_desktop.imaging.frames.last_frame`). Decoding and writing the PNG
run off the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QImage
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QMenu, QWidget

from veo_desktop.imaging.frames import last_frame
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.preview.controls import frame_button
from veo_desktop.ui.preview.frames import save_png
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import frame_rate
from veo_desktop.ui.tasks.icons import glyph_icon

logger = logging.getLogger(__name__)

#: The composer's frame slots a still can go to.
FRAME_SLOTS = ("first", "last")
FRAME_TIP = (
    "Pause on a frame to use that one; otherwise the video's last frame is used "
    "(to continue the scene)."
)


class FrameGrabber(QObject):
    """The "Use frame" button, its menu and actions, and the stills they make.

    Args:
        owner: the widget the button and actions belong to.
        player: the player showing the video.
        surface: where the frames are painted (it holds the frame on show).
        task: the task on show.
        source: the video file loaded into the player.
        frames_dir: where stills are saved.
    """

    #: A still was saved for a composer slot: the slot ("first" or "last") and the PNG's path.
    frame_for_slot = Signal(str, str)
    #: A still could not be made (a message to show).
    frame_failed = Signal(str)

    def __init__(
        self,
        owner: QWidget,
        *,
        player: QMediaPlayer,
        surface: VideoSurface,
        task: Callable[[], TaskRecord | None],
        source: Callable[[], Path | None],
        frames_dir: Path,
    ) -> None:
        super().__init__(owner)
        self._player = player
        self._surface = surface
        self._task = task
        self._source = source
        self.frames_dir = frames_dir
        self._jobs = JobRegistry()

        self.use_first_frame_action = QAction(
            glyph_icon("frame"), "Use this frame as &first frame", owner
        )
        self.use_first_frame_action.setObjectName("useFirstFrameAction")
        self.use_last_frame_action = QAction(
            glyph_icon("frame"), "Use this frame as &last frame", owner
        )
        self.use_last_frame_action.setObjectName("useLastFrameAction")
        for action, slot in (
            (self.use_first_frame_action, "first"),
            (self.use_last_frame_action, "last"),
        ):
            tip = f"Put this frame into the composer's {slot} frame slot. {FRAME_TIP}"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, s=slot: self.use_frame(s))
        self.frame_menu = QMenu(owner)
        self.frame_menu.setObjectName("previewFrameMenu")
        self.frame_menu.addAction(self.use_first_frame_action)
        self.frame_menu.addAction(self.use_last_frame_action)
        self.frame_button = frame_button(owner, self.frame_menu)
        self.frame_button.setToolTip(
            f"Use this frame as the first or last frame of a new video. {FRAME_TIP}"
        )

    def set_enabled(self, enabled: bool) -> None:
        """Offer stills only while there is a video."""
        self.frame_button.setEnabled(enabled)
        self.use_first_frame_action.setEnabled(enabled)
        self.use_last_frame_action.setEnabled(enabled)

    def frame_choice(self) -> tuple[QImage | None, str]:
        """The still "Use this frame" takes: the frame shown when playback is paused on it,
        else ``None`` (the video's last frame, decoded); and a name for the file."""
        player = self._player
        image = self._surface.frame_image
        paused = player.playbackState() == QMediaPlayer.PlaybackState.PausedState
        duration = player.duration()
        shown = self._surface.frame_time_us
        at_end = player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia or (
            duration > 0 and shown >= 0 and shown / 1000 >= duration - 1000 / frame_rate(player)
        )
        task = self._task()
        stem = task.short_id if task is not None else "video"
        if paused and image is not None and not image.isNull() and not at_end:
            return image.copy(), f"{stem}-{max(0, shown) // 1000:06d}ms"
        return None, f"{stem}-last"

    def use_frame(self, slot: str) -> asyncio.Task[Path | None] | None:
        """Save the still (see :meth:`frame_choice`) as PNG, then emit :attr:`frame_for_slot`.

        Decoding and writing run off the GUI thread. Returns the job (None without a video).
        """
        if slot not in FRAME_SLOTS:
            raise ValueError(f"slot must be one of {FRAME_SLOTS}, not {slot!r}")
        source = self._source()
        if source is None:
            return None
        image, stem = self.frame_choice()
        directory = self.frames_dir

        def make() -> Path:
            still = image if image is not None else last_frame(source)
            return save_png(still, directory, stem)

        async def run() -> Path | None:
            try:
                path = await asyncio.to_thread(make)
            except (OSError, ValueError) as error:
                logger.warning("could not make a still of %s: %s", source, error)
                self.frame_failed.emit(f"The frame could not be saved: {error}")
                return None
            self.frame_for_slot.emit(slot, str(path))
            return path

        return self._jobs.start(run(), name="Saving a frame")

    def cancel(self) -> None:
        """Cancel stills still being made (the window is closing)."""
        self._jobs.cancel_all()
