"""Which tiles the gallery shows, in which order and under which headers: the rows of the task
list's filtered model that are finished videos, grouped (no geometry, no painting).

:class:`GalleryItems` keeps the videos in gallery order (``tasks[p]`` is the task at
position ``p``, positions running 0 to count - 1 through the sections in order) and the
sections (a key, a title, how many). It is worked out whole after a filter, sort or grouping
change (:meth:`GalleryItems.rebuild`); a video that arrives, changes or leaves goes straight
to its place (:meth:`GalleryItems.add`, :meth:`GalleryItems.drop`): its section is found
by key and its place inside by binary search on the model row (a section keeps the list's
order), so a finished task at 100,000 costs what one section's bookkeeping costs.

No model row is stored: rows move whenever a task is added above them. A position's row is
asked of the model (the task's row in the task model, then in the filter's rows).
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QItemSelection,
    QSortFilterProxyModel,
)

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.library.gallery_groups import (
    NO_STORYBOARD_TITLE,
    SINGLES_TITLE,
    Grouping,
    GroupKeys,
    Section,
    count_text,
    day_title,
    run_title,
)
from veo_desktop.ui.tasks.columns import TAKE_ROLE, TASK_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.takes import RUN_GAP

#: What a section is: ("day", ordinal), ("board", title or None), ("run", run key, first
#: take's id), or SINGLES (videos in no run).
SectionKey = tuple[Hashable, ...]
SINGLES: SectionKey = ("singles",)


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
    # (a shelved row's task, None here, is no tile: see TaskPanel's gallery)
    listed: Sequence[TaskRecord | None] | None = None
    if callable(source_rows) and isinstance(source, TaskTableModel):
        everything = source.full_tasks()
        shown = source_rows()
        every_row = isinstance(shown, range) and len(shown) == len(everything)
        listed = everything if every_row else [everything[row] for row in shown]
    elif isinstance(model, QSortFilterProxyModel):
        source = model.sourceModel()
        if isinstance(source, TaskTableModel) and model.rowCount() == source.rowCount():
            listed = source.full_tasks()
    elif isinstance(model, TaskTableModel):
        listed = model.full_tasks()
    if listed is None:
        for row in range(model.rowCount()):
            task = model.index(row, 0).data(TASK_ROLE)
            if isinstance(task, TaskRecord) and is_video(task):
                rows.append(row)
                tasks.append(task)
        return rows, tasks
    succeeded = TaskState.SUCCEEDED
    rows = []
    tasks = []
    for row, task in enumerate(listed):
        if task is not None and task.state is succeeded and task.files:
            rows.append(row)
            tasks.append(task)
    return rows, tasks


@dataclass
class _Group:
    """One section: what it is, its title, how many videos, and where it sorts among the
    others (smaller first)."""

    key: SectionKey
    title: str
    count: int
    order: tuple[float, ...]
    #: A run's "3 Dec 14:02" (its detail says "4 takes · 3 Dec 14:02").
    when: str = ""

    def section(self) -> Section:
        if self.key[0] == "run":
            return Section(self.title, f"{self.count} takes \u00b7 {self.when}", ())
        return Section(self.title, count_text(self.count), ())


class GalleryItems:
    """The gallery's tiles in order and their sections (see the module docstring).

    Args:
        storyboard_of: the storyboard a task is a take of (grouping by storyboard).
    """

    def __init__(self, storyboard_of: Callable[[TaskRecord], str | None] | None = None) -> None:
        self.grouping = Grouping.DAY
        self.storyboard_of = storyboard_of
        #: The videos in gallery order.
        self.tasks: list[TaskRecord] = []
        #: The first position whose tile or section changed in place (the view resets it).
        self.changed_from: int | None = None
        self._groups: list[_Group] = []
        self._firsts: list[int] = []
        self._index_of: dict[SectionKey, int] = {}
        #: The section of every video shown, by local id.
        self._section_of: dict[str, SectionKey] = {}
        #: Grouped by run: the videos shown of each run key (local id -> task).
        self._runs: dict[str, dict[str, TaskRecord]] = {}
        self._keys = GroupKeys()
        self._today = dt.date.today().toordinal()
        self._model: QAbstractItemModel | None = None
        self._task_model: TaskTableModel | None = None
        #: How a task's row in the model is found.
        self._rows_mode: _RowsMode | None = None
        #: Rows of a model that is no task list (asked row by row; changes regroup all).
        self._rows_of_other: dict[str, int] | None = None

    # -- whole ---------------------------------------------------------------------------

    @property
    def incremental(self) -> bool:
        """Whether one video can be added or dropped in place: the model is the task list,
        and the day titles ("Today") were worked out today."""
        if self._rows_mode is None:
            return False
        return self.grouping != Grouping.DAY or dt.date.today().toordinal() == self._today

    def rebuild(self, model: QAbstractItemModel | None, today: int | None = None) -> None:
        """Work the tiles out again from ``model`` (the task list's filtered model)."""
        rows, tasks = shown_tasks(model) if model is not None else ([], [])
        self._model = model
        self._task_model = _task_model_of(model)
        self._rows_mode = _rows_mode(model, self._task_model)
        self._rows_of_other = None
        if model is not None and self._rows_mode is None:
            self._rows_of_other = {t.local_id: row for row, t in zip(rows, tasks, strict=True)}
        self._today = dt.date.today().toordinal() if today is None else today
        self._runs = {}
        placed = self._group_all(tasks)
        self._groups = [group for group, _members in placed]
        self.tasks = [task for _group, members in placed for task in members]
        self._section_of = {
            task.local_id: group.key for group, members in placed for task in members
        }
        self._reindex()
        self._keys.forget_except(set(self._section_of))

    def _group_all(self, tasks: list[TaskRecord]) -> list[tuple[_Group, list[TaskRecord]]]:
        if not tasks:
            return []
        if self.grouping == Grouping.RUN:
            return self._group_runs(tasks)
        buckets: dict[Hashable, list[TaskRecord]] = {}
        values: Iterable[Hashable]
        if self.grouping == Grouping.STORYBOARD:
            kind, title_of = "board", self.storyboard_of or (lambda _task: None)
            values = [title_of(task) for task in tasks]
        else:
            kind, values = "day", self._keys.days(tasks)
        for value, task in zip(values, tasks, strict=True):
            found = buckets.get(value)
            if found is None:
                buckets[value] = [task]
            else:
                found.append(task)
        placed = [
            (self._new_group((kind, value), found), found) for value, found in buckets.items()
        ]
        placed.sort(key=lambda item: item[0].order)
        return placed

    def _group_runs(self, tasks: list[TaskRecord]) -> list[tuple[_Group, list[TaskRecord]]]:
        """One section per variations run (tasks equal but for the seed, each sent within
        :data:`RUN_GAP` of the one before), newest first; videos in no run of two or more
        under :data:`SINGLES_TITLE`, last. Within a section, the list's order."""
        numbered: dict[str, int] = {}  # list places of the videos that may be takes
        singles: list[tuple[int, TaskRecord]] = []
        run_of = self._keys.run
        for n, task in enumerate(tasks):
            key = run_of(task)
            if key is None:
                singles.append((n, task))
            else:
                self._runs.setdefault(key, {})[task.local_id] = task
                numbered[task.local_id] = n
        placed: list[tuple[_Group, list[TaskRecord]]] = []
        mixed = False
        for key, members in self._runs.items():
            runs, alone = self._split_run(key, members.values())
            if alone:
                mixed = True
                singles.extend((numbered[task.local_id], task) for task in alone)
            for group, run in runs:
                placed.append((group, sorted(run, key=lambda t: numbered[t.local_id])))
        placed.sort(key=lambda item: item[0].order)
        if mixed:
            singles.sort(key=lambda item: item[0])
        if singles:
            found = [task for _n, task in singles]
            placed.append((self._new_group(SINGLES, found), found))
        return placed

    def _split_run(
        self, key: str, members: Iterable[TaskRecord]
    ) -> tuple[list[tuple[_Group, list[TaskRecord]]], list[TaskRecord]]:
        """The runs (two or more takes) among the videos of one run key, and the rest."""
        runs: list[tuple[_Group, list[TaskRecord]]] = []
        alone: list[TaskRecord] = []
        run: list[TaskRecord] = []
        for task in [*sorted(members, key=lambda t: t.created_at), None]:
            if task is not None and (not run or task.created_at - run[-1].created_at <= RUN_GAP):
                run.append(task)
                continue
            if len(run) >= 2:
                runs.append((self._new_group(("run", key, run[0].local_id), run), run))
            else:
                alone.extend(run)
            run = [] if task is None else [task]
        return runs, alone

    def _new_group(self, key: SectionKey, members: Sequence[TaskRecord]) -> _Group:
        """The section ``key`` holding ``members`` (its title, count and place)."""
        kind = key[0]
        if kind == "day":
            day = int(str(key[1]))
            return _Group(key, day_title(day, self._today), len(members), (-day,))
        newest = max(task.created_at for task in members) if members else 0.0
        if kind == "run":
            title, when = run_title(members)
            return _Group(key, title, len(members), (0, -newest), when)
        if kind == "board" and key[1] is not None:
            return _Group(key, str(key[1]), len(members), (0, -newest))
        title = SINGLES_TITLE if key == SINGLES else NO_STORYBOARD_TITLE
        return _Group(key, title, len(members), (1, 0))

    def _reindex(self) -> None:
        self._firsts = list(itertools.accumulate((g.count for g in self._groups), initial=0))
        self._firsts.pop()
        self._index_of = {group.key: n for n, group in enumerate(self._groups)}

    # -- one video -----------------------------------------------------------------------

    def _key_for(self, task: TaskRecord) -> SectionKey:
        """The section a new video goes to (grouped by run: see :meth:`_regroup_run`)."""
        if self.grouping == Grouping.STORYBOARD:
            return ("board", self.storyboard_of(task) if self.storyboard_of else None)
        if self.grouping == Grouping.RUN:
            return SINGLES
        return ("day", self._keys.day(task))

    def add(self, task: TaskRecord) -> None:
        """Put a video that was not shown in its place (the model shows it already)."""
        if task.local_id in self._section_of:
            self.drop(task.local_id)
        run = self._keys.run(task) if self.grouping == Grouping.RUN else None
        if run is not None:
            self._regroup_run(run, added=task)
            return
        self._insert(self._key_for(task), task)

    def drop(self, local_id: str) -> TaskRecord | None:
        """Take a shown video out (while the model still has its row); returns it."""
        position = self._position_of_id(local_id)
        if position is None:
            return None
        task = self.tasks[position]
        run = self._keys.run(task) if self.grouping == Grouping.RUN else None
        if run is not None:
            self._regroup_run(run, dropped=local_id)
        else:
            self._remove_at(position)
        return task

    def keeps_place(self, task: TaskRecord) -> bool:
        """Whether the shown video ``task`` (changed) stays in its section."""
        position = self._position_of_id(task.local_id)
        if position is None:
            return False
        old = self.tasks[position]
        if old.created_at != task.created_at:
            return False
        if self.grouping == Grouping.RUN:
            return self._keys.run(old) == self._keys.run(task)
        if self.grouping == Grouping.STORYBOARD:
            return self._key_for(task) == self._section_of[task.local_id]
        return True

    def replace(self, task: TaskRecord) -> bool:
        """A shown video changed: keep its place when its section stays (True), otherwise
        put it where it goes now (False)."""
        position = self._position_of_id(task.local_id)
        if position is None or not self.keeps_place(task):
            self.add(task)
            return False
        self.tasks[position] = task
        run = self._keys.run(task) if self.grouping == Grouping.RUN else None
        members = None if run is None else self._runs.get(run)
        if members is not None and task.local_id in members:
            members[task.local_id] = task
        return True

    def _insert(self, key: SectionKey, task: TaskRecord) -> None:
        index = self._index_of.get(key)
        if index is None:
            group = self._new_group(key, [task])
            index = bisect_right([g.order for g in self._groups], group.order)
            first = self._firsts[index] if index < len(self._groups) else len(self.tasks)
            self._groups.insert(index, group)
            self.tasks.insert(first, task)
            self._touched(first)
            self._section_of[task.local_id] = key
            self._reindex()
            return
        group, first = self._groups[index], self._firsts[index]
        row = self._row_of_id(task.local_id)
        at = bisect_left(self.tasks, row, first, first + group.count, key=self._row_of_task)
        self.tasks.insert(at, task)
        self._touched(first)
        group.count += 1
        self._section_of[task.local_id] = key
        if key[0] == "board" and key[1] is not None and -task.created_at < group.order[1]:
            group.order = (0, -task.created_at)
            self._reindex()
            self._reorder(index)
        else:
            self._reindex()

    def _remove_at(self, position: int) -> None:
        index = bisect_right(self._firsts, position) - 1
        group = self._groups[index]
        task = self.tasks.pop(position)
        self._touched(self._firsts[index])
        del self._section_of[task.local_id]
        group.count -= 1
        if group.count == 0:
            del self._groups[index]
            self._reindex()
            return
        self._reindex()
        if group.key[0] == "board" and group.key[1] is not None:
            first = self._firsts[index]
            newest = max(t.created_at for t in self.tasks[first : first + group.count])
            if newest != -group.order[1]:
                group.order = (0, -newest)
                self._reorder(index)

    def _reorder(self, index: int) -> None:
        """Move section ``index`` (its order changed) to where it sorts now."""
        group, first = self._groups[index], self._firsts[index]
        others = [g.order for n, g in enumerate(self._groups) if n != index]
        target = bisect_right(others, group.order)
        if target == index:
            return
        block = self.tasks[first : first + group.count]
        del self.tasks[first : first + group.count]
        del self._groups[index]
        self._reindex()
        start = self._firsts[target] if target < len(self._groups) else len(self.tasks)
        self.tasks[start:start] = block
        self._touched(min(first, start))
        self._groups.insert(target, group)
        self._reindex()

    def _regroup_run(
        self, key: str, *, added: TaskRecord | None = None, dropped: str | None = None
    ) -> None:
        """The videos of one run key are placed again (a take joins or leaves: runs may
        form, grow, split or end), the rest of the gallery untouched."""
        members = self._runs.setdefault(key, {})
        for local_id in list(members):
            position = self._position_of_id(local_id)
            if position is not None:
                self._remove_at(position)
        if added is not None:
            members[added.local_id] = added
        if dropped is not None:
            members.pop(dropped, None)
        if not members:
            del self._runs[key]
            return
        runs, alone = self._split_run(key, members.values())
        for group, run in runs:
            group.count = 0
            index = bisect_right([g.order for g in self._groups], group.order)
            self._groups.insert(index, group)
            self._reindex()
            for task in run:
                self._insert(group.key, task)
        for task in alone:
            self._insert(SINGLES, task)

    def _touched(self, position: int) -> None:
        if self.changed_from is None or position < self.changed_from:
            self.changed_from = position

    # -- rows and positions --------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.tasks)

    @property
    def sections(self) -> list[Section]:
        return [group.section() for group in self._groups]

    def section(self, index: int) -> Section:
        return self._groups[index].section()

    def counts(self) -> list[int]:
        """How many tiles each section has."""
        return [group.count for group in self._groups]

    def is_shown(self, local_id: str) -> bool:
        return local_id in self._section_of

    def task_at_row(self, row: int) -> TaskRecord | None:
        """The task at ``row`` of the model."""
        model, tasks = self._model, self._task_model
        if model is None or not 0 <= row < model.rowCount():
            return None
        if tasks is not None:
            shown = _source_rows(model)
            if shown is not None:
                return tasks.task_at(shown[row])
            if model is tasks:
                return tasks.task_at(row)
        found = model.index(row, 0).data(TASK_ROLE)
        return found if isinstance(found, TaskRecord) else None

    def position_of(self, row: int) -> int | None:
        """The tile of model row ``row`` (``None``: not shown)."""
        task = self.task_at_row(row)
        return None if task is None else self._position_of_id(task.local_id, row)

    def row_at(self, position: int) -> int:
        """The model row of the tile at ``position``."""
        return self._row_of_id(self.tasks[position].local_id)

    def rows_at(self, positions: Iterable[int]) -> list[int]:
        """The model rows of many tiles (``selectAll``: a map made once)."""
        wanted = list(positions)
        model, tasks = self._model, self._task_model
        shown = _source_rows(model) if model is not None else None
        if len(wanted) < 256 or tasks is None or shown is None or isinstance(shown, range):
            return [self.row_at(p) for p in wanted]
        proxy_row = {source: n for n, source in enumerate(shown)}
        row_of = tasks.row_of
        sources = (row_of(self.tasks[p].local_id) for p in wanted)
        return [-1 if source is None else proxy_row.get(source, -1) for source in sources]

    def _position_of_id(self, local_id: str, row: int | None = None) -> int | None:
        key = self._section_of.get(local_id)
        if key is None:
            return None
        index = self._index_of[key]
        first, count = self._firsts[index], self._groups[index].count
        wanted = self._row_of_id(local_id) if row is None else row
        at = bisect_left(self.tasks, wanted, first, first + count, key=self._row_of_task)
        if at < first + count and self.tasks[at].local_id == local_id:
            return at
        return None

    def _row_of_task(self, task: TaskRecord) -> int:
        return self._row_of_id(task.local_id)

    def _row_of_id(self, local_id: str) -> int:
        """The model row of the task ``local_id`` (-1: none)."""
        others, tasks, model = self._rows_of_other, self._task_model, self._model
        if others is not None:
            return others.get(local_id, -1)
        source = None if tasks is None else tasks.row_of(local_id)
        if source is None or model is None:
            return -1
        if self._rows_mode is _RowsMode.FILTER:
            shown = _source_rows(model)
            if shown is None:
                return -1
            if isinstance(shown, range):
                return source - shown.start if source in shown else -1
            at = bisect_left(shown, source)
            return at if at < len(shown) and shown[at] == source else -1
        if self._rows_mode is _RowsMode.PROXY:
            assert isinstance(model, QAbstractProxyModel) and tasks is not None
            return model.mapFromSource(tasks.index(source, 0)).row()
        return source

    # -- for the view --------------------------------------------------------------------

    def selection(self, model: QAbstractItemModel, positions: Iterable[int]) -> QItemSelection:
        """The model rows at ``positions`` as few ranges (consecutive rows merged)."""
        selection = QItemSelection()
        rows = sorted(row for row in self.rows_at(positions) if row >= 0)
        start = 0
        for n in range(1, len(rows) + 1):
            if n == len(rows) or rows[n] != rows[n - 1] + 1:
                selection.select(model.index(rows[start], 0), model.index(rows[n - 1], 0))
                start = n
        return selection

    def take_of(self, model: QAbstractItemModel, row: int, task: TaskRecord) -> object:
        """The take text of ``task`` at ``row`` ("Take 2/4 \u00b7 seed 17"; "" if none)."""
        if self._task_model is not None:
            # Straight from the task model: no proxy index made for it.
            return self._task_model.index_of(task.local_id).data(TAKE_ROLE)
        return model.index(row, 0).data(TAKE_ROLE)


class _RowsMode(enum.Enum):
    """How the model's rows relate to the task model's."""

    FILTER = "the task list's filter (its source rows, ascending)"
    PROXY = "another proxy of the task model"
    TASKS = "the task model itself"


def _rows_mode(model: QAbstractItemModel | None, tasks: TaskTableModel | None) -> _RowsMode | None:
    if model is None or tasks is None:
        return None
    if _source_rows(model) is not None:
        return _RowsMode.FILTER
    if model is tasks:
        return _RowsMode.TASKS
    if isinstance(model, QAbstractProxyModel) and model.sourceModel() is tasks:
        return _RowsMode.PROXY
    return None


def _task_model_of(model: QAbstractItemModel | None) -> TaskTableModel | None:
    if isinstance(model, TaskTableModel):
        return model
    task_model = getattr(model, "task_model", None)
    found = task_model() if callable(task_model) else None
    if isinstance(found, TaskTableModel):
        return found
    if isinstance(model, QAbstractProxyModel) and isinstance(model.sourceModel(), TaskTableModel):
        source = model.sourceModel()
        assert isinstance(source, TaskTableModel)
        return source
    return None


def _source_rows(model: QAbstractItemModel) -> Sequence[int] | None:
    """The task-model rows the task list's filter shows (``None``: no such filter)."""
    source_rows = getattr(model, "source_rows", None)
    if not callable(source_rows):
        return None
    rows = source_rows()
    return rows if isinstance(rows, range | list) else None
