"""Which tiles the gallery shows, in which order and under which headers: the rows of the task
list's filtered model that are finished videos, grouped (no geometry, no painting).

:class:`GalleryItems` keeps the videos in gallery order (``rows[p]`` is the list row at
position ``p``, positions running 0 to count - 1 through the sections in order) and the
sections (a key, a title, how many). It is worked out whole after a filter, sort or grouping
change (:meth:`GalleryItems.rebuild`); a video that arrives, changes or leaves goes straight
to its place (:meth:`GalleryItems.add`, :meth:`GalleryItems.drop`): its section is found
by key and its place inside by binary search on the model row (a section keeps the list's
order), so a finished task at 100,000 costs what one section's bookkeeping costs.

The tiles are the task list's own rows (``TaskRow`` or ``ShelvedRow``, see
:mod:`~veo_desktop.ui.tasks.shelved`), grouped by their facts: nothing is read to group a
large library's shelved rows, and the gallery holds a pointer and a section entry a video.
A tile's record is asked of the task model when it is painted (:meth:`GalleryItems.tasks_at`:
the tiles in view in one read, kept among the rows shown lately).

No model row is stored: rows move whenever a task is added above them. A position's row is
asked of the model (the row's key in the task model, then in the filter's rows).
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
    run_when,
)
from veo_desktop.ui.library.selection import row_ranges
from veo_desktop.ui.tasks.cells import TaskRow
from veo_desktop.ui.tasks.columns import TAKE_ROLE, TASK_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.row_index import IdKey
from veo_desktop.ui.tasks.shelved import ListRow, is_stand_in
from veo_desktop.ui.tasks.takes import RUN_GAP

#: What a section is: ("day", ordinal), ("board", title or None), ("run", run key hashed,
#: first take's id key), or SINGLES (videos in no run).
SectionKey = tuple[Hashable, ...]
SINGLES: SectionKey = ("singles",)
_SUCCEEDED = TaskState.SUCCEEDED


def is_video(row: ListRow) -> bool:
    """Whether the gallery shows ``row``: a finished task with its video downloaded."""
    return row.state is _SUCCEEDED and row.has_files


def video_rows(model: QAbstractItemModel) -> tuple[list[int] | None, list[ListRow]]:
    """The rows of ``model`` (the task list's filter proxy) that are videos: the task list's
    rows (nothing read), and their numbers in ``model`` when it is no view of the task
    list's (``None``: the task list finds them).

    The proxy says which task-model rows it shows (``source_rows()``), so no row is mapped
    one by one; a ``QSortFilterProxyModel`` that shows every row maps row to row (it keeps
    the source's order); any other model is asked row by row for its tasks.
    """
    numbers: list[int] = []
    found: list[ListRow] = []
    source_rows = getattr(model, "source_rows", None)
    task_model = _task_model_of(model)
    listed: Sequence[ListRow] | None = None
    if callable(source_rows) and task_model is not None and task_model is not model:
        everything = task_model.listed_rows()
        shown = source_rows()
        every_row = isinstance(shown, range) and len(shown) == len(everything)
        listed = everything if every_row else [everything[row] for row in shown]
    elif isinstance(model, QSortFilterProxyModel) and task_model is model.sourceModel():
        if task_model is not None and model.rowCount() == task_model.rowCount():
            listed = task_model.listed_rows()
    elif isinstance(model, TaskTableModel):
        listed = model.listed_rows()
    if listed is None:
        for number in range(model.rowCount()):
            task = model.index(number, 0).data(TASK_ROLE)
            if isinstance(task, TaskRecord) and task.state is _SUCCEEDED and task.files:
                numbers.append(number)
                found.append(TaskRow(task))
        return numbers, found
    # (no number kept a row: at 100,000 rows, megabytes made and dropped at each regrouping)
    return None, [row for row in listed if row.state is _SUCCEEDED and row.has_files]


@dataclass
class _Group:
    """One section: what it is, how many videos, where it sorts among the others (smaller
    first), and its title."""

    key: SectionKey
    count: int
    order: tuple[object, ...]
    #: "" for a run until its header is first asked for (its first take's prompt is read).
    title: str = ""
    #: A run's first take (its prompt is the run's title).
    first: ListRow | None = None
    #: A run's "3 Dec 14:02" (its detail says "4 takes · 3 Dec 14:02").
    when: str = ""

    def section(self, prompt_of: Callable[[ListRow], str | None]) -> Section:
        """The header (a run's title read when first asked for: ``prompt_of`` the first
        take; None while its task cannot be read, the title is not kept)."""
        if self.key[0] == "run":
            title = self.title
            if not title and self.first is not None:
                prompt = prompt_of(self.first)
                title = run_title(prompt or "")
                self.title = "" if prompt is None else title
            return Section(title, f"{self.count} takes \u00b7 {self.when}", ())
        return Section(self.title, count_text(self.count), ())


class GalleryItems:
    """The gallery's tiles in order and their sections (see the module docstring).

    Args:
        storyboard_of: the storyboard a task (by local id) is a take of (grouping by
            storyboard).
    """

    def __init__(self, storyboard_of: Callable[[str], str | None] | None = None) -> None:
        self.grouping = Grouping.DAY
        self.storyboard_of = storyboard_of
        #: The videos in gallery order (the task list's rows).
        self.rows: list[ListRow] = []
        #: The first position whose tile or section changed in place (the view resets it).
        self.changed_from: int | None = None
        self._groups: list[_Group] = []
        self._firsts: list[int] = []
        self._index_of: dict[SectionKey, int] = {}
        #: The section of every video shown, by its row's id key.
        self._section_of: dict[IdKey, SectionKey] = {}
        #: Grouped by run: the videos shown of each run key (one row, or a list of them).
        self._runs: dict[int, ListRow | list[ListRow]] = {}
        self._keys = GroupKeys()
        self._today = dt.date.today().toordinal()
        self._model: QAbstractItemModel | None = None
        self._task_model: TaskTableModel | None = None
        #: How a task's row in the model is found.
        self._rows_mode: _RowsMode | None = None
        #: Rows of a model that is no task list (asked row by row; changes regroup all).
        self._rows_of_other: dict[IdKey, int] | None = None

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
        self.rows = []  # (the old order freed first)
        self._section_of = {}
        self._runs = {}
        numbers, found = video_rows(model) if model is not None else ([], [])
        self._model = model
        self._task_model = _task_model_of(model)
        self._rows_mode = _rows_mode(model, self._task_model)
        self._rows_of_other = None
        if numbers is not None and self._rows_mode is None:
            self._rows_of_other = {
                row.id_key: number for number, row in zip(numbers, found, strict=True)
            }
        del numbers
        self._today = dt.date.today().toordinal() if today is None else today
        placed = self._group_all(found)
        del found
        self._groups = [group for group, _members in placed]
        self.rows = [row for _group, members in placed for row in members]
        self._section_of = {row.id_key: group.key for group, members in placed for row in members}
        del placed
        self._reindex()
        self._keys.forget_except(self._section_of, len(self._section_of))

    def _group_all(self, rows: list[ListRow]) -> list[tuple[_Group, list[ListRow]]]:
        if not rows:
            return []
        if self.grouping == Grouping.RUN:
            return self._group_runs(rows)
        buckets: dict[Hashable, list[ListRow]] = {}
        values: Iterable[Hashable]
        if self.grouping == Grouping.STORYBOARD:
            kind, title_of = "board", self.storyboard_of or (lambda _local_id: None)
            values = [title_of(row.local_id) for row in rows]
        else:
            kind, values = "day", self._keys.days(rows)
        for value, row in zip(values, rows, strict=True):
            found = buckets.get(value)
            if found is None:
                buckets[value] = [row]
            else:
                found.append(row)
        placed = [
            (self._new_group((kind, value), found), found) for value, found in buckets.items()
        ]
        placed.sort(key=lambda item: item[0].order)
        return placed

    def _group_runs(self, rows: list[ListRow]) -> list[tuple[_Group, list[ListRow]]]:
        """One section per variations run (tasks equal but for the seed, each sent within
        :data:`RUN_GAP` of the one before), newest first; videos in no run of two or more
        under :data:`SINGLES_TITLE`, last. Within a section, the list's order."""
        numbered: dict[IdKey, int] = {}  # list places of the videos that may be takes
        singles: list[tuple[int, ListRow]] = []
        run_of = self._keys.run
        for n, row in enumerate(rows):
            key = run_of(row)
            if key is None:
                singles.append((n, row))
            else:
                self._join_run(key, row)
                numbered[row.id_key] = n
        placed: list[tuple[_Group, list[ListRow]]] = []
        mixed = False
        for key in self._runs:
            runs, alone = self._split_run(key, self._members(key))
            if alone:
                mixed = True
                singles.extend((numbered[row.id_key], row) for row in alone)
            for group, run in runs:
                placed.append((group, sorted(run, key=lambda r: numbered[r.id_key])))
        placed.sort(key=lambda item: item[0].order)
        if mixed:
            singles.sort(key=lambda item: item[0])
        if singles:
            found = [row for _n, row in singles]
            placed.append((self._new_group(SINGLES, found), found))
        return placed

    def _members(self, key: int) -> list[ListRow]:
        """The videos shown of the run key ``key``."""
        members = self._runs.get(key)
        if members is None:
            return []
        return members if isinstance(members, list) else [members]

    def _join_run(self, key: int, row: ListRow) -> None:
        members = self._runs.get(key)
        if members is None:
            self._runs[key] = row  # (most keys have one video: no list made for it)
        elif isinstance(members, list):
            members.append(row)
        else:
            self._runs[key] = [members, row]

    def _set_members(self, key: int, members: list[ListRow]) -> None:
        if not members:
            self._runs.pop(key, None)
        else:
            self._runs[key] = members if len(members) > 1 else members[0]

    def _split_run(
        self, key: int, members: Iterable[ListRow]
    ) -> tuple[list[tuple[_Group, list[ListRow]]], list[ListRow]]:
        """The runs (two or more takes) among the videos of one run key, and the rest."""
        runs: list[tuple[_Group, list[ListRow]]] = []
        alone: list[ListRow] = []
        run: list[ListRow] = []
        ordered = sorted(members, key=lambda r: (r.created_at, r.id_key))
        for row in [*ordered, None]:
            if row is not None and (not run or row.created_at - run[-1].created_at <= RUN_GAP):
                run.append(row)
                continue
            if len(run) >= 2:
                runs.append((self._new_group(("run", key, run[0].id_key), run), run))
            else:
                alone.extend(run)
            run = [] if row is None else [row]
        return runs, alone

    def _new_group(self, key: SectionKey, members: Sequence[ListRow]) -> _Group:
        """The section ``key`` holding ``members`` (its title, count and place)."""
        kind = key[0]
        if kind == "day":
            day = int(str(key[1]))
            return _Group(key, len(members), (-day,), day_title(day, self._today))
        newest = max(row.created_at for row in members) if members else 0.0
        # (sections as new as each other: by their first take, or their title)
        if kind == "run":
            first = min(members, key=lambda r: (r.created_at, r.id_key))
            when = run_when(first.created_at)
            return _Group(key, len(members), (0, -newest, first.id_key), "", first, when)
        if kind == "board" and key[1] is not None:
            return _Group(key, len(members), (0, -newest, str(key[1])), str(key[1]))
        title = SINGLES_TITLE if key == SINGLES else NO_STORYBOARD_TITLE
        return _Group(key, len(members), (1, 0), title)

    def _reindex(self) -> None:
        self._firsts = list(itertools.accumulate((g.count for g in self._groups), initial=0))
        self._firsts.pop()
        self._index_of = {group.key: n for n, group in enumerate(self._groups)}

    # -- one video -----------------------------------------------------------------------

    def _key_for(self, row: ListRow) -> SectionKey:
        """The section a new video goes to (grouped by run: see :meth:`_regroup_run`)."""
        if self.grouping == Grouping.STORYBOARD:
            return ("board", self.storyboard_of(row.local_id) if self.storyboard_of else None)
        if self.grouping == Grouping.RUN:
            return SINGLES
        return ("day", self._keys.day(row))

    def add(self, row: ListRow) -> None:
        """Put a video that was not shown in its place (the model shows it already)."""
        if row.id_key in self._section_of:
            self.drop(row)
        run = self._keys.run(row) if self.grouping == Grouping.RUN else None
        if run is not None:
            self._regroup_run(run, added=row)
            return
        self._insert(self._key_for(row), row)

    def drop(self, row: ListRow) -> bool:
        """Take a shown video out (while the model still has its row); whether it was
        shown."""
        position = self._position_of(row)
        if position is None:
            return False
        shown = self.rows[position]
        run = self._keys.run(shown) if self.grouping == Grouping.RUN else None
        if run is not None:
            self._regroup_run(run, dropped=shown.id_key)
        else:
            self._remove_at(position)
        return True

    def keeps_place(self, row: ListRow) -> bool:
        """Whether the shown video of ``row`` (changed) stays in its section."""
        position = self._position_of(row)
        if position is None:
            return False
        old = self.rows[position]
        if old.created_at != row.created_at:
            return False
        if self.grouping == Grouping.RUN:
            return self._keys.run(old) == self._keys.run(row)
        if self.grouping == Grouping.STORYBOARD:
            return self._key_for(row) == self._section_of[row.id_key]
        return True

    def replace(self, row: ListRow) -> bool:
        """A shown video changed (``row`` is its task's row now): keep its place when its
        section stays (True), otherwise put it where it goes now (False)."""
        position = self._position_of(row)
        if position is None or not self.keeps_place(row):
            self.add(row)
            return False
        self.rows[position] = row
        run = self._keys.run(row) if self.grouping == Grouping.RUN else None
        if run is not None:
            key = row.id_key
            self._set_members(run, [row if m.id_key == key else m for m in self._members(run)])
        return True

    def _insert(self, key: SectionKey, row: ListRow) -> None:
        index = self._index_of.get(key)
        if index is None:
            group = self._new_group(key, [row])
            index = bisect_right([g.order for g in self._groups], group.order)
            first = self._firsts[index] if index < len(self._groups) else len(self.rows)
            self._groups.insert(index, group)
            self.rows.insert(first, row)
            self._touched(first)
            self._section_of[row.id_key] = key
            self._reindex()
            return
        group, first = self._groups[index], self._firsts[index]
        number = self._model_row(row.id_key)
        at = bisect_left(self.rows, number, first, first + group.count, key=self._row_of_item)
        self.rows.insert(at, row)
        self._touched(first)
        group.count += 1
        self._section_of[row.id_key] = key
        if key[0] == "board" and key[1] is not None and -row.created_at < _newest(group):
            group.order = (0, -row.created_at, str(key[1]))
            self._reindex()
            self._reorder(index)
        else:
            self._reindex()

    def _remove_at(self, position: int) -> None:
        index = bisect_right(self._firsts, position) - 1
        group = self._groups[index]
        row = self.rows.pop(position)
        self._touched(self._firsts[index])
        del self._section_of[row.id_key]
        group.count -= 1
        if group.count == 0:
            del self._groups[index]
            self._reindex()
            return
        self._reindex()
        if group.key[0] == "board" and group.key[1] is not None:
            first = self._firsts[index]
            newest = max(r.created_at for r in self.rows[first : first + group.count])
            if -newest != _newest(group):
                group.order = (0, -newest, str(group.key[1]))
                self._reorder(index)

    def _reorder(self, index: int) -> None:
        """Move section ``index`` (its order changed) to where it sorts now."""
        group, first = self._groups[index], self._firsts[index]
        others = [g.order for n, g in enumerate(self._groups) if n != index]
        target = bisect_right(others, group.order)
        if target == index:
            return
        block = self.rows[first : first + group.count]
        del self.rows[first : first + group.count]
        del self._groups[index]
        self._reindex()
        start = self._firsts[target] if target < len(self._groups) else len(self.rows)
        self.rows[start:start] = block
        self._touched(min(first, start))
        self._groups.insert(target, group)
        self._reindex()

    def _regroup_run(
        self, key: int, *, added: ListRow | None = None, dropped: IdKey | None = None
    ) -> None:
        """The videos of one run key are placed again (a take joins or leaves: runs may
        form, grow, split or end), the rest of the gallery untouched."""
        members = self._members(key)
        for member in members:
            position = self._position_of(member)
            if position is not None:
                self._remove_at(position)
        if added is not None:
            members = [m for m in members if m.id_key != added.id_key] + [added]
        if dropped is not None:
            members = [m for m in members if m.id_key != dropped]
        self._set_members(key, members)
        if not members:
            return
        runs, alone = self._split_run(key, members)
        for group, run in runs:
            group.count = 0
            index = bisect_right([g.order for g in self._groups], group.order)
            self._groups.insert(index, group)
            self._reindex()
            for row in run:
                self._insert(group.key, row)
        for row in alone:
            self._insert(SINGLES, row)

    def _touched(self, position: int) -> None:
        if self.changed_from is None or position < self.changed_from:
            self.changed_from = position

    # -- rows and positions --------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def sections(self) -> list[Section]:
        return [group.section(self._prompt_of) for group in self._groups]

    def section(self, index: int) -> Section:
        return self._groups[index].section(self._prompt_of)

    def counts(self) -> list[int]:
        """How many tiles each section has."""
        return [group.count for group in self._groups]

    def is_shown(self, row: ListRow) -> bool:
        return row.id_key in self._section_of

    def row_at_model_row(self, number: int) -> ListRow | None:
        """The task list's row at ``number`` of the model (nothing read)."""
        model, tasks = self._model, self._task_model
        if model is None or not 0 <= number < model.rowCount():
            return None
        if tasks is not None:
            shown = _source_rows(model)
            if shown is not None:
                return tasks.listed_rows()[shown[number]]
            if model is tasks:
                return tasks.listed_rows()[number]
            if isinstance(model, QAbstractProxyModel):
                source = model.mapToSource(model.index(number, 0)).row()
                return tasks.listed_rows()[source] if source >= 0 else None
        found = model.index(number, 0).data(TASK_ROLE)
        return TaskRow(found) if isinstance(found, TaskRecord) else None

    def position_of(self, number: int) -> int | None:
        """The tile of model row ``number`` (``None``: not shown)."""
        row = self.row_at_model_row(number)
        return None if row is None else self._position_of(row, number)

    def row_at(self, position: int) -> int:
        """The model row of the tile at ``position``."""
        return self._model_row(self.rows[position].id_key)

    def rows_at(self, positions: Iterable[int]) -> list[int]:
        """The model rows of many tiles (``selectAll``: a map made once)."""
        wanted = list(positions)
        model, tasks = self._model, self._task_model
        shown = _source_rows(model) if model is not None else None
        if len(wanted) < 256 or tasks is None or shown is None or isinstance(shown, range):
            return [self.row_at(p) for p in wanted]
        proxy_row = {source: n for n, source in enumerate(shown)}
        row_of = tasks.row_of_key
        sources = (row_of(self.rows[p].id_key) for p in wanted)
        return [-1 if source is None else proxy_row.get(source, -1) for source in sources]

    def task_at(self, position: int) -> TaskRecord | None:
        """The task of the tile at ``position`` (a shelved row's read, and kept among the
        rows shown lately)."""
        found = self.tasks_at([position])
        return found[0] if found else None

    def tasks_at(self, positions: Sequence[int]) -> list[TaskRecord | None]:
        """The tasks of the tiles at ``positions`` (the tiles in view): the shelved rows'
        read in one go and kept among the rows shown lately (``TaskTableModel.tasks_at``);
        ``None`` for a tile whose row has gone meanwhile."""
        tasks = self._task_model
        if tasks is None:
            return [_record(self.rows[p]) for p in positions]
        sources = [tasks.row_of_key(self.rows[p].id_key) for p in positions]
        known = [source for source in sources if source is not None]
        read = iter(tasks.tasks_at(known, shown=True))
        return [None if source is None else next(read) for source in sources]

    def _prompt_of(self, row: ListRow) -> str | None:
        """The prompt of ``row``'s task (a shelved row's record read: a run's title); None
        when it cannot be read."""
        task = _record(row)
        if task is None and self._task_model is not None:
            source = self._task_model.row_of_key(row.id_key)
            task = None if source is None else self._task_model.task_at(source)
        return None if task is None or is_stand_in(task) else task.prompt

    def _position_of(self, row: ListRow, number: int | None = None) -> int | None:
        """The tile of ``row`` (at model row ``number``, when known)."""
        key = self._section_of.get(row.id_key)
        if key is None:
            return None
        index = self._index_of[key]
        first, count = self._firsts[index], self._groups[index].count
        wanted = self._model_row(row.id_key) if number is None else number
        at = bisect_left(self.rows, wanted, first, first + count, key=self._row_of_item)
        if at < first + count and self.rows[at].id_key == row.id_key:
            return at
        return None

    def _row_of_item(self, row: ListRow) -> int:
        return self._model_row(row.id_key)

    def _model_row(self, key: IdKey) -> int:
        """The model row of the task whose id key is ``key`` (-1: none)."""
        others, tasks, model = self._rows_of_other, self._task_model, self._model
        if others is not None:
            return others.get(key, -1)
        source = None if tasks is None else tasks.row_of_key(key)
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
        return row_ranges(model, self.rows_at(positions))

    def take_of(self, model: QAbstractItemModel, number: int, row: ListRow) -> object:
        """The take text of ``row`` at model row ``number`` ("Take 2/4 \u00b7 seed 17"; ""
        if none)."""
        if self._task_model is not None:
            # Straight from the task model: no proxy index made for it.
            return self._task_model.take_text(row.local_id)
        return model.index(number, 0).data(TAKE_ROLE)


def _newest(group: _Group) -> float:
    """Minus the time of the newest video of a run or storyboard section (its order)."""
    newest = group.order[1]
    assert isinstance(newest, float | int)
    return float(newest)


def _record(row: ListRow) -> TaskRecord | None:
    return row.task if isinstance(row, TaskRow) else None


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
