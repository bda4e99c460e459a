"""The window's keyboard-only actions: move between tasks, re-use, extend, compare, and
play or pause the preview from anywhere in the window.

Their keys come from :data:`veo_desktop.ui.shortcuts.SHORTCUTS`. Each is added to the window
(so it works wherever the focus is) and does what the task list's or the preview's own
action does, when that one is enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QObject
from PySide6.QtGui import QAction

from veo_desktop.ui.shortcuts import shortcut

if TYPE_CHECKING:
    from veo_desktop.ui.window.main_window import MainWindow


class KeyboardActions(QObject):
    """The keyboard-only window actions (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.previous_task = self._make("previousTaskAction", "previous_task", self.select_previous)
        self.next_task = self._make("nextTaskAction", "next_task", self.select_next)
        self.reuse = self._make("reuseShortcutAction", "reuse", lambda: self._task_action("reuse"))
        self.extend = self._make(
            "extendShortcutAction", "extend", lambda: self._task_action("extend")
        )
        self.compare = self._make(
            "compareShortcutAction", "compare", lambda: self._task_action("compare")
        )
        self.play_pause = self._make("playPauseAction", "play_pause", self.toggle_play)

    def _make(self, object_name: str, name: str, slot: object) -> QAction:
        entry = shortcut(name)
        action = QAction(entry.text, self._window)
        action.setObjectName(object_name)
        action.setShortcuts(entry.sequences())
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def select_previous(self) -> None:
        self.move_selection(-1)

    def select_next(self) -> None:
        self.move_selection(1)

    def move_selection(self, step: int) -> None:
        """Show the task list and select the task ``step`` rows away from the current one."""
        workspace = self._window.workspace
        if workspace is None:
            return
        workspace.show_tasks()
        view = workspace.task_panel.view
        model = view.model()
        rows = model.rowCount()
        if rows == 0:
            return
        current = view.currentIndex()
        row = 0 if not current.isValid() else max(0, min(rows - 1, current.row() + step))
        index = model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        view.selectionModel().setCurrentIndex(index, flags)
        view.scrollTo(index)

    def _task_action(self, name: str) -> None:
        panel = self._window.task_panel
        if panel is None:
            return
        action: QAction = getattr(panel.task_actions, name)
        if action.isEnabled():
            action.trigger()

    def toggle_play(self) -> None:
        """Play or pause the preview's video."""
        preview = self._window.preview_panel
        if preview is not None:
            preview.toggle_play()
