"""What a person can do with a task: the toolbar's and the context menu's actions.

Each action works on the current task (the one selected in the list). Actions that cost
money (retry, resubmit) ask first with the price in the question; nothing paid is sent
without that explicit choice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.records import TaskRecord
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import ask_save_path, reveal_in_file_manager, video_file
from veo_desktop.ui.tasks.icons import glyph_icon

logger = logging.getLogger(__name__)

#: States a failed task can be retried from (uncertain ones go through "Resolve").
RETRYABLE = frozenset({TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST})


class TaskActions(QObject):
    """The task actions, their enabled state, and the questions they ask.

    Args:
        controller: the engine controller every action goes through.
        host: the widget dialogs are parented to and shortcuts live on.
        current: returns the task the actions apply to (``None`` when nothing is selected).
    """

    #: The person wants the composer filled from this task's request.
    reuse_requested = Signal(object)
    #: The person wants this task shown in the preview.
    preview_requested = Signal(object)
    #: A copy was saved (local id, where).
    saved = Signal(str, object)

    def __init__(
        self,
        controller: EngineController,
        host: QWidget,
        current: Callable[[], TaskRecord | None],
    ) -> None:
        super().__init__(host)
        self._controller = controller
        self._host = host
        self._current = current
        #: The question being asked (tests answer it); ``None`` when none is open.
        self.dialog: QDialog | None = None
        #: Shows a file in the file manager (replaceable where none can run).
        self.reveal: Callable[[Path], bool] = reveal_in_file_manager

        def make(name: str, text: str, icon: str | None, tip: str) -> QAction:
            action = QAction(text, self)
            action.setObjectName(name)
            if icon:
                action.setIcon(glyph_icon(icon))
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.setEnabled(False)
            return action

        self.preview = make("previewAction", "Preview", "preview", "Play the video in the preview")
        self.save_as = make(
            "saveAsAction", "Save as\u2026", "save", "Save a copy of the video somewhere else"
        )
        self.show_in_folder = make(
            "showInFolderAction", "Show in folder", "folder", "Show the video in the file manager"
        )
        self.copy_task_id = make(
            "copyTaskIdAction", "Copy task id", "copy", "Copy APIXO's task id to the clipboard"
        )
        self.copy_result_url = make(
            "copyResultUrlAction",
            "Copy result URL",
            None,
            "Copy the video's download link (valid for 24 hours after it finished)",
        )
        self.reuse = make(
            "reuseAction",
            "Re-use settings",
            "reuse",
            "Fill the form with this task's prompt, options and images",
        )
        self.retry = make(
            "retryAction", "Retry\u2026", "retry", "Submit the same request again as a new task"
        )
        self.resolve = make(
            "resolveAction",
            "Resolve\u2026",
            "resolve",
            "Decide what to do with a submission whose answer was lost",
        )
        self.remove = make(
            "removeAction", "Remove from list\u2026", "remove", "Remove the task from the list"
        )
        self.remove.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_task_id.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_task_id.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in (self.remove, self.copy_task_id):
            host.addAction(action)

        self.preview.triggered.connect(self.on_preview_triggered)
        self.save_as.triggered.connect(self.on_save_as_triggered)
        self.show_in_folder.triggered.connect(self.on_show_in_folder_triggered)
        self.copy_task_id.triggered.connect(self.on_copy_task_id_triggered)
        self.copy_result_url.triggered.connect(self.on_copy_result_url_triggered)
        self.reuse.triggered.connect(self.on_reuse_triggered)
        self.retry.triggered.connect(self.on_retry_triggered)
        self.resolve.triggered.connect(self.on_resolve_triggered)
        self.remove.triggered.connect(self.on_remove_triggered)

    @property
    def toolbar_actions(self) -> list[QAction | None]:
        """The toolbar's actions (``None`` is a separator)."""
        return [
            self.preview,
            self.save_as,
            self.show_in_folder,
            None,
            self.reuse,
            self.retry,
            self.resolve,
            None,
            self.remove,
        ]

    def fill_menu(self, menu: QMenu) -> None:
        """The context menu: every action, grouped."""
        groups = [
            [self.preview, self.save_as, self.show_in_folder],
            [self.copy_task_id, self.copy_result_url],
            [self.reuse, self.retry, self.resolve],
            [self.remove],
        ]
        for number, group in enumerate(groups):
            if number:
                menu.addSeparator()
            for action in group:
                menu.addAction(action)

    def update(self, task: TaskRecord | None) -> None:
        """Enable what makes sense for ``task`` and say the price where one is paid."""
        has_video = video_file(task) is not None
        self.preview.setEnabled(has_video)
        self.save_as.setEnabled(has_video)
        self.show_in_folder.setEnabled(has_video)
        self.copy_task_id.setEnabled(task is not None and task.apixo_task_id is not None)
        self.copy_result_url.setEnabled(task is not None and bool(task.result_urls))
        self.reuse.setEnabled(task is not None and not task.is_extend)
        self.retry.setEnabled(task is not None and task.state in RETRYABLE)
        self.resolve.setEnabled(task is not None and task.state == TaskState.UNCERTAIN)
        self.remove.setEnabled(task is not None and task.is_final)
        if task is not None and task.state in RETRYABLE:
            self.retry.setText(f"Retry ({fmt.money_text(task.price)})\u2026")
        else:
            self.retry.setText("Retry\u2026")
        if task is not None and task.is_active:
            self.remove.setToolTip("A running task can be removed once it has finished")
        else:
            self.remove.setToolTip("Remove the task from the list")

    # -- simple actions --------------------------------------------------------------------

    def on_preview_triggered(self) -> None:
        task = self._current()
        if task is not None:
            self.preview_requested.emit(task)

    def on_save_as_triggered(self) -> None:
        task = self._current()
        if task is None or video_file(task) is None:
            return
        local_id = task.local_id
        self.dialog = ask_save_path(self._host, task, lambda path: self.save_to(local_id, path))

    def save_to(self, local_id: str, destination: Path) -> asyncio.Task[Path | None]:
        """Copy the task's video to ``destination`` (the dialog's answer; tests call it)."""
        self.dialog = None

        async def save() -> Path | None:
            saved = await self._controller.save_copy(local_id, destination)
            if saved is not None:
                self.saved.emit(local_id, saved)
            return saved

        return self._controller.run(save(), name="Saving a copy of the video")

    def on_show_in_folder_triggered(self) -> None:
        path = video_file(self._current())
        if path is not None and not self.reveal(path):
            self._controller.action_failed.emit(
                "No file manager", f"The video is in {path.parent}, but no file manager opened."
            )

    def on_copy_task_id_triggered(self) -> None:
        task = self._current()
        if task is not None and task.apixo_task_id:
            QGuiApplication.clipboard().setText(task.apixo_task_id)

    def on_copy_result_url_triggered(self) -> None:
        task = self._current()
        if task is not None and task.result_urls:
            QGuiApplication.clipboard().setText("\n".join(task.result_urls))

    def on_reuse_triggered(self) -> None:
        task = self._current()
        if task is not None and isinstance(task.request_model, GenerationRequest):
            self.reuse_requested.emit(task)

    # -- questions -------------------------------------------------------------------------

    def _ask(self, dialog: QDialog, on_finished: Callable[[int], None]) -> None:
        self._close_dialog()
        self.dialog = dialog

        def finished(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            on_finished(result)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.close()
            dialog.deleteLater()

    def on_retry_triggered(self) -> None:
        task = self._current()
        if task is None or task.state not in RETRYABLE:
            return
        box = dialogs.retry_dialog(self._host, task)
        local_id = task.local_id

        def answered(_result: int) -> None:
            if box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.AcceptRole:
                self._controller.run(
                    self._controller.resubmit(local_id), name="Submitting the task again"
                )

        self._ask(box, answered)

    def on_remove_triggered(self) -> None:
        task = self._current()
        if task is None or not task.is_final:
            return
        video = video_file(task)
        box = dialogs.remove_dialog(self._host, task, video)
        local_id = task.local_id

        def answered(_result: int) -> None:
            if box.buttonRole(box.clickedButton()) != QMessageBox.ButtonRole.DestructiveRole:
                return
            check = box.checkBox()
            self._controller.remove(local_id, delete_files=check is not None and check.isChecked())

        self._ask(box, answered)

    def on_resolve_triggered(self) -> None:
        task = self._current()
        if task is None or task.state != TaskState.UNCERTAIN:
            return
        dialog = dialogs.ResolveDialog(task, self._host)
        local_id = task.local_id
        jobs: list[asyncio.Task[Any]] = []

        def check() -> None:
            dialog.set_busy(True, "Asking APIXO\u2026")

            async def run() -> None:
                answer = await self._controller.check_uncertain(local_id)
                if not shiboken6.isValid(dialog):
                    return
                dialog.set_busy(False)
                dialog.show_answer(answer)
                if self._controller.get(local_id).state != TaskState.UNCERTAIN:
                    dialog.resubmit_button.setEnabled(False)
                    dialog.dismiss_button.setEnabled(False)
                    dialog.check_button.setEnabled(False)

            jobs.append(self._controller.run(run(), name="Checking an uncertain submission"))

        def resubmit() -> None:
            dialog.set_busy(True, "Submitting again\u2026")

            async def run() -> None:
                task = await self._controller.resubmit(local_id)
                if not shiboken6.isValid(dialog):
                    return
                if task is None:
                    dialog.set_busy(False, "The new submission did not go through.")
                else:
                    dialog.accept()

            jobs.append(self._controller.run(run(), name="Submitting an uncertain task again"))

        def dismiss() -> None:
            self._controller.dismiss(local_id)
            dialog.accept()

        def finished(_result: int) -> None:
            for job in jobs:
                if not job.done() and "Checking" in job.get_name():
                    job.cancel()

        dialog.check_requested.connect(check)
        dialog.resubmit_requested.connect(resubmit)
        dialog.dismiss_requested.connect(dismiss)
        self._ask(dialog, finished)

    def close(self) -> None:
        self._close_dialog()
