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


def _tone_color(tone: Tone, source: QWidget | None) -> QColor:
    """The text colour of ``tone`` on ``source``'s palette (the application's when None)."""
    if tone is Tone.PROBLEM:
        return style.problem_color(source)
    if tone is Tone.WARNING:
        return style.warning_color(source)
    if tone is Tone.OK:
        return style.ok_color(source)
    return style.hint_color(source)


class MessageLabel(QLabel):
    """A word-wrapped line of text in a tone; hidden while it says nothing.

    The colour is worked out from the palette the label inherits (its parent's, or the
    application's while it has none), never from its own: the label's own palette carries the
    colour it was given, and mixing from that again would fade the text towards the background
    on every palette change. It is worked out again whenever the palette, the parent or the
    style changes.

    Args:
        tone: how the message reads (a hint, a problem, a warning, a success).
        small: a slightly smaller font than the window's.
        reserve_lines: keep room for this many lines in the layout, also while the label is
            hidden (it says nothing), so a message appearing or going away moves nothing
            (a longer one still grows it); 0 (the default) gives the room back when hidden.
    """

    def __init__(
        self,
        tone: Tone = Tone.HINT,
        parent: QWidget | None = None,
        *,
        small: bool = True,
        reserve_lines: int = 0,
    ) -> None:
        super().__init__(parent)
        self._tone = tone
        self._applied: str | None = None
        self._reserve_lines = reserve_lines
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        if small:
            self.setFont(style.scaled_font(self, 0.92))
        self.set_reserve_lines(reserve_lines)
        self.setVisible(False)
        self._recolor()

    @property
    def tone(self) -> Tone:
        return self._tone

    @property
    def reserve_lines(self) -> int:
        """How many lines the label keeps room for while hidden (0: none)."""
        return self._reserve_lines

    def set_reserve_lines(self, lines: int) -> None:
        """Keep room for ``lines`` lines while hidden (0: give the room back when hidden)."""
        self._reserve_lines = lines
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(lines > 0)
        self.setSizePolicy(policy)
        if lines > 0:
            self._reserve()
        else:
            self.setMinimumHeight(0)

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
        kind = event.type()
        if kind in (QEvent.Type.PaletteChange, QEvent.Type.ParentChange, QEvent.Type.StyleChange):
            self._recolor()
        if kind == QEvent.Type.FontChange:
            self._reserve()

    def _reserve(self) -> None:
        lines = self._reserve_lines
        if lines > 0:
            margins = self.contentsMargins()
            self.setMinimumHeight(
                self.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom()
            )

    def _recolor(self) -> None:
        # Through the palette, not a style sheet: a style sheet per label costs milliseconds
        # each (the composer and the window's first paint have dozens of these labels).
        # From the parent's palette (the application's while there is none): the label's own
        # palette holds the colour it was given, and a hint mixed again from it would fade.
        color = _tone_color(self._tone, self.parentWidget())
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
