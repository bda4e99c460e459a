"""Small building blocks of the composer (and the extend dialog): the mode, seed and
watermark fields, inline messages and a collapsible section.

``Tone``, ``format_money`` and ``seed_from_text`` live in Qt-free modules (the form model uses
them) and are offered here too, where the dialogs have always found them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRegularExpression, Qt
from PySide6.QtGui import QColor, QRegularExpressionValidator, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import PRICES, Mode
from veo_desktop.ui import style
from veo_desktop.ui.compose.form import format_money, seed_from_text
from veo_desktop.ui.compose.tone import Tone
from veo_desktop.ui.tasks.format import MODE_LABELS

__all__ = [
    "CollapsibleSection",
    "FittingLabel",
    "MessageLabel",
    "Tone",
    "add_mode_choices",
    "format_money",
    "seed_edit",
    "seed_from_text",
    "watermark_edit",
]


def add_mode_choices(combo: QComboBox) -> None:
    """Fast and quality, each with its price; an item's data is the API value (``fast``)."""
    for mode in (Mode.FAST, Mode.QUALITY):
        combo.addItem(f"{MODE_LABELS[mode]} \u00b7 {format_money(PRICES[mode])}", str(mode))


def seed_edit(object_name: str) -> QLineEdit:
    """The optional seed: up to ten digits; empty means a random seed."""
    edit = QLineEdit()
    edit.setObjectName(object_name)
    edit.setPlaceholderText("random")
    edit.setClearButtonEnabled(True)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,10}"), edit))
    edit.setAccessibleName("Seed")
    edit.setAccessibleDescription(
        "A whole number for repeatable results; empty means a random seed"
    )
    edit.setToolTip("Leave empty for a random seed. The same seed and prompt give similar videos.")
    return edit


def watermark_edit(object_name: str) -> QLineEdit:
    """The optional watermark text drawn on the video."""
    edit = QLineEdit()
    edit.setObjectName(object_name)
    edit.setPlaceholderText("none")
    edit.setClearButtonEnabled(True)
    edit.setAccessibleName("Watermark")
    edit.setAccessibleDescription("Optional text drawn on the video")
    edit.setToolTip("Optional text drawn on the video")
    return edit


def _tone_color(tone: Tone, widget: QWidget) -> QColor:
    if tone is Tone.PROBLEM:
        return style.problem_color(widget)
    if tone is Tone.WARNING:
        return style.warning_color(widget)
    if tone is Tone.OK:
        return style.ok_color(widget)
    return style.hint_color(widget)


class MessageLabel(QLabel):
    """A word-wrapped line of text in a tone; hidden while it says nothing.

    The colour follows the palette (light or dark) when it changes.
    """

    def __init__(
        self, tone: Tone = Tone.HINT, parent: QWidget | None = None, *, small: bool = True
    ) -> None:
        super().__init__(parent)
        self._tone = tone
        self._applied: str | None = None
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        if small:
            self.setFont(style.scaled_font(self, 0.92))
        self.setVisible(False)
        self._recolor()

    @property
    def tone(self) -> Tone:
        return self._tone

    def show_message(self, text: str | None, tone: Tone | None = None) -> None:
        """Show ``text`` (hide the label when it is empty or None)."""
        if tone is not None and tone is not self._tone:
            self._tone = tone
            self._recolor()
        self.setText(text or "")
        self.setAccessibleDescription(text or "")
        self.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._recolor()

    def _recolor(self) -> None:
        # Through the palette, not a style sheet: a style sheet per label costs milliseconds
        # each (the composer and the window's first paint have dozens of these labels).
        parent = self.parentWidget()
        color = _tone_color(self._tone, parent if parent is not None else self)
        if color.name() != self._applied:
            self._applied = color.name()
            style.set_text_color(self, color)


class CollapsibleSection(QWidget):
    """A titled section that opens and closes with an arrow button (closed at first)."""

    def __init__(self, title: str, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setChecked(False)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(title)
        self.toggle.setAccessibleDescription(f"Show or hide the {title.lower()} options")
        self.content = content
        self.content.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.content)
        self.toggle.toggled.connect(self.on_toggle_toggled)

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    def on_toggle_toggled(self, checked: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)
        self.content.setVisible(checked)


class FittingLabel(QLabel):
    """One line that says as much as its width allows.

    Given texts from the fullest to the shortest (:meth:`set_texts`), it shows the first one
    that fits and picks again when resized; the fullest is kept for screen readers and the
    tooltip's owner (:attr:`full_text`). The shortest one decides the minimum width.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts: tuple[str, ...] = ("",)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    @property
    def full_text(self) -> str:
        """The fullest text (what the label says when there is room)."""
        return self._texts[0]

    def set_texts(self, *texts: str) -> None:
        """Say the first of ``texts`` that fits (fullest first; at least one)."""
        self._texts = texts or ("",)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        room = self.contentsRect().width()
        chosen = next(
            (text for text in self._texts if metrics.horizontalAdvance(text) <= room),
            self._texts[-1],
        )
        if chosen != self.text():
            self.setText(chosen)
