"""Settings: the API key (keyring only), library folder, polling, notifications, base URL.

The key never goes into a file: it is stored with :class:`~veo_desktop.core.secrets.KeyStore`
or, when the system has no usable keyring, kept in memory for this session only.
The dialog is opened with ``open()`` (never ``exec()``, which breaks the asyncio loop) and
reports what changed through :attr:`SettingsDialog.settings_accepted`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.paths import AppPaths
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.core.timing import PollTiming

log = logging.getLogger(__name__)

KEY_ENV = "APIXO_API_KEY"
#: The API root (``veo_desktop.api.urls.DEFAULT_BASE_URL``; kept here so the window can
#: start without loading the HTTP stack).
DEFAULT_BASE_URL = "https://api.apixo.ai/api/v1"


class KeySource(StrEnum):
    """Where the key in use came from."""

    NONE = "none"
    KEYRING = "keyring"
    ENVIRONMENT = "environment"
    SESSION = "session"
    DEMO = "demo"


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
        return f"The key comes from the {KEY_ENV} environment variable (not stored)."
    if source is KeySource.SESSION:
        return "The key is kept in memory for this session only; it is never written to disk."
    if source is KeySource.DEMO:
        return "Demo mode: the simulator needs no key and charges nothing."
    return "No key yet."


def no_keyring_text() -> str:
    return (
        "This system has no usable keyring, so a key you enter is kept for this session "
        f"only (never written to disk). To start with a key, set {KEY_ENV}."
    )


@dataclass(frozen=True)
class SettingsChange:
    """What the person accepted in the dialog.

    Attributes:
        settings: the new settings (to save and apply).
        new_key: a key typed into the dialog, to store and use; None when unchanged.
    """

    settings: Settings
    new_key: str | None


def _seconds(value: float, maximum: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, maximum)
    box.setDecimals(0 if value >= 10 else 1)
    box.setSuffix(" s")
    box.setValue(value)
    box.setToolTip(tip)
    box.setAccessibleDescription(tip)
    return box


class SettingsDialog(QDialog):
    """The settings window (non-blocking; emits :attr:`settings_accepted` on OK).

    Args:
        settings: the settings in effect.
        paths: the app's directories (for the default library folder).
        key_store: the keyring access.
        key_source: where the key in use came from.
        keyring_ok: whether the keyring works (False: keys are kept for the session only).
    """

    settings_accepted = Signal(object)  # SettingsChange
    key_removed = Signal()

    def __init__(
        self,
        *,
        settings: Settings,
        paths: AppPaths,
        key_store: KeyStore,
        key_source: KeySource,
        keyring_ok: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        self._paths = paths
        self._key_store = key_store
        self._key_source = key_source
        self._keyring_ok = keyring_ok
        self._job: asyncio.Task[None] | None = None
        self._folder_dialog: QFileDialog | None = None

        # API key
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
        key_box = QGroupBox("APIXO API key")
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(self.key_status)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.remove_key_button)
        key_layout.addLayout(key_row)
        key_layout.addWidget(self.key_message)

        # Library
        self.library_edit = QLineEdit(str(settings.library(paths)))
        self.library_edit.setObjectName("libraryEdit")
        self.library_edit.setAccessibleName("Library folder")
        self.library_edit.setAccessibleDescription("Where finished videos are saved")
        self.library_button = QPushButton("Choose…")
        self.library_button.setAccessibleName("Choose library folder")
        self.library_button.setAccessibleDescription("Pick the folder for finished videos")
        self.library_message = MessageLabel(Tone.PROBLEM)
        library_box = QGroupBox("Library")
        library_layout = QVBoxLayout(library_box)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library_edit, 1)
        library_row.addWidget(self.library_button)
        library_layout.addLayout(library_row)
        library_layout.addWidget(self.library_message)

        # Polling and notifications
        timing = settings.timing
        self.first_fast = _seconds(
            timing.first_poll_fast, 600, "Wait before the first status check of a fast video"
        )
        self.first_fast.setObjectName("firstPollFast")
        self.first_fast.setAccessibleName("First check, fast")
        self.first_quality = _seconds(
            timing.first_poll_quality, 600, "Wait before the first status check of a quality video"
        )
        self.first_quality.setObjectName("firstPollQuality")
        self.first_quality.setAccessibleName("First check, quality")
        self.interval_min = _seconds(timing.interval_min, 300, "Shortest gap between checks")
        self.interval_min.setObjectName("intervalMin")
        self.interval_min.setAccessibleName("Check every, from")
        self.interval_max = _seconds(timing.interval_max, 300, "Longest gap between checks")
        self.interval_max.setObjectName("intervalMax")
        self.interval_max.setAccessibleName("Check every, to")
        interval_row = QHBoxLayout()
        interval_row.addWidget(self.interval_min)
        interval_row.addWidget(self.interval_max)
        self.timing_message = MessageLabel(Tone.PROBLEM)
        self.timing_message.setObjectName("timingMessage")
        self.notifications_check = QCheckBox(
            "Notify me when a video is ready or fails (while I work elsewhere)"
        )
        self.notifications_check.setObjectName("notificationsCheck")
        self.notifications_check.setChecked(settings.notifications)
        self.notifications_check.setAccessibleName("Notifications")
        self.notifications_check.setAccessibleDescription(
            "Show a desktop notification when a task finishes or fails"
        )
        poll_box = QGroupBox("Checking on videos")
        poll_form = QFormLayout(poll_box)
        poll_form.addRow("First check (fast):", self.first_fast)
        poll_form.addRow("First check (quality):", self.first_quality)
        poll_form.addRow("Then every:", interval_row)
        poll_form.addRow("", self.timing_message)
        poll_form.addRow(self.notifications_check)

        # Advanced
        self.base_url_edit = QLineEdit(settings.base_url)
        self.base_url_edit.setObjectName("baseUrlEdit")
        self.base_url_edit.setAccessibleName("API base URL")
        self.base_url_edit.setAccessibleDescription(
            "The APIXO API root; https only (plain http only for this computer)"
        )
        self.base_url_reset = QPushButton("Default")
        self.base_url_reset.setAccessibleName("Default base URL")
        self.base_url_reset.setAccessibleDescription(f"Use {DEFAULT_BASE_URL}")
        self.base_url_message = MessageLabel(Tone.PROBLEM)
        self.base_url_message.setObjectName("baseUrlMessage")
        advanced_box = QGroupBox("Advanced")
        advanced_layout = QVBoxLayout(advanced_box)
        url_row = QHBoxLayout()
        url_row.addWidget(self.base_url_edit, 1)
        url_row.addWidget(self.base_url_reset)
        advanced_layout.addLayout(url_row)
        advanced_layout.addWidget(self.base_url_message)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for box in (key_box, library_box, poll_box, advanced_box):
            layout.addWidget(box)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.remove_key_button.clicked.connect(self.on_remove_key_button_clicked)
        self.library_button.clicked.connect(self.on_library_button_clicked)
        self.base_url_reset.clicked.connect(self.on_base_url_reset_clicked)
        for edit in (self.library_edit, self.base_url_edit):
            edit.textChanged.connect(self.validate)
        for spin in (self.first_fast, self.first_quality, self.interval_min, self.interval_max):
            spin.valueChanged.connect(self.validate)
        self._show_key_status()
        self.validate()

    # -- validation ---------------------------------------------------------------------

    def timing(self) -> PollTiming | None:
        """The poll timing the fields describe, or None when it is not valid."""
        try:
            return dataclasses.replace(
                self._settings.timing,
                first_poll_fast=self.first_fast.value(),
                first_poll_quality=self.first_quality.value(),
                interval_min=self.interval_min.value(),
                interval_max=self.interval_max.value(),
            )
        except ValueError:
            return None

    def validate(self) -> bool:
        """Show each field's problem; enable OK only when there is none."""
        from veo_desktop.api.urls import url_problem

        ok = True
        url = self.base_url_edit.text().strip()
        problem = url_problem(url, what="The base URL")
        self.base_url_message.show_message(problem)
        ok = ok and problem is None
        timing = self.timing()
        self.timing_message.show_message(
            None if timing is not None else "The longest gap must not be shorter than the shortest."
        )
        ok = ok and timing is not None
        library = self.library_edit.text().strip()
        library_problem = None if library else "Choose a folder for finished videos."
        if library and not Path(library).expanduser().is_absolute():
            library_problem = "Use a full path (starting at the root of the disk)."
        self.library_message.show_message(library_problem)
        ok = ok and library_problem is None
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if button is not None:
            button.setEnabled(ok)
        return ok

    def change(self) -> SettingsChange | None:
        """The accepted change, or None while a field is invalid."""
        if not self.validate():
            return None
        timing = self.timing()
        assert timing is not None
        library = Path(self.library_edit.text().strip()).expanduser()
        settings = dataclasses.replace(
            self._settings,
            library_dir=None if library == self._paths.library_dir else library,
            base_url=self.base_url_edit.text().strip().rstrip("/"),
            timing=timing,
            notifications=self.notifications_check.isChecked(),
            extra=dict(self._settings.extra),
        )
        key = self.key_edit.text().strip() or None
        return SettingsChange(settings=settings, new_key=key)

    # -- slots --------------------------------------------------------------------------

    def on_buttons_accepted(self) -> None:
        change = self.change()
        if change is None:
            return
        self.settings_accepted.emit(change)
        self.accept()

    def on_remove_key_button_clicked(self) -> None:
        if self._job is not None and not self._job.done():
            return
        self.remove_key_button.setEnabled(False)
        self._job = asyncio.ensure_future(self._remove_key())

    def on_library_button_clicked(self) -> None:
        if self._folder_dialog is not None:
            self._folder_dialog.raise_()
            return
        dialog = QFileDialog(self, "Choose the library folder", self.library_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.library_edit.setText)
        dialog.finished.connect(self.on_folder_dialog_finished)
        self._folder_dialog = dialog
        dialog.open()

    def on_folder_dialog_finished(self, _result: int) -> None:
        self._folder_dialog = None

    def on_base_url_reset_clicked(self) -> None:
        self.base_url_edit.setText(DEFAULT_BASE_URL)

    # -- internals ----------------------------------------------------------------------

    def _show_key_status(self) -> None:
        self.key_status.show_message(key_status_text(self._key_source, self._key_store))
        self.remove_key_button.setEnabled(
            self._keyring_ok and self._key_source is KeySource.KEYRING
        )
        self.remove_key_button.setVisible(self._keyring_ok)
        demo = self._key_source is KeySource.DEMO
        self.key_edit.setEnabled(not demo)
        if demo:
            self.key_message.show_message(
                "Enter your own key on the welcome screen of a normal start (without --demo)."
            )
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
