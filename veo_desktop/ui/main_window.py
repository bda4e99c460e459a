"""The main window: Compose | Tasks and Prompts | Preview in splitters, menus, status bar,
demo banner.

Without a key the window shows the welcome panel; with one (or in demo mode) it opens a
:class:`~veo_desktop.ui.session.Session` and builds the workspace for it. Closing the window
emits :attr:`MainWindow.closed`; whoever runs the loop then awaits :meth:`MainWindow.aclose`,
which cancels work, closes the HTTP clients and leaves the store consistent.

The creative workflow is wired here: the prompt history and saved prompts beside the task
list (and in the Prompts menu), a still from the preview into the composer's frame slots,
one of our videos (or its ``.json``) dropped anywhere restoring its settings, and at
start-up a non-blocking offer to send the rest of a batch that was stopped.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QMetaObject, QMimeData, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.safe_text import safe_line
from veo_desktop.ui import style

if TYPE_CHECKING:
    # The window paints before anything else loads (``veo_desktop.ui.main``): its frame
    # needs only the modules above. asyncio, the menus' and dialogs' Qt classes (PySide
    # builds each class's Python enums when it is first imported), the status bar, the
    # welcome panel and the workspace's modules (engine, HTTP, QtMultimedia, video
    # decoding) are imported where they are first used.
    import asyncio

    from PySide6.QtGui import (
        QAction,
        QCloseEvent,
        QDragEnterEvent,
        QDragMoveEvent,
        QDropEvent,
        QPaintEvent,
    )
    from PySide6.QtWidgets import QDialog, QMenu

    from veo_desktop.api.models import AnyRequest, ExtendRequest
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.core.settings import Settings
    from veo_desktop.core.sidecar import RestoredSettings
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.compose.panel import ComposePanel
    from veo_desktop.ui.extend_dialog import ExtendDialog
    from veo_desktop.ui.history_panel import HistoryPanel
    from veo_desktop.ui.notifications import TaskNotifier
    from veo_desktop.ui.preview.panel import PreviewPanel
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.settings_dialog import SettingsChange, SettingsDialog
    from veo_desktop.ui.tasks.batch_offer import BatchOffer
    from veo_desktop.ui.tasks.panel import TaskPanel
    from veo_desktop.ui.welcome import WelcomePanel
    from veo_desktop.ui.workspace import Workspace

log = logging.getLogger(__name__)

APP_TITLE = "Veo Desktop"
#: Wait this long for a submission under way before closing (its answer holds a task id).
CLOSE_SUBMIT_GRACE = 15.0
_WINDOW_STATE_KEY = "window"
#: Files whose settings a drop on the window restores: our videos and their sidecars.
RESTORABLE_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".json"})


def restorable_file(mime: QMimeData) -> Path | None:
    """The one local video or ``.json`` file a drag carries, if that is what it carries."""
    if not mime.hasUrls():
        return None
    urls = [url for url in mime.urls() if url.isValid()]
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in RESTORABLE_SUFFIXES else None


class MainWindow(QMainWindow):
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
        closed: the window was closed; the owner awaits :meth:`aclose`.
        session_started: a session finished starting (tasks recovered, balance asked).
    """

    first_painted = Signal()
    closed = Signal()
    session_started = Signal(object)

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
        self._drop_targets: list[QObject] = []
        #: Offers to send the rest of stopped batches (shown above the task list).
        self.batch_offers: list[BatchOffer] = []
        #: The extend dialog opened from the history or a dropped file (while open).
        self.extend_dialog: ExtendDialog | None = None
        self.setAcceptDrops(True)
        self._welcome: WelcomePanel | None = None
        self.welcome_sheet: QDialog | None = None
        self._painted = False

        # The frame: what the first paint shows.
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("mainStack")
        self.loading = QLabel("Opening your workspace…", self)
        self.loading.setObjectName("loadingLabel")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        style.set_text_color(self.loading, style.hint_color(self))
        self.stack.addWidget(self.loading)
        central = QWidget(self)
        self._column = QVBoxLayout(central)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._restore_geometry()
        self._chrome_built = False
        if chrome:
            self.build_chrome()

    def build_chrome(self) -> None:
        """Add the demo banner, the message page, the status bar and the menus (once)."""
        if self._chrome_built:
            return
        self._chrome_built = True
        from veo_desktop.ui.status_bar import StatusBar
        from veo_desktop.ui.window_parts import DemoBanner, MessagePage

        self.banner = DemoBanner(self)
        self.banner.setVisible(False)
        self.banner.use_key_requested.connect(self.show_welcome_sheet)
        self._column.insertWidget(0, self.banner)
        self.message_page = MessagePage(self)
        self.stack.addWidget(self.message_page)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._build_menus()

    # -- what tests and the app read ------------------------------------------------------

    @property
    def welcome(self) -> WelcomePanel:
        """The first-run panel ("Enter API key" / "Try the demo"), made when first needed."""
        if self._welcome is None:
            from veo_desktop.ui.welcome import WelcomePanel

            self._welcome = WelcomePanel(self)
            self._welcome.key_entered.connect(self.on_welcome_key_entered)
            self._welcome.demo_requested.connect(self.on_welcome_demo_requested)
            self.stack.addWidget(self._welcome)
        return self._welcome

    @property
    def closing(self) -> bool:
        """Whether the window has been closed (or is closing)."""
        return self._closing

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

    def spending_cap(self) -> SpendingCap | None:
        """The daily spending cap set in Settings, over this session's tasks."""
        if self.session is None:
            return None
        from veo_desktop.core.spending import SpendingCap

        return SpendingCap.from_settings(self.settings, self.session.engine)

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
        from PySide6.QtWidgets import QDialog

        from veo_desktop.ui.welcome import WelcomePanel

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
        from veo_desktop.ui.settings_dialog import keyring_display_name, no_keyring_text

        if self.key_store.available:
            return f"The key will be stored in {keyring_display_name(self.key_store)}."
        return no_keyring_text()

    def open_with_key(self, api_key: str, *, source: KeySource) -> None:
        """Open a session with ``api_key`` against :attr:`base_url`.

        With no session open, the workspace is built at once (its start runs in the
        background); otherwise the current session is closed first.
        """
        from veo_desktop import logs

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

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def _open(self, factory: Callable[[], Session], name: str) -> None:
        if self._closing:
            return
        if self.session is None and not self._switching:
            self._install(factory)
        else:
            self._run(self._switch(factory), name)

    def install_session(self, session: Session) -> None:
        """Show the workspace for an opened session and start it (recovery, balance)."""
        from veo_desktop.ui.workspace import Workspace

        self.session = session
        self.workspace = Workspace(session, spending_cap=self.spending_cap)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self._restore_splitter()
        self.banner.setVisible(session.demo)
        self.status.attach(session.controller, started_at=time.time())
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
        workspace = self.workspace
        workspace.history_panel.prompt_chosen.connect(self.on_history_prompt_chosen)
        workspace.history_panel.request_chosen.connect(self.on_history_request_chosen)
        workspace.preview_panel.frame_for_slot.connect(self.on_preview_frame_for_slot)
        workspace.preview_panel.frame_failed.connect(self.on_preview_frame_failed)
        workspace.task_panel.task_submitted.connect(self.on_task_panel_task_submitted)
        # Widgets that take drops themselves (the prompt, the image slots) still let one of
        # our videos or its .json through to the window, which restores its settings.
        self._drop_targets = [compose.prompt_edit.viewport(), *compose.all_slots]
        for target in self._drop_targets:
            target.installEventFilter(self)
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
        for offer in self.batch_offers:
            if shiboken6.isValid(offer):
                offer.shutdown()
        self.batch_offers = []
        for target in self._drop_targets:
            target.removeEventFilter(self)
        self._drop_targets = []
        if self.extend_dialog is not None:
            self.extend_dialog.close()
            self.extend_dialog = None
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
        import asyncio

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
        if self.workspace is not None:
            self.workspace.show_tasks()
        if self.task_panel is not None:
            self.task_panel.select_task(task.local_id)
        self.status.showMessage(f"Submitted “{_short(task.prompt)}”", 6000)

    def on_compose_validity_changed(self, valid: bool) -> None:
        self._update_actions()

    def on_controller_action_failed(self, title: str, message: str) -> None:
        self.status.showMessage(safe_line(f"{title}: {message}", 400), 15000)

    def on_notifier_activated(self, local_id: str) -> None:
        if self.workspace is not None:
            self.workspace.show_tasks()
        if self.task_panel is not None:
            self.task_panel.select_task(local_id)

    def on_settings_triggered(self) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.raise_()
            self._settings_dialog.activateWindow()
            return
        from veo_desktop.ui.settings_dialog import SettingsDialog

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

    # -- the creative workflow -------------------------------------------------------------

    def on_show_tasks_triggered(self) -> None:
        if self.workspace is not None:
            self.workspace.show_tasks()

    def on_show_history_triggered(self) -> None:
        if self.workspace is not None:
            self.workspace.show_history()
            self.workspace.history_panel.search.setFocus()

    def set_compose_prompt(self, text: str) -> None:
        """Replace the composer's prompt with ``text`` (one undo step brings the old back)."""
        compose = self.compose_panel
        if compose is None:
            return
        from PySide6.QtGui import QTextCursor

        edit = compose.prompt_edit
        cursor = edit.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        edit.setTextCursor(cursor)
        edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def on_history_prompt_chosen(self, text: str) -> None:
        self.set_compose_prompt(text)
        self.status.showMessage("The prompt is in the composer (Ctrl+Z brings back yours).", 6000)

    def on_history_request_chosen(self, request: AnyRequest) -> None:
        self.use_request(request)

    def use_request(self, request: AnyRequest) -> None:
        """Fill the composer with ``request``; an extend opens the extend dialog instead."""
        from veo_desktop.api.models import GenerationRequest

        compose = self.compose_panel
        if compose is None:
            return
        if isinstance(request, GenerationRequest):
            compose.load_request(request)
            self.status.showMessage("The composer holds those settings now.", 6000)
        else:
            self.open_extend_for(request)

    def open_extend_for(self, request: ExtendRequest) -> ExtendDialog | None:
        """The extend dialog for the video ``request`` continued, filled with its settings.

        Without that video in the list, its prompt goes to the composer instead.
        """
        from veo_desktop.ui.extend_dialog import open_extend_dialog

        session = self.session
        if session is None:
            return None
        source = session.engine.find(request.task_id)
        if source is None or source.is_extend or source.hidden:
            self.set_compose_prompt(request.prompt)
            self.status.showMessage(
                "That was an extension of a video no longer in the list; its prompt is in "
                "the composer.",
                10000,
            )
            return None
        if self.extend_dialog is not None:
            self.extend_dialog.close()
        dialog = open_extend_dialog(
            session.controller, source, spending_cap=self.spending_cap(), parent=self
        )
        dialog.set_prompt(request.prompt)
        dialog.set_mode(str(request.mode))
        dialog.seed_edit.setText("" if request.seed is None else str(request.seed))
        dialog.watermark_edit.setText(request.watermark or "")
        dialog.submitted.connect(self.on_task_panel_task_submitted)
        dialog.finished.connect(self.on_extend_dialog_finished)
        self.extend_dialog = dialog
        return dialog

    def on_extend_dialog_finished(self, _result: int) -> None:
        self.extend_dialog = None

    def on_task_panel_task_submitted(self, task: TaskRecord) -> None:
        if self.workspace is not None:
            self.workspace.show_tasks()
        if self.task_panel is not None:
            self.task_panel.select_task(task.local_id)
        kind = "Extension" if task.is_extend else "Task"
        self.status.showMessage(
            f"{kind} submitted: \u201c{_short(task.prompt)}\u201d ({task.mode}, ${task.price:.2f})",
            8000,
        )

    def on_preview_frame_for_slot(self, slot: str, path: str) -> None:
        """Put a still from the preview into the composer's first or last frame slot (the
        composer switches to first and last frames and hosts it like any local image)."""
        compose = self.compose_panel
        if compose is None:
            return
        compose.use_frame(slot, Path(path))
        self.status.showMessage(f"The frame is in the {slot} frame slot ({Path(path).name}).", 8000)

    def on_preview_frame_failed(self, message: str) -> None:
        self.status.showMessage(message, 15000)

    # -- restoring settings from a file -----------------------------------------------------

    def on_restore_triggered(self) -> None:
        session = self.session
        if session is None:
            return
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Restore settings from a video", str(session.library_dir))
        dialog.setObjectName("restoreFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(
            ["Videos and their settings (*.mp4 *.mov *.m4v *.json)", "All files (*)"]
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.restore_settings_from(Path(name)))
        dialog.open()

    def restore_settings_from(self, path: Path) -> asyncio.Task[Any] | None:
        """Read the settings of one of our videos (or its ``.json``) off the GUI thread and
        fill the composer with them; problems are shown in the status bar."""
        session = self.session
        if session is None:
            return None
        tasks = session.engine.tasks(include_hidden=True)

        async def restore() -> RestoredSettings | None:
            import asyncio

            from veo_desktop.core import sidecar

            try:
                restored = await asyncio.to_thread(sidecar.restore, path, tasks=tasks)
            except (sidecar.SidecarError, OSError) as error:
                self.status.showMessage(f"No settings restored: {error}", 20000)
                return None
            if self.session is not session:
                return None
            self._apply_restored(restored)
            return restored

        return self._run(restore(), "Restoring settings")

    def _apply_restored(self, restored: RestoredSettings) -> None:
        from veo_desktop.api.models import ExtendRequest

        compose = self.compose_panel
        request = restored.request
        if isinstance(request, ExtendRequest):
            self.open_extend_for(request)
        elif compose is not None:
            compose.load_request(request)
        self.status.showMessage(restored.describe(), 10000)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.session is not None and restorable_file(event.mimeData()) is not None:
            event.acceptProposedAction()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.session is not None and restorable_file(event.mimeData()) is not None:
            event.acceptProposedAction()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = restorable_file(event.mimeData()) if self.session is not None else None
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.restore_settings_from(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Our videos dropped on the prompt or an image slot restore settings too."""
        kind = event.type()
        if watched in self._drop_targets and kind in (
            QEvent.Type.DragEnter,
            QEvent.Type.DragMove,
            QEvent.Type.Drop,
        ):
            from PySide6.QtGui import QDropEvent

            assert isinstance(event, QDropEvent)
            path = restorable_file(event.mimeData())
            if path is not None and self.session is not None:
                event.acceptProposedAction()
                if kind == QEvent.Type.Drop:
                    self.restore_settings_from(path)
                return True
        return super().eventFilter(watched, event)

    # -- saved prompts ----------------------------------------------------------------------

    def on_save_template_triggered(self) -> None:
        from veo_desktop.core.templates import escape

        history, compose = self.history_panel, self.compose_panel
        if history is None or compose is None:
            return
        dialog = history.new_template(escape(compose.prompt_edit.toPlainText().strip()))
        dialog.saved.connect(self.on_template_saved)

    def on_template_saved(self, template: object) -> None:
        name = getattr(template, "name", "")
        self.status.showMessage(f"Saved the prompt as \u201c{name}\u201d.", 6000)

    def on_use_template_menu_about_to_show(self) -> None:
        menu = self.use_template_menu
        menu.clear()
        workspace = self.workspace
        templates = workspace.templates.all() if workspace is not None else []
        if not templates:
            empty = menu.addAction("No saved prompts yet")
            empty.setEnabled(False)
            return
        for template in templates:
            action = menu.addAction(template.name.replace("&", "&&"))
            action.setToolTip(_short(template.text, 200))
            action.triggered.connect(lambda _=False, name=template.name: self.use_template(name))

    def use_template(self, name: str) -> None:
        """Fill a saved prompt's blanks (a small form) and put it in the composer."""
        history = self.history_panel
        if history is not None:
            history.use_saved(name)

    def on_manage_templates_triggered(self) -> None:
        if self.workspace is not None:
            self.workspace.show_history()
            self.workspace.history_panel.tabs.setCurrentIndex(1)

    # -- stopped batches ---------------------------------------------------------------------

    async def _offer_stopped_batches(self, session: Session) -> None:
        """Offer (without blocking) to send the rest of batches that were stopped."""
        from veo_desktop.ui.tasks.batch_offer import BatchOffer, stopped_batches

        try:
            journals = await stopped_batches(session.engine, session.paths.data_dir)
        except OSError as error:
            log.warning("could not look for stopped batches: %s", error)
            return
        panel = self.task_panel
        if self.session is not session or panel is None:
            return
        for journal in reversed(journals):
            offer = BatchOffer(
                session.controller, journal, spending_cap=self.spending_cap, parent=panel
            )
            panel.add_notice(offer)
            self.batch_offers.insert(0, offer)
        if journals:
            self.status.showMessage(
                "A batch was stopped before every item was sent: see above the task list.", 10000
            )

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
        from PySide6.QtGui import QAction, QKeySequence
        from PySide6.QtWidgets import QMenu

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
            fallback="Ctrl+,",
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action(
            "quitAction",
            "&Quit",
            QKeySequence.StandardKey.Quit,
            "Close Veo Desktop; tasks in flight resume at the next start",
            fallback="Ctrl+Q",
        )
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.restore_action = self._action(
            "restoreSettingsAction",
            "&Restore settings from a video\u2026",
            QKeySequence.StandardKey.Open,
            "Fill the composer with the settings of one of your videos (or drop it on the window)",
        )
        for action in (self.new_prompt_action, self.generate_action, self.restore_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.settings_action.triggered.connect(self.on_settings_triggered)
        self.quit_action.triggered.connect(self.close)
        self.restore_action.triggered.connect(self.on_restore_triggered)

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
            fallback="F5",
        )
        self.focus_prompt_action = self._action(
            "focusPromptAction", "Go to &prompt", "Ctrl+L", "Move the keyboard focus to the prompt"
        )
        self.focus_prompt_action.triggered.connect(self.on_focus_prompt_triggered)
        self.show_tasks_action = self._action(
            "showTasksAction", "&Tasks", "Ctrl+1", "Show the task list"
        )
        self.show_history_action = self._action(
            "showHistoryAction",
            "Prompt &history",
            "Ctrl+2",
            "Show recent prompts and saved prompts",
        )
        self.show_tasks_action.triggered.connect(self.on_show_tasks_triggered)
        self.show_history_action.triggered.connect(self.on_show_history_triggered)
        view_menu.addAction(self.refresh_balance_action)
        view_menu.addAction(self.focus_prompt_action)
        view_menu.addSeparator()
        view_menu.addAction(self.show_tasks_action)
        view_menu.addAction(self.show_history_action)

        self.prompts_menu: QMenu = bar.addMenu("&Prompts")
        self.prompts_menu.setObjectName("promptsMenu")
        self.save_template_action = self._action(
            "saveTemplateAction",
            "&Save prompt as template\u2026",
            QKeySequence(),
            "Keep the composer's prompt by name; write {blanks} to fill in each time",
        )
        self.use_template_menu = QMenu("&Use template", self)
        self.use_template_menu.setObjectName("useTemplateMenu")
        self.use_template_menu.setToolTipsVisible(True)
        self.manage_templates_action = self._action(
            "manageTemplatesAction",
            "&Manage saved prompts\u2026",
            QKeySequence(),
            "Show the saved prompts: use, edit or delete them",
        )
        self.prompts_menu.addAction(self.show_history_action)
        self.prompts_menu.addSeparator()
        self.prompts_menu.addAction(self.save_template_action)
        self.prompts_menu.addMenu(self.use_template_menu)
        self.prompts_menu.addAction(self.manage_templates_action)
        self.save_template_action.triggered.connect(self.on_save_template_triggered)
        self.manage_templates_action.triggered.connect(self.on_manage_templates_triggered)
        self.use_template_menu.aboutToShow.connect(self.on_use_template_menu_about_to_show)

        self.task_menu: QMenu = bar.addMenu("&Task")
        self.task_menu.setObjectName("taskMenu")
        self.task_menu.aboutToShow.connect(self.on_task_menu_about_to_show)
        from veo_desktop.ui.help_menu import build_help_menu

        self.help_menu = build_help_menu(self, self.paths)
        bar.addMenu(self.help_menu)
        self._update_actions()

    def _action(
        self, name: str, text: str, keys: Any, tip: str, *, fallback: str | None = None
    ) -> QAction:
        """A window action; ``fallback`` is its shortcut where the platform has no standard
        key for ``keys`` (a ``QKeySequence.StandardKey``)."""
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        if fallback and action.shortcut().isEmpty():
            action.setShortcut(QKeySequence(fallback))
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
        preview = self.preview_panel
        if preview is not None:
            self.task_menu.addSeparator()
            self.task_menu.addAction(preview.use_first_frame_action)
            self.task_menu.addAction(preview.use_last_frame_action)

    def _update_actions(self) -> None:
        compose = self.compose_panel
        has_session = compose is not None
        self.generate_action.setEnabled(has_session and compose is not None and compose.is_valid)
        self.new_prompt_action.setEnabled(has_session)
        self.refresh_balance_action.setEnabled(has_session)
        self.focus_prompt_action.setEnabled(has_session)
        self.task_menu.setEnabled(has_session)
        self.prompts_menu.setEnabled(has_session)
        for action in (
            self.restore_action,
            self.show_tasks_action,
            self.show_history_action,
            self.save_template_action,
            self.manage_templates_action,
        ):
            action.setEnabled(has_session)
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
        import asyncio

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
            await self._offer_stopped_batches(session)

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
