"""The settings dialog and what its OK changes; storing a key entered on the welcome panel.

:class:`SettingsFlow` opens the dialog (once), saves the settings it returns, keeps a new
key in the keyring when there is one (else for this session only), and reopens the session
when the key, the API root, the library or the polling changed. The demo keeps its own
library and timing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from veo_desktop.core.key_source import KeySource

if TYPE_CHECKING:
    from veo_desktop.ui.settings.dialog import SettingsChange, SettingsDialog
    from veo_desktop.ui.window.main_window import MainWindow


class SettingsFlow(QObject):
    """Settings and key changes for ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        #: The settings dialog while it is open.
        self.dialog: SettingsDialog | None = None

    def key_storage_note(self) -> str:
        """Where a key entered now would be kept (for the welcome panel)."""
        from veo_desktop.ui.settings.key_section import keyring_display_name, no_keyring_text

        key_store = self._window.key_store
        if key_store.available:
            return f"The key will be stored in {keyring_display_name(key_store)}."
        return no_keyring_text()

    def open_dialog(self) -> None:
        """Show the settings dialog (or bring it to the front)."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        from veo_desktop.ui.settings.dialog import SettingsDialog

        window = self._window
        dialog = SettingsDialog(
            settings=window.settings,
            paths=window.paths,
            key_store=window.key_store,
            key_source=window.key_source,
            keyring_ok=window.key_store.available,
            parent=window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settings_accepted.connect(self.on_settings_dialog_settings_accepted)
        dialog.key_removed.connect(self.on_settings_dialog_key_removed)
        dialog.finished.connect(self.on_settings_dialog_finished)
        self.dialog = dialog
        dialog.open()

    def close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()

    def on_settings_dialog_finished(self, _result: int) -> None:
        self.dialog = None

    def on_settings_dialog_key_removed(self) -> None:
        window = self._window
        if window.key_source is KeySource.KEYRING:
            window.key_source = KeySource.SESSION
        window.status.showMessage("The key was removed from the keyring.", 8000)

    def on_settings_dialog_settings_accepted(self, change: SettingsChange) -> None:
        self._window.run(self.apply(change), "Applying the settings")

    async def _keep_key(self, key: str, *, message_ms: int = 0) -> KeySource:
        """Store ``key`` in the keyring when there is one; where it is kept now (a keyring
        that refuses it is said in the status bar for ``message_ms``, 0: until replaced)."""
        from veo_desktop.core.secrets import KeyringUnavailableError

        window = self._window
        if window.key_store.available:
            try:
                await window.key_store.aset(key)
            except KeyringUnavailableError as error:
                window.status.showMessage(
                    f"{error} The key is kept for this session only.", message_ms
                )
            else:
                return KeySource.KEYRING
        return KeySource.SESSION

    async def store_key_and_open(self, key: str) -> None:
        """Keep the key entered on the welcome panel and open a session with it."""
        source = await self._keep_key(key, message_ms=15000)
        self._window.open_with_key(key, source=source)

    async def apply(self, change: SettingsChange) -> None:
        """Use and save ``change``; reopen the session when what it is built from changed."""
        window = self._window
        sessions = window.sessions
        old = window.settings
        window.settings = change.settings
        window.set_notifications(change.settings.notifications)
        try:
            window.settings.save(window.paths)
        except OSError as error:
            window.status.showMessage(f"The settings could not be saved: {error}", 15000)
        key = sessions.session_key
        source = sessions.key_source
        if change.new_key and sessions.key_source is not KeySource.DEMO:
            key = change.new_key
            source = await self._keep_key(key)
        base_changed = change.settings.base_url != old.base_url
        if base_changed:
            window.base_url = change.settings.base_url
        needs_restart = (
            key != sessions.session_key
            or base_changed
            or change.settings.library(window.paths) != old.library(window.paths)
            or change.settings.timing != old.timing
        )
        if sessions.key_source is KeySource.DEMO:
            if needs_restart and change.settings.library_dir == old.library_dir:
                window.status.showMessage("Demo mode keeps its own library and timing.", 8000)
            return
        if key and (needs_restart or window.session is None):
            window.open_with_key(key, source=source)
        else:
            sessions.key_source = source
