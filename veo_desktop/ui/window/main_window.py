"""The main window: Compose | Tasks and Prompts | Preview in splitters, menus, status bar,
demo banner.

Without a key the window shows the welcome panel; with one (or in demo mode) its
:class:`~veo_desktop.ui.window.session_manager.SessionManager` opens a session and the
window shows the workspace for it. Closing the window emits :attr:`MainWindow.closed`;
whoever runs the loop then awaits :meth:`MainWindow.aclose`, which cancels work, closes the
HTTP clients and leaves the store consistent.

The window composes; its parts decide: the session manager (sessions), the menu table
(:mod:`.menus`), the window-state keeper, the drop-to-restore filter, the settings flow,
the creative links between the panels, the template menu and the stopped-batch offers.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.ui import style
from veo_desktop.ui.window.menu_attributes import WindowMenus

if TYPE_CHECKING:
    # The window paints before anything else loads (``veo_desktop.ui.main``): its frame
    # needs only the modules above. Its parts (menus, sessions, dialogs), the status bar,
    # the welcome panel and the workspace's modules (engine, HTTP, QtMultimedia, video
    # decoding) are imported where they are first used, after the first paint.
    import asyncio

    from PySide6.QtGui import (
        QCloseEvent,
        QDragEnterEvent,
        QDragMoveEvent,
        QDropEvent,
        QPaintEvent,
    )
    from PySide6.QtWidgets import QDialog

    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.ui.compose.panel import ComposePanel
    from veo_desktop.ui.extend_dialog import ExtendDialog
    from veo_desktop.ui.history_panel import HistoryPanel
    from veo_desktop.ui.preview.panel import PreviewPanel
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.status_bar import StatusBar
    from veo_desktop.ui.tasks.batch_offer import BatchOffer
    from veo_desktop.ui.tasks.panel import TaskPanel
    from veo_desktop.ui.welcome import WelcomePanel
    from veo_desktop.ui.window.batch_offers import StoppedBatchOffers
    from veo_desktop.ui.window.creative import CreativeLinks
    from veo_desktop.ui.window.drop_restore import DropRestoreFilter
    from veo_desktop.ui.window.pages import WindowPages
    from veo_desktop.ui.window.session_manager import SessionManager
    from veo_desktop.ui.window.settings_flow import SettingsFlow
    from veo_desktop.ui.window.templates import TemplateMenu
    from veo_desktop.ui.window.workspace_host import WorkspaceHost
    from veo_desktop.ui.window_parts import DemoBanner, MessagePage
    from veo_desktop.ui.workspace import Workspace

log = logging.getLogger(__name__)

APP_TITLE = "Veo Desktop"
#: Wait this long for a submission under way before closing (its answer holds a task id).
CLOSE_SUBMIT_GRACE = 15.0


class MainWindow(QMainWindow, WindowMenus):
    """The app's window. Build it with :func:`veo_desktop.app.create_main_window`.

    Args:
        paths: the app's directories.
        settings: the settings in effect (saved when changed).
        base_url: the API root for sessions opened with a key.
        key_store: the keyring access.
        chrome: build the menus, status bar and banner now; ``False`` leaves the bare
            frame ("Opening your workspace…") to paint first, and the caller then calls
            :meth:`build_chrome` (``veo-desktop`` does).

    Signals:
        first_painted: the window has painted for the first time.
        workspace_usable: a session's workspace has painted (prompt editable, tasks listed).
        closed: the window was closed; the owner awaits :meth:`aclose`.
        session_started: a session finished starting (tasks recovered, balance asked).
    """

    first_painted = Signal()
    workspace_usable = Signal(object)
    closed = Signal()
    session_started = Signal(object)

    # Made by build_chrome.
    banner: DemoBanner
    message_page: MessagePage
    status: StatusBar
    sessions: SessionManager
    settings_flow: SettingsFlow
    links: CreativeLinks
    templates: TemplateMenu
    stopped_batches: StoppedBatchOffers
    drops: DropRestoreFilter
    host: WorkspaceHost
    pages: WindowPages

    def __init__(
        self,
        *,
        paths: AppPaths,
        settings: Settings,
        base_url: str,
        key_store: KeyStore | None = None,
        chrome: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName(APP_TITLE)
        self.setMinimumSize(960, 600)
        self.paths = paths
        self.settings = settings
        self.base_url = base_url
        self._key_store = key_store
        self.workspace: Workspace | None = None
        self._closing = False
        self._closed = False
        self.setAcceptDrops(True)
        self._painted = False

        # The frame: what the first paint shows.
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("mainStack")
        self.loading = QLabel("Opening your workspace…", self)
        self.loading.setObjectName("loadingLabel")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        style.follow_hint_color(self.loading)
        self.stack.addWidget(self.loading)
        central = QWidget(self)
        self._column = QVBoxLayout(central)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        from veo_desktop.ui.window.window_state import WindowStateKeeper

        self._state = WindowStateKeeper(self)
        self._state.restore_geometry()
        self._chrome_built = False
        if chrome:
            self.build_chrome()

    def build_chrome(self) -> None:
        """Add the demo banner, the message page, the status bar, the menus and the parts
        the window delegates to (once)."""
        if self._chrome_built:
            return
        self._chrome_built = True
        from veo_desktop.ui.status_bar import StatusBar
        from veo_desktop.ui.window import menus
        from veo_desktop.ui.window.batch_offers import StoppedBatchOffers
        from veo_desktop.ui.window.creative import CreativeLinks
        from veo_desktop.ui.window.drop_restore import DropRestoreFilter
        from veo_desktop.ui.window.import_flow import ImportFlow
        from veo_desktop.ui.window.pages import WindowPages
        from veo_desktop.ui.window.session_manager import SessionManager
        from veo_desktop.ui.window.settings_flow import SettingsFlow
        from veo_desktop.ui.window.templates import TemplateMenu
        from veo_desktop.ui.window.workspace_host import WorkspaceHost
        from veo_desktop.ui.window_parts import DemoBanner, MessagePage

        self.banner = DemoBanner(self)
        self.banner.setVisible(False)
        self.banner.use_key_requested.connect(self.show_welcome_sheet)
        self._column.insertWidget(0, self.banner)
        self.message_page = MessagePage(self)
        self.stack.addWidget(self.message_page)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.sessions = SessionManager(
            paths=self.paths,
            settings=lambda: self.settings,
            base_url=lambda: self.base_url,
            parent=self,
        )
        self.sessions.opened.connect(self.on_sessions_opened)
        self.sessions.started.connect(self.on_sessions_started)
        self.sessions.closing.connect(self.on_sessions_closing)
        self.settings_flow = SettingsFlow(self)
        self.links = CreativeLinks(self)
        self.import_flow = ImportFlow(self)
        self.templates = TemplateMenu(
            lambda: self.use_template_menu, lambda: self.workspace, self.status.showMessage
        )
        self.stopped_batches = StoppedBatchOffers(self.spending_cap, self.status.showMessage)
        self.drops = DropRestoreFilter(lambda: self.session is not None, self)
        self.drops.restore_requested.connect(self.links.restore_settings_from)
        menus.build_menus(self)
        self.host = WorkspaceHost(self, self._state)
        self.pages = WindowPages(self)
        self.sessions.failed.connect(self.pages.show_failure)
        self.sessions.job_failed.connect(self.pages.show_job_failure)
        self._update_actions()

    # -- what tests and the app read ------------------------------------------------------

    @property
    def welcome(self) -> WelcomePanel:
        """The first-run panel ("Enter API key" / "Try the demo"), made when first needed."""
        return self.pages.panel

    @property
    def welcome_sheet(self) -> QDialog | None:
        """The welcome sheet over the demo, while it is open."""
        return self.pages.sheet

    @property
    def session(self) -> Session | None:
        return self.sessions.session if self._chrome_built else None

    @property
    def key_source(self) -> KeySource:
        return self.sessions.key_source if self._chrome_built else KeySource.NONE

    @key_source.setter
    def key_source(self, source: KeySource) -> None:
        self.sessions.key_source = source

    @property
    def closing(self) -> bool:
        """Whether the window has been closed (or is closing)."""
        return self._closing

    @property
    def closed_for_good(self) -> bool:
        """Whether :meth:`aclose` has finished."""
        return self._closed

    @property
    def key_store(self) -> KeyStore:
        """The keyring access (the keyring module loads on first use)."""
        if self._key_store is None:
            from veo_desktop.core.secrets import KeyStore

            self._key_store = KeyStore()
        return self._key_store

    @property
    def compose_panel(self) -> ComposePanel | None:
        return self.workspace.compose_panel if self.workspace else None

    @property
    def task_panel(self) -> TaskPanel | None:
        return self.workspace.task_panel if self.workspace else None

    @property
    def preview_panel(self) -> PreviewPanel | None:
        return self.workspace.preview_panel if self.workspace else None

    @property
    def history_panel(self) -> HistoryPanel | None:
        return self.workspace.history_panel if self.workspace else None

    @property
    def is_demo(self) -> bool:
        return self.session is not None and self.session.demo

    @property
    def batch_offers(self) -> list[BatchOffer]:
        """Offers to send the rest of stopped batches (shown above the task list)."""
        return self.stopped_batches.offers

    @property
    def extend_dialog(self) -> ExtendDialog | None:
        """The extend dialog opened from the history or a dropped file (while open)."""
        return self.links.extend_dialog

    def spending_cap(self) -> SpendingCap | None:
        """The daily spending cap set in Settings, over this session's tasks."""
        session = self.session
        return None if session is None else session.controller.spending_cap(self.settings)

    def run(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as one of the window's jobs (a failure is shown)."""
        return self.sessions.run(coro, name)

    def set_notifications(self, enabled: bool) -> None:
        if self.host.notifier is not None:
            self.host.notifier.enabled = enabled

    # -- sessions -----------------------------------------------------------------------

    def show_welcome(self, problem: str | None = None) -> None:
        """Show the first-run panel (no session)."""
        self.pages.show(problem)
        self._update_actions()

    def start_demo_with_welcome(self) -> None:
        """No key anywhere: open the demo at once and, the first time, offer the key on a
        welcome sheet.

        A newcomer lands in a working app (the demo, no charges) and gets the welcome
        panel's two choices: "Enter API key" or "Continue in the demo". Once the sheet was
        closed it does not come back by itself; the demo bar's "Use your API key…" opens it.
        """
        self.start_demo()
        if not self.pages.welcome_seen:
            self.show_welcome_sheet()

    def show_welcome_sheet(self) -> None:
        """The welcome panel as a window-modal sheet over the workspace (``open()``)."""
        self.pages.show_sheet()

    def open_with_key(self, api_key: str, *, source: KeySource) -> None:
        """Open a session with ``api_key`` against :attr:`base_url` (closing the current
        one first); the workspace shows at once and the session starts in the background."""
        self.sessions.open_with_key(api_key, source=source)

    def start_demo(self) -> None:
        """Open a session against the embedded simulator (no key, no charges)."""
        self.sessions.start_demo()

    async def close_session(self) -> None:
        """Close the current session (its tasks resume when a session opens again)."""
        await self.sessions.close_session()

    def on_sessions_opened(self, session: Session) -> None:
        """Show the workspace for an opened session (it starts in the background)."""
        self.workspace = self.host.show(session)
        self.workspace.first_painted.connect(self.on_workspace_first_painted)
        self._update_actions()
        self.workspace.compose_panel.prompt_edit.setFocus()

    def on_workspace_first_painted(self) -> None:
        if self.workspace is not None and self.session is not None:
            self.workspace_usable.emit(self.session)

    def on_sessions_started(self, session: Session) -> None:
        if self.workspace is not None:
            self.workspace.build_deferred()  # by now, even if the window was never painted
        self.session_started.emit(session)
        self.run(
            self.stopped_batches.offer(
                session, lambda: self.task_panel if self.session is session else None
            ),
            "Offering stopped batches",
        )

    def on_sessions_closing(self, session: Session | None) -> None:
        """Take the workspace down before the session's parts close."""
        workspace, self.workspace = self.workspace, None
        self.stopped_batches.shutdown()
        self.links.close_extend_dialog()
        self.host.take_down(session, workspace)
        self._update_actions()

    async def aclose(self) -> None:
        """Cancel work and close everything the window opened (call once, after close)."""
        import asyncio

        self._closing = True
        compose = self.compose_panel
        if compose is not None:
            try:
                await asyncio.wait_for(compose.wait_submitted(), CLOSE_SUBMIT_GRACE)
            except TimeoutError:
                log.warning("closing while a submission is still unanswered")
        await self.sessions.aclose()
        self._save_state()
        self.settings_flow.close_dialog()
        self._closed = True

    # -- slots --------------------------------------------------------------------------

    def on_compose_validity_changed(self, _valid: bool) -> None:
        self._update_actions()

    # -- events -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        event.accept()
        if not self._closing:
            self._closing = True
            if self._chrome_built:
                self.sessions.shutting_down = True
            self.closed.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.isActiveWindow()
            and self.session is not None
            and self.compose_panel is not None
        ):
            self.compose_panel.refresh_balance()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not (self._chrome_built and self.drops.take(event)):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not (self._chrome_built and self.drops.take(event)):
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not (self._chrome_built and self.drops.take(event)):
            super().dropEvent(event)

    # -- internals ----------------------------------------------------------------------

    def _update_actions(self) -> None:
        from veo_desktop.ui.window.menus import update_actions

        update_actions(self, self.compose_panel)

    def _save_state(self) -> None:
        if not self._closed:
            self._state.save(self.workspace)
