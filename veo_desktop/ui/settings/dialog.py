"""Settings: the API key (keyring only), library folder, polling, notifications, the daily
spending cap, base URL, and, on their own tab, where local images are hosted.

The dialog is opened with ``open()`` (never ``exec()``, which breaks the asyncio loop) and
reports what changed through :attr:`SettingsDialog.settings_accepted`. On OK it first stores
a typed S3 secret and the hosting choice (into the accepted settings, which the window
saves) and hands the open session its new image hosting. The sections themselves live in
:mod:`~veo_desktop.ui.settings.key_section`, :mod:`~veo_desktop.ui.settings.general` and
:mod:`~veo_desktop.ui.settings.hosting`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import CAP_KEY
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.settings.general import (
    AdvancedSection,
    LibrarySection,
    PollingSection,
    SpendingSection,
)
from veo_desktop.ui.settings.key_section import ApiKeySection

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.hosting import HostingConfig
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.settings.hosting import HostingSettingsWidget

log = logging.getLogger(__name__)


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


class SettingsDialog(QDialog):
    """The settings window (non-blocking; emits :attr:`settings_accepted` on OK).

    Its sections: :attr:`api_key`, :attr:`library`, :attr:`polling`, :attr:`spending` and
    :attr:`advanced` on the General tab, :attr:`hosting` on the Image hosting tab.

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
        self._jobs = JobRegistry()
        self._accept_job: asyncio.Task[None] | None = None
        self._session = session if session is not None else _session_of(parent)

        self.api_key = ApiKeySection(
            key_store=key_store, key_source=key_source, keyring_ok=keyring_ok
        )
        self.library = LibrarySection(settings.library(paths), embed_recipe=settings.embed_recipe)
        self.polling = PollingSection(settings.timing, settings.notifications)
        self.spending = SpendingSection(settings.spending_cap())
        self.advanced = AdvancedSection(settings.base_url)
        general = QWidget()
        general.setObjectName("generalSettingsPage")
        general_layout = QVBoxLayout(general)
        general_layout.setSpacing(10)
        for box in (self.api_key, self.library, self.polling, self.spending, self.advanced):
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
        self.api_key.key_removed.connect(self.key_removed)
        for edit in (
            self.library.library_edit,
            self.advanced.base_url_edit,
            self.spending.cap_edit,
        ):
            edit.textChanged.connect(self.validate)
        for spin in self.polling.spin_boxes():
            spin.valueChanged.connect(self.validate)
        self._show_spent_today()
        self.validate()

    def _build_hosting(self) -> HostingSettingsWidget:
        from veo_desktop.hosting import HostingConfig
        from veo_desktop.ui.session import app_s3_secrets
        from veo_desktop.ui.settings.hosting import HostingSettingsWidget

        session = self._session
        widget = HostingSettingsWidget(
            HostingConfig.from_settings(self._settings),
            secrets=session.secrets if session is not None else app_s3_secrets(),
            demo_origin=session.demo_origin if session is not None else None,
            parent=self,
        )
        #: Where local images go while the simulator is the API (part of the hosting page).
        self.hosting_note = widget.simulator_note
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

    def validate(self) -> bool:
        """Show each field's problem; enable OK only when there is none."""
        sections = (self.spending, self.advanced, self.polling, self.library)
        ok = all([section.validate() for section in sections])
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if button is not None:
            button.setEnabled(ok)
        return ok

    def change(self) -> SettingsChange | None:
        """The accepted change, or None while a field is invalid."""
        if not self.validate():
            return None
        timing = self.polling.timing()
        assert timing is not None
        _cap_ok, cap = self.spending.spending_cap()
        library = self.library.folder()
        settings = dataclasses.replace(
            self._settings,
            library_dir=None if library == self._paths.library_dir else library,
            base_url=self.advanced.base_url(),
            timing=timing,
            notifications=self.polling.notifications(),
            embed_recipe=self.library.embed_recipe(),
            daily_spending_cap=cap,
            extra={k: v for k, v in self._settings.extra.items() if k != CAP_KEY},
        )
        return SettingsChange(settings=settings, new_key=self.api_key.new_key())

    # -- OK and closing ---------------------------------------------------------------------

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
        self._accept_job = self._jobs.start(self._accept(change), name="Applying the settings")

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

    def _show_spent_today(self) -> None:
        session = self._session
        if session is not None and not session.closed:
            spent = session.controller.spending_cap(self._settings).spent_today()
            self.spending.show_spent_today(spent.text())
