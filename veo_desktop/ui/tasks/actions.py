"""What a person can do with a task: the toolbar's and the context menu's actions.

Each action works on the current task (the one selected in the list), except Compare, which
works on the two selected ones. Actions that cost money (retry, Resolve's submit again,
extend, draft to final) go through the money policy (:mod:`veo_desktop.ui.money`): retry and
draft to final always ask with the price; every one asks first when it would pass the
daily spending cap. Nothing paid is sent without that explicit choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from veo_desktop.api.errors import ApixoError, SubmissionUncertainError
from veo_desktop.api.models import GenerationRequest, RequestInvalidError
from veo_desktop.core import lineage
from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.controller import LOCAL_ERRORS, EngineController, blocked_images_message
from veo_desktop.ui.money import PaymentQuestion, pay
from veo_desktop.ui.preview.save_dialog import ask_save_path
from veo_desktop.ui.preview.saving import embed_recipe_wanted
from veo_desktop.ui.spending.removal import RemovalChoice
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.tasks.action_set import EXTEND_REFRESH_MS as EXTEND_REFRESH_MS
from veo_desktop.ui.tasks.action_set import RETRYABLE as RETRYABLE
from veo_desktop.ui.tasks.action_set import TaskActionSet, draft_problem
from veo_desktop.ui.tasks.action_set import can_download_again as can_download_again
from veo_desktop.ui.tasks.files import reveal_in_file_manager, video_file

if TYPE_CHECKING:
    from veo_desktop.ui.compare import CompareWindow
    from veo_desktop.ui.extend_dialog import ExtendDialog

logger = logging.getLogger(__name__)


class TaskActions(TaskActionSet):
    """What the task actions do when triggered, and the questions they ask (the actions
    and their enabled state: :class:`TaskActionSet`).

    Args:
        controller: the engine controller every action goes through.
        host: the widget dialogs are parented to and shortcuts live on.
        current: returns the task the actions apply to (``None`` when nothing is selected).
        selected: returns every selected task (Compare needs exactly two finished ones).
        spending_cap: returns the daily cap in effect now (``None``: no cap to ask about).
        clock: unix time (how long a video stays extendable); tests pass a fake.
    """

    #: The person wants the composer filled from this task's request.
    reuse_requested = Signal(object)
    #: The person wants this task shown in the preview.
    preview_requested = Signal(object)
    #: A copy was saved (local id, where).
    saved = Signal(str, object)
    #: A new task was submitted from here (an extend, a final version): its TaskRecord.
    task_submitted = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        host: QWidget,
        current: Callable[[], TaskRecord | None],
        *,
        selected: Callable[[], list[TaskRecord]] | None = None,
        selected_count: Callable[[], int] | None = None,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            controller,
            host,
            current,
            selected=selected,
            selected_count=selected_count,
            clock=clock,
        )
        self._spending_cap = spending_cap or (lambda: None)
        #: The question being asked (tests answer it); ``None`` when none is open.
        self.dialog: QDialog | None = None
        #: The money question Resolve's "Submit again" opened (while it is open).
        self.payment_question: PaymentQuestion | None = None
        #: The extend dialog opened last (while it is open); tests drive it.
        self.extend_dialog: ExtendDialog | None = None
        #: The compare window opened last (while it is open).
        self.compare_window: CompareWindow | None = None
        self._submitting: set[str] = set()
        #: Whether Remove is reading which tasks name the chosen tasks' files, and for
        #: which tasks the question is to be asked (the current one first).
        self._finding_others = False
        self._remove_wanted: list[str] = []
        #: Shows a file in the file manager (replaceable where none can run).
        self.reveal: Callable[[Path], bool] = reveal_in_file_manager

        self.preview.triggered.connect(self.on_preview_triggered)
        self.save_as.triggered.connect(self.on_save_as_triggered)
        self.show_in_folder.triggered.connect(self.on_show_in_folder_triggered)
        self.copy_task_id.triggered.connect(self.on_copy_task_id_triggered)
        self.copy_result_url.triggered.connect(self.on_copy_result_url_triggered)
        self.reuse.triggered.connect(self.on_reuse_triggered)
        self.retry.triggered.connect(self.on_retry_triggered)
        self.resolve.triggered.connect(self.on_resolve_triggered)
        self.download_again.triggered.connect(self.on_download_again_triggered)
        self.remove.triggered.connect(self.on_remove_triggered)
        self.extend.triggered.connect(self.on_extend_triggered)
        self.draft_to_final.triggered.connect(self.on_draft_to_final_triggered)
        self.compare.triggered.connect(self.on_compare_triggered)

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
        embed = embed_recipe_wanted(self._host)

        async def save() -> Path | None:
            saved = await self._controller.save_copy(local_id, destination, embed_recipe=embed)
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

    def _confirmation(self, kind: PaidKind, price: Decimal) -> Confirmation:
        return self._controller.confirm_payment(PaidAction(kind, price), self._spending_cap())

    def on_retry_triggered(self) -> None:
        task = self._current()
        if task is None or task.state not in RETRYABLE:
            return
        box = dialogs.retry_dialog(self._host, task, self._confirmation(PaidKind.RETRY, task.price))
        local_id = task.local_id

        def confirmed() -> None:
            self._controller.run(
                self._controller.resubmit(local_id), name="Submitting the task again"
            )

        box.confirmed.connect(confirmed)
        self._ask(box, lambda _result: None)

    def on_download_again_triggered(self) -> TaskRecord | None:
        """Fetch a failed download's paid video again (free: nothing is submitted)."""
        task = self._current()
        if not can_download_again(task) or task is None:
            return None
        return self._controller.redownload(task.local_id)

    def on_remove_triggered(self) -> None:
        """Ask (saying what it frees), remove the selected finished tasks, say what it freed."""
        task = self._current()
        if task is None or not task.is_final:
            return
        chosen = [t for t in self._selected() if t.is_final] or [task]
        if task not in chosen:
            chosen = [task]
        if self._controller.tasks_complete:
            self._ask_remove(task, chosen, self._controller.tasks(include_hidden=True))
        else:  # (one look at a time: a click meanwhile changes what it asks about)
            self._remove_wanted = [task.local_id, *(t.local_id for t in chosen if t is not task)]
            if not self._finding_others:
                self._finding_others = True
                self._controller.run(self._find_others_then_ask(), name="Removing tasks")

    async def _find_others_then_ask(self) -> None:
        """In a library not loaded whole, a file another task names must be seen, and kept:
        the tasks that may name the chosen tasks' files are read (not every task), then the
        question is asked about the tasks chosen at the last click, as they are now."""
        others: list[TaskRecord] = []
        try:
            asked: tuple[list[str], set[str]] | None = None
            while True:
                ids = self._remove_wanted
                found = []
                for local_id in ids:
                    with contextlib.suppress(KeyError):
                        found.append(self._controller.get(local_id))
                names = {name for t in found for name in t.files if isinstance(name, str)}
                if asked is not None and asked[0] == ids and names <= asked[1]:
                    break  # (else another click, or a task given a file meanwhile)
                others = await self._controller.tasks_naming(names)
                asked = (ids, names)
        finally:
            self._finding_others = False
        if not shiboken6.isValid(self._host):
            return
        if found and found[0].local_id == ids[0] and found[0].is_final:
            chosen = [t for t in found if t.is_final]
            self._ask_remove(found[0], chosen, others)

    def _ask_remove(
        self, task: TaskRecord, chosen: list[TaskRecord], others: list[TaskRecord]
    ) -> None:
        """The Remove question for ``chosen`` (``task``: the current one, among them);
        ``others``: the tasks that may name their files (every task will do)."""
        box = dialogs.remove_dialog(self._host, task, video_file(task))
        choice = RemovalChoice(box, chosen, others, video_file(task))

        def answered(_result: int) -> None:
            if box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.DestructiveRole:
                choice.carry_out(self._controller)

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
            if self.payment_question is not None:
                return
            dialog.set_busy(True)
            self.payment_question = pay(
                self._controller,
                PaidAction(PaidKind.RESUBMIT, task.price),
                dialog,
                send,
                cap=self._spending_cap(),
                on_declined=declined,
                name="resubmitCapQuestion",
            )

        def declined() -> None:
            self.payment_question = None
            if shiboken6.isValid(dialog):
                dialog.set_busy(False, "Nothing was sent.")

        def send() -> None:
            self.payment_question = None
            if not shiboken6.isValid(dialog):
                return
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
            question = self.payment_question
            if question is not None and shiboken6.isValid(question):
                question.reject()
            self.payment_question = None
            for job in jobs:
                if not job.done() and "Checking" in job.get_name():
                    job.cancel()

        dialog.check_requested.connect(check)
        dialog.resubmit_requested.connect(resubmit)
        dialog.dismiss_requested.connect(dismiss)
        self._ask(dialog, finished)

    # -- building on a video ---------------------------------------------------------------

    def on_extend_triggered(self) -> ExtendDialog | None:
        """Open the extend dialog for the current task (it checks the window again)."""
        from veo_desktop.ui.extend_dialog import open_extend_dialog

        task = self._current()
        if task is None:
            return None
        self._update_extend(task)
        if not self.extend.isEnabled():
            return None
        if self.extend_dialog is not None and shiboken6.isValid(self.extend_dialog):
            self.extend_dialog.close()
        dialog = open_extend_dialog(
            self._controller,
            task,
            spending_cap=self._spending_cap(),
            parent=self._host.window(),
        )
        dialog.submitted.connect(self.task_submitted)
        dialog.destroyed.connect(self._on_extend_dialog_destroyed)
        self.extend_dialog = dialog
        return dialog

    def _on_extend_dialog_destroyed(self, *_args: object) -> None:
        self.extend_dialog = None

    def on_draft_to_final_triggered(self) -> None:
        """Ask (price, note, cap), then submit the draft's request in quality mode."""
        task = self._current()
        if task is None or draft_problem(task) is not None:
            return
        request = lineage.draft_to_final(task)
        box = dialogs.draft_to_final_dialog(
            self._host,
            task,
            request,
            lineage.draft_to_final_note(task),
            self._confirmation(PaidKind.DRAFT_TO_FINAL, request.price),
        )
        box.confirmed.connect(lambda: self.submit_final(task.local_id, request))
        self._ask(box, lambda _result: None)

    def submit_final(self, local_id: str, request: GenerationRequest) -> asyncio.Task[Any] | None:
        """Submit the final version of ``local_id`` (the dialog's answer; tests call it)."""
        if local_id in self._submitting:
            return None  # one final per click, never two
        self._submitting.add(local_id)

        async def submit() -> TaskRecord | None:
            try:
                return await self._submit_quietly(request, "Could not make the final version")
            finally:
                self._submitting.discard(local_id)

        return self._controller.run(submit(), name="Making the final version")

    async def _submit_quietly(self, request: GenerationRequest, title: str) -> TaskRecord | None:
        """Submit through the controller; failures reach ``action_failed`` (a message box),
        not the composer's own error line."""
        controller = self._controller
        try:
            record = await controller.submit_quietly(request)
        except RequestInvalidError as error:
            controller.action_failed.emit(title, blocked_images_message(request, error))
            return None
        except SubmissionUncertainError as error:
            controller.action_failed.emit("The submission is uncertain", str(error))
            return None
        except ApixoError as error:
            controller.action_failed.emit(title, str(error))
            return None
        except LOCAL_ERRORS as error:
            controller.action_failed.emit(title, f"Not saved on this computer: {error}")
            return None
        self.task_submitted.emit(record)
        return record

    def on_compare_triggered(self) -> CompareWindow | None:
        """Open the two selected finished videos side by side (the older one on the left)."""
        from veo_desktop.ui.compare import open_compare

        chosen = [t for t in self._selected() if t.state == TaskState.SUCCEEDED and video_file(t)]
        if len(chosen) != 2:
            return None
        left, right = sorted(chosen, key=lambda t: t.created_at)
        window = open_compare(left, right, parent=self._host.window())
        window.destroyed.connect(self._on_compare_window_destroyed)
        self.compare_window = window
        return window

    def _on_compare_window_destroyed(self, *_args: object) -> None:
        self.compare_window = None

    def close(self) -> None:
        self._refresh.stop()
        self._close_dialog()
        for window in (self.extend_dialog, self.compare_window):
            if window is not None and shiboken6.isValid(window):
                window.close()
