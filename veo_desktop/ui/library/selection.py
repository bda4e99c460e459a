"""Which selected tasks to select again after the task list was filtered anew (a filter
change resets the list, and a reset forgets the selection), and many rows as one selection."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QAbstractItemModel, QItemSelection
from PySide6.QtWidgets import QAbstractItemView

from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy

#: Past this many selected rows only the current task is kept (reading them all back
#: would cost more than the filter itself).
KEEP_AT_MOST = 1000


def refilter_keeping(
    view: QAbstractItemView,
    proxy: TaskFilterProxy,
    current: str | None,
    refilter: Callable[[], None],
) -> list[str]:
    """Run ``refilter``; returns the previously selected tasks still shown, the current
    one first (empty: none of them is shown any more)."""
    selection = view.selectionModel()
    ranges = selection.selection()
    many = sum(ranges.at(i).height() for i in range(ranges.count())) > KEEP_AT_MOST
    kept = [] if many else [str(i.data(LOCAL_ID_ROLE)) for i in selection.selectedRows()]
    refilter()
    model = proxy.task_model()
    shown = [i for i in kept if _shown(proxy, model, i)]
    if current is not None and _shown(proxy, model, current):
        shown = [current, *(i for i in shown if i != current)]
    return shown


def _shown(proxy: TaskFilterProxy, model: TaskTableModel, local_id: str) -> bool:
    return proxy.mapFromSource(model.index_of(local_id)).isValid()


def row_ranges(model: QAbstractItemModel, rows: Iterable[int]) -> QItemSelection:
    """The rows ``rows`` of ``model`` (negative ones left out) as few ranges, consecutive
    rows merged: thousands of rows selected in one change of the selection."""
    selection = QItemSelection()
    ordered = sorted({row for row in rows if row >= 0})
    start = 0
    for n in range(1, len(ordered) + 1):
        if n == len(ordered) or ordered[n] != ordered[n - 1] + 1:
            selection.select(model.index(ordered[start], 0), model.index(ordered[n - 1], 0))
            start = n
    return selection
