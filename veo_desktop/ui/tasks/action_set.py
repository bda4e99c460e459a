"""The task actions themselves: the toolbar's and the context menu's QActions, and when
each one is enabled (and what its text and tip say) for the current task.

:class:`TaskActionSet` knows nothing of what an action does when triggered:
:class:`~veo_desktop.ui.tasks.actions.TaskActions` adds that.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from veo_desktop.core import lineage
from veo_desktop.core.engine import redownload_problem
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.shortcuts import shortcut
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file
from veo_desktop.ui.tasks.icons import glyph_icon
from veo_desktop.ui.tasks.shelved import is_stand_in

#: States a failed task can be retried from (uncertain ones go through "Resolve").
RETRYABLE = frozenset({TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST})
#: How often the extend action's window ("extendable for ...") is checked again.
EXTEND_REFRESH_MS = 60_000


class TaskActionSet(QObject):
    """The task actions and their enabled state (see the module docstring).

    Args:
        controller: the engine controller (the extends of a video end its window early).
        host: the widget shortcuts live on (and the actions' parent).
        current: returns the task the actions apply to (``None`` when nothing is selected).
        selected: returns every selected task (Compare needs exactly two finished ones).
        selected_count: how many tasks are selected (asked first: the tasks are read only
            when Compare may be possible; a large library's rows may need reading).
        clock: unix time (how long a video stays extendable); tests pass a fake.
    """

    def __init__(
        self,
        controller: EngineController,
        host: QWidget,
        current: Callable[[], TaskRecord | None],
        *,
        selected: Callable[[], list[TaskRecord]] | None = None,
        selected_count: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(host)
        self._controller = controller
        self._host = host
        self._current = current
        self._selected = selected or (lambda: [t for t in (current(),) if t is not None])
        self._selected_count = selected_count or (lambda: len(self._selected()))
        self._clock = clock

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
        self.add_to_storyboard = make(
            "addToStoryboardAction",
            "Add to storyboard",
            "film",
            "Add this video as a shot of the storyboard shown in the Storyboard tab",
        )
        self.edit_labels = make(
            "editLabelsAction",
            "Rate and tag\u2026",
            None,
            "Set the stars, favourite, tags and note of the selected tasks",
        )
        self.remove.setShortcuts(shortcut("remove_task").sequences())
        self.remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_task_id.setShortcuts(shortcut("copy_task_id").sequences())
        self.copy_task_id.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in (self.remove, self.copy_task_id):
            host.addAction(action)

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
            [self.add_to_storyboard, self.edit_labels],
            [self.remove],
        ]
        for number, group in enumerate(groups):
            if number:
                menu.addSeparator()
            for action in group:
                menu.addAction(action)

    def update(self, task: TaskRecord | None) -> None:
        """Enable what makes sense for ``task`` and say the price where one is paid (nothing
        for a row whose task could not be read)."""
        if is_stand_in(task):
            task = None
        has_video = video_file(task) is not None
        self.preview.setEnabled(has_video)
        self.save_as.setEnabled(has_video)
        self.show_in_folder.setEnabled(has_video)
        self.copy_task_id.setEnabled(task is not None and task.apixo_task_id is not None)
        self.copy_result_url.setEnabled(task is not None and bool(task.result_urls))
        self.reuse.setEnabled(task is not None and not task.is_extend)
        self.add_to_storyboard.setEnabled(has_video and task is not None and task.is_final)
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
        count = self._selected_count()
        self.edit_labels.setEnabled(count > 0)
        chosen = self._selected() if count == 2 else []
        videos = [t for t in chosen if t.state == TaskState.SUCCEEDED and video_file(t)]
        ok = len(chosen) == 2 and len(videos) == 2
        self.compare.setEnabled(ok)
        if ok:
            tip = "Play the two selected videos side by side, in sync"
        elif count == 2:
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
        reason = draft_problem(task)
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


def can_download_again(task: TaskRecord | None) -> bool:
    """Whether "Download again" applies: a paid video that could not be downloaded (or
    not all of a task's videos), its result links kept (the engine's one rule)."""
    return task is not None and redownload_problem(task) is None


def _tip(action: QAction, text: str) -> None:
    action.setToolTip(text)
    action.setStatusTip(text)


def draft_problem(task: TaskRecord | None) -> str | None:
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
