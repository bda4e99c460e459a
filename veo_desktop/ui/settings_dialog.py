"""Settings: the API key (keyring only), library folder, polling, notifications, the daily
spending cap, base URL, and, on their own tab, where local images are hosted.

The key never goes into a file: it is stored with :class:`~veo_desktop.core.secrets.KeyStore`
or, when the system has no usable keyring, kept in memory for this session only; the same
holds for an S3 secret access key. The dialog is opened with ``open()`` (never ``exec()``,
which breaks the asyncio loop) and reports what changed through
:attr:`SettingsDialog.settings_accepted`. On OK it first stores a typed S3 secret and the
hosting choice (into the accepted settings, which the window saves) and hands the open
session its new image hosting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.urls import DEFAULT_BASE_URL
from veo_desktop.core.key_source import API_KEY_ENV, KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import CAP_KEY, parse_cap
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.core.timing import PollTiming
    from veo_desktop.hosting import HostingConfig
    from veo_desktop.ui.hosting_settings import HostingSettingsWidget
    from veo_desktop.ui.session import Session

log = logging.getLogger(__name__)

CAP_PROBLEM = "Enter the cap in dollars, such as 20 or 12.50, or leave it empty for no cap."
CAP_HINT = "A video that would bring today's spending past the cap asks first. Empty: no cap."


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
    return "No key yet."


def no_keyring_text() -> str:
    return (
        "This system has no usable keyring, so a key you enter is kept for this session "
        f"only (never written to disk). To start with a key, set {API_KEY_ENV}."
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


def _scrolling(page: QWidget, name: str) -> QScrollArea:
    """``page`` in a frameless scroll area (a small screen still reaches every field)."""
    scroll = QScrollArea()
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    return scroll


def _session_of(parent: QWidget | None) -> Session | None:
    """The open session of the window the dialog belongs to (its ``session``), if any."""
    from veo_desktop.ui.session import Session

    session = getattr(parent, "session", None)
    return session if isinstance(session, Session) else None


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
        session: the open session, whose image hosting OK replaces (default: the parent
            window's ``session``); None when no session is open.
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
        session: Session | None = None,
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
        self._accept_job: asyncio.Task[None] | None = None
        self._folder_dialog: QFileDialog | None = None
        self._session = session if session is not None else _session_of(parent)

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

        # Spending
        cap = settings.spending_cap()
        self.cap_edit = QLineEdit("" if cap is None else str(cap))
        self.cap_edit.setObjectName("spendingCapEdit")
        self.cap_edit.setPlaceholderText("no cap")
        self.cap_edit.setClearButtonEnabled(True)
        self.cap_edit.setMaximumWidth(self.cap_edit.fontMetrics().horizontalAdvance("0") * 16)
        self.cap_edit.setAccessibleName("Daily spending cap")
        self.cap_edit.setAccessibleDescription(
            "Dollars per day; a video that would pass it asks first. Empty means no cap."
        )
        self.cap_edit.setToolTip(CAP_HINT)
        self.cap_message = MessageLabel(Tone.PROBLEM)
        self.cap_message.setObjectName("spendingCapMessage")
        self.cap_hint = MessageLabel(Tone.HINT)
        self.cap_hint.setObjectName("spendingCapHint")
        cap_label = QLabel("Daily &cap:")
        cap_label.setBuddy(self.cap_edit)
        cap_row = QHBoxLayout()
        cap_row.setSpacing(4)
        cap_row.addWidget(cap_label)
        cap_row.addSpacing(6)
        cap_row.addWidget(QLabel("$"))
        cap_row.addWidget(self.cap_edit)
        cap_row.addWidget(QLabel("per day"))
        cap_row.addStretch(1)
        spending_box = QGroupBox("Spending")
        spending_layout = QVBoxLayout(spending_box)
        spending_layout.addLayout(cap_row)
        spending_layout.addWidget(self.cap_message)
        spending_layout.addWidget(self.cap_hint)

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

        general = QWidget()
        general.setObjectName("generalSettingsPage")
        general_layout = QVBoxLayout(general)
        general_layout.setSpacing(10)
        for box in (key_box, library_box, poll_box, spending_box, advanced_box):
            general_layout.addWidget(box)
        general_layout.addStretch(1)

        self.hosting = self._build_hosting()
        self.hosting_message = MessageLabel(Tone.PROBLEM, self, small=False)
        self.hosting_message.setObjectName("hostingSettingsMessage")
        hosting_page = QWidget()
        hosting_page.setObjectName("hostingSettingsPage")
        hosting_layout = QVBoxLayout(hosting_page)
        hosting_layout.setSpacing(8)
        hosting_layout.addWidget(self.hosting)
        hosting_layout.addWidget(self.hosting_note)
        hosting_layout.addWidget(self.hosting_message)
        hosting_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setDocumentMode(True)
        self.general_tab = _scrolling(general, "generalSettingsTab")
        self.hosting_tab = _scrolling(hosting_page, "hostingSettingsTab")
        self.tabs.addTab(self.general_tab, "&General")
        self.tabs.addTab(self.hosting_tab, "&Image hosting")
        self.tabs.setTabToolTip(1, "Where local images go so APIXO can fetch them")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.remove_key_button.clicked.connect(self.on_remove_key_button_clicked)
        self.library_button.clicked.connect(self.on_library_button_clicked)
        self.base_url_reset.clicked.connect(self.on_base_url_reset_clicked)
        for edit in (self.library_edit, self.base_url_edit, self.cap_edit):
            edit.textChanged.connect(self.validate)
        for spin in (self.first_fast, self.first_quality, self.interval_min, self.interval_max):
            spin.valueChanged.connect(self.validate)
        self._show_key_status()
        self._show_spent_today()
        self.validate()

    def _build_hosting(self) -> HostingSettingsWidget:
        from veo_desktop.hosting import HostingConfig
        from veo_desktop.ui.hosting_settings import HostingSettingsWidget
        from veo_desktop.ui.session import app_s3_secrets

        session = self._session
        widget = HostingSettingsWidget(
            HostingConfig.from_settings(self._settings),
            secrets=session.secrets if session is not None else app_s3_secrets(),
            demo_origin=session.demo_origin if session is not None else None,
            parent=self,
        )
        self.hosting_note = MessageLabel(Tone.HINT, self, small=False)
        self.hosting_note.setObjectName("hostingSessionNote")
        if session is not None and session.demo_origin is not None:
            self.hosting_note.show_message(
                "Unless S3-compatible storage is chosen, local images go to the simulator "
                f"({session.demo_origin}) while it is the API."
            )
        widget.config_changed.connect(self.on_hosting_config_changed)
        return widget

    def preferred_height(self) -> int:
        """The height that shows the taller tab without scrolling (S3's fields included)."""
        general = self.general_tab.widget()
        hosting = self.hosting_tab.widget()
        content = general.sizeHint().height() if general is not None else 0
        if hosting is not None:
            fields = self.hosting.pages
            hidden = fields.sizeHint().height() + 24 if fields.isHidden() else 0
            content = max(content, hosting.sizeHint().height() + hidden)
        chrome = self.tabs.tabBar().sizeHint().height() + self.buttons.sizeHint().height()
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        extra = (margins.top() + margins.bottom()) if margins is not None else 20
        return content + chrome + extra + 24

    def sizeHint(self) -> QSize:
        """Room for the taller tab without scrolling, within the screen."""
        hint = super().sizeHint()
        height = self.preferred_height()
        screen = self.screen()
        if screen is not None:
            height = min(height, int(screen.availableGeometry().height() * 0.92))
        return QSize(max(hint.width(), 600), max(hint.height(), height))

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

    def spending_cap(self) -> tuple[bool, Decimal | None]:
        """Whether the cap field is valid, and the cap it holds (None: no cap)."""
        text = self.cap_edit.text().strip()
        if not text:
            return True, None
        cap = parse_cap(text)
        return cap is not None, cap

    def validate(self) -> bool:
        """Show each field's problem; enable OK only when there is none."""
        from veo_desktop.api.urls import url_problem

        cap_ok, _cap = self.spending_cap()
        self.cap_message.show_message(None if cap_ok else CAP_PROBLEM)
        ok = cap_ok
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
        _cap_ok, cap = self.spending_cap()
        library = Path(self.library_edit.text().strip()).expanduser()
        settings = dataclasses.replace(
            self._settings,
            library_dir=None if library == self._paths.library_dir else library,
            base_url=self.base_url_edit.text().strip().rstrip("/"),
            timing=timing,
            notifications=self.notifications_check.isChecked(),
            daily_spending_cap=cap,
            extra={k: v for k, v in self._settings.extra.items() if k != CAP_KEY},
        )
        key = self.key_edit.text().strip() or None
        return SettingsChange(settings=settings, new_key=key)

    # -- slots --------------------------------------------------------------------------

    def on_buttons_accepted(self) -> None:
        if self._accept_job is not None and not self._accept_job.done():
            return
        change = self.change()
        if change is None:
            return
        if not self.hosting.validate():
            self.tabs.setCurrentWidget(self.hosting_tab)
            self.hosting_message.show_message(
                "Fix the image hosting settings marked above, or choose URL only."
            )
            return
        self._set_accepting(True)
        self._accept_job = asyncio.ensure_future(self._accept(change))

    def on_hosting_config_changed(self) -> None:
        self.hosting_message.show_message(None)

    def done(self, result: int) -> None:
        """Close: a connection test, a keyring lookup or an OK still working stops."""
        self.hosting.cancel()
        job = self._accept_job
        if job is not None and not job.done() and job is not asyncio.current_task():
            job.cancel()
        super().done(result)

    async def _accept(self, change: SettingsChange) -> None:
        """Store a typed S3 secret and the hosting choice, re-host the session, then close."""
        from veo_desktop.hosting import HostingError

        typed_secret = self.hosting.pending_secret() is not None
        try:
            config = await self.hosting.apply(change.settings)
        except (HostingError, ValueError) as error:
            self._set_accepting(False)
            self.tabs.setCurrentWidget(self.hosting_tab)
            self.hosting_message.show_message(str(error))
            return
        self._rehost(config, typed_secret)
        self.settings_accepted.emit(change)
        self.accept()

    def _rehost(self, config: HostingConfig, typed_secret: bool) -> None:
        session = self._session
        if session is None or session.closed:
            return
        if typed_secret or config != session.hosting:
            log.info("image hosting changed: %s", config.provider.value)
            session.reconfigure_hosting(config)

    def _set_accepting(self, busy: bool) -> None:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if button is not None:
            button.setEnabled(not busy and self.validate())
        self.hosting.setEnabled(not busy)

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

    def _show_spent_today(self) -> None:
        session = self._session
        text = CAP_HINT
        if session is not None and not session.closed:
            spent = session.controller.spending_cap(self._settings).spent_today()
            text = f"{CAP_HINT} Spent today: {spent.text()}."
        self.cap_hint.show_message(text)

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
