"""The window never shows a server's raw control characters (issue 12, #7): fail messages,
notes and APIXO ids are escaped in the task list, its tooltips, notifications and dialogs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from tests.ui.tasks_support import make_record
from veo_desktop.core.spending import MoneyPolicy, PaidAction, PaidKind
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.safe_text import is_printable
from veo_desktop.ui.notifications import compose
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.model import TaskTableModel

HOSTILE = "Bad \x1b[31mred\x1b[0m answer \u202eFDP.exe\u202c\r\nCRITICAL forged\x07"


# -- server text is escaped wherever the window shows it -------------------------------------


def _shown_texts(widget: QWidget) -> list[str]:
    texts = [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription()]
    for label in widget.findChildren(QLabel):
        texts += [label.text(), label.toolTip()]
    if isinstance(widget, QMessageBox):
        texts += [widget.text(), widget.informativeText(), widget.windowTitle()]
    return texts


def test_a_hostile_fail_message_is_escaped_in_the_list_dialogs_and_notifications(
    qtbot: Any,
) -> None:
    task = make_record(
        1,
        state=TaskState.FAILED,
        fail_code="Odd\x1bCode",
        fail_message=HOSTILE,
        apixo_task_id="task\u202eid",
    )
    model = TaskTableModel()
    model.set_tasks([task])
    shown: list[str] = []
    for column in Column:
        index = model.index(0, column)
        for role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            value = index.data(role)
            if isinstance(value, str):
                shown.append(value)
    assert any("\\x1b[31mred" in text for text in shown), "the message is still shown"
    assert any("\\u202eFDP.exe" in text for text in shown)
    title, message = compose([task])
    shown += [title, message]
    box = dialogs.retry_dialog(
        None,  # type: ignore[arg-type]
        task,
        MoneyPolicy().decide(PaidAction(PaidKind.RETRY, task.price)),
    )
    qtbot.addWidget(box)
    shown += _shown_texts(box)
    resolve = dialogs.ResolveDialog(task.evolve(state=TaskState.UNCERTAIN))
    qtbot.addWidget(resolve)
    resolve.show_answer(HOSTILE)
    shown += _shown_texts(resolve)
    bad = [text for text in shown if not is_printable(text.replace("\n", " "))]
    assert bad == []
