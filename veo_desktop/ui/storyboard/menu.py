"""The window's Storyboard menu: show the tab, add the composer's prompt or the selected
video as a shot, generate the missing shots, play and render the film, new storyboard,
export and import as JSON.

The menu is built with the window's other menus (before any session); its actions reach the
workspace's Storyboard tab when triggered, and are enabled only while a session is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from veo_desktop.ui.shortcuts import shortcut

if TYPE_CHECKING:
    from veo_desktop.ui.storyboard.panel import StoryboardPanel
    from veo_desktop.ui.storyboard.tab import StoryboardTab
    from veo_desktop.ui.workspace import Workspace


class StoryboardMenu(QObject):
    """The Storyboard menu of ``window`` (see the module docstring).

    Args:
        window: the main window.
        workspace: returns the workspace of the open session (None: no session).
    """

    def __init__(self, window: QMainWindow, workspace: Callable[[], Workspace | None]) -> None:
        super().__init__(window)
        self._workspace = workspace
        self.menu = QMenu("Story&board", window)
        self.menu.setObjectName("storyboardMenu")
        self.menu.setToolTipsVisible(True)
        self.show_action = self._add(
            "showStoryboardAction", "&Show storyboard", "Show the Storyboard tab", self.show
        )
        self.show_action.setShortcuts(shortcut("show_storyboard").sequences())
        self.menu.addSeparator()
        self.add_prompt_action = self._add(
            "addPromptToStoryboardAction",
            "Add &prompt to storyboard",
            "Add the composer's prompt and settings as a shot (nothing is sent)",
            self.add_prompt,
        )
        self.add_prompt_action.setShortcuts(shortcut("add_prompt_to_storyboard").sequences())
        self.add_task_action = self._add(
            "addTaskToStoryboardAction",
            "Add selected &video to storyboard",
            "Add the video selected in Tasks as a shot",
            self.add_task,
        )
        self.menu.addSeparator()
        self.generate_action = self._add(
            "generateShotsAction",
            "&Generate missing shots\u2026",
            "Show the price of the shots still missing, then send them",
            lambda: self._panel_do(lambda panel: panel.film_bar.generate()),
        )
        self.play_action = self._add(
            "playFilmAction",
            "P&lay film",
            "Play the chosen takes in order, with their trims",
            lambda: self._panel_do(lambda panel: panel.film_bar.play()),
        )
        self.render_action = self._add(
            "renderFilmAction",
            "&Render film\u2026",
            "Join the chosen takes into one MP4 file",
            lambda: self._panel_do(lambda panel: panel.film_bar.render_film()),
        )
        self.menu.addSeparator()
        self.new_action = self._add(
            "newStoryboardMenuAction",
            "&New storyboard\u2026",
            "Start another storyboard",
            lambda: self._panel_do(lambda panel: panel.picker.ask_new()),
        )
        self.export_action = self._add(
            "exportStoryboardMenuAction",
            "&Export as JSON\u2026",
            "Write the storyboard as a JSON file (what storyboard render reads)",
            lambda: self._panel_do(lambda panel: panel.export_json()),
        )
        self.import_action = self._add(
            "importStoryboardMenuAction",
            "&Import JSON\u2026",
            "Add a storyboard from a JSON file",
            lambda: self._panel_do(lambda panel: panel.files.ask_import()),
        )
        self.menu.aboutToShow.connect(self.on_menu_about_to_show)
        self.set_session(False)

    def _add(self, name: str, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        window = self.parent()
        assert isinstance(window, QMainWindow)
        window.addAction(action)
        self.menu.addAction(action)
        return action

    def set_session(self, open_: bool) -> None:
        """Enable the menu only while a session is open."""
        self.menu.setEnabled(open_)
        for action in self.menu.actions():
            action.setEnabled(open_)

    def _tab(self) -> StoryboardTab | None:
        workspace = self._workspace()
        return workspace.storyboard if workspace is not None else None

    def _panel_do(self, act: Callable[[StoryboardPanel], object]) -> None:
        tab = self._tab()
        if tab is not None:
            tab.show()
            act(tab.panel)

    def on_menu_about_to_show(self) -> None:
        workspace = self._workspace()
        if workspace is None:
            return
        actions = workspace.task_panel.task_actions
        actions.update(workspace.task_panel.current_task())
        self.add_task_action.setEnabled(actions.add_to_storyboard.isEnabled())

    def show(self) -> None:
        tab = self._tab()
        if tab is not None:
            tab.show()

    def add_prompt(self) -> None:
        tab = self._tab()
        if tab is not None:
            tab.add_prompt()

    def add_task(self) -> None:
        workspace = self._workspace()
        if workspace is not None:
            workspace.storyboard.add_task(workspace.task_panel.current_task())
