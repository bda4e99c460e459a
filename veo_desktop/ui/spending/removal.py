"""What removing tasks frees, said in the Remove question before and in the status bar after.

The task list's Remove asks through :func:`veo_desktop.ui.tasks.dialogs.remove_dialog`;
:class:`RemovalChoice` words that question from :func:`veo_desktop.core.cleanup.removal_plan`
("Remove 3 tasks and 41 MB of videos?", following the "Also delete" box), removes the
tasks through the controller (the engine's remove) and says what really left the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QCheckBox, QMessageBox

from veo_desktop.core.cleanup import Freed, FreePlan, carry_out, removal_plan, size_text
from veo_desktop.records.task import TaskRecord

if TYPE_CHECKING:
    from veo_desktop.ui.controller import EngineController


class RemovalChoice:
    """The Remove question's wording and answer for ``chosen`` tasks.

    Args:
        box: the question (its "Also delete" check box is added when there are files and
            it has none).
        chosen: the tasks to remove.
        others: the tasks that may name the same files (every task will do): a file
            another task names is never counted or deleted.
        video: the current task's video (named in the check box when one task is removed).
    """

    def __init__(
        self,
        box: QMessageBox,
        chosen: Sequence[TaskRecord],
        others: Sequence[TaskRecord],
        video: Path | None,
    ) -> None:
        self._box = box
        self.with_files = removal_plan(chosen, others, delete_files=True)
        self.without = removal_plan(chosen, others, delete_files=False)
        # None when the question has no check box (PySide's stubs say otherwise).
        check = cast("QCheckBox | None", box.checkBox())
        if check is None and self.with_files.files:
            check = QCheckBox(box)
            check.setObjectName("deleteFileCheck")
            check.setAccessibleName("Also delete the video files")
            box.setCheckBox(check)
        self._check = check
        if check is not None:
            size = size_text(self.with_files.bytes)
            deleted = {path for path, _size in self.with_files.files}
            if len(chosen) == 1 and video is not None and video in deleted:
                check.setText(f"Also delete the video file ({video.name}, {size})")
            else:
                its = "its" if len(chosen) == 1 else "their"
                check.setText(f"Also delete {its} videos ({size})")
            check.toggled.connect(self.on_check_toggled)
        self.on_check_toggled()

    @property
    def delete_files(self) -> bool:
        return self._check is not None and self._check.isChecked()

    @property
    def plan(self) -> FreePlan:
        """What the answer so far removes and deletes."""
        return self.with_files if self.delete_files else self.without

    def on_check_toggled(self, *_checked: object) -> None:
        self._box.setText(self.plan.question())

    def carry_out(self, controller: EngineController) -> Freed:
        """Remove the tasks, then say what was removed and freed (``action_done``)."""
        freed = remove_plan(controller, self.plan)
        controller.action_done.emit(freed.text())
        return freed


def remove_plan(controller: EngineController, plan: FreePlan) -> Freed:
    """Take ``plan``'s tasks out of the list (their files kept: the engine's remove would
    delete every file of a task, also one a kept task names), then delete exactly the
    plan's files. Counts only the tasks that really left the list (the controller reports
    a task it could not remove itself)."""
    freed = carry_out(plan, lambda local_id: controller.remove(local_id, delete_files=False))
    removed = sum(1 for local_id in plan.tasks if _hidden(controller, local_id))
    return replace(freed, tasks=removed)


def _hidden(controller: EngineController, local_id: str) -> bool:
    try:
        return controller.get(local_id).hidden
    except KeyError:
        return False
