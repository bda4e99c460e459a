"""The task list's model: one row per visible task, updated row by row.

Ten thousand tasks must scroll like ten, so nothing here is proportional to the number of
rows except loading: a ``local_id -> row`` index finds a changed task in O(1), a change
emits ``dataChanged`` for that row only, new tasks are appended with
``beginInsertRows``, and ``data()`` answers from texts computed once per change (only the
state column of running tasks is formatted on the fly, because its clock moves).

Extends are shown under their source: the prompt cell starts with "\u21b3" (indented by
depth), and sorted by creation time each source is directly followed by its extends. The
lineage behind this is cached and rebuilt only when the set of rows changes (a task added
or removed), never on a state change.
"""

from __future__ import annotations

import html
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Slot,
)

from veo_desktop.core.lineage import Lineage, source_task_id
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex

#: Public contract: the lifecycle state name (``succeeded``) in column 0.
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
#: A value that sorts the column the way a person expects (times, prices as numbers).
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
#: The whole :class:`TaskRecord`.
TASK_ROLE = Qt.ItemDataRole.UserRole + 3
#: The task's ``local_id``.
LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 4
#: Download progress as a fraction 0..1 (``None`` when unknown or not downloading).
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 5
#: The second line of the state cell (note, failure reason), may be empty.
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 6
#: Type, mode, aspect, price and time on one line (shown when those columns are hidden).
META_ROLE = Qt.ItemDataRole.UserRole + 7
#: The state line for a narrow column ("Processing 1:42").
SHORT_STATE_ROLE = Qt.ItemDataRole.UserRole + 8
#: How deep in a lineage the task is: 0 for a generation, 1 for its extend, and so on.
DEPTH_ROLE = Qt.ItemDataRole.UserRole + 9

#: What starts the prompt of an extend in the list.
EXTEND_MARK = "\u21b3 "


class Column(IntEnum):
    THUMBNAIL = 0
    PROMPT = 1
    TYPE = 2
    MODE = 3
    ASPECT = 4
    STATE = 5
    PRICE = 6
    CREATED = 7


HEADERS: dict[Column, str] = {
    Column.THUMBNAIL: "",
    Column.PROMPT: "Prompt",
    Column.TYPE: "Type",
    Column.MODE: "Mode",
    Column.ASPECT: "Aspect",
    Column.STATE: "State",
    Column.PRICE: "Price",
    Column.CREATED: "Created",
}

HEADER_TOOLTIPS: dict[Column, str] = {
    Column.THUMBNAIL: "First frame of the video",
    Column.PROMPT: "What the video was asked to show",
    Column.TYPE: "Text, first/last frames, reference images, or an extension",
    Column.MODE: "Fast ($0.20) or quality ($1.50)",
    Column.ASPECT: "Aspect ratio",
    Column.STATE: "Where the task is; Veo 3.1 usually takes 1\u20133 minutes",
    Column.PRICE: "What the video costs",
    Column.CREATED: "When it was submitted",
}


class StateFilter(StrEnum):
    """The state filter's choices. Uncertain tasks wait for a decision: shown as active
    (still open) and among the failed (something went wrong)."""

    ALL = "all"
    ACTIVE = "active"
    FINISHED = "finished"
    FAILED = "failed"


FILTER_STATES: dict[StateFilter, frozenset[TaskState]] = {
    StateFilter.ALL: frozenset(TaskState),
    StateFilter.ACTIVE: frozenset(
        {
            TaskState.SUBMITTING,
            TaskState.PENDING,
            TaskState.PROCESSING,
            TaskState.DOWNLOADING,
            TaskState.UNCERTAIN,
        }
    ),
    StateFilter.FINISHED: frozenset({TaskState.SUCCEEDED}),
    StateFilter.FAILED: frozenset(
        {
            TaskState.FAILED,
            TaskState.REJECTED,
            TaskState.UNCERTAIN,
            TaskState.EXPIRED,
            TaskState.LOST,
        }
    ),
}

#: Sort order of the state column: what needs attention, then what runs, then the rest.
STATE_ORDER: dict[TaskState, int] = {
    TaskState.UNCERTAIN: 0,
    TaskState.SUBMITTING: 1,
    TaskState.PENDING: 2,
    TaskState.PROCESSING: 3,
    TaskState.DOWNLOADING: 4,
    TaskState.FAILED: 5,
    TaskState.REJECTED: 6,
    TaskState.EXPIRED: 7,
    TaskState.LOST: 8,
    TaskState.SUCCEEDED: 9,
}

#: States whose state cell shows a running clock.
TICKING = frozenset({TaskState.SUBMITTING, TaskState.PENDING, TaskState.PROCESSING})

_TOOLTIP_LIMIT = 2000

# Roles as plain ints: comparing Qt's enum members costs more than the lookup itself.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_STATE = int(STATE_ROLE)
_SORT = int(SORT_ROLE)
_TASK = int(TASK_ROLE)
_LOCAL_ID = int(LOCAL_ID_ROLE)
_PROGRESS = int(PROGRESS_ROLE)
_DETAIL = int(DETAIL_ROLE)
_META = int(META_ROLE)
_SHORT_STATE = int(SHORT_STATE_ROLE)
_DEPTH = int(DEPTH_ROLE)
_SERVED = frozenset(
    {
        _DISPLAY,
        _DECORATION,
        _ALIGNMENT,
        _TOOLTIP,
        _ACCESSIBLE,
        _STATE,
        _SORT,
        _TASK,
        _LOCAL_ID,
        _PROGRESS,
        _DETAIL,
        _META,
        _SHORT_STATE,
        _DEPTH,
    }
)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_THUMBNAIL = int(Column.THUMBNAIL)
_COLUMNS = len(Column)


class _Row:
    """One task and the texts derived from it (made on first use, once per change).

    Ten thousand rows are built when the list opens, but only the visible ones are ever
    displayed, so the texts are computed lazily.
    """

    __slots__ = ("_folded", "_texts", "task")

    def __init__(self, task: TaskRecord) -> None:
        self.task = task
        self._texts: tuple[str, str, str, str, str] | None = None
        self._folded: str | None = None

    @property
    def prompt(self) -> str:
        return self.texts[0]

    @property
    def folded_prompt(self) -> str:
        if self._folded is None:
            self._folded = fmt.short_prompt(self.task).casefold()
        return self._folded

    @property
    def texts(self) -> tuple[str, str, str, str, str]:
        """(prompt, type, mode, aspect, price)."""
        if self._texts is None:
            task = self.task
            self._texts = (
                fmt.short_prompt(task),
                fmt.kind_label(task),
                fmt.mode_label(task),
                fmt.aspect_label(task),
                fmt.price_text(task),
            )
        return self._texts


_SORT_VALUES: dict[int, Callable[[_Row], Any]] = {
    Column.THUMBNAIL: lambda row: 1 if row.task.files else 0,
    Column.PROMPT: lambda row: row.folded_prompt,
    Column.TYPE: lambda row: fmt.kind_label(row.task),
    Column.MODE: lambda row: fmt.mode_label(row.task),
    Column.ASPECT: lambda row: fmt.aspect_label(row.task),
    Column.STATE: lambda row: STATE_ORDER.get(row.task.state, 99),
    Column.PRICE: lambda row: row.task.price,
    Column.CREATED: lambda row: row.task.created_at,
}


def _sort_value(row: _Row, column: int) -> Any:
    """What the column sorts by: times and prices as numbers, words case-folded."""
    return _SORT_VALUES[column](row)


class TaskTableModel(QAbstractTableModel):
    """Tasks as table rows, newest first; :meth:`sort` orders them by any column.

    The model sorts itself (one Python key per row) instead of letting a proxy compare
    rows through ``data()``, which costs a Python call per comparison: at 10,000 tasks
    that is seconds, not milliseconds. New and changed rows go straight to their place.

    Hidden tasks (removed or dismissed) are not rows. Feed it with :meth:`set_tasks` once
    and :meth:`upsert` for every change afterwards.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        thumbnails: ThumbnailCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._row_of: dict[str, int] = {}
        self._progress: dict[str, tuple[int, int | None]] = {}
        self._ticking: set[str] = set()
        self._active: set[str] = set()
        self._video_owner: dict[str, str] = {}
        self._clock = clock
        self._sort_column = Column.CREATED
        self._sort_value = _SORT_VALUES[Column.CREATED]
        self._descending = True
        self._thumbnails = thumbnails
        #: Where extends sit in their lineage: (root's created_at, root's id, place in the
        #: root's tree), and their depth; rebuilt only when rows come or go. A task not in
        #: these maps is a root of its own (its default place, depth 0).
        self._lineage = Lineage(())
        self._tree_pos: dict[str, tuple[float, str, int]] = {}
        self._depth: dict[str, int] = {}
        #: Local ids and APIXO ids that extends without a source here point to.
        self._orphan_refs: set[str] = set()
        if thumbnails is not None:
            thumbnails.thumbnail_ready.connect(self.on_thumbnails_thumbnail_ready)

    # -- feeding ---------------------------------------------------------------------------

    def set_tasks(self, tasks: Iterable[TaskRecord]) -> None:
        """Replace every row (used once, when the list is first filled)."""
        self.beginResetModel()
        self._rows = [_Row(task) for task in tasks if not task.hidden]
        self._set_lineage([row.task for row in self._rows])
        self._rows.sort(key=self._key, reverse=self._descending)
        self._reindex(0)
        self._progress.clear()
        self._ticking = {r.task.local_id for r in self._rows if r.task.state in TICKING}
        self._active = {r.task.local_id for r in self._rows if r.task.is_active}
        self._video_owner = {r.task.files[0]: r.task.local_id for r in self._rows if r.task.files}
        self.endResetModel()

    def upsert(self, task: TaskRecord) -> None:
        """Add a new task, update a known one (its row only), or drop a hidden one."""
        row = self._row_of.get(task.local_id)
        if task.hidden:
            if row is not None:
                relinked = self._lineage.children_of(task.local_id)
                self._remove_row(row)
                if relinked:
                    self._relink([r.task for r in self._rows])
            return
        fresh = _Row(task)
        if row is None:
            relink = self._links_lineage(task)
            # A new extend is a leaf: the others keep their order unless it was the
            # missing source of some (then they move under it).
            adopts = task.local_id in self._orphan_refs or (
                task.apixo_task_id is not None and task.apixo_task_id in self._orphan_refs
            )
            if relink:
                changed = self._set_lineage([*(r.task for r in self._rows), task])
            else:
                self._add_root(task)
            row = self._position_for(self._key(fresh))
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, fresh)
            self._reindex(row)
            self._track(task, None)
            self.endInsertRows()
            if adopts:
                self._after_relink(changed)
            return
        old = self._rows[row]
        self._rows[row] = fresh
        self._track(task, old.task)
        if self._key(old) != self._key(fresh):
            row = self._reposition(row)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    # -- order -----------------------------------------------------------------------------

    @property
    def sort_column(self) -> Column:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._descending else Qt.SortOrder.AscendingOrder

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (in Python: one key per row, not a call per compare)."""
        if not 0 <= column < len(Column):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if column == self._sort_column and descending == self._descending:
            return
        self._sort_column = Column(column)
        self._sort_value = _SORT_VALUES[column]
        self._descending = descending
        self._resort()

    def _resort(self) -> None:
        """Put every row in its place for the current order (keeping persistent indexes)."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[index.row()].task.local_id for index in persistent]
        self._rows.sort(key=self._key, reverse=self._descending)
        self._reindex(0)
        self.changePersistentIndexList(
            persistent,
            [self.index(self._row_of[i], p.column()) for i, p in zip(ids, persistent, strict=True)],
        )
        self.layoutChanged.emit()

    def _key(self, row: _Row) -> tuple[Any, float, str]:
        task = row.task
        if self._sort_column == Column.CREATED:
            # Each source, then its extends (oldest first) under it, in either direction.
            root_created, root_id, place = self._tree_pos.get(
                task.local_id, (task.created_at, task.local_id, 0)
            )
            value: Any = (root_created, root_id, -place if self._descending else place)
            return (value, task.created_at, task.local_id)
        return (self._sort_value(row), task.created_at, task.local_id)

    # -- lineage ---------------------------------------------------------------------------

    def _links_lineage(self, task: TaskRecord) -> bool:
        """Whether a new task changes the lineage of others (an extend, or a missing source)."""
        if task.is_extend:
            return True
        return task.local_id in self._orphan_refs or (
            task.apixo_task_id is not None and task.apixo_task_id in self._orphan_refs
        )

    def _add_root(self, task: TaskRecord) -> None:
        """A new generation nobody extends yet: its own root (nothing to rebuild or store)."""
        self._tree_pos.pop(task.local_id, None)
        self._depth.pop(task.local_id, None)

    def _set_lineage(self, tasks: list[TaskRecord]) -> set[str]:
        """Rebuild the lineage of ``tasks``; returns the ids whose depth changed.

        Only extends and the tasks they name take part (a store of plain generations costs
        one pass); a task alone in its tree keeps the default place, so nothing is stored
        for it.
        """
        extends = [t for t in tasks if t.is_extend or t.parent_id]
        positions: dict[str, tuple[float, str, int]] = {}
        depths: dict[str, int] = {}
        orphans: set[str] = set()
        lineage = Lineage(())
        if extends:
            parents = {t.parent_id for t in extends if t.parent_id}
            sources = {ref for ref in map(source_task_id, extends) if ref}
            lineage = Lineage(
                t
                for t in tasks
                if t.is_extend
                or t.parent_id
                or t.local_id in parents
                or (t.apixo_task_id is not None and t.apixo_task_id in sources)
            )
            for root in lineage.tree():
                record = root.record
                if record.is_extend:
                    orphans.update(r for r in (record.parent_id, source_task_id(record)) if r)
                if not root.children:
                    continue
                for place, node in enumerate(root.walk()):
                    if place:
                        local_id = node.record.local_id
                        positions[local_id] = (record.created_at, record.local_id, place)
                        depths[local_id] = node.depth
        old = self._depth
        changed = {i for i in old.keys() | depths.keys() if old.get(i, 0) != depths.get(i, 0)}
        self._lineage = lineage
        self._tree_pos = positions
        self._depth = depths
        self._orphan_refs = orphans
        return changed

    def _relink(self, tasks: list[TaskRecord]) -> None:
        self._after_relink(self._set_lineage(tasks))

    def _after_relink(self, changed: set[str]) -> None:
        """Repaint prompts whose depth changed; re-sort if a row's place moved."""
        for local_id in changed:
            row = self._row_of.get(local_id)
            if row is not None:
                index = self.index(row, Column.PROMPT)
                self.dataChanged.emit(index, index)
        keys = [self._key(row) for row in self._rows]
        ordered = all(not self._before(b, a) for a, b in itertools.pairwise(keys))
        if not ordered:
            self._resort()

    def depth_of(self, local_id: str) -> int:
        """How deep ``local_id`` sits in its lineage (0: not an extend of a task shown)."""
        return self._depth.get(local_id, 0)

    def parent_of(self, local_id: str) -> TaskRecord | None:
        """The task (in the list) that ``local_id`` extends, if any."""
        parent = self._lineage.parent_of(local_id)
        return None if parent is None else self.get(parent.local_id)

    def _before(self, a: tuple[Any, float, str], b: tuple[Any, float, str]) -> bool:
        return a > b if self._descending else a < b

    def _position_for(self, key: tuple[Any, float, str]) -> int:
        """Where a row with ``key`` belongs (binary search; keys are unique)."""
        rows = self._rows
        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            if self._before(self._key(rows[middle]), key):
                low = middle + 1
            else:
                high = middle
        return low

    def _reposition(self, row: int) -> int:
        """Move ``row`` to where its (changed) key belongs; returns its new row."""
        moving = self._rows.pop(row)
        target = self._position_for(self._key(moving))
        self._rows.insert(row, moving)
        if target == row:
            return row
        destination = target + 1 if target > row else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        del self._rows[row]
        self._rows.insert(target, moving)
        self._reindex(min(row, target), max(row, target) + 1)
        self.endMoveRows()
        return target

    def _reindex(self, first: int, last: int | None = None) -> None:
        rows = self._rows
        end = len(rows) if last is None else last
        if first == 0 and end == len(rows):
            self._row_of = {row.task.local_id: i for i, row in enumerate(rows)}
            return
        for number in range(first, end):
            self._row_of[rows[number].task.local_id] = number

    def set_progress(self, local_id: str, done: int, total: int | None) -> None:
        """Record download progress; repaints the state cell of that row only."""
        row = self._row_of.get(local_id)
        if row is None:
            return
        self._progress[local_id] = (done, total if total is not None and total >= 0 else None)
        index = self.index(row, Column.STATE)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, PROGRESS_ROLE])

    def refresh_clocks(self, local_ids: Iterable[str] | None = None) -> None:
        """Repaint the state cells whose clock moves (all running ones, or these)."""
        ids = self._ticking if local_ids is None else set(local_ids) & self._ticking
        for local_id in ids:
            index = self.index(self._row_of[local_id], Column.STATE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def _track(self, task: TaskRecord, old: TaskRecord | None) -> None:
        if task.state in TICKING:
            self._ticking.add(task.local_id)
        else:
            self._ticking.discard(task.local_id)
        if task.is_active:
            self._active.add(task.local_id)
        else:
            self._active.discard(task.local_id)
        if task.state != TaskState.DOWNLOADING:
            self._progress.pop(task.local_id, None)
        if old is not None and old.files and old.files != task.files:
            self._video_owner.pop(old.files[0], None)
            if self._thumbnails is not None:
                self._thumbnails.forget(old.files[0])
        if task.files:
            self._video_owner[task.files[0]] = task.local_id

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        local_id = removed.task.local_id
        del self._row_of[local_id]
        self._reindex(row)
        self._progress.pop(local_id, None)
        self._ticking.discard(local_id)
        self._active.discard(local_id)
        self._tree_pos.pop(local_id, None)
        self._depth.pop(local_id, None)
        if removed.task.files:
            self._video_owner.pop(removed.task.files[0], None)
        self.endRemoveRows()

    @Slot(str)
    def on_thumbnails_thumbnail_ready(self, video: str) -> None:
        local_id = self._video_owner.get(video)
        row = self._row_of.get(local_id) if local_id is not None else None
        if row is not None:
            index = self.index(row, Column.THUMBNAIL)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # -- lookups ---------------------------------------------------------------------------

    def task_at(self, row: int) -> TaskRecord:
        return self._rows[row].task

    def folded_prompt_at(self, row: int) -> str:
        """The prompt of ``row``, case-folded, for searching."""
        return self._rows[row].folded_prompt

    def row_of(self, local_id: str) -> int | None:
        return self._row_of.get(local_id)

    def index_of(self, local_id: str, column: int = 0) -> QModelIndex:
        row = self._row_of.get(local_id)
        return QModelIndex() if row is None else self.index(row, column)

    def get(self, local_id: str) -> TaskRecord | None:
        row = self._row_of.get(local_id)
        return None if row is None else self._rows[row].task

    def tasks(self) -> list[TaskRecord]:
        return [row.task for row in self._rows]

    def progress(self, local_id: str) -> tuple[int, int | None] | None:
        return self._progress.get(local_id)

    def ticking_ids(self) -> frozenset[str]:
        """The tasks whose elapsed time is on show and moving."""
        return frozenset(self._ticking)

    def active_count(self) -> int:
        """How many tasks the engine is working on (submitting to downloading)."""
        return len(self._active)

    @property
    def thumbnails(self) -> ThumbnailCache | None:
        return self._thumbnails

    # -- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TOOLTIPS[column]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._rows[index.row()].task.files:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called ~10 times per visible cell per paint: plain ints, the common misses first.
        role = int(role)
        if role not in _SERVED or not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self._display(row, column)
        if role == _DECORATION:
            return self._thumbnail(row.task) if column == _THUMBNAIL else None
        if role == _ALIGNMENT:
            return _LEFT
        if role == _STATE:
            return row.task.state.value
        if role == _TASK:
            return row.task
        if role == _LOCAL_ID:
            return row.task.local_id
        if role == _SORT:
            return self._sort_key(row, column)
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        if role == _PROGRESS:
            progress = self._progress.get(row.task.local_id)
            return fmt.progress_fraction(*progress) if progress else None
        if role == _DETAIL:
            return fmt.detail_line(row.task)
        if role == _META:
            _, kind, mode, aspect, price = row.texts
            created = fmt.created_text(row.task.created_at, self._clock())
            return " \u00b7 ".join((mode, aspect, price, created, kind))
        if role == _SHORT_STATE:
            progress = self._progress.get(row.task.local_id)
            return fmt.short_state_line(row.task, self._clock(), progress)
        if role == _DEPTH:
            return self._depth.get(row.task.local_id, 0)
        return self._accessible(row, column)

    def _display(self, row: _Row, column: int) -> str | None:
        if column == Column.STATE:
            return fmt.state_line(row.task, self._clock(), self._progress.get(row.task.local_id))
        if column == Column.CREATED:
            return fmt.created_text(row.task.created_at, self._clock())
        if column == Column.PROMPT:
            depth = self._depth.get(row.task.local_id, 0)
            return EXTEND_MARK + row.texts[0] if depth else row.texts[0]
        if Column.PROMPT < column <= Column.ASPECT:
            return row.texts[column - Column.PROMPT]
        if column == Column.PRICE:
            return row.texts[4]
        return None

    @staticmethod
    def _sort_key(row: _Row, column: int) -> Any:
        value = _sort_value(row, column)
        return float(value) if isinstance(value, Decimal) else value

    def _thumbnail(self, task: TaskRecord) -> Any:
        if self._thumbnails is None or not task.files:
            return None
        return self._thumbnails.get(task.files[0])

    def _tooltip(self, row: _Row, column: int) -> str | None:
        task = row.task
        if column in (Column.PROMPT, Column.THUMBNAIL):
            text = task.prompt
            if len(text) > _TOOLTIP_LIMIT:
                text = text[:_TOOLTIP_LIMIT] + "\u2026"
            tip = f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
            parent = self.parent_of(task.local_id) if task.is_extend else None
            if parent is not None:
                source = fmt.short_prompt(parent)
                source = source if len(source) <= 80 else source[:79] + "\u2026"
                tip += f"<p><i>Extends \u201c{html.escape(source)}\u201d</i></p>"
            return tip
        if column == Column.STATE:
            detail = fmt.detail_line(task)
            line = fmt.state_line(task, self._clock(), self._progress.get(task.local_id))
            return f"{line}\n{detail}" if detail else line
        if column == Column.TYPE:
            return fmt.kind_description(task)
        if column == Column.PRICE:
            return fmt.price_tooltip(task)
        if column == Column.CREATED:
            return fmt.created_tooltip(task.created_at)
        return None

    def _accessible(self, row: _Row, column: int) -> str | None:
        if column == Column.PROMPT and self._depth.get(row.task.local_id, 0):
            return f"Extension: {row.texts[0]}"
        if column == Column.THUMBNAIL:
            return "Video thumbnail" if row.task.files else "No video yet"
        if column == Column.STATE:
            detail = fmt.detail_line(row.task)
            line = fmt.state_line(row.task, self._clock(), self._progress.get(row.task.local_id))
            return f"{line}. {detail}" if detail else line
        return self._display(row, column)

    # -- drag out --------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """File URLs of the dragged rows' videos (a file manager copies them)."""
        seen: set[int] = set()
        urls: list[QUrl] = []
        for index in indexes:
            if not index.isValid() or index.row() in seen:
                continue
            seen.add(index.row())
            urls.extend(
                QUrl.fromLocalFile(str(Path(f)))
                for f in self._rows[index.row()].task.files
                if Path(f).exists()
            )
        data = QMimeData()
        data.setUrls(urls)
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
