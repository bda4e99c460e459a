"""What a person can do with a task: the toolbar's and the context menu's actions.

Each action works on the current task (the one selected in the list), except Compare, which
works on the two selected ones. Actions that cost money (retry, Resolve's submit again,
extend, draft to final) go through the money policy (:mod:`veo_desktop.ui.money`): retry and
draft to final always ask with the price; every one asks first when it would pass the
daily spending cap. Nothing paid is sent without that explicit choice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from veo_desktop.api.errors import ApixoError, SubmissionUncertainError
from veo_desktop.api.models import GenerationRequest, RequestInvalidError
from veo_desktop.core import lineage
from veo_desktop.core.engine import redownload_problem
from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.controller import LOCAL_ERRORS, EngineController, blocked_images_message
from veo_desktop.ui.money import PaymentQuestion, pay
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import ask_save_path, reveal_in_file_manager, video_file
from veo_desktop.ui.tasks.icons import glyph_icon

if TYPE_CHECKING:
    from veo_desktop.ui.compare import CompareWindow
    from veo_desktop.ui.extend_dialog import ExtendDialog

logger = logging.getLogger(__name__)

#: States a failed task can be retried from (uncertain ones go through "Resolve").
RETRYABLE = frozenset({TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST})
#: How often the extend action's window ("extendable for ...") is checked again.
EXTEND_REFRESH_MS = 60_000


class TaskActions(QObject):
    """The task actions, their enabled state, and the questions they ask.

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
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(host)
        self._controller = controller
        self._host = host
        self._current = current
        self._selected = selected or (lambda: [t for t in (current(),) if t is not None])
        self._spending_cap = spending_cap or (lambda: None)
        self._clock = clock
        #: The question being asked (tests answer it); ``None`` when none is open.
        self.dialog: QDialog | None = None
        #: The money question Resolve's "Submit again" opened (while it is open).
        self.payment_question: PaymentQuestion | None = None
        #: The extend dialog opened last (while it is open); tests drive it.
        self.extend_dialog: ExtendDialog | None = None
        #: The compare window opened last (while it is open).
        self.compare_window: CompareWindow | None = None
        self._submitting: set[str] = set()
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
        self.download_again = make(
            "downloadAgainAction",
            "Download again",
            "save",
            "Download the paid video again from APIXO (free while APIXO keeps it, 24 hours)",
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
        self.extend = make(
            "extendAction",
            "Extend\u2026",
            "extend",
            "Continue this video with a new prompt (APIXO keeps a video 24 hours)",
        )
        self.draft_to_final = make(
            "draftToFinalAction",
            "Draft to final\u2026",
            "final",
            "Make this fast draft again in quality mode, with the same prompt and seed",
        )
        self.compare = make(
            "compareAction",
            "Compare",
            "compare",
            "Play the two selected videos side by side, in sync",
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
        self.download_again.triggered.connect(self.on_download_again_triggered)
        self.remove.triggered.connect(self.on_remove_triggered)
        self.extend.triggered.connect(self.on_extend_triggered)
        self.draft_to_final.triggered.connect(self.on_draft_to_final_triggered)
        self.compare.triggered.connect(self.on_compare_triggered)
        # "Extendable for 3 h more" moves with the clock; the action closes with the window.
        self._refresh = QTimer(self)
        self._refresh.setInterval(EXTEND_REFRESH_MS)
        self._refresh.timeout.connect(self.on_refresh_timeout)
        self._refresh.start()

    @property
    def toolbar_actions(self) -> list[QAction | None]:
        """The toolbar's actions (``None`` is a separator)."""
        # "Save as" lives beside the preview and Compare (two selected rows) in the menus: the
        # toolbar keeps the size it had, one row on a small screen.
        return [
            self.preview,
            self.show_in_folder,
            None,
            self.reuse,
            self.extend,
            self.download_again,
            self.retry,
            self.resolve,
            None,
            self.remove,
        ]

    def fill_menu(self, menu: QMenu) -> None:
        """The context menu: every action, grouped ("Download again" where it applies)."""
        self.update(self._current())
        again = [self.download_again] if self.download_again.isEnabled() else []
        groups = [
            [self.preview, self.save_as, self.show_in_folder, self.compare],
            [self.copy_task_id, self.copy_result_url],
            [self.reuse, self.extend, self.draft_to_final, *again, self.retry, self.resolve],
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
        again = can_download_again(task)
        self.download_again.setEnabled(again)
        # Shown (toolbar, menu) only where it applies: the toolbar keeps its size otherwise.
        self.download_again.setVisible(again)
        self.remove.setEnabled(task is not None and task.is_final)
        if task is not None and task.state in RETRYABLE:
            self.retry.setText(f"Retry ({fmt.money_text(task.price)})\u2026")
        else:
            self.retry.setText("Retry\u2026")
        if task is not None and task.is_active:
            self.remove.setToolTip("A running task can be removed once it has finished")
        else:
            self.remove.setToolTip("Remove the task from the list")
        self._update_extend(task)
        self._update_draft_to_final(task)
        self.update_selection()

    def update_selection(self) -> None:
        """Compare is possible with exactly two finished videos selected."""
        chosen = self._selected()
        videos = [t for t in chosen if t.state == TaskState.SUCCEEDED and video_file(t)]
        ok = len(chosen) == 2 and len(videos) == 2
        self.compare.setEnabled(ok)
        if ok:
            tip = "Play the two selected videos side by side, in sync"
        elif len(chosen) == 2:
            tip = "Both selected tasks need a finished, downloaded video to compare"
        else:
            tip = "Select two finished videos (Ctrl+click) to compare them"
        _tip(self.compare, tip)

    def _update_extend(self, task: TaskRecord | None) -> None:
        if task is None:
            self.extend.setEnabled(False)
            _tip(self.extend, "Select a finished video to extend it")
            return
        now = self._clock()
        records = self._records_for(task)
        able = lineage.can_extend(task, now, records=records)
        self.extend.setEnabled(able)
        text = lineage.extend_window_text(task, now, records=records)
        _tip(self.extend, f"Continue this video with a new prompt. {text}" if able else text)

    def _update_draft_to_final(self, task: TaskRecord | None) -> None:
        reason = _draft_problem(task)
        self.draft_to_final.setEnabled(reason is None)
        if reason is None and task is not None:
            price = fmt.money_text(lineage.draft_to_final(task).price)
            self.draft_to_final.setText(f"Draft to final ({price})\u2026")
            _tip(
                self.draft_to_final,
                f"Make this fast draft again in quality mode ({price}), same prompt and seed",
            )
        else:
            self.draft_to_final.setText("Draft to final\u2026")
            _tip(self.draft_to_final, reason or "")

    def _records_for(self, task: TaskRecord) -> list[TaskRecord]:
        """The extends that name ``task`` (APIXO's refusals among them end its window)."""
        if task.is_extend or task.state != TaskState.SUCCEEDED:
            return []
        return self._controller.extends_of(task)

    def on_refresh_timeout(self) -> None:
        task = self._current()
        if task is not None and task.state == TaskState.SUCCEEDED:
            self._update_extend(task)

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
        if task is None or _draft_problem(task) is not None:
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


def can_download_again(task: TaskRecord | None) -> bool:
    """Whether "Download again" applies: a paid video that could not be downloaded (or
    not all of a task's videos), its result links kept (the engine's one rule)."""
    return task is not None and redownload_problem(task) is None


def _tip(action: QAction, text: str) -> None:
    action.setToolTip(text)
    action.setStatusTip(text)


def _draft_problem(task: TaskRecord | None) -> str | None:
    """Why "Draft to final" does not apply to ``task`` (None when it does)."""
    if task is None:
        return "Select a finished fast video to make it again in quality mode"
    if task.state != TaskState.SUCCEEDED:
        return "Only a finished draft can be made final"
    try:
        lineage.draft_to_final(task)
    except ValueError as error:
        return str(error)
    return None
