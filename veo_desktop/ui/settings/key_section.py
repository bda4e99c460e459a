"""The settings' "APIXO API key" section: where the key in use lives, a field for a new one,
and "Remove from keyring".

The key never goes into a file: it is stored with :class:`~veo_desktop.core.secrets.KeyStore`
or, when the system has no usable keyring, kept in memory for this session only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from veo_desktop.core.key_source import API_KEY_ENV, KeySource
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.jobs import JobRegistry

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore

_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring, KeePassXC…)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.libsecret.Keyring": "libsecret (GNOME Keyring)",
    "keyring.backends.chainer.ChainerBackend": "the system keyring",
}


def keyring_display_name(store: KeyStore) -> str:
    """A person's name for the keyring backend (falls back to its class path)."""
    name = store.backend_name
    return _BACKEND_NAMES.get(name, name)


def key_status_text(source: KeySource, store: KeyStore) -> str:
    """One sentence on where the key in use lives."""
    if source is KeySource.KEYRING:
        return f"The key is stored in {keyring_display_name(store)}."
    if source is KeySource.ENVIRONMENT:
        return f"The key comes from the {API_KEY_ENV} environment variable (not stored)."
    if source is KeySource.SESSION:
        return "The key is kept in memory for this session only; it is never written to disk."
    if source is KeySource.DEMO:
        return "Demo mode: the simulator needs no key and charges nothing."
    return "No key yet: paste yours below and press OK."


#: The demo's way to a real key, however the demo was reached (``--demo``, no key at the
#: start, or "Try the demo"): the demo bar across the top of the window has this button,
#: which opens the welcome sheet's key field; this field stays off while the simulator is
#: the API.
DEMO_KEY_BUTTON = "Use your API key…"
DEMO_KEY_HINT = (
    f"To use your own key, close Settings and press \u201c{DEMO_KEY_BUTTON}\u201d in the "
    "demo bar at the top of the window."
)


def no_keyring_text() -> str:
    return (
        "This system has no usable keyring, so a key you enter is kept for this session "
        f"only (never written to disk). To start with a key, set {API_KEY_ENV}."
    )


class ApiKeySection(QGroupBox):
    """Where the key lives, a field for a new key, and removing the stored one.

    Args:
        key_store: the keyring access.
        key_source: where the key in use came from.
        keyring_ok: whether the keyring works (False: keys are kept for the session only).
    """

    #: The stored key was deleted from the keyring (the session keeps using it).
    key_removed = Signal()

    def __init__(
        self,
        *,
        key_store: KeyStore,
        key_source: KeySource,
        keyring_ok: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("APIXO API key", parent)
        self._key_store = key_store
        self._key_source = key_source
        self._keyring_ok = keyring_ok
        self._jobs = JobRegistry()

        self.key_status = MessageLabel(Tone.HINT, small=False)
        self.key_status.setObjectName("keyStatusLabel")
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("settingsKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste a new key to replace the current one")
        self.key_edit.setAccessibleName("New API key")
        self.key_edit.setAccessibleDescription("Replaces the key in use when you press OK")
        self.remove_key_button = QPushButton("Remove from keyring")
        self.remove_key_button.setObjectName("removeKeyButton")
        self.remove_key_button.setAccessibleName("Remove key from keyring")
        self.remove_key_button.setAccessibleDescription(
            "Delete the stored key; this session keeps working until you quit"
        )
        self.key_message = MessageLabel(Tone.HINT)
        self.key_message.setObjectName("keyMessage")
        layout = QVBoxLayout(self)
        layout.addWidget(self.key_status)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.remove_key_button)
        layout.addLayout(key_row)
        layout.addWidget(self.key_message)

        self.remove_key_button.clicked.connect(self.on_remove_key_button_clicked)
        self._show_key_status()

    def new_key(self) -> str | None:
        """A key typed into the field, to store and use; None when left empty."""
        return self.key_edit.text().strip() or None

    def on_remove_key_button_clicked(self) -> None:
        if self._jobs:
            return
        self.remove_key_button.setEnabled(False)
        self._jobs.start(self._remove_key(), name="Removing the API key from the keyring")

    def _show_key_status(self) -> None:
        self.key_status.show_message(key_status_text(self._key_source, self._key_store))
        self.remove_key_button.setEnabled(
            self._keyring_ok and self._key_source is KeySource.KEYRING
        )
        self.remove_key_button.setVisible(self._keyring_ok)
        demo = self._key_source is KeySource.DEMO
        self.key_edit.setEnabled(not demo)
        if demo:
            self.key_message.show_message(DEMO_KEY_HINT)
        elif not self._keyring_ok:
            self.key_message.show_message(no_keyring_text(), Tone.WARNING)
        else:
            self.key_message.show_message(
                f"A new key is stored in {keyring_display_name(self._key_store)}."
            )

    async def _remove_key(self) -> None:
        from veo_desktop.core.secrets import KeyringUnavailableError

        try:
            await self._key_store.adelete()
        except KeyringUnavailableError as error:
            self.key_message.show_message(str(error), Tone.PROBLEM)
            self.remove_key_button.setEnabled(True)
            return
        self._key_source = KeySource.SESSION
        self._show_key_status()
        self.key_message.show_message(
            "Removed from the keyring. This session keeps using the key until you quit.",
            Tone.OK,
        )
        self.key_removed.emit()
