"""The storyboard list's shot actions: add the composer's prompt, use the composer's settings
for a shot, duplicate, remove, move up and down; their keys (from
:mod:`veo_desktop.ui.shortcuts`), their buttons and the list's context menu. What each one
does is the panel's; here they are made and enabled.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from veo_desktop.ui.shortcuts import shortcut
from veo_desktop.ui.tasks.icons import glyph_icon


class ShotActions(QObject):
    """The shot actions of one storyboard panel.

    Args:
        host: the panel (the actions' parent).
        keys_on: the widget their keys work in (the shot list: Delete in a text field or
            the take list must not remove a shot).
    """

    def __init__(self, host: QWidget, keys_on: QWidget) -> None:
        super().__init__(host)
        self.add_prompt = self._make(
            "addPromptShotAction",
            "&Add prompt",
            glyph_icon("reuse"),
            "Add the composer's prompt and settings as a new shot (nothing is sent)",
        )
        self.duplicate = self._make(
            "duplicateShotAction",
            "&Duplicate shot",
            glyph_icon("copy"),
            "Add a copy of the shot after it (its settings, no takes)",
        )
        self.use_composer = self._make(
            "useComposerSettingsAction",
            "Use the &composer's settings",
            QIcon(),
            "Replace the shot's prompt and settings with the composer's (its takes stay; "
            "nothing is sent)",
        )
        self.remove = self._make(
            "removeShotAction",
            "&Remove shot",
            glyph_icon("remove"),
            "Take the shot out of the storyboard (its videos stay in Tasks)",
        )
        self.move_up = self._make(
            "moveShotUpAction", "Move &up", QIcon(), "Move the shot one place earlier"
        )
        self.move_down = self._make(
            "moveShotDownAction", "Move do&wn", QIcon(), "Move the shot one place later"
        )
        self.move_up.setIconText("\u2191")
        self.move_down.setIconText("\u2193")
        for action, name in (
            (self.move_up, "move_shot_up"),
            (self.move_down, "move_shot_down"),
            (self.duplicate, "duplicate_shot"),
        ):
            action.setShortcuts(shortcut(name).sequences())
        self.remove.setShortcuts(shortcut("remove_task").sequences())
        for action in (self.move_up, self.move_down, self.duplicate, self.remove):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            keys_on.addAction(action)

    def _make(self, name: str, text: str, icon: QIcon, tip: str) -> QAction:
        action = QAction(icon, text, self)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        return action

    def buttons(self) -> list[QToolButton]:
        """Tool buttons for the actions, icon only (the tips name them)."""
        made = []
        for action in (self.add_prompt, self.duplicate, self.remove, self.move_up, self.move_down):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setObjectName(action.objectName().replace("Action", "Button"))
            button.setAutoRaise(True)
            button.setAccessibleName(action.text().replace("&", ""))
            if action is self.add_prompt:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            elif action in (self.move_up, self.move_down):
                # Text arrows (the actions' icon texts) take the palette's text colour.
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            made.append(button)
        return made

    def fill_menu(self, menu: QMenu) -> None:
        for action in (
            self.move_up,
            self.move_down,
            None,
            self.use_composer,
            self.duplicate,
            self.remove,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)

    def update(self, row: int, count: int, can_add: bool) -> None:
        """Enable what applies to the shot in ``row`` of ``count`` (-1: none selected)."""
        has = 0 <= row < count
        self.add_prompt.setEnabled(can_add)
        self.duplicate.setEnabled(has)
        self.use_composer.setEnabled(has and can_add)
        self.remove.setEnabled(has)
        self.move_up.setEnabled(has and row > 0)
        self.move_down.setEnabled(has and row < count - 1)
