"""The main window's own parts besides the workspace: the demo banner and the message page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

DEMO_BANNER_TEXT = "Demo: simulated API, no charges"


class DemoBanner(QFrame):
    """The strip across the top in demo mode, with a way to switch to a real key."""

    use_key_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self.setAccessibleName("Demo mode")
        self.setAccessibleDescription(DEMO_BANNER_TEXT)
        self.label = QLabel(DEMO_BANNER_TEXT, self)
        self.label.setObjectName("demoBannerLabel")
        self.label.setFont(style.scaled_font(self.label, 1.0, bold=True))
        self.detail = QLabel(
            "Videos are placeholders made on this computer; your key is not used.", self
        )
        self.detail.setFont(style.scaled_font(self.detail, 0.92))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 6)
        layout.setSpacing(12)
        self.use_key_button = QPushButton("Use your API key…", self)
        self.use_key_button.setObjectName("demoUseKeyButton")
        self.use_key_button.setAccessibleName("Use your API key")
        self.use_key_button.setAccessibleDescription(
            "Leave the demo: enter your APIXO key and work with the real API"
        )
        self.use_key_button.clicked.connect(self.use_key_requested)
        layout.addWidget(self.label)
        layout.addWidget(self.detail, 1)
        layout.addWidget(self.use_key_button)
        self._recolor()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._recolor()

    def _recolor(self) -> None:
        background, text = style.banner_colors(self.parentWidget())
        sheet = (
            f"QFrame#demoBanner {{ background: {background.name()}; }}"
            f" QFrame#demoBanner QLabel {{ color: {text.name()}; }}"
        )
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)


class MessagePage(QWidget):
    """A centred message with one button, for when the workspace cannot open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messagePage")
        self.title = QLabel(self)
        self.title.setFont(style.scaled_font(self.title, 1.3, bold=True))
        self.title.setWordWrap(True)
        self.text = MessageLabel(Tone.HINT, self, small=False)
        self.text.setMaximumWidth(520)
        self.button = QPushButton(self)
        self.button.setObjectName("messagePageButton")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self._action: Callable[[], None] | None = None
        self.button.clicked.connect(self.on_button_clicked)

    def show_message(self, title: str, text: str, button: str, action: Callable[[], None]) -> None:
        self.title.setText(title)
        self.text.show_message(text)
        self.button.setText(button)
        self.button.setAccessibleName(button)
        self._action = action

    def on_button_clicked(self) -> None:
        if self._action is not None:
            self._action()
