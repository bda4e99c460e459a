"""The window attributes the menu table (:mod:`.menus`) sets: its actions and menus.

Declared here, apart from the table, so that :class:`~.main_window.MainWindow` can name
them without loading QtGui's action classes before its first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    from veo_desktop.ui.window.keyboard import KeyboardActions


class WindowMenus:
    """The actions and menus :func:`~.menus.build_menus` makes on the window."""

    new_prompt_action: QAction
    generate_action: QAction
    settings_action: QAction
    quit_action: QAction
    restore_action: QAction
    import_action: QAction
    undo_action: QAction
    redo_action: QAction
    refresh_balance_action: QAction
    focus_prompt_action: QAction
    show_tasks_action: QAction
    show_history_action: QAction
    show_spending_action: QAction
    save_template_action: QAction
    manage_templates_action: QAction
    prompts_menu: QMenu
    use_template_menu: QMenu
    task_menu: QMenu
    help_menu: QMenu
    keyboard: KeyboardActions
