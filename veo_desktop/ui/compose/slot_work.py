"""The work that fills an image slot: prepare, upload or check an image; crop a frame.

:class:`SlotWorker` runs one piece of work at a time for a
:class:`~veo_desktop.ui.compose.slot_model.SlotModel` and moves the model along (busy, then
ready or in error). Starting new work, clearing the slot or closing the window stops the
work under way; what it would still report is ignored (the model numbers each piece).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from veo_desktop.imaging import ImageError
from veo_desktop.ui.compose.slot_model import SlotModel
from veo_desktop.ui.crop_dialog import ask_crop
from veo_desktop.ui.images import ImageInputError, ImageUploader, SlotImage

log = logging.getLogger(__name__)

#: What a slot takes an image from: a local file, a web address, or pixels.
Source = Path | str | QImage
#: Called with (work number, bytes sent, bytes in all) as an upload goes.
ProgressReport = Callable[[int, int, int], None]
_Work = Callable[[Callable[[int, int], None], asyncio.Event], Awaitable[SlotImage]]


class SlotWorker:
    """Runs the slot's work, one piece at a time.

    Args:
        model: the slot whose state the work moves along.
        uploader: turns files, pixels and URLs into image URLs.
        owner: the slot's widget (the crop dialog opens over it).
        on_progress: told of an upload's progress (default: the model).
    """

    def __init__(
        self,
        model: SlotModel,
        uploader: ImageUploader,
        owner: QWidget,
        on_progress: ProgressReport | None = None,
    ) -> None:
        self._model = model
        self._uploader = uploader
        self._owner = owner
        self._on_progress = on_progress or model.report_progress
        self.job: asyncio.Task[None] | None = None
        self._cancel: asyncio.Event | None = None

    def load(self, source: Source) -> None:
        """Start taking an image from a file, a URL or pixels (replaces what was there)."""
        uploader = self._uploader
        if isinstance(source, Path):
            self._start(
                "Preparing…", source, lambda p, c: uploader.from_file(source, progress=p, cancel=c)
            )
        elif isinstance(source, QImage):
            self._start(
                "Preparing…",
                source,
                lambda p, c: uploader.from_image(source, progress=p, cancel=c),
            )
        else:
            self._start("Checking…", source, lambda _p, _c: uploader.from_url(source))

    def crop(self, path: Path, aspect: str) -> None:
        """Ask for the part of the frame at ``path`` to keep, then prepare and upload it."""
        generation = self.cancel()
        self.job = asyncio.ensure_future(self._crop(generation, path, aspect))

    def cancel(self) -> int:
        """Stop the work under way (its late results and progress are ignored)."""
        self.stop()
        return self._model.cancel()

    def stop(self) -> None:
        """Stop the job and its upload (the model is told by whoever asked)."""
        cancel, self._cancel = self._cancel, None
        if cancel is not None:
            cancel.set()
        job, self.job = self.job, None
        if job is not None and not job.done() and job is not asyncio.current_task():
            job.cancel()

    def _start(self, busy_text: str, source: Source, work: _Work) -> None:
        """Cancel what runs, show ``busy_text`` and run ``work(progress, cancel)``."""
        self.stop()
        cancel = asyncio.Event()
        self._cancel = cancel
        generation = self._model.start(busy_text, source)

        def progress(sent: int, total: int) -> None:
            self._on_progress(generation, sent, total)

        self.job = asyncio.ensure_future(
            self._take(generation, source, lambda: work(progress, cancel))
        )

    async def _take(
        self, generation: int, source: Source, work: Callable[[], Awaitable[SlotImage]]
    ) -> None:
        model = self._model
        try:
            prepared = await work()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling() or not model.is_current(generation):
                raise
            # Not this slot's doing: the work under it was stopped (the imaging thread
            # shut down with its session).
            model.fail(generation, "The image work was stopped.", source)
        except ImageInputError as error:
            model.fail(
                generation, str(error), source, preview=error.preview, retryable=error.retryable
            )
        except Exception:
            log.exception("could not take an image for the %s slot", model.title)
            model.fail(
                generation,
                "The image could not be used (an unexpected error; see the log).",
                source,
            )
        else:
            model.succeed(generation, prepared, source)

    async def _crop(self, generation: int, path: Path, aspect: str) -> None:
        try:
            chosen = await ask_crop(self._owner, path, aspect)
        except ImageError as error:
            self._model.fail_keeping_picture(generation, str(error))
            return
        if chosen is None or not self._model.is_current(generation):
            return
        rect, chosen_aspect = chosen
        self._start(
            "Cropping…",
            path,
            lambda p, c: self._uploader.from_file(
                path, aspect=chosen_aspect, crop=rect, progress=p, cancel=c
            ),
        )
