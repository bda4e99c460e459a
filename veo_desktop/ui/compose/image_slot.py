"""One image input of the composer: drop, paste or browse; thumbnail, size and problems inline."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFocusEvent,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.images import (
    LIMIT_TEXT,
    SUPPORTED,
    ImageInputError,
    ImagePreview,
    ImageUploader,
    PreparedImage,
    describe_size,
)

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp);;All files (*)"


class SlotState(StrEnum):
    EMPTY = "empty"
    BUSY = "busy"
    READY = "ready"
    ERROR = "error"


def source_from_mime(mime: QMimeData) -> Path | str | QImage | None:
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


class _DropArea(QWidget):
    """The picture part of a slot: dashed outline and hint when empty, else the thumbnail."""

    clicked = Signal()

    def __init__(self, slot: ImageSlot) -> None:
        super().__init__(slot)
        self._slot = slot
        self._pixmap: QPixmap | None = None
        self._scaled: QPixmap | None = None
        self.hovering_drag = False
        self.setMinimumSize(QSize(84, 64))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(88)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_image(self, image: QImage | None) -> None:
        self._pixmap = (
            QPixmap.fromImage(image) if image is not None and not image.isNull() else None
        )
        self._scaled = None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        button = getattr(self._slot, "clear_button", None)
        if button is not None:
            button.move(self.width() - button.width() - 3, 3)
        super().resizeEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(rect, 6, 6)
        state = self._slot.state
        base = palette.color(QPalette.ColorRole.Base)
        if self.hovering_drag:
            base = palette.color(QPalette.ColorRole.Highlight)
            base.setAlpha(40)
        painter.fillPath(path, base)
        if self._pixmap is not None:
            if self._scaled is None or self._scaled.size() != self._fit_size():
                self._scaled = self._pixmap.scaled(
                    self._fit_size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            x = (self.width() - self._scaled.width()) // 2
            y = (self.height() - self._scaled.height()) // 2
            painter.save()
            painter.setClipPath(path)
            painter.drawPixmap(x, y, self._scaled)
            painter.restore()
        if state is SlotState.ERROR:
            color = style.problem_color(self)
        elif self.hovering_drag or self._slot.hasFocus():
            color = palette.color(QPalette.ColorRole.Highlight)
        else:
            color = palette.color(QPalette.ColorRole.Mid).darker(130)
            if style.is_dark(self):
                color = palette.color(QPalette.ColorRole.Light).lighter(115)
        pen = QPen(color, 1.4 if state is not SlotState.EMPTY else 1.2)
        if state is SlotState.EMPTY:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawPath(path)
        text = ""
        if state is SlotState.EMPTY:
            text = "Drop an image\nor click to browse"
        elif state is SlotState.BUSY:
            text = self._slot.busy_text
        elif self._pixmap is None:
            text = "Cannot use\nthis image"
        if text:
            if self._pixmap is not None:
                veil = QPalette().color(QPalette.ColorRole.Window)
                veil.setAlpha(190)
                painter.fillPath(path, veil)
            painter.setPen(
                style.hint_color(self)
                if state is SlotState.EMPTY
                else palette.color(QPalette.ColorRole.WindowText)
            )
            painter.setFont(style.scaled_font(self, 0.9))
            painter.drawText(
                rect.adjusted(6, 4, -6, -4),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                text,
            )
        painter.end()

    def _fit_size(self) -> QSize:
        return self.size() - QSize(4, 4)


class ImageSlot(QWidget):
    """An image input: "First frame", "Last frame" or "Reference N".

    Takes a local file or a browser URL by drag and drop, an image or address by paste
    (Ctrl+V), or a file from the file dialog (click, Space or Enter). Shows the thumbnail,
    the size, and what is wrong (wrong type, over 10 MB, unreachable URL) right under it.

    Signals:
        changed: the slot's content or state changed.
    """

    changed = Signal()

    def __init__(self, title: str, uploader: ImageUploader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._uploader = uploader
        self._state = SlotState.EMPTY
        self._image: PreparedImage | None = None
        self._preview: ImagePreview | None = None
        self._error: str | None = None
        self._external: str | None = None
        self._job: asyncio.Task[None] | None = None
        self._dialog: QFileDialog | None = None
        self.busy_text = ""
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        self.setAccessibleDescription(
            f"{title}: drop, paste (Ctrl+V) or choose a {SUPPORTED} image of at most "
            f"{LIMIT_TEXT}; press Delete to remove it."
        )
        self.setToolTip(
            f"{title}\nDrop an image file or a web image here, paste one (Ctrl+V),\n"
            "or click to choose a file."
        )

        self._title_label = QLabel(title, self)
        self._title_label.setFont(style.scaled_font(self, 0.92, bold=True))
        self._title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        self.drop_area = _DropArea(self)
        self.drop_area.clicked.connect(self.browse)
        self.clear_button = QToolButton(self.drop_area)
        self.clear_button.setObjectName("clearImageButton")
        self.clear_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_LineEditClearButton)
        )
        self.clear_button.setIconSize(QSize(14, 14))
        self.clear_button.setFixedSize(QSize(22, 22))
        self.clear_button.setCursor(Qt.CursorShape.ArrowCursor)
        self.clear_button.setToolTip(f"Remove the {title.lower()} (Delete)")
        self.clear_button.setAccessibleName(f"Remove {title.lower()}")
        self.clear_button.setAccessibleDescription(f"Empty the {title.lower()} slot")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.setVisible(False)
        self.clear_button.clicked.connect(self.clear)
        self._info = QLabel(self)
        self._info.setFont(style.scaled_font(self, 0.88))
        self._info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._info.setVisible(False)
        self.message = MessageLabel(Tone.PROBLEM, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self._title_label)
        layout.addWidget(self.drop_area)
        layout.addWidget(self._info)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.setMinimumWidth(78)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

    @property
    def picture_top(self) -> int:
        """Distance from the slot's top to its picture (to line up the swap button)."""
        return self._title_label.sizeHint().height() + 3

    # -- what the composer reads ------------------------------------------------------

    @property
    def title(self) -> str:
        return self._title

    @property
    def state(self) -> SlotState:
        return self._state

    @property
    def url(self) -> str | None:
        """The image URL to send, when the slot holds a usable image."""
        return self._image.url if self._state is SlotState.READY and self._image else None

    @property
    def image(self) -> PreparedImage | None:
        return self._image if self._state is SlotState.READY else None

    @property
    def problem(self) -> str | None:
        """Why this slot blocks Generate: its own error, or still busy."""
        if self._state is SlotState.ERROR:
            return self._error
        if self._state is SlotState.BUSY:
            return f"Wait for the {self._title.lower()} to finish {self.busy_text.lower()}"
        return None

    @property
    def message_text(self) -> str:
        """The message shown under the slot ('' when none)."""
        return "" if self.message.isHidden() else self.message.text()

    # -- filling and emptying ------------------------------------------------------------

    def load(self, source: Path | str | QImage) -> None:
        """Start taking an image from a file, a URL or pixels (replaces what was there)."""
        self._cancel_job()
        if isinstance(source, Path):
            busy, coro = "Uploading…", self._uploader.from_file(source)
        elif isinstance(source, QImage):
            busy, coro = "Uploading…", self._uploader.from_image(source)
        else:
            busy, coro = "Checking…", self._uploader.from_url(source)
        self.busy_text = busy
        self._set(SlotState.BUSY, image=None, preview=None, error=None)
        self._job = asyncio.ensure_future(self._run(coro))

    def set_url(self, url: str) -> None:
        """Use an image URL (checked for reachability, as a pasted one)."""
        self.load(url)

    def clear(self) -> None:
        """Empty the slot (cancels a check or upload under way)."""
        self._cancel_job()
        self._set(SlotState.EMPTY, image=None, preview=None, error=None)

    def set_external_problem(self, message: str | None) -> None:
        """A problem the request rules found with this slot's image (shown under it)."""
        if message != self._external:
            self._external = message
            self._refresh_message()

    def swap_with(self, other: ImageSlot) -> None:
        """Exchange contents with another slot (first and last frame)."""
        if SlotState.BUSY in (self._state, other._state):
            return
        mine = (self._state, self._image, self._preview, self._error)
        theirs = (other._state, other._image, other._preview, other._error)
        self._set(theirs[0], image=theirs[1], preview=theirs[2], error=theirs[3])
        other._set(mine[0], image=mine[1], preview=mine[2], error=mine[3])

    def cancel(self) -> None:
        """Stop any work under way (the window is closing)."""
        self._cancel_job()

    # -- user actions ----------------------------------------------------------------------

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
            self._set(self._state, image=self._image, preview=self._preview, error=self._error)
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

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.drop_area.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.drop_area.update()
        super().focusOutEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction("Choose a file…", self.browse)
        menu.addAction("Paste image or address", self.paste)
        remove = menu.addAction("Remove", self.clear)
        remove.setEnabled(self._state is not SlotState.EMPTY)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.drop_area.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refresh_info()

    # -- internals -------------------------------------------------------------------------

    async def _run(self, coro: object) -> None:
        try:
            prepared: PreparedImage = await coro  # type: ignore[misc]
        except asyncio.CancelledError:
            raise
        except ImageInputError as error:
            self._set(SlotState.ERROR, image=None, preview=error.preview, error=str(error))
        except Exception:
            log.exception("could not take an image for the %s slot", self._title)
            self._set(
                SlotState.ERROR,
                image=None,
                preview=None,
                error="The image could not be used (an unexpected error; see the log).",
            )
        else:
            self._set(SlotState.READY, image=prepared, preview=prepared.preview, error=None)

    def _cancel_job(self) -> None:
        job, self._job = self._job, None
        if job is not None and not job.done():
            job.cancel()

    def _set(
        self,
        state: SlotState,
        *,
        image: PreparedImage | None,
        preview: ImagePreview | None,
        error: str | None,
    ) -> None:
        self._state = state
        self._image = image
        self._preview = preview
        self._error = error
        if state is not SlotState.READY:
            self._external = None
        self.drop_area.set_image(preview.thumbnail if preview is not None else None)
        self.clear_button.setVisible(state is not SlotState.EMPTY)
        self._refresh_info()
        self._refresh_message()
        where = f" ({image.url})" if image is not None else ""
        self.drop_area.setToolTip(f"{self._title}{where}" if where else "")
        self.changed.emit()

    def _refresh_info(self) -> None:
        preview = self._preview
        if preview is None or self._state is SlotState.EMPTY:
            self._info.setVisible(False)
            return
        text = f"{preview.name} · {preview.summary}" if preview.summary else preview.name
        metrics = QFontMetrics(self._info.font())
        width = max(40, self.width())
        size = describe_size(preview.size) if preview.size is not None else ""
        for candidate in (text, preview.summary, size):
            if candidate and metrics.horizontalAdvance(candidate) <= width:
                shown = candidate
                break
        else:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
        self._info.setText(shown)
        self._info.setToolTip(text)
        self._info.setVisible(True)

    def _refresh_message(self) -> None:
        if self._state is SlotState.ERROR:
            self.message.show_message(self._error, Tone.PROBLEM)
        elif self._external and self._state is SlotState.READY:
            self.message.show_message(self._external, Tone.PROBLEM)
        else:
            self.message.show_message(None)


#: The folder the last file dialog was left in (shared by every slot of the session).
_last_dir: list[str] = [""]
