"""One image input of the composer: drop, paste or browse; thumbnail, progress, notes, problems.

A local file is prepared (converted, turned upright, shrunk to fit) and uploaded through the
session's image hosting while the slot shows the progress (clearing the slot cancels it);
what was changed is noted under the picture. A first or last frame whose shape is not the
video's (16:9 or 9:16) says so and offers a crop. A URL is checked the way APIXO fetches it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
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
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.hosting import describe_size
from veo_desktop.imaging import ImageError
from veo_desktop.imaging.crop import matches_aspect
from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.crop_dialog import ask_crop
from veo_desktop.ui.images import (
    IMAGE_FILTER,
    LIMIT_TEXT,
    SUPPORTED,
    ImageInputError,
    ImagePreview,
    ImageUploader,
    SlotImage,
)

log = logging.getLogger(__name__)

#: The video shapes a frame can be cropped to ("auto" has none).
CROP_ASPECTS = ("16:9", "9:16")
#: Shapes named as people know them, when a frame has one of them.
_COMMON_SHAPES = (
    "1:1", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "16:10", "10:16", "16:9", "9:16", "21:9",
)  # fmt: skip
#: Added to the message when the check before submitting blocked the task.
NOTHING_SENT = "Nothing was sent."

Source = Path | str | QImage


class SlotState(StrEnum):
    EMPTY = "empty"
    BUSY = "busy"
    READY = "ready"
    ERROR = "error"


def describe_shape(width: int, height: int) -> str:
    """A picture's shape in words: ``4:3``, ``1:1``, or ``2.35:1`` when it has no common name."""
    for shape in _COMMON_SHAPES:
        if matches_aspect(width, height, shape, tolerance=0.015):
            return shape
    if width >= height:
        return f"{width / height:.2f}:1"
    return f"1:{height / width:.2f}"


def shape_notice(width: int, height: int, aspect: str) -> str | None:
    """What a first or last frame of ``width`` x ``height`` needs said for an ``aspect`` video."""
    if aspect not in CROP_ASPECTS or width <= 0 or height <= 0:
        return None
    if matches_aspect(width, height, aspect):
        return None
    return (
        f"This frame is {describe_shape(width, height)}, not {aspect}: "
        "Veo will letterbox or crop it."
    )


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


@dataclass(frozen=True)
class _Content:
    """What a slot holds; swapped whole between the first and the last frame."""

    state: SlotState = SlotState.EMPTY
    image: SlotImage | None = None
    preview: ImagePreview | None = None
    error: str | None = None
    source: Source | None = None
    retryable: bool = True


class _DropArea(QWidget):
    """The picture part of a slot: dashed outline and hint when empty, else the thumbnail.

    While busy it shows what is happening over the picture and, during an upload, a bar.
    """

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
            text = "No preview" if state is SlotState.READY else "Cannot use\nthis image"
        if text:
            if self._pixmap is not None:
                veil = palette.color(QPalette.ColorRole.Window)
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
        fraction = self._slot.busy_progress
        if state is SlotState.BUSY and fraction is not None:
            self._paint_progress(painter, rect, fraction)
        painter.end()

    def _paint_progress(self, painter: QPainter, rect: QRectF, fraction: float) -> None:
        track = QRectF(rect.left() + 10, rect.bottom() - 14, rect.width() - 20, 5)
        groove = self.palette().color(QPalette.ColorRole.Mid)
        groove.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(groove)
        painter.drawRoundedRect(track, 2.5, 2.5)
        done = QRectF(track)
        done.setWidth(max(5.0, track.width() * min(1.0, max(0.0, fraction))))
        painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(done, 2.5, 2.5)

    def _fit_size(self) -> QSize:
        return self.size() - QSize(4, 4)


def _link_button(text: str, name: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setFont(style.scaled_font(parent, 0.9))
    button.setVisible(False)
    return button


class ImageSlot(QWidget):
    """An image input: "First frame", "Last frame" or "Reference N".

    Takes a local file or a browser URL by drag and drop, an image or address by paste
    (Ctrl+V), or a file from the file dialog (click, Space or Enter). Shows the thumbnail,
    the upload's progress, what was changed (converted, shrunk, cropped), and what is
    wrong (not an image, no hosting, unreachable URL) right under it. A frame slot (see
    :meth:`set_frame_aspect`) says when the picture's shape is not the video's and offers
    a crop.

    Signals:
        changed: the slot's content or state changed.
    """

    changed = Signal()

    def __init__(self, title: str, uploader: ImageUploader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._uploader = uploader
        self._content = _Content()
        self._external: str | None = None
        self._frame_aspect: str | None = None
        self._job: asyncio.Task[None] | None = None
        self._cancel: asyncio.Event | None = None
        self._generation = 0
        self._dialog: QFileDialog | None = None
        self.busy_text = ""
        self.busy_progress: float | None = None
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
        self.clear_button.setAccessibleDescription(
            f"Empty the {title.lower()} slot; stops an upload under way"
        )
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.setVisible(False)
        self.clear_button.clicked.connect(self.clear)
        self._info = QLabel(self)
        self._info.setFont(style.scaled_font(self, 0.88))
        self._info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._info.setVisible(False)
        self.message = MessageLabel(Tone.PROBLEM, self)
        self.message.setObjectName("slotProblem")
        self.shape_message = MessageLabel(Tone.WARNING, self)
        self.shape_message.setObjectName("slotShapeNotice")
        self.note = MessageLabel(Tone.HINT, self)
        self.note.setObjectName("slotNote")

        self.crop_button = _link_button("Crop…", "cropFrameButton", self)
        self.crop_button.setAccessibleName(f"Crop the {title.lower()}")
        self.crop_button.setAccessibleDescription(
            "Choose the part of the picture to keep, in the video's shape"
        )
        self.crop_button.clicked.connect(self.crop)
        self.retry_button = _link_button("Try again", "retryImageButton", self)
        self.retry_button.setAccessibleName(f"Try the {title.lower()} again")
        self.retry_button.setAccessibleDescription("Prepare, upload or check the image again")
        self.retry_button.clicked.connect(self.retry)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(2)
        actions.addWidget(self.crop_button)
        actions.addWidget(self.retry_button)
        actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self._title_label)
        layout.addWidget(self.drop_area)
        layout.addWidget(self._info)
        layout.addWidget(self.message)
        layout.addWidget(self.shape_message)
        layout.addLayout(actions)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self._color_links()
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
        return self._content.state

    @property
    def url(self) -> str | None:
        """The image URL to send, when the slot holds a usable image."""
        image = self.image
        return image.url if image is not None else None

    @property
    def image(self) -> SlotImage | None:
        return self._content.image if self._content.state is SlotState.READY else None

    @property
    def problem(self) -> str | None:
        """Why this slot blocks Generate: its own error, or still busy."""
        if self.state is SlotState.ERROR:
            return self._content.error
        if self.state is SlotState.BUSY:
            doing = self.busy_text.split("…", 1)[0].lower()
            return f"Wait for the {self._title.lower()}: {doing}…"
        return None

    @property
    def message_text(self) -> str:
        """The problem shown under the slot ('' when none)."""
        return "" if self.message.isHidden() else self.message.text()

    @property
    def note_text(self) -> str:
        """What was changed or found about the image ('' when nothing)."""
        return "" if self.note.isHidden() else self.note.text()

    @property
    def shape_text(self) -> str:
        """The notice that a frame's shape is not the video's ('' when it is)."""
        return "" if self.shape_message.isHidden() else self.shape_message.text()

    @property
    def frame_aspect(self) -> str | None:
        return self._frame_aspect

    @property
    def can_crop(self) -> bool:
        """Whether "Crop to …" is offered: a local frame whose shape is not the video's."""
        content = self._content
        preview = content.preview
        return (
            content.state is SlotState.READY
            and isinstance(content.source, Path)
            and self._frame_aspect in CROP_ASPECTS
            and preview is not None
            and preview.width is not None
            and preview.height is not None
            and shape_notice(preview.width, preview.height, self._frame_aspect) is not None
        )

    # -- filling and emptying ------------------------------------------------------------

    def load(self, source: Source) -> None:
        """Start taking an image from a file, a URL or pixels (replaces what was there)."""
        if isinstance(source, Path):
            self._start(
                "Preparing…",
                source,
                lambda p, c: self._uploader.from_file(source, progress=p, cancel=c),
            )
        elif isinstance(source, QImage):
            self._start(
                "Preparing…",
                source,
                lambda p, c: self._uploader.from_image(source, progress=p, cancel=c),
            )
        else:
            self._start("Checking…", source, lambda _p, _c: self._uploader.from_url(source))

    def set_url(self, url: str) -> None:
        """Use an image URL (checked for reachability, as a pasted one)."""
        self.load(url)

    def clear(self) -> None:
        """Empty the slot (cancels a check or upload under way)."""
        self._cancel_job()
        self._set(_Content())

    def retry(self) -> bool:
        """Take the same file, address or pixels again (after a failure); False if none."""
        source = self._content.source
        if source is None or self.state is SlotState.BUSY or not self._content.retryable:
            return False
        self.load(source)
        return True

    def set_frame_aspect(self, aspect: str | None) -> None:
        """Make this a frame of an ``aspect`` video (``16:9``, ``9:16``, ``auto``; None: not a
        frame): a picture of another shape is pointed out and a crop offered."""
        if aspect != self._frame_aspect:
            self._frame_aspect = aspect
            self._refresh_extras()

    def set_external_problem(self, message: str | None) -> None:
        """A problem the request rules found with this slot's image (shown under it)."""
        if message != self._external:
            self._external = message
            self._refresh_message()

    def show_submit_problem(self, message: str) -> None:
        """The check just before submitting found the image unreachable: nothing was sent.

        The slot keeps its picture, shows ``message`` as its problem (blocking Generate) and
        offers to try again.
        """
        content = self._content
        if content.state is not SlotState.READY:
            return
        text = message if message.endswith(NOTHING_SENT) else f"{message} {NOTHING_SENT}"
        self._set(replace(content, state=SlotState.ERROR, error=text))

    def swap_with(self, other: ImageSlot) -> None:
        """Exchange contents with another slot (first and last frame)."""
        if SlotState.BUSY in (self.state, other.state):
            return
        mine, theirs = self._content, other._content
        self._set(theirs)
        other._set(mine)

    def cancel(self) -> None:
        """Stop any work under way (the window is closing)."""
        self._cancel_job()

    # -- user actions ----------------------------------------------------------------------

    def crop(self) -> bool:
        """Open the crop dialog for a frame of the wrong shape; False when none is offered."""
        source = self._content.source
        aspect = self._frame_aspect
        if not self.can_crop or not isinstance(source, Path) or aspect is None:
            return False
        self._cancel_job()
        generation = self._generation
        self._job = asyncio.ensure_future(self._crop(generation, source, aspect))
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
        if self.can_crop:
            menu.addAction(self.crop_button.text(), self.crop)
        if self.retry_button.isVisibleTo(self):
            menu.addAction(self.retry_button.text(), self.retry)
        remove = menu.addAction("Remove", self.clear)
        remove.setEnabled(self.state is not SlotState.EMPTY)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.drop_area.update()
            self._color_links()

    def _color_links(self) -> None:
        """The crop and retry offers read as links, in the theme's link colour."""
        link = style.accent_color(self)
        for button in (self.crop_button, self.retry_button):
            palette = button.palette()
            if palette.color(QPalette.ColorRole.ButtonText) != link:
                palette.setColor(QPalette.ColorRole.ButtonText, link)
                button.setPalette(palette)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refresh_info()

    # -- internals -------------------------------------------------------------------------

    def _start(
        self,
        busy_text: str,
        source: Source,
        work: Callable[[Callable[[int, int], None], asyncio.Event], Awaitable[SlotImage]],
    ) -> None:
        """Cancel what runs, show ``busy_text`` and run ``work(progress, cancel)``."""
        self._cancel_job()
        generation = self._generation
        cancel = asyncio.Event()
        self._cancel = cancel
        self.busy_text = busy_text
        self.busy_progress = None
        self._set(_Content(state=SlotState.BUSY, source=source))

        def progress(sent: int, total: int) -> None:
            self._on_upload_progress(generation, sent, total)

        self._job = asyncio.ensure_future(
            self._take(generation, source, lambda: work(progress, cancel))
        )

    async def _take(
        self, generation: int, source: Source, work: Callable[[], Awaitable[SlotImage]]
    ) -> None:
        try:
            prepared = await work()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling() or generation != self._generation:
                raise
            # Not this slot's doing: the work under it was stopped (the imaging thread
            # shut down with its session).
            self._set(_Content(SlotState.ERROR, error="The image work was stopped.", source=source))
        except ImageInputError as error:
            if generation == self._generation:
                self._set(
                    _Content(
                        SlotState.ERROR, None, error.preview, str(error), source, error.retryable
                    )
                )
        except Exception:
            log.exception("could not take an image for the %s slot", self._title)
            if generation == self._generation:
                self._set(
                    _Content(
                        SlotState.ERROR,
                        error="The image could not be used (an unexpected error; see the log).",
                        source=source,
                    )
                )
        else:
            if generation == self._generation:
                self._set(_Content(SlotState.READY, prepared, prepared.preview, None, source))

    async def _crop(self, generation: int, path: Path, aspect: str) -> None:
        try:
            chosen = await ask_crop(self, path, aspect)
        except ImageError as error:
            if generation == self._generation:
                self._set(
                    replace(self._content, state=SlotState.ERROR, error=str(error), retryable=False)
                )
            return
        if chosen is None or generation != self._generation:
            return
        rect, chosen_aspect = chosen
        self._start(
            "Cropping…",
            path,
            lambda p, c: self._uploader.from_file(
                path, aspect=chosen_aspect, crop=rect, progress=p, cancel=c
            ),
        )

    def _on_upload_progress(self, generation: int, sent: int, total: int) -> None:
        if generation != self._generation or self.state is not SlotState.BUSY:
            return
        fraction = sent / total if total > 0 else 0.0
        self.busy_progress = fraction
        self.busy_text = f"Uploading… {round(fraction * 100)}%"
        self.drop_area.update()
        self.drop_area.setAccessibleDescription(self.busy_text)

    def _cancel_job(self) -> None:
        """Stop the job under way (its late results and progress are ignored)."""
        self._generation += 1
        cancel, self._cancel = self._cancel, None
        if cancel is not None:
            cancel.set()
        job, self._job = self._job, None
        if job is not None and not job.done() and job is not asyncio.current_task():
            job.cancel()

    def _set(self, content: _Content) -> None:
        self._content = content
        if content.state is not SlotState.BUSY:
            self.busy_progress = None
        if content.state is not SlotState.READY:
            self._external = None
        preview = content.preview
        self.drop_area.set_image(preview.thumbnail if preview is not None else None)
        self.drop_area.setAccessibleDescription(
            self.busy_text if content.state is SlotState.BUSY else ""
        )
        self.clear_button.setVisible(content.state is not SlotState.EMPTY)
        self._refresh_info()
        self._refresh_message()
        self._refresh_extras()
        image = content.image
        self.drop_area.setToolTip(f"{self._title} ({image.url})" if image is not None else "")
        self.changed.emit()

    def _refresh_info(self) -> None:
        preview = self._content.preview
        if preview is None or self.state is SlotState.EMPTY:
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
        if self.state is SlotState.ERROR:
            self.message.show_message(self._content.error, Tone.PROBLEM)
        elif self._external and self.state is SlotState.READY:
            self.message.show_message(self._external, Tone.PROBLEM)
        else:
            self.message.show_message(None)

    def _refresh_extras(self) -> None:
        """The notes, the shape notice and the crop and retry offers."""
        content = self._content
        image = content.image if content.state is SlotState.READY else None
        self.note.show_message(" ".join(image.notes) if image is not None else None)
        preview = content.preview
        notice = None
        if (
            content.state is SlotState.READY
            and self._frame_aspect is not None
            and preview is not None
            and preview.width
            and preview.height
        ):
            notice = shape_notice(preview.width, preview.height, self._frame_aspect)
        self.shape_message.show_message(notice)
        crop = self.can_crop
        if crop:
            self.crop_button.setText(f"Crop to {self._frame_aspect}…")
            self.crop_button.setAccessibleName(
                f"Crop the {self._title.lower()} to {self._frame_aspect}"
            )
            self.crop_button.setToolTip(
                f"Choose the part of the picture to keep, {self._frame_aspect}"
            )
        self.crop_button.setVisible(crop)
        self.retry_button.setVisible(
            content.state is SlotState.ERROR and content.source is not None and content.retryable
        )


#: The folder the last file dialog was left in (shared by every slot of the session).
_last_dir: list[str] = [""]
