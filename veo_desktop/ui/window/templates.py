"""The saved prompts (templates) in the Prompts menu: save the composer's prompt, use one,
manage them in the Prompts tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from veo_desktop.ui.window.creative import short

if TYPE_CHECKING:
    from veo_desktop.ui.workspace import Workspace


class TemplateMenu:
    """The Prompts menu's template entries for the current workspace.

    Args:
        menu: returns the "Use template" submenu (filled each time it is about to show).
        workspace: returns the open workspace, or None.
        show_message: puts a line in the status bar (text, milliseconds).
    """

    def __init__(
        self,
        menu: Callable[[], QMenu],
        workspace: Callable[[], Workspace | None],
        show_message: Callable[[str, int], None],
    ) -> None:
        self._menu = menu
        self._workspace = workspace
        self._show_message = show_message

    def save_prompt(self) -> None:
        """Ask for a name and keep the composer's prompt as a template."""
        from veo_desktop.core.templates import escape

        workspace = self._workspace()
        if workspace is None:
            return
        text = workspace.compose_panel.prompt_edit.toPlainText().strip()
        dialog = workspace.history_panel.new_template(escape(text))
        dialog.saved.connect(self.on_template_saved)

    def on_template_saved(self, template: object) -> None:
        name = getattr(template, "name", "")
        self._show_message(f"Saved the prompt as \u201c{name}\u201d.", 6000)

    def fill(self) -> None:
        """List the saved prompts in the "Use template" submenu."""
        menu = self._menu()
        menu.clear()
        workspace = self._workspace()
        templates = workspace.templates.all() if workspace is not None else []
        if not templates:
            empty = menu.addAction("No saved prompts yet")
            empty.setEnabled(False)
            return
        for template in templates:
            action = menu.addAction(template.name.replace("&", "&&"))
            action.setToolTip(short(template.text, 200))
            action.triggered.connect(lambda _=False, name=template.name: self.use(name))

    def use(self, name: str) -> None:
        """Fill a saved prompt's blanks (a small form) and put it in the composer."""
        workspace = self._workspace()
        if workspace is not None:
            workspace.history_panel.use_saved(name)

    def manage(self) -> None:
        """Show the saved prompts in the Prompts tab."""
        workspace = self._workspace()
        if workspace is not None:
            workspace.show_history()
            workspace.history_panel.tabs.setCurrentIndex(1)
