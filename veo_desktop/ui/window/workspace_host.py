"""Shows a session's workspace in the window, wired in; takes it down when the session closes.

The window's actions drive the composer (Generate, New prompt, Refresh balance, Undo,
Redo); the panels' signals go to the window's links (:mod:`.creative`); the prompt and the
image slots pass our videos on to the drop-to-restore filter; desktop notifications and the
controller's failures reach the person.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QMetaObject, QObject

from veo_desktop.safe_text import printable
from veo_desktop.ui.window.main_window import APP_TITLE
from veo_desktop.ui.window.window_state import WindowStateKeeper

if TYPE_CHECKING:
    from pathlib import Path

    from veo_desktop.ui.history_panel import HistoryPanel
    from veo_desktop.ui.notifications import TaskNotifier
    from veo_desktop.ui.preview.panel import PreviewPanel
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.window.main_window import MainWindow
    from veo_desktop.ui.workspace import Workspace


#: How long "Saved to …" stays in the status bar after a copy saved from the task list (ms).
SAVED_MESSAGE_MS = 10_000


class WorkspaceHost:
    """Puts the workspace of a session in ``window`` and takes it out again.

    Args:
        window: the main window.
        state: its window-state keeper (the splitter sizes).
    """

    def __init__(self, window: MainWindow, state: WindowStateKeeper) -> None:
        self._window = window
        self._state = state
        self._connections: list[QMetaObject.Connection] = []
        #: Desktop notifications of finished tasks (while a session is open).
        self.notifier: TaskNotifier | None = None

    def show(self, session: Session) -> Workspace:
        """Build the workspace of ``session``, show it, and wire it in."""
        from veo_desktop.ui.workspace import Workspace

        window = self._window
        workspace = Workspace(session, spending_cap=window.spending_cap)
        window.stack.addWidget(workspace)
        window.stack.setCurrentWidget(workspace)
        self._state.restore_splitter(workspace)
        window.banner.setVisible(session.demo)
        window.status.attach(session.controller, started_at=time.time())
        self._attach(session, workspace)
        where = "demo" if session.demo else _host_of(session.base_url)
        window.setWindowTitle(f"{where} — {APP_TITLE}" if where else APP_TITLE)
        return workspace

    def take_down(self, session: Session | None, workspace: Workspace | None) -> None:
        """Unwire and delete ``workspace`` (keeping its splitter sizes); stop listening to
        ``session``."""
        window = self._window
        self._detach_workspace()
        if workspace is not None:
            self._state.keep_splitter(workspace)
            workspace.shutdown()
            window.stack.removeWidget(workspace)
            workspace.hide()
            workspace.deleteLater()
        window.status.detach()
        window.banner.setVisible(False)
        self._detach_session(session)

    def _attach(self, session: Session, workspace: Workspace) -> None:
        from veo_desktop.ui.notifications import TaskNotifier

        window, links = self._window, self._window.links
        controller = session.controller
        self.notifier = TaskNotifier(controller, window, window.windowIcon(), window)
        self.notifier.enabled = window.settings.notifications
        self.notifier.activated.connect(links.show_task)
        controller.action_failed.connect(links.on_controller_action_failed)
        compose = workspace.compose_panel
        for shortcut in compose.generate_shortcuts:
            shortcut.setEnabled(False)  # the window's Generate action carries Ctrl+Enter
        compose.submitted.connect(links.on_compose_submitted)
        compose.validity_changed.connect(window.on_compose_validity_changed)
        compose.prompt_edit.undoAvailable.connect(window.undo_action.setEnabled)
        compose.prompt_edit.redoAvailable.connect(window.redo_action.setEnabled)
        self._connections = [
            window.generate_action.triggered.connect(compose.generate),
            window.new_prompt_action.triggered.connect(compose.clear_form),
            window.refresh_balance_action.triggered.connect(compose.refresh_balance),
            window.undo_action.triggered.connect(compose.prompt_edit.undo),
            window.redo_action.triggered.connect(compose.prompt_edit.redo),
            workspace.task_panel.task_actions.saved.connect(self.on_task_actions_saved),
        ]
        workspace.history_built.connect(self.on_workspace_history_built)
        # The preview and the history are built just after the workspace's first paint.
        workspace.preview_built.connect(self.on_workspace_preview_built)
        workspace.task_panel.task_submitted.connect(links.on_task_submitted)
        # Widgets that take drops themselves (the prompt, the image slots) still let one of
        # our videos or its .json through to the window, which restores its settings.
        window.drops.watch([compose.prompt_edit.viewport(), *compose.all_slots])

    def on_task_actions_saved(self, _local_id: str, saved: Path) -> None:
        """Confirm a copy saved from the task list ("Save as…"), as the preview does."""
        self._window.status.showMessage(f"Saved to {printable(str(saved), 500)}", SAVED_MESSAGE_MS)

    def on_workspace_history_built(self, history: HistoryPanel) -> None:
        links = self._window.links
        history.prompt_chosen.connect(links.on_history_prompt_chosen)
        history.request_chosen.connect(links.use_request)

    def on_workspace_preview_built(self, preview: PreviewPanel) -> None:
        links = self._window.links
        preview.frame_for_slot.connect(links.on_preview_frame_for_slot)
        preview.frame_failed.connect(links.on_preview_frame_failed)

    def _detach_workspace(self) -> None:
        self._window.drops.unwatch_all()
        for connection in self._connections:
            QObject.disconnect(connection)
        self._connections = []

    def _detach_session(self, session: Session | None) -> None:
        notifier, self.notifier = self.notifier, None
        if notifier is not None:
            notifier.close()
            notifier.deleteLater()
        if session is not None:
            session.controller.action_failed.disconnect(
                self._window.links.on_controller_action_failed
            )


def _host_of(base_url: str) -> str:
    """The API's host as the title names it ("" for APIXO itself)."""
    from urllib.parse import urlsplit

    from veo_desktop.api.urls import is_loopback_host

    host = urlsplit(base_url).hostname or ""
    if is_loopback_host(host):
        return "local simulator"
    return "" if host == "api.apixo.ai" else host
