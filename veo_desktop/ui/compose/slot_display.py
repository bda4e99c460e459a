"""How an image slot of the composer looks: title, picture, progress, notes, problems.

:class:`SlotDisplay` builds the parts of a slot and shows its Qt-free
:class:`~veo_desktop.ui.compose.slot_model.SlotModel` (it listens to the model's news);
:class:`~veo_desktop.ui.compose.image_slot.ImageSlot` adds what a person does with it (drop,
paste, browse, crop, remove). A frame whose shape is not the video's (16:9 or 9:16) says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QFontMetrics,
    QImage,
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
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.hosting import describe_size
from veo_desktop.imaging.crop import matches_aspect
from veo_desktop.ui import style
from veo_desktop.ui.compose.observable import Subscriptions
from veo_desktop.ui.compose.slot_model import SlotModel, SlotState
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.images import ImagePreview, SlotImage

#: The video shapes a frame can be cropped to ("auto" has none).
CROP_ASPECTS = ("16:9", "9:16")
#: The picture's height: this small when the composer is short of room ...
PICTURE_MIN_HEIGHT = 64
#: ... this tall when the composer asks how tall it would like to be ...
PICTURE_HINT_HEIGHT = 72
#: ... and at most this tall when the window leaves room for it.
PICTURE_MAX_HEIGHT = 200
#: Shapes named as people know them, when a frame has one of them.
_COMMON_SHAPES = (
    "1:1", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "16:10", "10:16", "16:9", "9:16", "21:9",
)  # fmt: skip


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


class _DropArea(QWidget):
    """The picture part of a slot: dashed outline and hint when empty, else the thumbnail.

    While busy it shows what is happening over the picture and, during an upload, a bar.
    """

    clicked = Signal()

    def __init__(self, slot: SlotDisplay) -> None:
        super().__init__(slot)
        self._slot = slot
        self._pixmap: QPixmap | None = None
        self._scaled: QPixmap | None = None
        self.hovering_drag = False
        # As tall as the composer has room for: 64 px in a small window, up to PICTURE_MAX_HEIGHT.
        self.setMinimumSize(QSize(84, PICTURE_MIN_HEIGHT))
        self.setMaximumHeight(PICTURE_MAX_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(160, PICTURE_HINT_HEIGHT)

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


class SlotDisplay(QWidget):
    """The parts of an image slot, showing its model.

    Args:
        title: what the slot is called ("First frame").
        model: the slot's state.

    Signals:
        changed: the slot's content or state changed.
    """

    changed = Signal()

    def __init__(self, title: str, model: SlotModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.model = model
        self._build(title)
        self._subscriptions = Subscriptions()
        self._subscriptions.add(model.changed, self.on_model_changed)
        self._subscriptions.add(model.external_changed, self.on_model_external_changed)
        self._subscriptions.add(model.aspect_changed, self.on_model_aspect_changed)
        self._subscriptions.add(model.progress_changed, self.on_model_progress_changed)
        self.destroyed.connect(self._subscriptions.close)
        if model.state is not SlotState.EMPTY:
            self._show_content()

    def _build(self, title: str) -> None:
        self._title_label = QLabel(title, self)
        self._title_label.setFont(style.scaled_font(self, 0.92, bold=True))
        self._title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        self.drop_area = _DropArea(self)
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
        self._info = QLabel(self)
        self._info.setFont(style.scaled_font(self, 0.88))
        info_policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        info_policy.setRetainSizeWhenHidden(True)  # an image arriving moves nothing below
        self._info.setSizePolicy(info_policy)
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
        self.retry_button = _link_button("Try again", "retryImageButton", self)
        self.retry_button.setAccessibleName(f"Try the {title.lower()} again")
        self.retry_button.setAccessibleDescription("Prepare, upload or check the image again")
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
        layout.addWidget(self.drop_area, 1)
        layout.addWidget(self._info)
        layout.addWidget(self.message)
        layout.addWidget(self.shape_message)
        layout.addLayout(actions)
        layout.addWidget(self.note)
        self._color_links()
        self.setMinimumWidth(78)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._cap_height()
        return handled

    def _cap_height(self) -> None:
        """No taller than its largest picture and what shows under it: a slot given more room
        would only spread its lines apart."""
        layout = self.layout()
        if layout is None:
            return
        cap = layout.minimumSize().height() + PICTURE_MAX_HEIGHT - PICTURE_MIN_HEIGHT
        if cap != self.maximumHeight():
            self.setMaximumHeight(cap)

    @property
    def picture_top(self) -> int:
        """Distance from the slot's top to its picture (to line up the swap button)."""
        return self._title_label.sizeHint().height() + 3

    # -- what the composer reads (from the model) ----------------------------------------

    @property
    def title(self) -> str:
        return self._title

    @property
    def state(self) -> SlotState:
        return self.model.state

    @property
    def url(self) -> str | None:
        """The image URL to send, when the slot holds a usable image."""
        return self.model.url

    @property
    def image(self) -> SlotImage | None:
        image = self.model.image
        return image if isinstance(image, SlotImage) else None

    @property
    def problem(self) -> str | None:
        """Why this slot blocks Generate: its own error, or still busy."""
        return self.model.problem

    @property
    def busy_text(self) -> str:
        return self.model.busy_text

    @property
    def busy_progress(self) -> float | None:
        return self.model.busy_progress

    @property
    def message_text(self) -> str:
        """The problem shown under the slot ('' when none)."""
        return "" if self.message.isHidden() else self.message.text()

    @property
    def info_text(self) -> str:
        """The line about the image under the picture: as much of its name, type, size in
        pixels and bytes as fits ('' when there is no image)."""
        return "" if self._info.isHidden() else self._info.text()

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
        return self.model.frame_aspect

    @property
    def can_crop(self) -> bool:
        """Whether "Crop to …" is offered: a local frame whose shape is not the video's."""
        return self._shape_notice() is not None and isinstance(self.model.content.source, Path)

    # -- the model's news --------------------------------------------------------------------

    def on_model_changed(self) -> None:
        self._show_content()
        self.changed.emit()

    def on_model_external_changed(self) -> None:
        self._refresh_message()

    def on_model_aspect_changed(self) -> None:
        self._refresh_extras()

    def on_model_progress_changed(self) -> None:
        self.drop_area.update()
        self.drop_area.setAccessibleDescription(self.model.busy_text)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.drop_area.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.drop_area.update()
        super().focusOutEvent(event)

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

    # -- showing the model ---------------------------------------------------------------------

    def _show_content(self) -> None:
        model = self.model
        preview = model.content.preview
        thumbnail = preview.thumbnail if isinstance(preview, ImagePreview) else None
        self.drop_area.set_image(thumbnail)
        busy = model.state is SlotState.BUSY
        self.drop_area.setAccessibleDescription(model.busy_text if busy else "")
        self.clear_button.setVisible(model.state is not SlotState.EMPTY)
        self._refresh_info()
        self._refresh_message()
        self._refresh_extras()
        url = model.url
        self.drop_area.setToolTip(f"{self._title} ({url})" if url is not None else "")

    def _refresh_info(self) -> None:
        preview = self.model.content.preview
        if preview is None or self.state is SlotState.EMPTY:
            self._info.setVisible(False)
            return
        text = f"{preview.name} · {preview.summary}" if preview.summary else preview.name
        metrics = QFontMetrics(self._info.font())
        width = max(40, self.width())
        size = describe_size(preview.size) if preview.size is not None else ""
        dims = f"{preview.width}\u00d7{preview.height}" if preview.width and preview.height else ""
        dims_and_size = " \u00b7 ".join(part for part in (dims, size) if part)
        for candidate in (text, preview.summary, dims_and_size, dims, size):
            if candidate and metrics.horizontalAdvance(candidate) <= width:
                shown = candidate
                break
        else:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
        self._info.setText(shown)
        self._info.setToolTip(text)
        self._info.setVisible(True)

    def _refresh_message(self) -> None:
        self.message.show_message(self.model.message, Tone.PROBLEM)

    def _shape_notice(self) -> str | None:
        """What a ready frame of the wrong shape needs said (None: nothing)."""
        model = self.model
        preview = model.content.preview
        aspect = model.frame_aspect
        if (
            model.state is not SlotState.READY
            or aspect is None
            or preview is None
            or not preview.width
            or not preview.height
        ):
            return None
        return shape_notice(preview.width, preview.height, aspect)

    def _refresh_extras(self) -> None:
        """The notes, the shape notice and the crop and retry offers."""
        self.note.show_message(self.model.notes)
        self.shape_message.show_message(self._shape_notice())
        crop = self.can_crop
        aspect = self.model.frame_aspect
        if crop:
            self.crop_button.setText(f"Crop to {aspect}…")
            self.crop_button.setAccessibleName(f"Crop the {self._title.lower()} to {aspect}")
            self.crop_button.setToolTip(f"Choose the part of the picture to keep, {aspect}")
        self.crop_button.setVisible(crop)
        self.retry_button.setVisible(self.model.retry_offered)
