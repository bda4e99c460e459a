"""One image input of the composer: drop, paste or browse an image; crop a frame; remove it.

The state (empty, busy, ready, in error; the upload's progress; the problems) lives in a
Qt-free :class:`~veo_desktop.ui.compose.slot_model.SlotModel`, shown by
:class:`~veo_desktop.ui.compose.slot_display.SlotDisplay`; :class:`ImageSlot` adds what a
person does with the slot, and :class:`~veo_desktop.ui.compose.slot_work.SlotWorker` runs the
work that fills it. A local file is prepared (converted, turned upright, shrunk to fit) and
uploaded through the session's image hosting while the slot shows the
progress (clearing the slot cancels it); what was changed is noted under the picture. A first
or last frame whose shape is not the video's (16:9 or 9:16) says so and offers a crop. A URL
is checked the way APIXO fetches it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMenu,
    QWidget,
)

from veo_desktop.ui.compose.slot_display import (
    CROP_ASPECTS,
    SlotDisplay,
    describe_shape,
    shape_notice,
)
from veo_desktop.ui.compose.slot_model import NOTHING_SENT, SlotModel, SlotState
from veo_desktop.ui.compose.slot_work import SlotWorker, Source
from veo_desktop.ui.compose.widgets import Tone
from veo_desktop.ui.images import (
    IMAGE_FILTER,
    LIMIT_TEXT,
    SUPPORTED,
    ImageUploader,
)

log = logging.getLogger(__name__)

__all__ = [
    "CROP_ASPECTS",
    "NOTHING_SENT",
    "ImageSlot",
    "SlotState",
    "describe_shape",
    "shape_notice",
    "source_from_mime",
]


def source_from_mime(mime: QMimeData) -> Source | None:
    """What a drop or a paste carries: a local file, a web URL, pixels, or nothing usable.

    A local file wins, then a web address (browsers put the image's address in the URL
    list), then pixels, then text that is an address or a path.
    """
    urls = [url for url in mime.urls() if url.isValid()] if mime.hasUrls() else []
    for url in urls:
        if url.isLocalFile():
            return Path(url.toLocalFile())
    for url in urls:
        if url.scheme() in ("http", "https"):
            return url.toString()
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return image
    if mime.hasText():
        text = mime.text().strip()
        first = text.splitlines()[0].strip() if text else ""
        if first.startswith(("http://", "https://")):
            return first
        if first.startswith("file:"):
            return Path(QUrl(first).toLocalFile())
        if first and Path(first).expanduser().is_file():
            return Path(first).expanduser()
    return None


class ImageSlot(SlotDisplay):
    """An image input: "First frame", "Last frame" or "Reference N".

    Takes a local file or a browser URL by drag and drop, an image or address by paste
    (Ctrl+V), or a file from the file dialog (click, Space or Enter). Shows the thumbnail,
    the upload's progress, what was changed (converted, shrunk, cropped), and what is
    wrong (not an image, no hosting, unreachable URL) right under it. A frame slot (see
    :meth:`set_frame_aspect`) says when the picture's shape is not the video's and offers
    a crop.

    Args:
        title: what the slot is called.
        uploader: turns files, pixels and URLs into image URLs.
        model: the slot's state (the composer's form holds it); default: a slot of its own.

    Signals:
        changed: the slot's content or state changed.
    """

    def __init__(
        self,
        title: str,
        uploader: ImageUploader,
        parent: QWidget | None = None,
        *,
        model: SlotModel | None = None,
    ) -> None:
        super().__init__(title, model if model is not None else SlotModel(title), parent)
        self._worker = SlotWorker(
            self.model,
            uploader,
            self,
            lambda generation, sent, total: self._on_upload_progress(generation, sent, total),
        )
        self._dialog: QFileDialog | None = None
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        self.setAccessibleDescription(
            f"{title}: drop, paste (Ctrl+V) or choose an image ({SUPPORTED}); it is made a "
            f"JPEG or PNG of at most {LIMIT_TEXT}. Press Delete to remove it."
        )
        self.setToolTip(
            f"{title}\nDrop an image file or a web image here, paste one (Ctrl+V),\n"
            "or click to choose a file."
        )
        self.drop_area.clicked.connect(self.browse)
        self.clear_button.clicked.connect(self.clear)
        self.crop_button.clicked.connect(self.crop)
        self.retry_button.clicked.connect(self.retry)

    @property
    def _job(self) -> asyncio.Task[None] | None:
        """The work under way, if any (tests wait for it)."""
        return self._worker.job

    # -- filling and emptying ------------------------------------------------------------

    def load(self, source: Source) -> None:
        """Start taking an image from a file, a URL or pixels (replaces what was there)."""
        self._worker.load(source)

    def set_url(self, url: str) -> None:
        """Use an image URL (checked for reachability, as a pasted one)."""
        self.load(url)

    def clear(self) -> None:
        """Empty the slot (cancels a check or upload under way)."""
        self._worker.stop()
        self.model.clear()

    def retry(self) -> bool:
        """Take the same file, address or pixels again (after a failure); False if none."""
        content = self.model.content
        source = content.source
        if (
            not isinstance(source, Path | str | QImage)
            or self.state is SlotState.BUSY
            or not content.retryable
        ):
            return False
        self.load(source)
        return True

    def set_frame_aspect(self, aspect: str | None) -> None:
        """Make this a frame of an ``aspect`` video (``16:9``, ``9:16``, ``auto``; None: not a
        frame): a picture of another shape is pointed out and a crop offered."""
        self.model.set_frame_aspect(aspect)

    def set_external_problem(self, message: str | None) -> None:
        """A problem the request rules found with this slot's image (shown under it)."""
        self.model.set_external_problem(message)

    def show_submit_problem(self, message: str) -> None:
        """The check just before submitting found the image unreachable: nothing was sent.

        The slot keeps its picture, shows ``message`` as its problem (blocking Generate) and
        offers to try again.
        """
        self.model.show_submit_problem(message)

    def swap_with(self, other: ImageSlot) -> None:
        """Exchange contents with another slot (first and last frame)."""
        self.model.swap_with(other.model)

    def cancel(self) -> None:
        """Stop any work under way (the window is closing)."""
        self._worker.cancel()

    # -- user actions ----------------------------------------------------------------------

    def crop(self) -> bool:
        """Open the crop dialog for a frame of the wrong shape; False when none is offered."""
        source = self.model.content.source
        aspect = self.model.frame_aspect
        if not self.can_crop or not isinstance(source, Path) or aspect is None:
            return False
        self._worker.crop(source, aspect)
        return True

    def browse(self) -> None:
        """Open the file dialog (non-modal; the choice arrives through a signal)."""
        if self._dialog is not None:
            self._dialog.raise_()
            return
        dialog = QFileDialog(self.window(), f"Choose the {self._title.lower()}")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(IMAGE_FILTER)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setObjectName(f"{self.objectName() or 'imageSlot'}FileDialog")
        if _last_dir[0]:
            dialog.setDirectory(_last_dir[0])
        dialog.fileSelected.connect(self.on_dialog_file_selected)
        dialog.finished.connect(self.on_dialog_finished)
        self._dialog = dialog
        dialog.open()

    def on_dialog_file_selected(self, path: str) -> None:
        if path:
            _last_dir[0] = str(Path(path).parent)
            self.load(Path(path))

    def on_dialog_finished(self, _result: int) -> None:
        self._dialog = None

    def paste(self) -> bool:
        """Take an image, file or URL from the clipboard; False when it holds none."""
        mime = QGuiApplication.clipboard().mimeData()
        source = source_from_mime(mime) if mime is not None else None
        if source is None:
            self._refresh_message()
            self.message.show_message(
                "The clipboard holds no image, image file or image address.", Tone.HINT
            )
            return False
        self.load(source)
        return True

    # -- events ------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if source_from_mime(event.mimeData()) is not None:
            event.acceptProposedAction()
            self.drop_area.hovering_drag = True
            self.drop_area.update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_area.hovering_drag = False
        self.drop_area.update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_area.hovering_drag = False
        self.drop_area.update()
        source = source_from_mime(event.mimeData())
        if source is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.load(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        elif event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.browse()
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction("Choose a file…", self.browse)
        menu.addAction("Paste image or address", self.paste)
        if self.can_crop:
            menu.addAction(self.crop_button.text(), self.crop)
        if self.retry_button.isVisibleTo(self):
            menu.addAction(self.retry_button.text(), self.retry)
        remove = menu.addAction("Remove", self.clear)
        remove.setEnabled(self.state is not SlotState.EMPTY)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def _on_upload_progress(self, generation: int, sent: int, total: int) -> None:
        self.model.report_progress(generation, sent, total)


#: The folder the last file dialog was left in (shared by every slot of the session).
_last_dir: list[str] = [""]
