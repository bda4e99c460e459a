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

The model keeps the rows and tells the views what changed; its helpers do the rest:
``columns`` names the columns and roles, ``cells`` says what a cell shows, ``row_order``
orders rows, ``lineage_places`` places extends and ``tracking`` keeps running clocks,
active tasks and download progress.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)

from veo_desktop.core.lineage import source_task_id
from veo_desktop.records.library import Labels, TaskFacts
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.cells import TaskCells, TaskRow
from veo_desktop.ui.tasks.columns import (
    DEPTH_ROLE,
    DETAIL_ROLE,
    FOLD_ROLE,
    HEADER_TOOLTIPS,
    HEADERS,
    LABELS_ROLE,
    LOCAL_ID_ROLE,
    META_ROLE,
    PROGRESS_ROLE,
    SHORT_STATE_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    TAKE_ROLE,
    TASK_ROLE,
    Column,
)
from veo_desktop.ui.tasks.lineage_places import LineagePlaces
from veo_desktop.ui.tasks.row_index import IdKey, RowIndex, id_key
from veo_desktop.ui.tasks.row_order import RowOrder
from veo_desktop.ui.tasks.shelved import ListRow, ShelvedRow
from veo_desktop.ui.tasks.takes import Takes, folded_text, label_text, spoken_labels
from veo_desktop.ui.tasks.tracking import TaskTracker
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex

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
_TAKE = int(TAKE_ROLE)
_FOLD = int(FOLD_ROLE)
_LABELS = int(LABELS_ROLE)
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
        _TAKE,
        _FOLD,
        _LABELS,
    }
)
#: The roles a shelved row answers without reading its record.
_BY_ID = frozenset({_LOCAL_ID, _STATE, _SORT, _ALIGNMENT, _DEPTH, _TAKE, _FOLD, _LABELS})
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_THUMBNAIL = int(Column.THUMBNAIL)
_PROMPT = int(Column.PROMPT)
_NO_LABELS = Labels()
_COLUMNS = len(Column)
#: Shelved rows whose records (and texts) are kept after being read to be shown: a tall
#: window shows ~60 rows, and each paint asks every visible cell again.
SHOWN_KEPT = 256

Read = Callable[[str], TaskRecord | None]


def _row_key(row: ListRow) -> IdKey:
    return row.id_key


class TaskTableModel(QAbstractTableModel):
    """Tasks as table rows, newest first; :meth:`sort` orders them by any column.

    The model sorts itself (one Python key per row) instead of letting a proxy compare
    rows through ``data()``, which costs a Python call per comparison: at 10,000 tasks
    that is seconds, not milliseconds. New and changed rows go straight to their place.

    Hidden tasks (removed or dismissed) are not rows. Feed it with :meth:`set_tasks` once
    and :meth:`upsert` for every change afterwards.

    A large library's older pages are listed as shelved rows (``set_tasks(...,
    shelved=...)``; see :mod:`~veo_desktop.ui.tasks.shelved`): their records are read
    (:meth:`set_reader`) when they are shown or asked for, and the last
    :data:`SHOWN_KEPT` kept.

    The takes of a variations run can be folded under the run's first take
    (:meth:`fold_run`): they stay rows, and the filter proxy leaves them out
    (:meth:`is_folded_take`).

    Signals:
        folding_changed: a run was folded or opened (the proxy filters again).
    """

    folding_changed = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        thumbnails: ThumbnailCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._rows: list[ListRow] = []
        #: Each task's row (kept from the bottom: a new task at the top moves no other).
        self._row_of: RowIndex[ListRow] = RowIndex(_row_key)
        #: How many rows are shelved.
        self._shelved = 0
        #: Tasks listed shelved that became full rows because extends name them.
        self._warmed: set[str] = set()
        #: The last shelved rows shown, as full rows (their records read from the store),
        #: and how many are kept (more when a view shows more at once: a tall gallery).
        self._shown: OrderedDict[str, TaskRow] = OrderedDict()
        self._shown_kept = SHOWN_KEPT
        #: Reads a shelved row's record to show it (kept nowhere else); reads and keeps a
        #: task an extend names (its row gets its record); finds one by APIXO's id.
        self._peek: Read | None = None
        self._peek_many: Callable[[Sequence[str]], Mapping[str, TaskRecord]] | None = None
        self._get: Read | None = None
        self._find: Callable[[str], str | None] | None = None
        #: What :attr:`_find` found, by name (an extend's source is looked up once).
        self._found: dict[str, str] = {}
        #: Shelved rows whose task was found removed, its row's removal scheduled.
        self._going: set[str] = set()
        #: Running clocks, active tasks, download progress, video owners.
        self._tracker = TaskTracker()
        self._thumbnails = thumbnails
        #: Where extends sit under their source; rebuilt only when rows come or go.
        self._places = LineagePlaces()
        self._order = RowOrder(self._places)
        #: Which rows are takes of one variations run ("Take 2/4 · seed 17").
        self._takes = Takes()
        #: The first takes of the runs folded under them.
        self._folded: set[str] = set()
        #: What the person said about a task (stars, favourite, tags); see :meth:`set_labels`.
        self._labels_of: Callable[[str], Labels] | None = None
        self._cells = TaskCells(
            clock=clock,
            progress=self._tracker.progress,
            places=self._places,
            thumbnails=thumbnails,
            parent_of=self.parent_of,
            take_of=self.take_text,
        )
        if thumbnails is not None:
            thumbnails.thumbnail_ready.connect(self.on_thumbnails_thumbnail_ready)
        #: Lists older tasks than the rows hold (see :meth:`set_more`).
        self._more: Callable[[], None] | None = None

    # -- feeding ---------------------------------------------------------------------------

    def set_more(self, more: Callable[[], None] | None) -> None:
        """``more()`` has older tasks listed than the rows hold (a large library's, read on
        demand); a view asks for them (``fetchMore``) when it is scrolled to its end or
        its rows do not fill it. None: the rows hold every task."""
        self._more = more

    def set_reader(
        self,
        *,
        peek: Read,
        peek_many: Callable[[Sequence[str]], Mapping[str, TaskRecord]],
        get: Read,
        find_id: Callable[[str], str | None],
    ) -> None:
        """How shelved rows' records are read: ``peek(local_id)`` to show one (not kept),
        ``peek_many(local_ids)`` for a selection (in one go, not kept), ``get(local_id)``
        for one an extend names (kept: its row becomes a full one), and
        ``find_id(apixo_task_id)`` for the local id of one an extend names by APIXO's id
        (what it finds is kept; it keeps what it does not find, but for a failed read)."""
        self._peek, self._peek_many, self._get, self._find = peek, peek_many, get, find_id
        self._found.clear()

    def set_tasks(self, tasks: Iterable[TaskRecord], shelved: Iterable[ShelvedRow] = ()) -> None:
        """Replace every full row with ``tasks`` (hidden ones are not listed); the shelved
        rows stay, with ``shelved`` added (any of them ``tasks`` holds, hidden or not, or
        the list has, is left out)."""
        self.beginResetModel()
        tasks = list(tasks)
        hot = [TaskRow(task) for task in tasks if not task.hidden]
        # (a hidden task: a shelved row of it, listed before it was removed, goes too)
        ids = {id_key(task.local_id) for task in tasks}
        # The tasks extends name, read for them, stay full rows (``tasks`` may lack them).
        for row in self._rows:
            if isinstance(row, TaskRow) and row.local_id in self._warmed and row.id_key not in ids:
                hot.append(row)
                ids.add(row.id_key)
        self._warmed &= {row.local_id for row in hot}
        listed = self._row_of
        shelf = [r for r in self._rows if isinstance(r, ShelvedRow) and r.id_key not in ids]
        shelf += [r for r in shelved if r.id_key not in ids and r.id_key not in listed]
        del ids
        self._rows = []
        self._set_lineage([row.task for row in hot])
        warmed = self._warm(shelf, self._places.orphan_refs)
        if warmed:
            hot.extend(TaskRow(task) for task in warmed)
            self._warmed.update(task.local_id for task in warmed)
            self._set_lineage([row.task for row in hot])
            left = {id_key(task.local_id) for task in warmed}
            shelf = [row for row in shelf if row.id_key not in left]
        self._shelved = len(shelf)
        self._shown.clear()
        self._going.clear()
        self._takes.rebuild((row.task for row in hot), shelf)
        self._folded &= self._takes.heads()
        self._tracker.reset(row.task for row in hot)
        self._rows = [*hot, *shelf]
        del shelf
        self._order.sort(self._rows)
        self._row_of.rebuild(self._rows)
        self.endResetModel()

    def _warm(self, shelf: list[ShelvedRow], refs: frozenset[str]) -> list[TaskRecord]:
        """The records of the tasks of ``shelf`` extends name by ``refs`` (local ids, or
        APIXO's ids), read and kept (see :meth:`set_reader`)."""
        if not shelf or not refs or self._get is None:
            return []
        keys = {id_key(ref) for ref in refs}
        wanted = {row.id_key for row in shelf if row.id_key in keys}
        for ref in refs:
            if id_key(ref) not in wanted:  # (APIXO's id, or a task not listed)
                found = self._find_id(ref)
                if found is not None:
                    wanted.add(id_key(found))
        return [
            task
            for task in (self._get(row.local_id) for row in shelf if row.id_key in wanted)
            if task is not None
        ]

    def _find_id(self, apixo_task_id: str) -> str | None:
        """The local id of the task named ``apixo_task_id`` (what is found is kept: see
        set_reader; the reader keeps what it did not find)."""
        found = self._found.get(apixo_task_id)
        if found is None and self._find is not None:
            found = self._find(apixo_task_id)
            if found is not None:
                self._found[apixo_task_id] = found
        return found

    @property
    def orphan_refs(self) -> frozenset[str]:
        """The local ids and APIXO ids of tasks extends listed name but the list lacks."""
        return self._places.orphan_refs

    @property
    def shelved_count(self) -> int:
        """How many rows are shelved (see :meth:`set_tasks`)."""
        return self._shelved

    def _hot_tasks(self) -> list[TaskRecord]:
        return [row.task for row in self._rows if isinstance(row, TaskRow)]

    def _shelved_rows(self) -> Iterable[ShelvedRow]:
        if not self._shelved:
            return ()
        return [row for row in self._rows if isinstance(row, ShelvedRow)]

    def upsert(self, task: TaskRecord) -> None:
        """Add a new task, update a known one (its row only), or drop a hidden one."""
        row = self._row_of.get(task.local_id)
        self._shown.pop(task.local_id, None)
        if task.hidden:
            if row is not None:
                relinked = self._places.has_children(task.local_id)
                self._remove_row(row)
                if relinked:
                    self._relink(self._hot_tasks())
                self._retake(task)
            return
        fresh = TaskRow(task)
        if row is None:
            relink = self._places.links(task)
            # A new extend is a leaf: the others keep their order unless it was the
            # missing source of some (then they move under it).
            adopts = self._places.adopts(task)
            if relink:
                if task.is_extend and self._shelved:
                    self._warm_sources(task)
                changed = self._set_lineage([*self._hot_tasks(), task])
            else:
                self._places.add_root(task)
            row = self._order.position_for(self._rows, self._order.key(fresh))
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, fresh)
            self._row_of.inserted(self._rows, row)
            self._track(task, None)
            self.endInsertRows()
            if adopts:
                self._after_relink(changed)
            self._retake(task)
            return
        old = self._rows[row]
        self._rows[row] = fresh
        if isinstance(old, ShelvedRow):
            self._shelved -= 1
            self._track(task, None)
        else:
            self._track(task, old.task)
        if self._order.key(old) != self._order.key(fresh):
            row = self._reposition(row)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def remove_hidden(self, tasks: Sequence[TaskRecord]) -> None:
        """Take the rows of ``tasks`` (hidden: removed or dismissed) out at once, in one
        reset. One at a time (:meth:`upsert`), each removal renumbers every row above it in
        the index: a Clean up of thousands among 100,000 rows took minutes; this is one pass
        over the rows."""
        leaving = {id_key(task.local_id) for task in tasks}
        gone = [row for row in self._rows if row.id_key in leaving]
        if not gone:
            return
        relink = any(self._places.has_children(row.local_id) for row in gone)
        folded = set(self._folded)
        self.beginResetModel()
        self._rows = [row for row in self._rows if row.id_key not in leaving]
        for row in gone:
            self._forget_row(row)
        if relink:
            self._set_lineage(self._hot_tasks())
            self._order.sort(self._rows)
        self._row_of.rebuild(self._rows)
        if any(self._takes.may_change(task) for task in tasks):
            self._takes.rebuild(self._hot_tasks(), self._shelved_rows())
            self._folded &= self._takes.heads()
        self.endResetModel()
        if self._folded != folded:
            self.folding_changed.emit()

    def _warm_sources(self, extend: TaskRecord) -> None:
        """A new extend of a shelved task: that row gets its record (its extends sit under
        it), in place."""
        shelf: dict[IdKey, ShelvedRow] = {}
        for ref in (extend.parent_id, source_task_id(extend)):
            row = None if not ref else self._row_of.get(ref)
            if row is None and ref:  # (named by APIXO's id)
                found = self._find_id(ref)
                row = None if found is None else self._row_of.get(found)
            shelved = None if row is None else self._rows[row]
            if isinstance(shelved, ShelvedRow):
                shelf[shelved.id_key] = shelved  # (both refs may name it)
        for task in self._warm(list(shelf.values()), frozenset(r.local_id for r in shelf.values())):
            row = self._row_of[task.local_id]
            if isinstance(self._rows[row], ShelvedRow):
                self._warmed.add(task.local_id)
                self._rows[row] = TaskRow(task)
                self._shelved -= 1
                self._track(task, None)
                # (its record may say more than its facts did: another program changed it)
                self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMNS - 1))

    # -- order -----------------------------------------------------------------------------

    @property
    def sort_column(self) -> Column:
        return self._order.column

    @property
    def sort_order(self) -> Qt.SortOrder:
        descending = self._order.descending
        return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (in Python: one key per row, not a call per compare)."""
        if not 0 <= column < len(Column):
            return
        if self._order.change(column, order == Qt.SortOrder.DescendingOrder):
            self._resort()

    def _resort(self) -> None:
        """Put every row in its place for the current order (keeping persistent indexes)."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[index.row()].local_id for index in persistent]
        self._order.sort(self._rows)
        self._row_of.rebuild(self._rows)
        self.changePersistentIndexList(
            persistent,
            [self.index(self._row_of[i], p.column()) for i, p in zip(ids, persistent, strict=True)],
        )
        self.layoutChanged.emit()

    # -- lineage ---------------------------------------------------------------------------

    def _set_lineage(self, tasks: list[TaskRecord]) -> set[str]:
        """Rebuild the lineage of ``tasks``; returns the ids whose depth changed."""
        return self._places.rebuild(tasks)

    def _relink(self, tasks: list[TaskRecord]) -> None:
        self._after_relink(self._set_lineage(tasks))

    def _after_relink(self, changed: set[str]) -> None:
        """Repaint prompts whose depth changed; re-sort if a row's place moved."""
        for local_id in changed:
            row = self._row_of.get(local_id)
            if row is not None:
                index = self.index(row, Column.PROMPT)
                self.dataChanged.emit(index, index)
        if not self._order.is_sorted(self._rows):
            self._resort()

    def _retake(self, task: TaskRecord) -> None:
        """A row came or went: renumber the takes of variations runs, repaint the changed."""
        if self._takes.may_change(task):
            for local_id in self._takes.rebuild(self._hot_tasks(), self._shelved_rows()):
                row = self._row_of.get(local_id)
                if row is not None:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMNS - 1))
            heads = self._takes.heads()
            if not self._folded <= heads:
                self._folded &= heads
                self.folding_changed.emit()

    # -- labels ----------------------------------------------------------------------------

    def set_labels(self, labels_of: Callable[[str], Labels]) -> None:
        """Show each task's stars, favourite mark and tags (``labels_of(local_id)``)."""
        self._labels_of = labels_of
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, _COLUMNS - 1))

    def on_labels_changed(self, local_ids: Iterable[str]) -> None:
        """These tasks' labels changed: repaint their rows."""
        for local_id in local_ids:
            row = self._row_of.get(local_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMNS - 1))

    def label_text(self, local_id: str) -> str:
        """ "★★★★ ♥ #night #harbour" for the task (empty when nothing was said)."""
        return "" if self._labels_of is None else label_text(self._labels_of(local_id))

    # -- takes -----------------------------------------------------------------------------

    def take_text(self, local_id: str) -> str:
        """ "Take 2/4 · seed 17"; a folded run's first take also says how many it holds."""
        text = self._takes.text_of(local_id)
        if local_id in self._folded:
            return folded_text(text, self._takes.count_of(local_id))
        return text

    def fold_state(self, local_id: str) -> int:
        """0: not a run's first take; 1: the first take of an open run; 2: of a folded one."""
        if self._takes.head_of(local_id) != local_id:
            return 0
        return 2 if local_id in self._folded else 1

    def run_head_of(self, local_id: str) -> str | None:
        """The first take of the variations run ``local_id`` is a take of (None: none)."""
        return self._takes.head_of(local_id)

    def is_run_head(self, local_id: str) -> bool:
        return self._takes.head_of(local_id) == local_id

    def is_folded(self, head_id: str) -> bool:
        return head_id in self._folded

    @property
    def has_folds(self) -> bool:
        """Whether any run is folded (the proxy has rows to leave out)."""
        return bool(self._folded)

    def fold_run(self, head_id: str, folded: bool) -> None:
        """Fold the takes of a run under its first take ``head_id``, or show them again."""
        if self._takes.head_of(head_id) != head_id or (head_id in self._folded) == folded:
            return
        if folded:
            self._folded.add(head_id)
        else:
            self._folded.discard(head_id)
        row = self._row_of.get(head_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMNS - 1))
        self.folding_changed.emit()

    def is_folded_take(self, row: int) -> bool:
        """Whether the task at ``row`` is a take folded under its run's first take."""
        local_id = self._rows[row].local_id
        head = self._takes.head_of(local_id)
        return head is not None and head != local_id and head in self._folded

    def depth_of(self, local_id: str) -> int:
        """How deep ``local_id`` sits in its lineage (0: not an extend of a task shown)."""
        return self._places.depth_of(local_id)

    def parent_of(self, local_id: str) -> TaskRecord | None:
        """The task (in the list) that ``local_id`` extends, if any."""
        parent = self._places.parent_id_of(local_id)
        return None if parent is None else self.get(parent)

    def _reposition(self, row: int) -> int:
        """Move ``row`` to where its (changed) key belongs; returns its new row."""
        moving = self._rows.pop(row)
        target = self._order.position_for(self._rows, self._order.key(moving))
        self._rows.insert(row, moving)
        if target == row:
            return row
        destination = target + 1 if target > row else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        del self._rows[row]
        self._rows.insert(target, moving)
        self._row_of.moved(self._rows, min(row, target), max(row, target) + 1)
        self.endMoveRows()
        return target

    def set_progress(self, local_id: str, done: int, total: int | None) -> None:
        """Record download progress; repaints the state cell of that row only."""
        row = self._row_of.get(local_id)
        if row is None:
            return
        self._tracker.set_progress(local_id, done, total)
        index = self.index(row, Column.STATE)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, PROGRESS_ROLE])

    def refresh_clocks(self, local_ids: Iterable[str] | None = None) -> None:
        """Repaint the state cells whose clock moves (all running ones, or these)."""
        ticking = self._tracker.ticking
        ids = ticking if local_ids is None else set(local_ids) & ticking
        for local_id in ids:
            index = self.index(self._row_of[local_id], Column.STATE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def _track(self, task: TaskRecord, old: TaskRecord | None) -> None:
        dropped = self._tracker.track(task, old)
        if dropped is not None and self._thumbnails is not None:
            self._thumbnails.forget(dropped)

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        self._row_of.removed(self._rows, row, removed.local_id)
        self._forget_row(removed)
        self.endRemoveRows()

    def _forget_row(self, removed: ListRow) -> None:
        """What the model keeps about a row taken out (its record read to be shown, its
        clock and video, its place among extends, its count if shelved)."""
        local_id = removed.local_id
        self._shown.pop(local_id, None)
        self._warmed.discard(local_id)
        video = None
        if isinstance(removed, ShelvedRow):
            self._shelved -= 1
        elif removed.task.files:
            video = removed.task.files[0]
        self._tracker.forget(local_id, video)
        self._places.forget(local_id)

    @Slot(str)
    def on_thumbnails_thumbnail_ready(self, video: str) -> None:
        local_id = self._tracker.video_owner.get(video)
        row = self._row_of.get(local_id) if local_id is not None else None
        if row is not None:
            index = self.index(row, Column.THUMBNAIL)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # -- lookups ---------------------------------------------------------------------------

    def task_at(self, row: int) -> TaskRecord:
        """The task of ``row`` (a shelved row's is read from the store)."""
        found = self._rows[row]
        return found.task if isinstance(found, TaskRow) else self._shown_row(found).task

    def tasks_at(self, rows: Sequence[int], *, shown: bool = False) -> list[TaskRecord]:
        """The tasks of ``rows`` (valid rows), in that order: the shelved ones not shown
        lately are read from the store in one go (see :meth:`set_reader`).

        Args:
            shown: the rows are being shown (the gallery's tiles in view): the records read
                are kept among the last shown, as a shown row's are (at least twice as
                many as ``rows`` from now on, so that a view of many keeps its own).
        """
        if shown:
            self._shown_kept = max(self._shown_kept, 2 * len(rows))
        found = [self._rows[row] for row in rows]
        unread = [
            row.local_id
            for row in found
            if isinstance(row, ShelvedRow) and row.local_id not in self._shown
        ]
        read = self._peek_many(unread) if unread and self._peek_many is not None else {}
        tasks = []
        for row in found:
            if isinstance(row, TaskRow):
                tasks.append(row.task)
                continue
            task = read.get(row.local_id)
            if task is None or shown:
                task = self._shown_row(row, task).task
            tasks.append(task)
        return tasks

    def facts_at(self, row: int) -> TaskFacts:
        """What a search looks at in ``row``'s task (nothing read for a shelved row)."""
        found = self._rows[row]
        return found.task if isinstance(found, TaskRow) else found

    def local_id_at(self, row: int) -> str:
        return self._rows[row].local_id

    def folded_prompt_at(self, row: int) -> str:
        """The prompt of ``row``, case-folded, for searching."""
        return self._rows[row].folded_prompt

    def _shown_row(self, row: ListRow, read: TaskRecord | None = None) -> TaskRow:
        """``row`` as a full row: a shelved one's record read (``read``, when it was read
        already) and kept among the last shown (:data:`SHOWN_KEPT`, or more: see
        :meth:`tasks_at`)."""
        if isinstance(row, TaskRow):
            return row
        shown = self._shown.get(row.local_id)
        if shown is not None:
            self._shown.move_to_end(row.local_id)
            return shown
        task = read if read is not None or self._peek is None else self._peek(row.local_id)
        if task is None:  # (the store failed: the row says so until the list is filled again)
            task = row.stand_in()
        elif task.hidden:  # (removed meanwhile, by another program: the row goes)
            if task.local_id not in self._going:
                self._going.add(task.local_id)
                QTimer.singleShot(0, self, lambda: self.upsert(task))
            return TaskRow(task)
        else:
            self._tracker.own(task)
        shown = self._shown[row.local_id] = TaskRow(task)
        if len(self._shown) > self._shown_kept:
            self._shown.popitem(last=False)
        return shown

    def row_of(self, local_id: str) -> int | None:
        return self._row_of.get(local_id)

    def row_of_key(self, key: IdKey) -> int | None:
        """The row of the task whose local id the list keeps as ``key`` (a row's
        ``id_key``)."""
        return self._row_of.of_key(key)

    def listed_rows(self) -> Sequence[ListRow]:
        """Every row, in order: records (``TaskRow``) and shelved rows, nothing read (for
        the gallery, which groups them by their facts; do not change it)."""
        return self._rows

    def index_of(self, local_id: str, column: int = 0) -> QModelIndex:
        row = self._row_of.get(local_id)
        return QModelIndex() if row is None else self.index(row, column)

    def get(self, local_id: str) -> TaskRecord | None:
        row = self._row_of.get(local_id)
        return None if row is None else self.task_at(row)

    def tasks(self) -> list[TaskRecord]:
        """Every row's task (the shelved ones' read from the store, one by one)."""
        return [self.task_at(row) for row in range(len(self._rows))]

    def full_tasks(self) -> list[TaskRecord | None]:
        """Every row's task, None for a shelved row (nothing read)."""
        return [row.task if isinstance(row, TaskRow) else None for row in self._rows]

    def progress(self, local_id: str) -> tuple[int, int | None] | None:
        return self._tracker.progress.get(local_id)

    def ticking_ids(self) -> frozenset[str]:
        """The tasks whose elapsed time is on show and moving."""
        return frozenset(self._tracker.ticking)

    def active_count(self) -> int:
        """How many tasks the engine is working on (submitting to downloading)."""
        return len(self._tracker.active)

    @property
    def thumbnails(self) -> ThumbnailCache | None:
        return self._thumbnails

    # -- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return self._more is not None and not parent.isValid()

    def fetchMore(self, parent: AnyIndex) -> None:
        if self._more is not None and not parent.isValid():
            self._more()

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
        if self._rows[index.row()].has_files:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called ~10 times per visible cell per paint: plain ints, the common misses first.
        role = int(role)
        if role not in _SERVED or not index.isValid():
            return None
        row = self._rows[index.row()]
        if not isinstance(row, TaskRow):
            if role in _BY_ID:  # (answered without reading the shelved row's record)
                return self._by_id(row, role, index.column())
            row = self._shown_row(row)
        column = index.column()
        cells = self._cells
        if role == _DISPLAY:
            return cells.display(row, column)
        if role == _DECORATION:
            return cells.thumbnail(row.task) if column == _THUMBNAIL else None
        if role == _ALIGNMENT:
            return _LEFT
        if role == _STATE:
            return row.task.state.value
        if role == _TASK:
            return row.task
        if role == _LOCAL_ID:
            return row.task.local_id
        if role == _SORT:
            return cells.sort_key(row, column)
        if role == _TOOLTIP:
            return cells.tooltip(row, column)
        if role == _PROGRESS:
            return cells.progress_fraction(row)
        if role == _DETAIL:
            return cells.detail(row)
        if role == _META:
            return cells.meta(row)
        if role == _SHORT_STATE:
            return cells.short_state(row)
        if role == _DEPTH:
            return self._places.depth_of(row.task.local_id)
        if role == _TAKE:
            return self.take_text(row.task.local_id)
        if role == _FOLD:
            return self.fold_state(row.task.local_id)
        if role == _LABELS:
            return self.label_text(row.task.local_id)
        spoken = cells.accessible(row, column)
        if column == _PROMPT and self._labels_of is not None:
            said = self._labels_of(row.task.local_id)
            if said != _NO_LABELS:
                spoken = f"{spoken}. {spoken_labels(said)}"
        return spoken

    def _by_id(self, row: ShelvedRow, role: int, column: int) -> Any:
        """What a shelved row says for a role of :data:`_BY_ID`."""
        if role == _LOCAL_ID:
            return row.local_id
        if role == _STATE:
            return row.state.value
        if role == _SORT:
            return self._cells.sort_key(row, column)
        if role == _ALIGNMENT:
            return _LEFT
        if role == _DEPTH:
            return 0  # (never in a lineage)
        local_id = row.local_id
        if role == _TAKE:
            return self.take_text(local_id)
        if role == _FOLD:
            return self.fold_state(local_id)
        return self.label_text(local_id)

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
                for f in self.task_at(index.row()).files
                if Path(f).exists()
            )
        data = QMimeData()
        data.setUrls(urls)
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
