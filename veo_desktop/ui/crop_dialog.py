"""Cropping a first or last frame to the video's shape (16:9 or 9:16), with a live preview.

A frame of another shape gets letterboxed or cropped by the model wherever it likes; here the
person chooses. The dialog shows the picture with a frame locked to the aspect ratio: drag it
to move, drag a corner to resize, or use the keyboard (arrows move, Shift for bigger steps,
+ and - resize). It is opened with ``open()`` (never ``exec()``, which breaks qasync flows);
:func:`ask_crop` wraps that in a coroutine.

Crop rectangles are in the full-resolution, upright image's pixels, even when the picture
shown is a scaled-down copy, so :func:`veo_desktop.imaging.crop_image` can apply them.
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.imaging.crop import (
    MIN_CROP_SIDE,
    CropRect,
    aspect_ratio,
    constrain_crop,
    default_crop,
)
from veo_desktop.ui import style

log = logging.getLogger(__name__)

#: Pixels around a corner that grab it.
HANDLE_REACH = 12.0
#: Longest side of the copy decoded for showing.
DISPLAY_MAX_SIDE = 2048
PREVIEW_LONG_SIDE = 240
TIMES = "\N{MULTIPLICATION SIGN}"


class _Drag(Enum):
    NONE = "none"
    MOVE = "move"
    RESIZE = "resize"


class CropCanvas(QWidget):
    """The picture, scaled to fit, with a crop frame locked to an aspect ratio.

    Args:
        image: what to show (may be a scaled-down copy of the real picture).
        full_size: the real picture's upright size; crop rectangles use its pixels.
        aspect: ``16:9`` or ``9:16``.
        rect: the starting crop (default: largest, centred).
    """

    crop_changed = Signal(object)

    def __init__(
        self,
        image: QImage,
        full_size: QSize,
        aspect: str,
        rect: CropRect | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._image = image
        self._full = QSize(full_size)
        self._aspect = aspect
        self._rect = self._fit(rect)
        self._pixmap = QPixmap.fromImage(image)
        self._scaled: QPixmap | None = None
        self._drag = _Drag.NONE
        self._anchor = QPointF()
        self._grab_offset = QPointF()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Crop frame")
        self.setAccessibleDescription(
            "The part of the picture inside the frame becomes the video frame. Drag it or use "
            "the arrow keys to move it; drag a corner, or press + and -, to resize it."
        )

    # -- state ---------------------------------------------------------------------------

    @property
    def aspect(self) -> str:
        return self._aspect

    @property
    def full_size(self) -> QSize:
        """The real picture's upright size."""
        return QSize(self._full)

    def crop_rect(self) -> CropRect:
        """The crop, in full-resolution upright pixels."""
        return self._rect

    def set_crop_rect(self, rect: CropRect) -> None:
        """Choose the crop (made the right shape and moved inside the picture)."""
        self._set(self._fit(rect))

    def set_aspect(self, aspect: str) -> None:
        """Switch between 16:9 and 9:16 (the frame is centred and as large as it can be)."""
        aspect_ratio(aspect)
        if aspect == self._aspect:
            return
        self._aspect = aspect
        self._set(self._fit(None))

    def reset(self) -> None:
        """The largest centred crop."""
        self._set(self._fit(None))

    def _fit(self, rect: CropRect | None) -> CropRect:
        width, height = self._full.width(), self._full.height()
        if rect is None:
            return default_crop(width, height, self._aspect)
        return constrain_crop(rect, width, height, self._aspect)

    def _set(self, rect: CropRect) -> None:
        if rect == self._rect:
            return
        self._rect = rect
        self.update()
        self.crop_changed.emit(rect)

    # -- geometry ------------------------------------------------------------------------

    def _scale(self) -> float:
        if self._full.isEmpty():
            return 1.0
        return min(self.width() / self._full.width(), self.height() / self._full.height())

    def _picture_rect(self) -> QRectF:
        scale = self._scale()
        w, h = self._full.width() * scale, self._full.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_view(self, rect: CropRect) -> QRectF:
        scale = self._scale()
        origin = self._picture_rect().topLeft()
        return QRectF(
            origin.x() + rect.x * scale,
            origin.y() + rect.y * scale,
            rect.width * scale,
            rect.height * scale,
        )

    def _to_image(self, point: QPointF) -> QPointF:
        scale = self._scale() or 1.0
        origin = self._picture_rect().topLeft()
        return QPointF((point.x() - origin.x()) / scale, (point.y() - origin.y()) / scale)

    def frame_in_view(self) -> QRectF:
        """Where the frame is drawn, in widget coordinates (tests drag it)."""
        return self._to_view(self._rect)

    # -- painting ------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        picture = self._picture_rect()
        if self._scaled is None or self._scaled.size() != picture.size().toSize():
            self._scaled = self._pixmap.scaled(
                picture.size().toSize(),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        painter.drawPixmap(picture.topLeft(), self._scaled)
        drawn = QRectF(picture.topLeft(), self._scaled.size().toSizeF())
        frame = self._to_view(self._rect)
        outside = QPainterPath()
        outside.addRect(drawn.united(picture))
        inside = QPainterPath()
        inside.addRect(frame)
        painter.fillPath(outside.subtracted(inside), QColor(0, 0, 0, 165))
        painter.setPen(QPen(QColor(255, 255, 255, 90), 1))
        for third in (1, 2):
            x = frame.left() + frame.width() * third / 3
            y = frame.top() + frame.height() * third / 3
            painter.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
            painter.drawLine(QPointF(frame.left(), y), QPointF(frame.right(), y))
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawRect(frame)
        border = style.accent_color(self) if self.hasFocus() else QColor(255, 255, 255)
        painter.setPen(QPen(border, 1.5))
        painter.drawRect(frame)
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
        painter.setBrush(QColor(255, 255, 255))
        for corner in _corners(frame):
            painter.drawEllipse(corner, 5.5, 5.5)
        painter.end()

    # -- mouse -----------------------------------------------------------------------------

    def _corner_at(self, point: QPointF) -> int | None:
        for index, corner in enumerate(_corners(self._to_view(self._rect))):
            if (corner - point).manhattanLength() <= HANDLE_REACH * 1.4:
                return index
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        point = event.position()
        corner = self._corner_at(point)
        if corner is not None:
            # Resizing keeps the opposite corner where it is.
            opposite = _corners(QRectF(*self._rect.as_tuple()))[(corner + 2) % 4]
            self._anchor = opposite
            self._drag = _Drag.RESIZE
        elif self._to_view(self._rect).contains(point):
            self._drag = _Drag.MOVE
            self._grab_offset = self._to_image(point) - QPointF(self._rect.x, self._rect.y)
        else:
            self._drag = _Drag.NONE
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        if self._drag is _Drag.MOVE:
            target = self._to_image(point) - self._grab_offset
            self._move_to(round(target.x()), round(target.y()))
        elif self._drag is _Drag.RESIZE:
            self._resize_from_anchor(self._to_image(point))
        else:
            corner = self._corner_at(point)
            if corner is not None:
                shape = (
                    Qt.CursorShape.SizeFDiagCursor
                    if corner in (0, 2)
                    else Qt.CursorShape.SizeBDiagCursor
                )
            elif self._to_view(self._rect).contains(point):
                shape = Qt.CursorShape.SizeAllCursor
            else:
                shape = Qt.CursorShape.ArrowCursor
            self.setCursor(shape)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = _Drag.NONE
        event.accept()

    def _move_to(self, x: int, y: int) -> None:
        r = self._rect
        x = max(0, min(x, self._full.width() - r.width))
        y = max(0, min(y, self._full.height() - r.height))
        self._set(CropRect(x, y, r.width, r.height))

    def _resize_from_anchor(self, point: QPointF) -> None:
        rw, rh = aspect_ratio(self._aspect)
        ratio = rw / rh
        ax, ay = self._anchor.x(), self._anchor.y()
        right = point.x() >= ax
        down = point.y() >= ay
        room_w = (self._full.width() - ax) if right else ax
        room_h = (self._full.height() - ay) if down else ay
        width = max(abs(point.x() - ax), abs(point.y() - ay) * ratio)
        width = min(width, room_w, room_h * ratio)
        min_width = MIN_CROP_SIDE * max(1.0, ratio)
        width = max(width, min(min_width, room_w, room_h * ratio))
        w = max(1, round(width))
        h = max(1, round(w / ratio))
        x = round(ax) if right else round(ax) - w
        y = round(ay) if down else round(ay) - h
        self._set(self._fit(CropRect(x, y, w, h)))

    # -- keyboard --------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        r = self._rect
        big = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        step = max(1, round(max(self._full.width(), self._full.height()) * (0.1 if big else 0.01)))
        key = event.key()
        moves = {
            Qt.Key.Key_Left: (-step, 0),
            Qt.Key.Key_Right: (step, 0),
            Qt.Key.Key_Up: (0, -step),
            Qt.Key.Key_Down: (0, step),
        }
        if key in moves:
            dx, dy = moves[Qt.Key(key)]
            self._move_to(r.x + dx, r.y + dy)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            factor = 1.05 if key != Qt.Key.Key_Minus else 1 / 1.05
            w = round(r.width * factor)
            h = round(r.height * factor)
            cx, cy = r.center
            self._set(self._fit(CropRect(round(cx - w / 2), round(cy - h / 2), w, h)))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def cropped_preview(self, long_side: int = PREVIEW_LONG_SIDE) -> QImage:
        """The crop as it will look, from the shown copy, scaled to ``long_side``."""
        if self._full.isEmpty() or self._image.isNull():
            return QImage()
        sx = self._image.width() / self._full.width()
        sy = self._image.height() / self._full.height()
        r = self._rect
        part = self._image.copy(
            QRect(round(r.x * sx), round(r.y * sy), round(r.width * sx), round(r.height * sy))
        )
        return part.scaled(
            QSize(long_side, long_side),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )


def _corners(rect: QRectF) -> list[QPointF]:
    """Top-left, top-right, bottom-right, bottom-left (opposite corner is index + 2)."""
    return [rect.topLeft(), rect.topRight(), rect.bottomRight(), rect.bottomLeft()]


class CropDialog(QDialog):
    """Choose the part of a picture that becomes a 16:9 or 9:16 video frame.

    Open it with :meth:`open` (window-modal, returns at once); ``crop_chosen`` carries the
    :class:`CropRect` when the person accepts. :func:`ask_crop` does all of it in a coroutine.

    Args:
        image: the picture to show (may be scaled down for display).
        full_size: the real picture's upright size (default: ``image``'s).
        aspect: ``16:9`` or ``9:16``.
        rect: the starting crop (default: largest, centred).
        name: the picture's name, for the title.
        allow_aspect_change: offer switching between 16:9 and 9:16.
    """

    crop_chosen = Signal(object)

    def __init__(
        self,
        image: QImage,
        *,
        full_size: QSize | None = None,
        aspect: str = "16:9",
        rect: CropRect | None = None,
        name: str = "",
        allow_aspect_change: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cropDialog")
        self.setWindowTitle(f"Crop {name}" if name else "Crop the frame")
        self.setAccessibleName("Crop the frame")
        size = QSize(full_size) if full_size is not None else image.size()
        self.canvas = CropCanvas(image, size, aspect, rect, self)
        self.canvas.setObjectName("cropCanvas")

        intro = QLabel(self)
        intro.setWordWrap(True)
        intro.setText(
            "The video starts from what is inside the frame. Drag the frame to move it, drag a "
            "corner to resize it; arrow keys and + / - work too."
        )
        style.follow_hint_color(intro)

        self._aspect_buttons = QButtonGroup(self)
        aspect_row = QHBoxLayout()
        aspect_row.setSpacing(6)
        for value, text in (("16:9", "16:9 landscape"), ("9:16", "9:16 portrait")):
            button = QPushButton(text, self)
            button.setCheckable(True)
            button.setChecked(value == aspect)
            button.setObjectName(f"cropAspect{value.replace(':', 'x')}")
            button.setAccessibleName(f"Crop to {text}")
            button.setProperty("aspect", value)
            button.setStyleSheet(
                "QPushButton:checked { background: palette(highlight);"
                " color: palette(highlighted-text); }"
            )
            self._aspect_buttons.addButton(button)
            aspect_row.addWidget(button)
        aspect_row.addStretch(1)
        self._aspect_buttons.buttonClicked.connect(self.on_aspect_buttons_clicked)
        for choice in self._aspect_buttons.buttons():
            choice.setVisible(allow_aspect_change)

        self.preview = QLabel(self)
        self.preview.setObjectName("cropPreview")
        self.preview.setAccessibleName("Preview of the cropped frame")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        self.size_label = QLabel(self)
        self.size_label.setObjectName("cropSizeLabel")
        self.size_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.size_label.setWordWrap(True)
        style.follow_hint_color(self.size_label)
        self.reset_button = QPushButton("Centre and fill", self)
        self.reset_button.setObjectName("cropResetButton")
        self.reset_button.setAccessibleName("Reset the crop")
        self.reset_button.setAccessibleDescription("The largest frame, centred")
        self.reset_button.clicked.connect(self.canvas.reset)

        side = QVBoxLayout()
        side.addWidget(style.section_title("Preview", self))
        side.addWidget(self.preview)
        side.addWidget(self.size_label)
        side.addSpacing(8)
        side.addWidget(self.reset_button)
        side.addStretch(1)

        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addLayout(side)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Use this crop")
        ok.setObjectName("cropAcceptButton")
        ok.setAccessibleName("Use this crop")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cropCancelButton")
        cancel.setAccessibleName("Cancel cropping")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(aspect_row)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)

        self.canvas.crop_changed.connect(self.on_canvas_crop_changed)
        self._refresh()
        self.resize(900, 600)
        self.canvas.setFocus()

    # -- public --------------------------------------------------------------------------

    @property
    def aspect(self) -> str:
        return self.canvas.aspect

    def crop_rect(self) -> CropRect:
        return self.canvas.crop_rect()

    def set_crop_rect(self, rect: CropRect) -> None:
        """Choose the crop (made the right shape and kept inside the picture)."""
        self.canvas.set_crop_rect(rect)

    def accept(self) -> None:
        self.crop_chosen.emit(self.crop_rect())
        super().accept()

    # -- slots ---------------------------------------------------------------------------

    def on_canvas_crop_changed(self, _rect: CropRect) -> None:
        self._refresh()

    def on_aspect_buttons_clicked(self, button: QAbstractButton) -> None:
        self.canvas.set_aspect(str(button.property("aspect")))
        self._refresh()

    def _refresh(self) -> None:
        preview = self.canvas.cropped_preview()
        self.preview.setPixmap(QPixmap.fromImage(preview))
        rect = self.canvas.crop_rect()
        full = self.canvas.full_size
        self.size_label.setText(
            f"{self.aspect} · {rect.width} {TIMES} {rect.height} px\n"
            f"of {full.width()} {TIMES} {full.height()}"
        )
        self.preview.setAccessibleDescription(
            f"{rect.width} by {rect.height} pixels from x {rect.x}, y {rect.y}"
        )


async def ask_crop(
    parent: QWidget | None,
    path: Path,
    aspect: str,
    *,
    rect: CropRect | None = None,
    allow_aspect_change: bool = False,
) -> tuple[CropRect, str] | None:
    """Load ``path`` in the imaging thread, open the crop dialog, wait for the choice.

    Returns:
        ``(rect, aspect)`` when the person accepts, None when they cancel.

    Raises:
        ImageError: the file is not an image (say so on the slot).
    """
    # (the image code loads with the first image, not with the composer)
    from veo_desktop.imaging import load_image, run_imaging

    loaded = await run_imaging(load_image, path, max_side=DISPLAY_MAX_SIDE)
    dialog = CropDialog(
        loaded.image,
        full_size=QSize(loaded.width, loaded.height),
        aspect=aspect,
        rect=rect,
        name=path.name,
        allow_aspect_change=allow_aspect_change,
        parent=parent,
    )
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    dialog.finished.connect(on_finished)
    dialog.open()
    try:
        result = await done
    finally:
        dialog.finished.disconnect(on_finished)
        dialog.close()
        dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted.value:
        return None
    return dialog.crop_rect(), dialog.aspect
