"""The links between the workspace's panels, from the menus into them, and from files into
the composer.

A prompt or request chosen in the history goes to the composer (an extension opens the
extend dialog); a still from the preview goes into a frame slot; a submitted task is
selected in the list; the settings of one of our videos (a file chosen or dropped) are
read off the GUI thread and fill the composer. :class:`CreativeLinks` does these for the
window, reaching the session through its controller.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt

from veo_desktop.safe_text import safe_line

if TYPE_CHECKING:
    from veo_desktop.api.models import AnyRequest, ExtendRequest
    from veo_desktop.core.sidecar import RestoredSettings
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.extend_dialog import ExtendDialog
    from veo_desktop.ui.window.main_window import MainWindow


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CreativeLinks(QObject):
    """Moves prompts, requests, frames and restored settings between the window's parts."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        #: The extend dialog opened from the history or a dropped file (while open).
        self.extend_dialog: ExtendDialog | None = None

    def _message(self, text: str, ms: int) -> None:
        self._window.status.showMessage(text, ms)

    # -- into the composer -------------------------------------------------------------------

    def set_compose_prompt(self, text: str) -> None:
        """Replace the composer's prompt with ``text`` (one undo step brings the old back)."""
        compose = self._window.compose_panel
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
        self._message("The prompt is in the composer (Ctrl+Z brings back yours).", 6000)

    def use_request(self, request: AnyRequest) -> None:
        """Fill the composer with ``request``; an extend opens the extend dialog instead."""
        from veo_desktop.api.models import GenerationRequest

        compose = self._window.compose_panel
        if compose is None:
            return
        if isinstance(request, GenerationRequest):
            compose.load_request(request)
            self._message("The composer holds those settings now.", 6000)
        else:
            self.open_extend_for(request)

    def open_extend_for(self, request: ExtendRequest) -> ExtendDialog | None:
        """The extend dialog for the video ``request`` continued, filled with its settings.

        Without that video in the list, its prompt goes to the composer instead.
        """
        from veo_desktop.ui.extend_dialog import open_extend_dialog

        window = self._window
        session = window.session
        if session is None:
            return None
        source = session.controller.find(request.task_id)
        if source is None or source.is_extend or source.hidden:
            self.set_compose_prompt(request.prompt)
            self._message(
                "That was an extension of a video no longer in the list; its prompt is in "
                "the composer.",
                10000,
            )
            return None
        if self.extend_dialog is not None:
            self.extend_dialog.close()
        dialog = open_extend_dialog(
            session.controller, source, spending_cap=window.spending_cap(), parent=window
        )
        dialog.set_prompt(request.prompt)
        dialog.set_mode(str(request.mode))
        dialog.seed_edit.setText("" if request.seed is None else str(request.seed))
        dialog.watermark_edit.setText(request.watermark or "")
        dialog.submitted.connect(self.on_task_submitted)
        dialog.finished.connect(self.on_extend_dialog_finished)
        self.extend_dialog = dialog
        return dialog

    def on_extend_dialog_finished(self, _result: int) -> None:
        self.extend_dialog = None

    def close_extend_dialog(self) -> None:
        if self.extend_dialog is not None:
            self.extend_dialog.close()
            self.extend_dialog = None

    def on_preview_frame_for_slot(self, slot: str, path: str) -> None:
        """Put a still from the preview into the composer's first or last frame slot (the
        composer switches to first and last frames and hosts it like any local image)."""
        compose = self._window.compose_panel
        if compose is None:
            return
        compose.use_frame(slot, Path(path))
        self._message(f"The frame is in the {slot} frame slot ({Path(path).name}).", 8000)

    # -- from the menus -----------------------------------------------------------------------

    def focus_prompt(self) -> None:
        compose = self._window.compose_panel
        if compose is not None:
            compose.prompt_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_tasks(self) -> None:
        workspace = self._window.workspace
        if workspace is not None:
            workspace.show_tasks()

    def show_history(self) -> None:
        workspace = self._window.workspace
        if workspace is not None:
            workspace.show_history()
            workspace.history_panel.search.setFocus()

    def show_spending(self) -> None:
        workspace = self._window.workspace
        if workspace is not None:
            workspace.show_spending()

    def fill_task_menu(self) -> None:
        """The Task menu: the selected task's actions, then the preview's "use this frame"."""
        window = self._window
        menu = window.task_menu
        menu.clear()
        if window.task_panel is not None:
            window.task_panel.fill_menu(menu)
        preview = window.preview_panel
        if preview is not None:
            menu.addSeparator()
            menu.addAction(preview.use_first_frame_action)
            menu.addAction(preview.use_last_frame_action)

    # -- to the task list --------------------------------------------------------------------

    def show_task(self, local_id: str) -> None:
        """Show the task list with ``local_id`` selected."""
        workspace = self._window.workspace
        if workspace is not None:
            workspace.show_tasks()
            workspace.task_panel.select_task(local_id)

    def on_preview_frame_failed(self, message: str) -> None:
        self._message(message, 15000)

    def on_controller_action_failed(self, title: str, message: str) -> None:
        self._message(safe_line(f"{title}: {message}", 400), 15000)

    def on_compose_submitted(self, task: TaskRecord) -> None:
        self.show_task(task.local_id)
        self._message(f"Submitted “{short(task.prompt)}”", 6000)

    def on_task_submitted(self, task: TaskRecord) -> None:
        self.show_task(task.local_id)
        kind = "Extension" if task.is_extend else "Task"
        self._message(
            f"{kind} submitted: \u201c{short(task.prompt)}\u201d ({task.mode}, ${task.price:.2f})",
            8000,
        )

    # -- restoring settings from a file ------------------------------------------------------

    def choose_file_to_restore(self) -> None:
        """Ask for one of our videos (or its ``.json``) and restore its settings."""
        session = self._window.session
        if session is None:
            return
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(
            self._window, "Restore settings from a video", str(session.library_dir)
        )
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
        window = self._window
        session = window.session
        if session is None:
            return None
        controller = session.controller

        async def restore() -> RestoredSettings | None:
            from veo_desktop.core import sidecar
            from veo_desktop.film.recipe import read_recipe

            # The tasks are asked only for a video without a sidecar or a readable recipe
            # (a large library not loaded whole is read whole for it, not for every drop).
            tasks = controller.tasks(include_hidden=True) if controller.tasks_complete else None
            try:
                try:
                    restored = await asyncio.to_thread(
                        sidecar.restore, path, tasks=tasks or (), embedded=read_recipe
                    )
                except (sidecar.SidecarMissingError, sidecar.SidecarDamagedError):
                    if tasks is not None:
                        raise
                    tasks = await controller.all_tasks(include_hidden=True)
                    restored = await asyncio.to_thread(
                        sidecar.restore, path, tasks=tasks, embedded=read_recipe
                    )
            except (sidecar.SidecarError, OSError) as error:
                self._message(f"No settings restored: {error}", 20000)
                return None
            if window.session is not session:
                return None
            self._apply_restored(restored)
            return restored

        return window.run(restore(), "Restoring settings")

    def _apply_restored(self, restored: RestoredSettings) -> None:
        from veo_desktop.api.models import ExtendRequest

        compose = self._window.compose_panel
        request = restored.request
        if isinstance(request, ExtendRequest):
            self.open_extend_for(request)
        elif compose is not None:
            compose.load_request(request)
        self._message(restored.describe(), 10000)
