"""Which tiles the gallery shows, in which order and under which headers: the rows of the task
list's filtered model that are finished videos, grouped (no geometry, no painting).

:class:`GalleryItems` is worked out again whenever the list changes; positions (0 to count - 1)
run through the sections in order, ``rows[p]`` is the model row of position ``p`` and
``tasks[p]`` its task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QItemSelection, QSortFilterProxyModel

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.library.gallery_groups import Grouping, GroupKeys, Section, group
from veo_desktop.ui.tasks.columns import TAKE_ROLE, TASK_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel


def is_video(task: TaskRecord) -> bool:
    """Whether the gallery shows ``task``: a finished task with its video downloaded."""
    return task.state == TaskState.SUCCEEDED and bool(task.files)


def shown_tasks(model: QAbstractItemModel) -> tuple[list[int], list[TaskRecord]]:
    """The rows of ``model`` (the task list's filter proxy) that are videos, with their tasks.

    The proxy says which task-model rows it shows (``source_rows()``), so no row is mapped
    one by one; a ``QSortFilterProxyModel`` that shows every row maps row to row (it keeps
    the source's order); any other model is asked row by row.
    """
    rows: list[int] = []
    tasks: list[TaskRecord] = []
    source_rows = getattr(model, "source_rows", None)
    task_model = getattr(model, "task_model", None)
    source = task_model() if callable(task_model) else None
    listed: Sequence[TaskRecord] | None = None
    if callable(source_rows) and isinstance(source, TaskTableModel):
        everything = source.tasks()
        shown = source_rows()
        every_row = isinstance(shown, range) and len(shown) == len(everything)
        listed = everything if every_row else [everything[row] for row in shown]
    elif isinstance(model, QSortFilterProxyModel):
        source = model.sourceModel()
        if isinstance(source, TaskTableModel) and model.rowCount() == source.rowCount():
            listed = source.tasks()
    if listed is None:
        for row in range(model.rowCount()):
            task = model.index(row, 0).data(TASK_ROLE)
            if isinstance(task, TaskRecord) and is_video(task):
                rows.append(row)
                tasks.append(task)
        return rows, tasks
    succeeded = TaskState.SUCCEEDED
    rows = [row for row, task in enumerate(listed) if task.state is succeeded and task.files]
    return rows, [listed[row] for row in rows]


class GalleryItems:
    """The gallery's tiles in order and their sections (see the module docstring).

    Args:
        storyboard_of: the storyboard a task is a take of (grouping by storyboard).
    """

    def __init__(self, storyboard_of: Callable[[TaskRecord], str | None] | None = None) -> None:
        self.grouping = Grouping.DAY
        self.storyboard_of = storyboard_of
        self.rows: list[int] = []
        self.tasks: list[TaskRecord] = []
        self.position_of: dict[int, int] = {}
        self.sections: list[Section] = []
        self._keys = GroupKeys()
        self._task_model: TaskTableModel | None = None

    def rebuild(self, model: QAbstractItemModel | None) -> None:
        """Work the tiles out again from ``model`` (the task list's filtered model)."""
        rows, tasks = shown_tasks(model) if model is not None else ([], [])
        task_model = getattr(model, "task_model", None)
        found = task_model() if callable(task_model) else None
        self._task_model = found if isinstance(found, TaskTableModel) else None
        sections = group(tasks, self.grouping, self._keys, storyboard_of=self.storyboard_of)
        order = [position for section in sections for position in section.positions]
        self.rows = [rows[p] for p in order]
        self.tasks = [tasks[p] for p in order]
        self.position_of = {row: n for n, row in enumerate(self.rows)}
        self.sections = sections
        self._keys.forget_except({task.local_id for task in tasks})

    def counts(self) -> list[int]:
        """How many tiles each section has."""
        return [len(section.positions) for section in self.sections]

    def selection(self, model: QAbstractItemModel, positions: Iterable[int]) -> QItemSelection:
        """The model rows at ``positions`` as few ranges (consecutive rows merged)."""
        selection = QItemSelection()
        rows = sorted(self.rows[p] for p in positions)
        start = 0
        for n in range(1, len(rows) + 1):
            if n == len(rows) or rows[n] != rows[n - 1] + 1:
                selection.select(model.index(rows[start], 0), model.index(rows[n - 1], 0))
                start = n
        return selection

    def take_of(self, model: QAbstractItemModel, row: int) -> object:
        """The take text of the task at ``row`` ("Take 2/4 \u00b7 seed 17"; "" if none)."""
        position = self.position_of.get(row)
        if self._task_model is not None and position is not None:
            # Straight from the task model: no proxy index made for it.
            index = self._task_model.index_of(self.tasks[position].local_id)
            return index.data(TAKE_ROLE)
        return model.index(row, 0).data(TAKE_ROLE)
