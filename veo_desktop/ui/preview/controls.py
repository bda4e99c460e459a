"""The preview's look without its player: the parts :class:`PreviewPanel` shows, made here
so that a placeholder can show the very same while QtMultimedia has not loaded yet.

The workspace paints before the preview's player exists (it loads QtMultimedia and Qt's
FFmpeg backend, built on the event loop's next turn). :class:`PreviewPlaceholder` holds
the preview's place until then: the same title, the same black surface with the same
message, the same controls at the same sizes (so the same minimum width: the columns do
not move when the panel takes its place), none of them taking input. Qt-only: nothing
here imports QtMultimedia.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui import style
from veo_desktop.ui.preview.elided import ElidedLabel
from veo_desktop.ui.preview.transport import TransportBar, tool_button
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file
from veo_desktop.ui.tasks.icons import glyph_icon

if TYPE_CHECKING:
    from veo_desktop.records.task import TaskRecord

NO_SELECTION = "Select a finished task to preview its video."
#: The surface behind the video (and its messages), whatever the palette.
SURFACE_COLOR = QColor(12, 12, 13)
SEEK_DESCRIPTION = "Where in the video playback is; drag to seek"


def message_for(task: TaskRecord | None) -> str:
    """What the surface says for ``task`` when it has no video to play ("" when it has)."""
    if task is None:
        return NO_SELECTION
    if task.state == TaskState.SUCCEEDED:
        if video_file(task) is not None:
            return ""
        where = task.files[0] if task.files else "the library"
        return f"The video file is missing.\nIt was saved as {where}."
    if task.is_active:
        label = fmt.STATE_LABELS.get(task.state, str(task.state)).lower()
        return (
            f"This video is not ready yet ({label}).\n"
            "It plays here as soon as it has been downloaded."
        )
    detail = fmt.detail_line(task)
    label = fmt.STATE_LABELS.get(task.state, str(task.state))
    return f"No video: the task is {label.lower()}.\n{detail}" if detail else label


def describe(task: TaskRecord) -> list[str]:
    """The details line's parts known without the video: type, mode, aspect."""
    return [fmt.kind_label(task), fmt.mode_label(task), fmt.aspect_label(task)]


def paint_message(widget: QWidget, painter: QPainter, message: str) -> None:
    """``message`` in light grey under the film glyph, centred on a black surface."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    area = QRectF(widget.rect()).adjusted(24, 24, -24, -24)
    icon_side = 36 if area.height() > 140 else 0
    text_rect = area.adjusted(0, icon_side + 8 if icon_side else 0, 0, 0)
    metrics = painter.fontMetrics()
    flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)
    bounds = metrics.boundingRect(text_rect.toRect(), flags, message)
    block = (icon_side + 8 if icon_side else 0) + bounds.height()
    top = area.top() + max(0.0, (area.height() - block) / 2)
    color = QColor(190, 192, 196)
    if icon_side:
        icon_rect = QRectF(0, 0, icon_side, icon_side)
        icon_rect.moveCenter(QPointF(area.center().x(), top + icon_side / 2))
        painter.setOpacity(0.55)
        glyph_icon("film").paint(
            painter, icon_rect.toRect(), Qt.AlignmentFlag.AlignCenter, QIcon.Mode.Selected
        )
        painter.setOpacity(1.0)
        top += icon_side + 8
    painter.setPen(color)
    painter.drawText(QRectF(area.left(), top, area.width(), bounds.height() + 4), flags, message)


def shape_surface(surface: QWidget) -> None:
    """The video surface's size rules (it takes the room the panel has)."""
    surface.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    surface.setMinimumSize(160, 120)


SURFACE_SIZE_HINT = QSize(480, 270)


def keep_icon_width(button: QToolButton) -> None:
    """Let layouts narrow ``button`` down to its icon: its words go when the row is short
    (:func:`fit_text_buttons`), so its minimum width is the icon's, whichever it shows."""
    shown = button.toolButtonStyle()
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    width = button.sizeHint().width()
    button.setToolButtonStyle(shown)
    button.setMinimumWidth(width)


def frame_button(owner: QWidget, menu: QMenu, name: str = "previewFrameButton") -> QToolButton:
    """ "Use frame", opening ``menu``."""
    button = QToolButton(owner)
    button.setObjectName(name)
    button.setIcon(glyph_icon("frame"))
    button.setIconSize(QSize(18, 18))
    button.setText("Use frame")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setMenu(menu)
    button.setAccessibleName("Use frame")
    button.setAccessibleDescription("Put this frame into the composer's first or last frame slot")
    keep_icon_width(button)
    return button


def save_button(owner: QWidget, name: str = "previewSaveButton") -> QToolButton:
    """ "Save as…"."""
    button = QToolButton(owner)
    button.setObjectName(name)
    button.setIcon(glyph_icon("save"))
    button.setIconSize(QSize(18, 18))
    button.setText("Save as\u2026")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setToolTip("Save a copy of the video (Ctrl+S)")
    button.setAccessibleName("Save as")
    button.setAccessibleDescription("Save a copy of the video somewhere else")
    keep_icon_width(button)
    return button


def volume_slider(owner: QWidget, name: str = "previewVolumeSlider") -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal, owner)
    slider.setObjectName(name)
    slider.setRange(0, 100)
    slider.setValue(80)
    slider.setFixedWidth(80)
    slider.setToolTip("Volume")
    slider.setAccessibleName("Volume")
    slider.setAccessibleDescription("Playback volume of the preview")
    return slider


def title_label(owner: QWidget, name: str = "previewTitle") -> ElidedLabel:
    title = ElidedLabel(owner)
    title.setObjectName(name)
    title.setFont(style.scaled_font(title, 1.0, bold=True))
    return title


def details_label(owner: QWidget, name: str = "previewDetails") -> QLabel:
    details = QLabel(owner)
    details.setObjectName(name)
    details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    style.follow_hint_color(details)
    return details


def lay_out(
    owner: QWidget, title: QLabel, details: QLabel, surface: QWidget, transport: QWidget
) -> None:
    """Title and details over the surface, the transport under it."""
    header = QVBoxLayout()
    header.setSpacing(1)
    header.addWidget(title)
    header.addWidget(details)
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    layout.addLayout(header)
    layout.addWidget(surface, 1)
    layout.addWidget(transport)


def fit_text_buttons(row: QHBoxLayout, texts: Sequence[QToolButton], width: int) -> None:
    """ "Use frame" and "Save as..." show their words when there is room, else only
    their icons (their tooltips and accessible names still say what they do)."""
    needed = 0
    for index in range(row.count()):
        item = row.itemAt(index)
        widget = item.widget() if item is not None else None
        if widget in texts:
            assert isinstance(widget, QToolButton)
            metrics = widget.fontMetrics()
            arrow = 14 if widget.menu() is not None else 0
            needed += metrics.horizontalAdvance(widget.text()) + 18 + 16 + arrow
        elif widget is not None:
            needed += widget.sizeHint().width()
        elif item is not None:
            needed += item.sizeHint().width()
        needed += row.spacing()
    wanted = (
        Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        if needed <= width
        else Qt.ToolButtonStyle.ToolButtonIconOnly
    )
    for button in texts:
        if button.toolButtonStyle() != wanted:
            button.setToolButtonStyle(wanted)


class EmptySurface(QWidget):
    """The video surface before there is a player: black, with a message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPlaceholderSurface")
        shape_surface(self)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.message = NO_SELECTION

    def set_message(self, message: str) -> None:
        self.message = message
        self.update()

    def sizeHint(self) -> QSize:
        return SURFACE_SIZE_HINT

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), SURFACE_COLOR)
        if self.message:
            paint_message(self, painter, self.message)
        painter.end()


class PreviewPlaceholder(QWidget):
    """What the preview panel shows for ``show_task``'s task, until the panel is built.

    The same widgets as the panel's (title, details, surface, transport with mute, volume,
    "Use frame" and "Save as…"), in the same states as the panel with nothing loaded, so
    that it looks and measures the same; they take no input (the panel replaces it within
    an event-loop turn, or at once when asked for).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPlaceholder")
        self.setAccessibleName("Preview")
        self.title = title_label(self, "previewPlaceholderTitle")
        self.details = details_label(self, "previewPlaceholderDetails")
        self.surface = EmptySurface(self)
        self.transport = TransportBar(
            "previewPlaceholder", seek_description=SEEK_DESCRIPTION, parent=self
        )
        self.transport.set_controls_enabled(False)
        mute = tool_button("previewPlaceholderMuteButton", "volume", "Mute (M)", checkable=True)
        self.frame_button = frame_button(self, QMenu(self), "previewPlaceholderFrameButton")
        self.frame_button.setEnabled(False)
        self.save_button = save_button(self, "previewPlaceholderSaveButton")
        self.save_button.setEnabled(False)
        self.transport.add_control(mute)
        self.transport.add_control(volume_slider(self, "previewPlaceholderVolumeSlider"))
        self.transport.add_control(self.frame_button, space_before=8)
        self.transport.add_control(self.save_button)
        lay_out(self, self.title, self.details, self.surface, self.transport)
        for child in self.findChildren(QWidget):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            child.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.show_task(None)

    def show_task(self, task: TaskRecord | None) -> None:
        """Say what the panel will say for ``task`` (its title, details and message)."""
        if task is None:
            self.title.set_full_text("Preview", tooltip="")
            self.details.setText("")
        else:
            self.title.set_full_text(fmt.short_prompt(task), tooltip="")
            self.details.setText(" \u00b7 ".join(describe(task)))
        self.surface.set_message(message_for(task))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        fit_text_buttons(
            self.transport.buttons_row, (self.frame_button, self.save_button), event.size().width()
        )
