"""The first-run panel: enter an APIXO key, or try the demo against the simulator; also as a
sheet over the demo's workspace (:func:`open_welcome_sheet`)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone


class WelcomePanel(QWidget):
    """Shown while there is no API key: "Enter API key" or "Try the demo".

    Signals:
        key_entered: the person entered a key (str) and pressed "Enter API key".
        demo_requested: the person chose "Try the demo".
    """

    key_entered = Signal(str)
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        card = QFrame(self)
        card.setObjectName("welcomeCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(520)
        # AlternateBase, not Base: the key field (Base) must stand out from the card in
        # both themes (in the dark palette Base is darker than the window).
        card.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        card.setAutoFillBackground(True)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        title = QLabel("Welcome to Veo Desktop", card)
        title.setFont(style.scaled_font(title, 1.6, bold=True))
        intro = QLabel(
            "Make short videos with Google's Veo 3.1 through the APIXO API. "
            "Every video is billed to your APIXO key when APIXO accepts it: "
            "$0.20 in fast mode, $1.50 in quality mode.",
            card,
        )
        intro.setWordWrap(True)

        key_title = style.section_title("Use your APIXO key", card)
        self.key_edit = QLineEdit(card)
        self.key_edit.setObjectName("welcomeKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your APIXO API key")
        self.key_edit.setAccessibleName("APIXO API key")
        self.key_edit.setAccessibleDescription(
            "Your key from the APIXO dashboard; it is kept in the system keyring"
        )
        self.key_edit.setMinimumWidth(220)
        self.key_button = QPushButton("Enter API key", card)
        self.key_button.setObjectName("enterKeyButton")
        self.key_button.setDefault(True)
        self.key_button.setEnabled(False)
        self.key_button.setAccessibleName("Enter API key")
        self.key_button.setAccessibleDescription("Use this key and open the workspace")
        key_row = QHBoxLayout()
        key_row.setSpacing(8)
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.key_button)
        self.storage_note = MessageLabel(Tone.HINT, card)
        self.storage_note.setObjectName("keyStorageNote")
        self.key_message = MessageLabel(Tone.PROBLEM, card)
        self.key_message.setObjectName("welcomeKeyMessage")

        rule = QFrame(card)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)

        demo_title = style.section_title("Or look around first", card)
        demo_text = QLabel(
            "The demo runs against a simulator on this computer: every feature works, "
            "videos are placeholders, and nothing is charged.",
            card,
        )
        demo_text.setWordWrap(True)
        self.demo_title = demo_title
        self.demo_text = demo_text
        self.demo_button = QPushButton("Try the demo", card)
        self.demo_button.setObjectName("tryDemoButton")
        self.demo_button.setAccessibleName("Try the demo")
        self.demo_button.setAccessibleDescription(
            "Open the workspace against the built-in simulator; no key, no charges"
        )

        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(10)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(6)
        inner.addWidget(key_title)
        inner.addLayout(key_row)
        inner.addWidget(self.key_message)
        inner.addWidget(self.storage_note)
        inner.addSpacing(4)
        inner.addWidget(rule)
        inner.addSpacing(4)
        inner.addWidget(demo_title)
        inner.addWidget(demo_text)
        inner.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeft)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.key_edit.textChanged.connect(self.on_key_edit_text_changed)
        self.key_edit.returnPressed.connect(self.on_key_button_clicked)
        self.key_button.clicked.connect(self.on_key_button_clicked)
        self.demo_button.clicked.connect(self.demo_requested)

    def say_demo_is_running(self) -> None:
        """Over a running demo: the second choice is to stay in it, not to start it."""
        self.demo_title.setText("Or keep looking around")
        self.demo_text.setText(
            "The demo is open behind this: every feature works against a simulator on this "
            "computer, videos are placeholders, and nothing is charged."
        )
        self.demo_button.setText("Continue in the demo")
        self.demo_button.setAccessibleName("Continue in the demo")
        self.demo_button.setAccessibleDescription("Close this and keep using the demo")

    def set_storage_note(self, text: str) -> None:
        """Say where an entered key will be kept (the keyring's name, or this session only)."""
        self.storage_note.show_message(text)

    def show_problem(self, text: str | None) -> None:
        self.key_message.show_message(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a key is being stored or the demo starts."""
        self.key_button.setEnabled(not busy and bool(self.key_edit.text().strip()))
        self.demo_button.setEnabled(not busy)
        self.key_edit.setEnabled(not busy)

    def on_key_edit_text_changed(self, text: str) -> None:
        self.key_button.setEnabled(bool(text.strip()))
        self.key_message.show_message(None)

    def on_key_button_clicked(self) -> None:
        key = self.key_edit.text().strip()
        if key:
            self.key_entered.emit(key)


class _CentredOverParent(QObject):
    """Keeps a sheet centred over its parent window while the window moves or resizes
    (the window is often still growing to its saved size when the sheet opens)."""

    def __init__(self, sheet: QDialog, parent: QWidget) -> None:
        super().__init__(sheet)
        self._sheet = sheet
        self._parent = parent
        parent.installEventFilter(self)
        sheet.installEventFilter(self)

    def centre(self) -> None:
        area = self._parent.window().frameGeometry()
        size = self._sheet.frameGeometry().size()
        self._sheet.move(
            area.x() + (area.width() - size.width()) // 2,
            area.y() + (area.height() - size.height()) // 2,
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (watched is self._parent and kind in (QEvent.Type.Resize, QEvent.Type.Move)) or (
            watched is self._sheet and kind in (QEvent.Type.Show, QEvent.Type.Resize)
        ):
            self.centre()
        return False


def open_welcome_sheet(
    parent: QWidget,
    storage_note: str,
    on_key_entered: Callable[[str], None],
    on_finished: Callable[[int], None],
) -> QDialog:
    """The welcome panel as a window-modal sheet over ``parent`` (``open()``, not ``exec()``).

    It opens over the running demo: "Enter API key" closes it and calls ``on_key_entered``;
    "Continue in the demo" just closes it. It stays centred over ``parent``.
    """
    sheet = QDialog(parent)
    sheet.setObjectName("welcomeSheet")
    sheet.setWindowTitle("Welcome to Veo Desktop")
    sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    panel = WelcomePanel(sheet)
    if (panel_layout := panel.layout()) is not None:
        panel_layout.setContentsMargins(0, 0, 0, 0)  # the dialog is the frame here
    panel.set_storage_note(storage_note)
    panel.say_demo_is_running()
    layout = QVBoxLayout(sheet)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(panel)

    def key_entered(key: str) -> None:
        sheet.accept()
        on_key_entered(key)

    panel.key_entered.connect(key_entered)
    panel.demo_requested.connect(sheet.reject)
    sheet.finished.connect(on_finished)
    _CentredOverParent(sheet, parent)
    sheet.open()
    return sheet
