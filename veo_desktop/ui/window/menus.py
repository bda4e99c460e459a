"""The window's menus as a table, and the small builder that makes them.

Each :class:`ActionSpec` is one window action (its object name, text, shortcut, tip and
the window method it triggers); :data:`MENUS` lists which actions each menu shows, in
order. :func:`build_menus` makes the actions, sets each as an attribute of the window
(``window.generate_action``), and fills the menu bar; :func:`update_actions` enables what
needs a session only while one is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from veo_desktop.ui.shortcuts import shortcut

if TYPE_CHECKING:
    from veo_desktop.ui.compose.panel import ComposePanel
    from veo_desktop.ui.window.main_window import MainWindow

Keys = QKeySequence.StandardKey | str


@dataclass(frozen=True)
class ActionSpec:
    """One window action.

    Attributes:
        attr: the window attribute that holds it (``generate_action``).
        object_name: its Qt object name (tests and screen readers find it by this).
        text: the menu text, with its ``&`` mnemonic.
        keys: a standard key, or a shortcut like ``"Ctrl+L"``.
        tip: the status and tool tip.
        fallback: the shortcut where the platform has no standard key for ``keys``.
        extra_keys: more shortcuts beside ``keys``.
        role: where macOS puts it (Preferences, Quit).
        slot: what its ``triggered`` calls: a window method, or a method of one of the
            window's parts (``"templates.manage"``).
        needs_session: enabled only while a session is open.
        widget_shortcut: its shortcut works only in the focused widget while no session
            is open (undo and redo).
        shortcut: the :data:`~veo_desktop.ui.shortcuts.SHORTCUTS` entry its keys come from
            (then ``keys``, ``fallback`` and ``extra_keys`` stay empty).
    """

    attr: str
    object_name: str
    text: str
    keys: Keys | None
    tip: str
    fallback: str | None = None
    extra_keys: tuple[str, ...] = ()
    role: QAction.MenuRole | None = None
    slot: str | None = None
    needs_session: bool = True
    widget_shortcut: bool = False
    shortcut: str | None = None


@dataclass(frozen=True)
class SubMenu:
    """A submenu filled when it is about to show (``about_to_show`` as ActionSpec.slot)."""

    attr: str
    object_name: str
    text: str
    about_to_show: str


@dataclass(frozen=True)
class MenuSpec:
    """A menu of the menu bar: the attribute that keeps it (if any) and its items in order
    (action attributes, :data:`SEPARATOR`, :class:`SubMenu`)."""

    text: str
    items: tuple[str | SubMenu, ...] = ()
    attr: str | None = None
    object_name: str | None = None
    about_to_show: str | None = None


SEPARATOR = "-"

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "new_prompt_action",
        "newPromptAction",
        "&New prompt",
        None,
        "Empty the prompt and the images, keeping the options",
        shortcut="new_prompt",
    ),
    ActionSpec(
        "generate_action",
        "generateAction",
        "&Generate",
        None,
        "Submit the video to APIXO (billed when APIXO accepts it)",
        shortcut="generate",
    ),
    ActionSpec(
        "settings_action",
        "settingsAction",
        "&Settings…",
        None,
        "API key, library folder, polling, notifications",
        role=QAction.MenuRole.PreferencesRole,
        slot="settings_flow.open_dialog",
        needs_session=False,
        shortcut="settings",
    ),
    ActionSpec(
        "quit_action",
        "quitAction",
        "&Quit",
        None,
        "Close Veo Desktop; tasks in flight resume at the next start",
        role=QAction.MenuRole.QuitRole,
        slot="close",
        needs_session=False,
        shortcut="quit",
    ),
    ActionSpec(
        "restore_action",
        "restoreSettingsAction",
        "&Restore settings from a video\u2026",
        None,
        "Fill the composer with the settings of one of your videos (or drop it on the window)",
        slot="links.choose_file_to_restore",
        shortcut="restore",
    ),
    ActionSpec(
        "import_action",
        "importVideosAction",
        "&Import videos\u2026",
        None,
        "Add a folder of Veo videos (with their settings) to the library, skipping duplicates",
        slot="import_flow.choose_folder",
    ),
    ActionSpec(
        "undo_action",
        "undoAction",
        "&Undo",
        None,
        "Undo the last change to the prompt",
        widget_shortcut=True,
        shortcut="undo",
    ),
    ActionSpec(
        "redo_action",
        "redoAction",
        "&Redo",
        None,
        "Redo the change to the prompt",
        widget_shortcut=True,
        shortcut="redo",
    ),
    ActionSpec(
        "refresh_balance_action",
        "refreshBalanceAction",
        "&Refresh balance",
        None,
        "Ask APIXO for the current balance",
        shortcut="refresh_balance",
    ),
    ActionSpec(
        "focus_prompt_action",
        "focusPromptAction",
        "Go to &prompt",
        None,
        "Move the keyboard focus to the prompt",
        slot="links.focus_prompt",
        shortcut="focus_prompt",
    ),
    ActionSpec(
        "show_tasks_action",
        "showTasksAction",
        "&Tasks",
        None,
        "Show the task list",
        slot="links.show_tasks",
        shortcut="show_tasks",
    ),
    ActionSpec(
        "show_history_action",
        "showHistoryAction",
        "Prompt &history",
        None,
        "Show recent prompts and saved prompts",
        slot="links.show_history",
        shortcut="show_history",
    ),
    ActionSpec(
        "show_spending_action",
        "showSpendingAction",
        "&Spending",
        None,
        "Show what you spent per day and per week, and the library's size on disk",
        slot="links.show_spending",
        shortcut="show_spending",
    ),
    ActionSpec(
        "save_template_action",
        "saveTemplateAction",
        "&Save prompt as template\u2026",
        None,
        "Keep the composer's prompt by name; write {blanks} to fill in each time",
        slot="templates.save_prompt",
    ),
    ActionSpec(
        "manage_templates_action",
        "manageTemplatesAction",
        "&Manage saved prompts\u2026",
        None,
        "Show the saved prompts: use, edit or delete them",
        slot="templates.manage",
    ),
)

MENUS: tuple[MenuSpec, ...] = (
    MenuSpec(
        "&File",
        (
            "new_prompt_action",
            "generate_action",
            "restore_action",
            "import_action",
            SEPARATOR,
            "settings_action",
            SEPARATOR,
            "quit_action",
        ),
    ),
    MenuSpec("&Edit", ("undo_action", "redo_action")),
    MenuSpec(
        "&View",
        (
            "refresh_balance_action",
            "focus_prompt_action",
            SEPARATOR,
            "show_tasks_action",
            "show_history_action",
            "show_spending_action",
        ),
    ),
    MenuSpec(
        "&Prompts",
        (
            "show_history_action",
            SEPARATOR,
            "save_template_action",
            SubMenu(
                "use_template_menu",
                "useTemplateMenu",
                "&Use template",
                "templates.fill",
            ),
            "manage_templates_action",
        ),
        attr="prompts_menu",
        object_name="promptsMenu",
    ),
    MenuSpec(
        "&Task", attr="task_menu", object_name="taskMenu", about_to_show="links.fill_task_menu"
    ),
)

#: The menus enabled only while a session is open.
SESSION_MENUS = ("task_menu", "prompts_menu")


def _method(window: QMainWindow, path: str) -> Callable[[], object]:
    """``window``'s method, or its part's for a dotted ``path`` (``"links.show_tasks"``)."""
    target: object = window
    for name in path.split("."):
        target = getattr(target, name)
    assert callable(target), path
    return target


def make_action(window: QMainWindow, spec: ActionSpec) -> QAction:
    """The window action ``spec`` describes (added to the window, so its shortcut works
    while the menu bar is hidden)."""
    action = QAction(spec.text, window)
    action.setObjectName(spec.object_name)
    if spec.shortcut is not None:
        action.setShortcuts(shortcut(spec.shortcut).sequences())
    keys = [QKeySequence(spec.keys) if spec.keys is not None else QKeySequence()]
    keys += [QKeySequence(extra) for extra in spec.extra_keys]
    if len(keys) > 1:
        action.setShortcuts(keys)
    elif spec.shortcut is None:
        action.setShortcut(keys[0])
    if spec.fallback and action.shortcut().isEmpty():
        action.setShortcut(QKeySequence(spec.fallback))
    action.setStatusTip(spec.tip)
    action.setToolTip(spec.tip)
    if spec.role is not None:
        action.setMenuRole(spec.role)
    if spec.widget_shortcut:
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    window.addAction(action)
    if spec.slot is not None:
        action.triggered.connect(_method(window, spec.slot))
    return action


def build_menus(window: MainWindow) -> None:
    """Make :data:`ACTIONS` and :data:`MENUS` on ``window``, then the Help menu."""
    from veo_desktop.ui.help_menu import build_help_menu
    from veo_desktop.ui.library.gallery_menu import add_gallery_toggle
    from veo_desktop.ui.storyboard.menu import StoryboardMenu
    from veo_desktop.ui.window.keyboard import KeyboardActions

    actions = {spec.attr: make_action(window, spec) for spec in ACTIONS}
    for attr, action in actions.items():
        setattr(window, attr, action)
    bar = window.menuBar()
    view_menu: QMenu | None = None
    for spec in MENUS:
        menu = bar.addMenu(spec.text)
        view_menu = menu if spec.text == "&View" else view_menu
        if spec.object_name:
            menu.setObjectName(spec.object_name)
        if spec.attr:
            setattr(window, spec.attr, menu)
        if spec.about_to_show:
            menu.aboutToShow.connect(_method(window, spec.about_to_show))
        for item in spec.items:
            if item == SEPARATOR:
                menu.addSeparator()
            elif isinstance(item, SubMenu):
                submenu = QMenu(item.text, window)
                submenu.setObjectName(item.object_name)
                submenu.setToolTipsVisible(True)
                submenu.aboutToShow.connect(_method(window, item.about_to_show))
                setattr(window, item.attr, submenu)
                menu.addMenu(submenu)
            else:
                menu.addAction(actions[item])
    if view_menu is not None:
        add_gallery_toggle(window, view_menu)  # View > Gallery (the task list's other view)
    storyboard = StoryboardMenu(window, lambda: window.workspace)
    setattr(window, "storyboard_menu", storyboard)  # noqa: B010  (the window's own attribute)
    bar.addMenu(storyboard.menu)
    window.keyboard = KeyboardActions(window)
    window.help_menu = build_help_menu(window, window.paths)
    bar.addMenu(window.help_menu)


def update_actions(window: MainWindow, compose: ComposePanel | None) -> None:
    """Enable what needs a session only while one is open (Generate: while the composer's
    request is valid; Undo and Redo: as the prompt's document allows)."""
    has_session = compose is not None
    for spec in ACTIONS:
        if spec.needs_session and not spec.widget_shortcut:
            action: QAction = getattr(window, spec.attr)
            action.setEnabled(has_session)
    window.generate_action.setEnabled(compose is not None and compose.is_valid)
    for attr in SESSION_MENUS:
        menu: QMenu = getattr(window, attr)
        menu.setEnabled(has_session)
    storyboard = getattr(window, "storyboard_menu", None)
    if storyboard is not None:
        storyboard.set_session(has_session)
    if compose is None:
        window.undo_action.setEnabled(False)
        window.redo_action.setEnabled(False)
    else:
        document = compose.prompt_edit.document()
        window.undo_action.setEnabled(document.isUndoAvailable())
        window.redo_action.setEnabled(document.isRedoAvailable())
    context = (
        Qt.ShortcutContext.WindowShortcut if has_session else Qt.ShortcutContext.WidgetShortcut
    )
    for action in (window.undo_action, window.redo_action):
        action.setShortcutContext(context)
