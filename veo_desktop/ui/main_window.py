"""The main window: Compose | Tasks | Preview in splitters, menus, status bar, demo banner.

Without a key the window shows the welcome panel; with one (or in demo mode) it opens a
:class:`~veo_desktop.ui.session.Session` and builds the workspace for it. Closing the window
emits :attr:`MainWindow.closed`; whoever runs the loop then awaits :meth:`MainWindow.aclose`,
which cancels work, closes the HTTP clients and leaves the store consistent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QMetaObject, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop import logs
from veo_desktop.core.paths import AppPaths
from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.settings_dialog import (
    KeySource,
    SettingsChange,
    SettingsDialog,
    keyring_display_name,
    no_keyring_text,
)
from veo_desktop.ui.status_bar import StatusBar
from veo_desktop.ui.welcome import WelcomePanel

if TYPE_CHECKING:
    # The workspace's modules (engine, HTTP, QtMultimedia, video decoding) load when the
    # first session opens, so the window itself paints early.
    from veo_desktop.core.records import TaskRecord
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.ui.compose.panel import ComposePanel
    from veo_desktop.ui.notifications import TaskNotifier
    from veo_desktop.ui.preview.panel import PreviewPanel
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.tasks.panel import TaskPanel

log = logging.getLogger(__name__)

APP_TITLE = "Veo Desktop"
DEMO_BANNER_TEXT = "Demo: simulated API, no charges"
#: Wait this long for a submission under way before closing (its answer holds a task id).
CLOSE_SUBMIT_GRACE = 15.0
_WINDOW_STATE_KEY = "window"


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


class Workspace(QWidget):
    """Compose | Tasks | Preview for one session."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        from veo_desktop.ui.compose.panel import ComposePanel
        from veo_desktop.ui.preview.panel import PreviewPanel
        from veo_desktop.ui.tasks.panel import TaskPanel
        from veo_desktop.ui.thumbnails import ThumbnailCache

        super().__init__(parent)
        self.setObjectName("workspace")
        self.thumbnails = ThumbnailCache(session.paths.cache_dir / "thumbnails", parent=self)
        self.compose_panel = ComposePanel(session.controller, session.uploader)
        self.task_panel = TaskPanel(session.controller, thumbnails=self.thumbnails)
        self.preview_panel = PreviewPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        for panel, stretch in (
            (self.compose_panel, 0),
            (self.task_panel, 3),
            (self.preview_panel, 2),
        ):
            self.splitter.addWidget(panel)
            self.splitter.setStretchFactor(self.splitter.indexOf(panel), stretch)
        self.task_panel.setContentsMargins(10, 8, 8, 6)
        self.preview_panel.setContentsMargins(8, 8, 10, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.user_sized = False
        self.splitter.splitterMoved.connect(self.on_splitter_splitter_moved)
        self.task_panel.current_task_changed.connect(self.preview_panel.show_task)
        self.task_panel.reuse_requested.connect(self.compose_panel.load_task)

    def restore_sizes(self, state: QByteArray) -> None:
        """Use the splitter sizes the person left last time."""
        self.user_sized = self.splitter.restoreState(state)

    def on_splitter_splitter_moved(self, _pos: int, _index: int) -> None:
        self.user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.user_sized:
            self.fit(event.size().width())

    def shutdown(self) -> None:
        """Stop uploads, playback, the clock and the thumbnail worker (the session closes)."""
        self.compose_panel.cancel()
        self.task_panel.shutdown()
        self.preview_panel.shutdown()
        self.thumbnails.close()

    def fit(self, width: int) -> None:
        """Share ``width`` sensibly: the composer fixed-ish, the rest split 3:2."""
        compose = max(self.compose_panel.minimumSizeHint().width(), min(420, int(width * 0.3)))
        rest = max(0, width - compose)
        tasks = rest * 3 // 5
        self.splitter.setSizes([compose, tasks, rest - tasks])


class MainWindow(QMainWindow):
    """The app's window. Build it with :func:`veo_desktop.app.create_main_window`.

    Args:
        paths: the app's directories.
        settings: the settings in effect (saved when changed).
        base_url: the API root for sessions opened with a key.
        key_store: the keyring access.

    Signals:
        closed: the window was closed; the owner awaits :meth:`aclose`.
        session_started: a session finished starting (tasks recovered, balance asked).
    """

    closed = Signal()
    session_started = Signal(object)

    def __init__(
        self,
        *,
        paths: AppPaths,
        settings: Settings,
        base_url: str,
        key_store: KeyStore | None = None,
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
        self.key_source = KeySource.NONE
        self.session: Session | None = None
        self.workspace: Workspace | None = None
        self._session_key: str | None = None
        self._jobs: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._closed = False
        self._switching = False
        self._settings_dialog: SettingsDialog | None = None
        self._notifier: TaskNotifier | None = None
        self._connections: list[QMetaObject.Connection] = []

        self.banner = DemoBanner(self)
        self.banner.setVisible(False)
        self.welcome = WelcomePanel(self)
        self.message_page = MessagePage(self)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("mainStack")
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.message_page)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._build_menus()
        self._restore_geometry()

        self.loading = MessageLabel(Tone.HINT, self, small=False)
        self.loading.setObjectName("loadingLabel")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading.show_message("Opening your workspace…")
        self.stack.addWidget(self.loading)
        self.stack.setCurrentWidget(self.loading)
        self._after_paint: Callable[[], Coroutine[Any, Any, None]] | None = None

        self.welcome.key_entered.connect(self.on_welcome_key_entered)
        self.welcome.demo_requested.connect(self.on_welcome_demo_requested)
        self.banner.use_key_requested.connect(self.show_welcome_sheet)
        self.welcome_sheet: QDialog | None = None
        self._update_actions()

    # -- what tests and the app read ------------------------------------------------------

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
    def is_demo(self) -> bool:
        return self.session is not None and self.session.demo

    @property
    def closed_for_good(self) -> bool:
        """Whether :meth:`aclose` has finished."""
        return self._closed

    @property
    def jobs(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._jobs)

    # -- sessions -----------------------------------------------------------------------

    def show_welcome(self, problem: str | None = None) -> None:
        """Show the first-run panel (no session)."""
        self.welcome.set_storage_note(self._key_storage_note())
        self.welcome.show_problem(problem)
        self.welcome.set_busy(False)
        self.stack.setCurrentWidget(self.welcome)
        self._update_actions()

    def start_demo_with_welcome(self) -> None:
        """No key anywhere: open the demo at once and offer the key on a first-run sheet.

        A newcomer lands in a working app (the demo, no charges) and still gets the
        welcome panel's two choices: "Enter API key" or "Try the demo" (stay here).
        """
        self.start_demo()
        self.show_welcome_sheet()

    def show_welcome_sheet(self) -> None:
        """The welcome panel as a window-modal sheet over the workspace (``open()``)."""
        if self.welcome_sheet is not None:
            self.welcome_sheet.raise_()
            self.welcome_sheet.activateWindow()
            return
        sheet = QDialog(self)
        sheet.setObjectName("welcomeSheet")
        sheet.setWindowTitle("Welcome to Veo Desktop")
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel = WelcomePanel(sheet)
        if (panel_layout := panel.layout()) is not None:
            panel_layout.setContentsMargins(0, 0, 0, 0)  # the dialog is the frame here
        panel.set_storage_note(self._key_storage_note())
        layout = QVBoxLayout(sheet)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(panel)

        def on_key_entered(key: str) -> None:
            sheet.accept()
            self.on_welcome_key_entered(key)

        panel.key_entered.connect(on_key_entered)
        panel.demo_requested.connect(sheet.reject)
        sheet.finished.connect(self.on_welcome_sheet_finished)
        self.welcome_sheet = sheet
        sheet.open()

    def on_welcome_sheet_finished(self, _result: int) -> None:
        self.welcome_sheet = None

    def _key_storage_note(self) -> str:
        if self.key_store.available:
            return f"The key will be stored in {keyring_display_name(self.key_store)}."
        return no_keyring_text()

    def open_with_key(self, api_key: str, *, source: KeySource) -> None:
        """Open a session with ``api_key`` against :attr:`base_url`.

        With no session open, the workspace is built at once (its start runs in the
        background); otherwise the current session is closed first.
        """
        logs.register_secret(api_key)
        self._session_key = api_key
        self.key_source = source
        self._open(
            lambda: _session_module().open_session(
                paths=self.paths, settings=self.settings, base_url=self.base_url, api_key=api_key
            ),
            "Opening the workspace",
        )

    def start_demo(self) -> None:
        """Open a session against the embedded simulator (no key, no charges)."""
        self.key_source = KeySource.DEMO
        self._session_key = None
        self._open(
            lambda: _session_module().open_demo_session(self.paths, self.settings),
            "Starting the demo",
        )

    def start_after_first_paint(self, opener: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``opener`` (which opens a session or the welcome panel) once the window has
        painted, so the window appears before the workspace's modules and data load."""
        self._after_paint = opener

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        opener, self._after_paint = self._after_paint, None
        if opener is not None:
            QTimer.singleShot(0, lambda: None if self._closing else self._run(opener(), "Starting"))

    def _open(self, factory: Callable[[], Session], name: str) -> None:
        if self._closing:
            return
        if self.session is None and not self._switching:
            self._install(factory)
        else:
            self._run(self._switch(factory), name)

    def install_session(self, session: Session) -> None:
        """Show the workspace for an opened session and start it (recovery, balance)."""
        self.session = session
        self.workspace = Workspace(session)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self._restore_splitter()
        self.banner.setVisible(session.demo)
        self.status.attach(session.controller)
        from veo_desktop.ui.notifications import TaskNotifier

        self._notifier = TaskNotifier(session.controller, self, self.windowIcon(), self)
        self._notifier.enabled = self.settings.notifications
        self._notifier.activated.connect(self.on_notifier_activated)
        session.controller.action_failed.connect(self.on_controller_action_failed)
        compose = self.workspace.compose_panel
        for shortcut in compose.generate_shortcuts:
            shortcut.setEnabled(False)  # the window's Generate action carries Ctrl+Enter
        compose.submitted.connect(self.on_compose_submitted)
        compose.validity_changed.connect(self.on_compose_validity_changed)
        compose.prompt_edit.undoAvailable.connect(self.undo_action.setEnabled)
        compose.prompt_edit.redoAvailable.connect(self.redo_action.setEnabled)
        self._connections = [
            self.generate_action.triggered.connect(compose.generate),
            self.new_prompt_action.triggered.connect(compose.clear_form),
            self.refresh_balance_action.triggered.connect(compose.refresh_balance),
            self.undo_action.triggered.connect(compose.prompt_edit.undo),
            self.redo_action.triggered.connect(compose.prompt_edit.redo),
        ]
        where = "demo" if session.demo else _host_of(session.base_url)
        self.setWindowTitle(f"{APP_TITLE} — {where}" if where else APP_TITLE)
        self._update_actions()
        self._run(self._start(session), "Starting the session")
        compose.prompt_edit.setFocus()

    async def close_session(self) -> None:
        """Close the current session (its tasks resume when a session opens again)."""
        session, workspace = self.session, self.workspace
        self.session = None
        self.workspace = None
        if workspace is not None:
            self._save_splitter(workspace)
            workspace.shutdown()
            for connection in self._connections:
                QObject.disconnect(connection)
            self._connections = []
            self.stack.removeWidget(workspace)
            workspace.hide()
            workspace.deleteLater()
        self.status.detach()
        self.banner.setVisible(False)
        self._update_actions()
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.close()
            notifier.deleteLater()
        if session is not None:
            session.controller.action_failed.disconnect(self.on_controller_action_failed)
            await session.aclose()

    async def aclose(self) -> None:
        """Cancel work and close everything the window opened (call once, after close)."""
        self._closing = True
        compose = self.compose_panel
        if compose is not None:
            try:
                await asyncio.wait_for(compose.wait_submitted(), CLOSE_SUBMIT_GRACE)
            except TimeoutError:
                log.warning("closing while a submission is still unanswered")
        for job in list(self._jobs):
            if job is not asyncio.current_task():
                job.cancel()
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)
        await self.close_session()
        self._save_geometry()
        if self._settings_dialog is not None:
            self._settings_dialog.close()
        self._closed = True

    # -- slots --------------------------------------------------------------------------

    def on_welcome_key_entered(self, key: str) -> None:
        self.welcome.set_busy(True)
        self._run(self._store_key_and_open(key), "Storing the key")

    def on_welcome_demo_requested(self) -> None:
        self.welcome.set_busy(True)
        self.start_demo()

    def on_compose_submitted(self, task: TaskRecord) -> None:
        if self.task_panel is not None:
            self.task_panel.select_task(task.local_id)
        self.status.showMessage(f"Submitted “{_short(task.prompt)}”", 6000)

    def on_compose_validity_changed(self, valid: bool) -> None:
        self._update_actions()

    def on_controller_action_failed(self, title: str, message: str) -> None:
        self.status.showMessage(f"{title}: {message}", 15000)

    def on_notifier_activated(self, local_id: str) -> None:
        if self.task_panel is not None:
            self.task_panel.select_task(local_id)

    def on_settings_triggered(self) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.raise_()
            self._settings_dialog.activateWindow()
            return
        dialog = SettingsDialog(
            settings=self.settings,
            paths=self.paths,
            key_store=self.key_store,
            key_source=self.key_source,
            keyring_ok=self.key_store.available,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settings_accepted.connect(self.on_settings_dialog_settings_accepted)
        dialog.key_removed.connect(self.on_settings_dialog_key_removed)
        dialog.finished.connect(self.on_settings_dialog_finished)
        self._settings_dialog = dialog
        dialog.open()

    def on_settings_dialog_finished(self, _result: int) -> None:
        self._settings_dialog = None

    def on_settings_dialog_key_removed(self) -> None:
        if self.key_source is KeySource.KEYRING:
            self.key_source = KeySource.SESSION
        self.status.showMessage("The key was removed from the keyring.", 8000)

    def on_settings_dialog_settings_accepted(self, change: SettingsChange) -> None:
        self._run(self._apply_settings(change), "Applying the settings")

    # -- events -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        event.accept()
        if not self._closing:
            self._closing = True
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

    # -- internals ----------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_prompt_action = self._action(
            "newPromptAction",
            "&New prompt",
            QKeySequence.StandardKey.New,
            "Empty the prompt and the images, keeping the options",
        )
        self.generate_action = self._action(
            "generateAction",
            "&Generate",
            "Ctrl+Return",
            "Submit the video to APIXO (billed when APIXO accepts it)",
        )
        self.generate_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.settings_action = self._action(
            "settingsAction",
            "&Settings…",
            QKeySequence.StandardKey.Preferences,
            "API key, library folder, polling, notifications",
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action(
            "quitAction",
            "&Quit",
            QKeySequence.StandardKey.Quit,
            "Close Veo Desktop; tasks in flight resume at the next start",
        )
        if self.quit_action.shortcut().isEmpty():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for action in (self.new_prompt_action, self.generate_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.settings_action.triggered.connect(self.on_settings_triggered)
        self.quit_action.triggered.connect(self.close)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._action(
            "undoAction",
            "&Undo",
            QKeySequence.StandardKey.Undo,
            "Undo the last change to the prompt",
        )
        self.redo_action = self._action(
            "redoAction", "&Redo", QKeySequence.StandardKey.Redo, "Redo the change to the prompt"
        )
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            edit_menu.addAction(action)

        view_menu = bar.addMenu("&View")
        self.refresh_balance_action = self._action(
            "refreshBalanceAction",
            "&Refresh balance",
            QKeySequence.StandardKey.Refresh,
            "Ask APIXO for the current balance",
        )
        if self.refresh_balance_action.shortcut().isEmpty():
            self.refresh_balance_action.setShortcut(QKeySequence("F5"))
        self.focus_prompt_action = self._action(
            "focusPromptAction", "Go to &prompt", "Ctrl+L", "Move the keyboard focus to the prompt"
        )
        self.focus_prompt_action.triggered.connect(self.on_focus_prompt_triggered)
        view_menu.addAction(self.refresh_balance_action)
        view_menu.addAction(self.focus_prompt_action)
        self.task_menu: QMenu = bar.addMenu("&Task")
        self.task_menu.aboutToShow.connect(self.on_task_menu_about_to_show)
        from veo_desktop.ui.help_menu import build_help_menu

        self.help_menu = build_help_menu(self, self.paths)
        bar.addMenu(self.help_menu)
        self._update_actions()

    def _action(self, name: str, text: str, keys: Any, tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        self.addAction(action)
        return action

    def on_focus_prompt_triggered(self) -> None:
        if self.compose_panel is not None:
            self.compose_panel.prompt_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def on_task_menu_about_to_show(self) -> None:
        self.task_menu.clear()
        if self.task_panel is not None:
            self.task_panel.fill_menu(self.task_menu)

    def _update_actions(self) -> None:
        compose = self.compose_panel
        has_session = compose is not None
        self.generate_action.setEnabled(has_session and compose is not None and compose.is_valid)
        self.new_prompt_action.setEnabled(has_session)
        self.refresh_balance_action.setEnabled(has_session)
        self.focus_prompt_action.setEnabled(has_session)
        self.task_menu.setEnabled(has_session)
        if compose is None:
            self.undo_action.setEnabled(False)
            self.redo_action.setEnabled(False)
        else:
            document = compose.prompt_edit.document()
            self.undo_action.setEnabled(document.isUndoAvailable())
            self.redo_action.setEnabled(document.isRedoAvailable())
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(
                Qt.ShortcutContext.WindowShortcut
                if has_session
                else Qt.ShortcutContext.WidgetShortcut
            )

    def _run(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._jobs.add(task)
        task.add_done_callback(self._on_job_done)
        return task

    def _on_job_done(self, task: asyncio.Task[Any]) -> None:
        self._jobs.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s failed", task.get_name(), exc_info=error)
            self._show_failure(task.get_name(), str(error))

    def _show_failure(self, what: str, message: str) -> None:
        self.message_page.show_message(
            f"{what} failed",
            message or "An unexpected error; see the log.",
            "Back",
            self.show_welcome,
        )
        if self.workspace is None:
            self.stack.setCurrentWidget(self.message_page)
        else:
            self.status.showMessage(f"{what} failed: {message}", 15000)

    async def _switch(self, factory: Callable[[], Session]) -> None:
        self._switching = True
        try:
            await self.close_session()
        finally:
            self._switching = False
        if not self._closing:
            self._install(factory)

    def _install(self, factory: Callable[[], Session]) -> None:
        from veo_desktop.storage.store import StoreError

        try:
            session = factory()
        except (OSError, ValueError, RuntimeError, StoreError) as error:
            log.warning("could not open the session: %s", error)
            self.message_page.show_message(
                "The workspace could not open", str(error), "Back", self.show_welcome
            )
            self.stack.setCurrentWidget(self.message_page)
            return
        self.install_session(session)

    async def _start(self, session: Session) -> None:
        from veo_desktop.core.engine import EngineBusyError

        try:
            await session.start()
        except EngineBusyError as error:
            if self.session is not session:
                return
            await self.close_session()
            self.message_page.show_message(
                "Veo Desktop is already open", str(error), "Try again", self._retry_session
            )
            self.stack.setCurrentWidget(self.message_page)
            return
        if self.session is session:
            log.info("session started (%s)", "demo" if session.demo else session.base_url)
            self.session_started.emit(session)

    def _retry_session(self) -> None:
        if self.key_source is KeySource.DEMO:
            self.start_demo()
        elif self._session_key:
            self.open_with_key(self._session_key, source=self.key_source)
        else:
            self.show_welcome()

    async def _store_key_and_open(self, key: str) -> None:
        from veo_desktop.core.secrets import KeyringUnavailableError

        source = KeySource.SESSION
        if self.key_store.available:
            try:
                await self.key_store.aset(key)
                source = KeySource.KEYRING
            except KeyringUnavailableError as error:
                self.status.showMessage(f"{error} The key is kept for this session only.", 15000)
        self.open_with_key(key, source=source)

    async def _apply_settings(self, change: SettingsChange) -> None:
        from veo_desktop.core.secrets import KeyringUnavailableError

        old = self.settings
        self.settings = change.settings
        if self._notifier is not None:
            self._notifier.enabled = change.settings.notifications
        try:
            self.settings.save(self.paths)
        except OSError as error:
            self.status.showMessage(f"The settings could not be saved: {error}", 15000)
        key = self._session_key
        source = self.key_source
        if change.new_key and self.key_source is not KeySource.DEMO:
            key = change.new_key
            source = KeySource.SESSION
            if self.key_store.available:
                try:
                    await self.key_store.aset(key)
                    source = KeySource.KEYRING
                except KeyringUnavailableError as error:
                    self.status.showMessage(f"{error} The key is kept for this session only.")
        base_changed = change.settings.base_url != old.base_url
        if base_changed:
            self.base_url = change.settings.base_url
        needs_restart = (
            key != self._session_key
            or base_changed
            or change.settings.library(self.paths) != old.library(self.paths)
            or change.settings.timing != old.timing
        )
        if self.key_source is KeySource.DEMO:
            if needs_restart and change.settings.library_dir == old.library_dir:
                self.status.showMessage("Demo mode keeps its own library and timing.", 8000)
            return
        if key and (needs_restart or self.session is None):
            self.open_with_key(key, source=source)
        else:
            self.key_source = source

    # -- window state ---------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        state = self.settings.extra.get(_WINDOW_STATE_KEY)
        geometry = state.get("geometry") if isinstance(state, dict) else None
        if isinstance(geometry, str) and self.restoreGeometry(_decode(geometry)):
            return
        self.resize(1280, 800)

    def _restore_splitter(self) -> None:
        state = self.settings.extra.get(_WINDOW_STATE_KEY)
        splitter = state.get("splitter") if isinstance(state, dict) else None
        if isinstance(splitter, str) and self.workspace is not None:
            self.workspace.restore_sizes(_decode(splitter))

    def _save_splitter(self, workspace: Workspace) -> None:
        if not workspace.user_sized:
            return
        state = dict(self.settings.extra.get(_WINDOW_STATE_KEY) or {})
        state["splitter"] = _encode(workspace.splitter.saveState())
        self.settings.extra[_WINDOW_STATE_KEY] = state

    def _save_geometry(self) -> None:
        if self._closed:
            return
        state = dict(self.settings.extra.get(_WINDOW_STATE_KEY) or {})
        state["geometry"] = _encode(self.saveGeometry())
        if self.workspace is not None and self.workspace.user_sized:
            state["splitter"] = _encode(self.workspace.splitter.saveState())
        self.settings.extra[_WINDOW_STATE_KEY] = state
        try:
            self.settings.save(self.paths)
        except OSError as error:
            log.warning("could not save the window state: %s", error)


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return QByteArray()


def _session_module() -> Any:
    from veo_desktop.ui import session

    return session


def _host_of(base_url: str) -> str:
    from urllib.parse import urlsplit

    from veo_desktop.api.urls import is_loopback_host

    host = urlsplit(base_url).hostname or ""
    if is_loopback_host(host):
        return "local simulator"
    return "" if host == "api.apixo.ai" else host


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
