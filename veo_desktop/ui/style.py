"""The app's look: Fusion, a dark palette when the desktop asks for one, and a few colours.

Widgets take their colours from the palette so light and dark both work; the only colours
of our own are the semantic ones below (problem red, hint grey, demo amber), each with a
light and a dark variant.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

_PROBLEM = ("#c5221f", "#f28b82")
_WARNING = ("#8f4f00", "#fdd663")
_OK = ("#137333", "#81c995")
_BANNER_BG = ("#fef7e0", "#4a3b12")
_BANNER_FG = ("#5f4300", "#fde293")
_ACCENT = ("#1a5fc0", "#8ab4f8")


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (neutral greys, blue accent)."""
    palette = QPalette()
    window = QColor("#202124")
    base = QColor("#17181a")
    text = QColor("#e8eaed")
    disabled = QColor("#7f8388")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#232427"),
        QPalette.ColorRole.ToolTipBase: QColor("#303134"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor("#8e9297"),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#2d2e31"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ffffff"),
        QPalette.ColorRole.Light: QColor("#3c4043"),
        QPalette.ColorRole.Midlight: QColor("#35363a"),
        QPalette.ColorRole.Mid: QColor("#2a2b2e"),
        QPalette.ColorRole.Dark: QColor("#111214"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
        QPalette.ColorRole.Highlight: QColor("#3d6fb6"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor(_ACCENT[1]),
        QPalette.ColorRole.LinkVisited: QColor("#c58af9"),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    group = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(group, role, disabled)
    palette.setColor(group, QPalette.ColorRole.Button, QColor("#26272a"))
    palette.setColor(group, QPalette.ColorRole.Highlight, QColor("#3c4043"))
    return palette


def light_palette() -> QPalette:
    """Fusion's own light palette, with placeholder and selected text a person can read.

    Fusion's placeholder (black at 50%: #7f7f7f on white, 4.0:1) and white on its highlight
    (#308cc6, 3.7:1) are below WCAG's 4.5:1; these two stay legible on every light surface.
    """
    app = QApplication.instance()
    style = app.style() if isinstance(app, QApplication) else None
    palette = style.standardPalette() if style is not None else QPalette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#666666"))
        palette.setColor(group, QPalette.ColorRole.Highlight, QColor("#2a74a8"))
    return palette


def apply_theme(app: QApplication, *, dark: bool | None = None) -> None:
    """Use Fusion, dark or light; ``None`` follows the desktop's colour scheme."""
    app.setStyle("Fusion")
    if dark is None:
        dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    app.setPalette(dark_palette() if dark else light_palette())


def is_dark(widget: QWidget | None = None) -> bool:
    """Whether the palette in effect is dark (its window colour is)."""
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _pick(pair: tuple[str, str], widget: QWidget | None) -> QColor:
    return QColor(pair[1] if is_dark(widget) else pair[0])


def problem_color(widget: QWidget | None = None) -> QColor:
    return _pick(_PROBLEM, widget)


def warning_color(widget: QWidget | None = None) -> QColor:
    return _pick(_WARNING, widget)


def ok_color(widget: QWidget | None = None) -> QColor:
    return _pick(_OK, widget)


def accent_color(widget: QWidget | None = None) -> QColor:
    return _pick(_ACCENT, widget)


def hint_color(widget: QWidget | None = None) -> QColor:
    """The muted text colour: between the text and the window colours."""
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    window = palette.color(QPalette.ColorRole.Window)
    return QColor(
        (text.red() * 3 + window.red() * 2) // 5,
        (text.green() * 3 + window.green() * 2) // 5,
        (text.blue() * 3 + window.blue() * 2) // 5,
    )


def banner_colors(widget: QWidget | None = None) -> tuple[QColor, QColor]:
    """(background, text) of the demo banner."""
    return _pick(_BANNER_BG, widget), _pick(_BANNER_FG, widget)


def set_text_color(label: QLabel, color: QColor) -> None:
    """Colour a label's text through its palette (so it survives theme switches)."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, color)
    palette.setColor(QPalette.ColorRole.Text, color)
    label.setPalette(palette)


class _HintColor(QObject):
    """Keeps a label's text in the hint colour of the palette it inherits."""

    _EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ParentChange, QEvent.Type.StyleChange)

    def __init__(self, label: QLabel) -> None:
        super().__init__(label)
        self._label = label
        self._applied = ""
        label.installEventFilter(self)
        self.recolor()

    def recolor(self) -> None:
        color = hint_color(self._label.parentWidget())
        if color.name() != self._applied:  # setting it changes the palette: no loop
            self._applied = color.name()
            set_text_color(self._label, color)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._label and event.type() in self._EVENTS:
            self.recolor()
        return False


def follow_hint_color(label: QLabel) -> None:
    """Draw ``label`` in the muted hint colour, now and whenever the theme changes.

    The colour is mixed from the palette the label inherits (its parent's, the
    application's while it has none), never from its own palette, which holds the colour
    it was given: mixing again from that would fade the text towards the background.
    """
    _HintColor(label)


def scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> QFont:
    """The widget's font, scaled (captions 0.9, headings 1.25) and optionally bold."""
    font = QFont(widget.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(7.0, size * factor))
    font.setBold(bold)
    return font


def section_title(text: str, parent: QWidget | None = None) -> QLabel:
    """A small bold heading for a group of fields."""
    label = QLabel(text, parent)
    label.setFont(scaled_font(label, 1.0, bold=True))
    return label
