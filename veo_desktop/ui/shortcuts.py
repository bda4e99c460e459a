"""Every keyboard shortcut of the window, as one table.

The window's actions (:mod:`veo_desktop.ui.window.menus` and :mod:`.window.keyboard`) take
their keys from :data:`SHORTCUTS`, and Help ▸ Keyboard shortcuts lists the same table, so the
list cannot drift from what the keys do. The preview's own keys (while it has the focus) are
in the table too; a test holds the preview's actions to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Keys = QKeySequence.StandardKey | str

#: The areas, in the order Help lists them.
AREAS = ("Prompt", "Tasks", "Storyboard", "Preview", "Preview (when it has the focus)", "Window")


@dataclass(frozen=True)
class Shortcut:
    """One shortcut.

    Attributes:
        name: how the code names it (``"generate"``).
        area: the heading it is listed under (one of :data:`AREAS`).
        text: what it does, as Help lists it.
        keys: its keys: standard keys or texts like ``"Ctrl+Shift+R"``.
        fallback: the key where the platform has no standard key for ``keys[0]``.
    """

    name: str
    area: str
    text: str
    keys: tuple[Keys, ...]
    fallback: str | None = None

    def sequences(self) -> list[QKeySequence]:
        """Its key sequences (the fallback where the standard key is empty here)."""
        found = [QKeySequence(key) for key in self.keys]
        found = [sequence for sequence in found if not sequence.isEmpty()]
        if not found and self.fallback:
            found = [QKeySequence(self.fallback)]
        return found

    def native_text(self) -> str:
        """Its keys as this platform writes them (``"Ctrl+Return or Ctrl+Enter"``)."""
        return " or ".join(
            sequence.toString(QKeySequence.SequenceFormat.NativeText)
            for sequence in self.sequences()
        )


_FOCUSED_PREVIEW = "Preview (when it has the focus)"

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("generate", "Prompt", "Generate", ("Ctrl+Return", "Ctrl+Enter")),
    Shortcut("new_prompt", "Prompt", "New prompt", (QKeySequence.StandardKey.New,)),
    Shortcut("focus_prompt", "Prompt", "Go to the prompt", ("Ctrl+L",)),
    Shortcut("undo", "Prompt", "Undo", (QKeySequence.StandardKey.Undo,)),
    Shortcut("redo", "Prompt", "Redo", (QKeySequence.StandardKey.Redo,)),
    Shortcut(
        "restore",
        "Prompt",
        "Restore settings from a video",
        (QKeySequence.StandardKey.Open,),
    ),
    Shortcut("previous_task", "Tasks", "Previous task", ("Alt+Up",)),
    Shortcut("next_task", "Tasks", "Next task", ("Alt+Down",)),
    Shortcut("reuse", "Tasks", "Re-use the task's settings", ("Ctrl+Shift+R",)),
    Shortcut("extend", "Tasks", "Extend the video", ("Ctrl+Shift+E",)),
    Shortcut("compare", "Tasks", "Compare the two selected videos", ("Ctrl+Shift+K",)),
    Shortcut(
        "toggle_gallery", "Tasks", "Show the tasks as a table or a gallery", ("Ctrl+Shift+G",)
    ),
    Shortcut(
        "remove_task",
        "Tasks",
        "Remove from the list (in the list)",
        (QKeySequence.StandardKey.Delete,),
    ),
    Shortcut(
        "copy_task_id",
        "Tasks",
        "Copy the task id (in the list)",
        (QKeySequence.StandardKey.Copy,),
    ),
    Shortcut(
        "fold_run",
        "Tasks",
        "Fold the takes of a variations run (in the list; Left too)",
        ("-",),
    ),
    Shortcut(
        "open_run",
        "Tasks",
        "Show the takes of a folded run (in the list; Right too)",
        ("+",),
    ),
    Shortcut(
        "add_prompt_to_storyboard",
        "Storyboard",
        "Add the prompt as a shot",
        ("Ctrl+Shift+B",),
    ),
    Shortcut("move_shot_up", "Storyboard", "Move the shot up", ("Alt+Shift+Up",)),
    Shortcut("move_shot_down", "Storyboard", "Move the shot down", ("Alt+Shift+Down",)),
    Shortcut("duplicate_shot", "Storyboard", "Duplicate the shot", ("Ctrl+D",)),
    Shortcut("show_storyboard", "Window", "Show the storyboard", ("Ctrl+3",)),
    Shortcut("play_pause", "Preview", "Play or pause", ("Ctrl+Space",)),
    Shortcut("save_video", "Preview", "Save the video as", (QKeySequence.StandardKey.Save,)),
    Shortcut("preview_play", _FOCUSED_PREVIEW, "Play or pause", ("Space",)),
    Shortcut("preview_back", _FOCUSED_PREVIEW, "One frame back", ("Left", ",")),
    Shortcut("preview_forward", _FOCUSED_PREVIEW, "One frame forward", ("Right", ".")),
    Shortcut("preview_loop", _FOCUSED_PREVIEW, "Loop on or off", ("L",)),
    Shortcut("preview_mute", _FOCUSED_PREVIEW, "Sound on or off", ("M",)),
    Shortcut("show_tasks", "Window", "Show the task list", ("Ctrl+1",)),
    Shortcut("show_history", "Window", "Show the prompt history", ("Ctrl+2",)),
    Shortcut("show_spending", "Window", "Show spending and disk use", ("Ctrl+4",)),
    Shortcut(
        "refresh_balance",
        "Window",
        "Refresh the balance",
        (QKeySequence.StandardKey.Refresh,),
        fallback="F5",
    ),
    Shortcut(
        "settings",
        "Window",
        "Settings",
        (QKeySequence.StandardKey.Preferences,),
        fallback="Ctrl+,",
    ),
    Shortcut("quit", "Window", "Quit", (QKeySequence.StandardKey.Quit,), fallback="Ctrl+Q"),
)

_BY_NAME = {shortcut.name: shortcut for shortcut in SHORTCUTS}


def shortcut(name: str) -> Shortcut:
    """The table's entry called ``name``."""
    return _BY_NAME[name]


def add_focused_key(owner: QWidget, key: Qt.Key, slot: Callable[[], object]) -> QAction:
    """An action of ``owner`` that runs ``slot`` on ``key`` while the focus is in ``owner``
    (a player's own keys: Space, the arrows, ``,`` and ``.``...)."""
    action = QAction(owner)
    action.setShortcut(QKeySequence(key))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    owner.addAction(action)
    return action
