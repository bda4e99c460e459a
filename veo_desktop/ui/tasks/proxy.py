"""The filtered task list that the table and the gallery both show: an index array over
the :class:`~veo_desktop.ui.tasks.model.TaskTableModel`, kept in the source's order. The
takes of a folded variations run are left out too.

A ``QSortFilterProxyModel`` asks ``filterAcceptsRow`` (a Python call) for every row on
every keystroke: 85 ms at 10,000 tasks, seconds at 100,000. This proxy instead resets
itself over a list of source rows (:meth:`TaskFilterProxy.source_rows`) and fills that list
in slices: the first slice, enough rows to fill a window, is found before the call that
changed the filter returns (a few milliseconds whatever the number of tasks), the rest in
slices of :data:`SLICE_SECONDS` on the event loop, appended with ``rowsInserted`` (the
count and the scroll bar grow while the list stays usable). :attr:`complete` says whether
the whole list was looked through; :attr:`filter_finished` fires then. A keystroke that only
narrows the search (more letters, one more word) looks through the rows shown already, not
every task.

With no filter the proxy maps row to row (no list at all). Source changes (a new task, a
state change, a sort) move, add or drop only the rows concerned.
"""

from __future__ import annotations

import dataclasses
import time
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)

from veo_desktop.records.library import (
    EMPTY,
    Labels,
    LibraryQuery,
    Matcher,
    TaskFacts,
    format_query,
    matcher,
)
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.columns import FILTER_STATES, StateFilter
from veo_desktop.ui.tasks.model import TaskTableModel

AnyIndex = QModelIndex | QPersistentModelIndex

#: How long the first look through the tasks may take before the call returns (seconds).
FIRST_SLICE_SECONDS = 0.004
#: Rows the first look wants to find (a tall window shows ~60).
FIRST_ROWS = 200
#: How long each later slice may hold the event loop (seconds): well inside a frame.
SLICE_SECONDS = 0.006
#: How often rows found by the slices are shown (seconds): each showing repaints the view,
#: which costs more than a slice, so slices run back to back in between.
FLUSH_SECONDS = 0.1
#: Rows looked at between two looks at the clock.
_STRIDE = 256


class TaskFilterProxy(QAbstractProxyModel):
    """The rows of a :class:`TaskTableModel` that the search and the state filter let
    through, in the model's order (see the module docstring).

    Feed it :meth:`set_query` (the search bar's :class:`LibraryQuery` and the labels it
    may ask about) and :meth:`set_state_filter`; :meth:`set_search_text` is the plain
    words-only search. :meth:`sort` sorts the source model itself.
    """

    #: The whole list was looked through for the current filter.
    filter_finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model: TaskTableModel | None = None
        self._query: LibraryQuery = EMPTY
        self._labels: Mapping[str, Labels] = {}
        self._state_filter = StateFilter.ALL
        self._match: Matcher | None = None
        #: Proxy row -> source row (ascending); None: every source row, as it is.
        self._rows: list[int] | None = None
        #: What is still to look through: these source rows (None: every one) from _next.
        self._candidates: Sequence[int] | None = None
        self._next = 0
        #: Every candidate was looked at (then changes are applied row by row).
        self._done = True
        #: Rows found by the slices since the last flush, and when that was.
        self._found: list[int] = []
        self._flushed_at = 0.0
        self._pending_removal: tuple[int, int] | None = None
        #: Across a source layout change: the persistent indexes and their tasks, and the
        #: tasks shown (their rows move).
        self._layout_ids: list[tuple[QModelIndex, str]] = []
        self._shown_ids: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.on_timer_timeout)

    # -- what to show ------------------------------------------------------------------------

    @property
    def query(self) -> LibraryQuery:
        return self._query

    @property
    def search_text(self) -> str:
        """The search as typed: its words, then its filters (``fox tag:night``)."""
        return format_query(self._query)

    @property
    def state_filter(self) -> StateFilter:
        return self._state_filter

    @property
    def complete(self) -> bool:
        """Whether every task was looked at for the current filter."""
        return self._rows is None or (self._done and not self._found)

    def set_search_text(self, text: str) -> None:
        """Show the tasks whose prompt holds every word of ``text`` (filters kept)."""
        self.set_query(dataclasses.replace(self._query, words=tuple(text.split())))

    def set_state_filter(self, choice: StateFilter) -> None:
        if choice != self._state_filter:
            self._state_filter = choice
            self._refilter(narrower=False)

    def set_query(self, query: LibraryQuery, labels: Mapping[str, Labels] | None = None) -> None:
        """Show what ``query`` finds (``labels``: ratings, favourites and tags by local id;
        kept from the last call when not given)."""
        relabelled = labels is not None and labels is not self._labels
        if labels is not None:
            self._labels = labels
        if query == self._query and not (relabelled and query.has_filters):
            return
        narrower = not relabelled and _narrows(self._query, query)
        self._query = query
        self._refilter(narrower=narrower)

    def recheck(self, local_ids: Sequence[str]) -> None:
        """Look at these tasks again (their labels changed)."""
        if self._rows is None or self._model is None:
            return
        for local_id in local_ids:
            row = self._model.row_of(local_id)
            if row is not None:
                self._recheck_source_row(row)

    def source_rows(self) -> Sequence[int]:
        """The source rows shown, in order (the gallery reads this instead of mapping)."""
        if self._rows is None:
            return range(0 if self._model is None else self._model.rowCount())
        return self._rows

    def shown_tasks(self) -> list[TaskRecord]:
        """The tasks shown, in order."""
        model = self.task_model()
        return [model.task_at(row) for row in self.source_rows()]

    # -- the scan ----------------------------------------------------------------------------

    def _build_matcher(self) -> Matcher | None:
        inner = None if self._query.is_empty else matcher(self._query, self._labels)
        if self._state_filter == StateFilter.ALL:
            folds = self._model is not None and self._model.has_folds
            return _everything if inner is None and folds else inner
        states = FILTER_STATES[self._state_filter]
        if inner is None:
            return lambda task, _prompt: task.state in states
        return lambda task, prompt: task.state in states and inner(task, prompt)

    def _refilter(self, *, narrower: bool) -> None:
        model = self._model
        self._timer.stop()
        match = self._build_matcher()
        previous = self._rows if (narrower and self.complete) else None
        self.beginResetModel()
        self._match = match
        if match is None or model is None:
            self._rows, self._candidates, self._found = None, None, []
        else:
            self._start_scan(None if previous is None else list(previous))
        self.endResetModel()
        self._after_scan()

    def _start_scan(self, candidates: list[int] | None) -> None:
        """Look through ``candidates`` (None: every task) again; the first screenful now.
        Call between a begin and an end of a reset or layout change."""
        self._rows, self._candidates, self._found = [], candidates, []
        self._next, self._done = 0, False
        self._rows.extend(self._scan(FIRST_SLICE_SECONDS, FIRST_ROWS))
        self._flushed_at = time.perf_counter()

    def _candidate_count(self) -> int:
        if self._candidates is not None:
            return len(self._candidates)
        return 0 if self._model is None else self._model.rowCount()

    def _scan(self, budget: float, enough: int | None = None) -> list[int]:
        """Look through the next candidates for ``budget`` seconds (or until ``enough``
        rows were found); append what passes to the rows; returns those rows."""
        model, match, rows = self._model, self._match, self._rows
        assert model is not None and match is not None and rows is not None
        task_at, folded_at = model.facts_at, model.folded_prompt_at
        if model.has_folds:
            folded_take, inner = model.is_folded_take, match

            def match_row(r: int) -> bool:
                return not folded_take(r) and inner(task_at(r), folded_at(r))
        else:

            def match_row(r: int) -> bool:
                return match(task_at(r), folded_at(r))

        candidates = self._candidates
        end = self._candidate_count()
        found: list[int] = []
        deadline = time.perf_counter() + budget
        position = self._next
        while position < end:
            stop = min(end, position + _STRIDE)
            if candidates is None:
                found.extend(filter(match_row, range(position, stop)))
            else:
                found.extend(filter(match_row, candidates[position:stop]))
            position = stop
            if time.perf_counter() > deadline or (enough is not None and len(found) >= enough):
                break
        self._next = position
        self._done = position >= end
        return found

    def _flush(self) -> None:
        """Show the rows found since the last flush (one ``rowsInserted``)."""
        rows, found = self._rows, self._found
        assert rows is not None
        self._found, self._flushed_at = [], time.perf_counter()
        if found:
            first = len(rows)
            self.beginInsertRows(QModelIndex(), first, first + len(found) - 1)
            rows.extend(found)
            self.endInsertRows()

    def _after_scan(self) -> None:
        if self.complete:
            self._candidates = None
            self.filter_finished.emit()
        else:
            self._timer.start()

    @Slot()
    def on_timer_timeout(self) -> None:
        if self._rows is None or self.complete:
            return
        self._found.extend(self._scan(SLICE_SECONDS))
        if self._done or time.perf_counter() - self._flushed_at > FLUSH_SECONDS:
            self._flush()
        self._after_scan()

    def _restart_if_scanning(self) -> bool:
        """A structural change while the list is being looked through: start again."""
        if self._rows is not None and not self.complete:
            self._refilter(narrower=False)
            return True
        return False

    # -- the source --------------------------------------------------------------------------

    def task_model(self) -> TaskTableModel:
        return cast(TaskTableModel, self.sourceModel())

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        if not isinstance(model, TaskTableModel):
            raise TypeError("TaskFilterProxy filters a TaskTableModel")
        self.beginResetModel()
        self._model = model
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self.on_source_model_about_to_be_reset)
        model.modelReset.connect(self.on_source_model_reset)
        model.layoutAboutToBeChanged.connect(self.on_source_layout_about_to_be_changed)
        model.layoutChanged.connect(self.on_source_layout_changed)
        model.rowsAboutToBeInserted.connect(self.on_source_rows_about_to_be_inserted)
        model.rowsInserted.connect(self.on_source_rows_inserted)
        model.rowsAboutToBeRemoved.connect(self.on_source_rows_about_to_be_removed)
        model.rowsRemoved.connect(self.on_source_rows_removed)
        model.rowsAboutToBeMoved.connect(self.on_source_layout_about_to_be_changed)
        model.rowsMoved.connect(self.on_source_layout_changed)
        model.dataChanged.connect(self.on_source_data_changed)
        model.headerDataChanged.connect(self.headerDataChanged)
        model.folding_changed.connect(self.on_model_folding_changed)
        self._match = self._build_matcher()
        if self._match is not None:
            self._start_scan(None)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._model is not None:
            self._model.sort(column, order)

    @Slot()
    def on_source_model_about_to_be_reset(self) -> None:
        self._timer.stop()
        self.beginResetModel()

    @Slot()
    def on_source_model_reset(self) -> None:
        if self._match is not None:
            self._start_scan(None)
        self.endResetModel()
        self._after_scan()

    def on_source_layout_about_to_be_changed(self, *_args: Any) -> None:
        self.layoutAboutToBeChanged.emit()
        model = self._model
        assert model is not None
        self._layout_ids = [
            (index, model.local_id_at(self._to_source_row(index.row())))
            for index in self.persistentIndexList()
            if index.isValid()
        ]
        rows = self._rows
        self._shown_ids = [] if rows is None else [model.local_id_at(r) for r in rows]

    def on_source_layout_changed(self, *_args: Any) -> None:
        model = self._model
        assert model is not None
        if self._rows is not None:
            if self.complete:
                places = (model.row_of(local_id) for local_id in self._shown_ids)
                self._rows = sorted(r for r in places if r is not None)
            else:
                self._start_scan(None)
        old = [index for index, _ in self._layout_ids]
        new = []
        for index, local_id in self._layout_ids:
            source = model.row_of(local_id)
            row = None if source is None else self._from_source_row(source)
            new.append(QModelIndex() if row is None else self.index(row, index.column()))
        self.changePersistentIndexList(old, new)
        self._layout_ids, self._shown_ids = [], []
        self.layoutChanged.emit()
        self._after_scan()

    @Slot(QModelIndex, int, int)
    def on_source_rows_about_to_be_inserted(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        if self._rows is None:
            self.beginInsertRows(QModelIndex(), first, last)

    @Slot(QModelIndex, int, int)
    def on_source_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self._rows
        if rows is None:
            self.endInsertRows()
            return
        if self._restart_if_scanning():
            return
        count = last - first + 1
        at = bisect_left(rows, first)
        rows[at:] = [r + count for r in rows[at:]]
        model, match = self._model, self._match
        assert model is not None and match is not None
        added = [r for r in range(first, last + 1) if self._accepts(r)]
        if added:
            self.beginInsertRows(QModelIndex(), at, at + len(added) - 1)
            rows[at:at] = added
            self.endInsertRows()

    @Slot(QModelIndex, int, int)
    def on_source_rows_about_to_be_removed(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        rows = self._rows
        if rows is None:
            self.beginRemoveRows(QModelIndex(), first, last)
            return
        start, stop = bisect_left(rows, first), bisect_right(rows, last)
        self._pending_removal = (start, stop)
        if start < stop:
            self.beginRemoveRows(QModelIndex(), start, stop - 1)

    @Slot(QModelIndex, int, int)
    def on_source_rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self._rows
        if rows is None:
            self.endRemoveRows()
            return
        start, stop = self._pending_removal or (0, 0)
        self._pending_removal = None
        count = last - first + 1
        del rows[start:stop]
        rows[start:] = [r - count for r in rows[start:]]
        if start < stop:
            self.endRemoveRows()
        self._restart_if_scanning()

    @Slot(QModelIndex, QModelIndex, list)
    def on_source_data_changed(
        self, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[int] | None = None
    ) -> None:
        roles = roles or []
        if self._rows is None:
            self.dataChanged.emit(
                self.index(top_left.row(), top_left.column()),
                self.index(bottom_right.row(), bottom_right.column()),
                roles,
            )
            return
        for source in range(top_left.row(), bottom_right.row() + 1):
            row = self._recheck_source_row(source)
            if row is not None:
                self.dataChanged.emit(
                    self.index(row, top_left.column()),
                    self.index(row, bottom_right.column()),
                    roles,
                )

    def _recheck_source_row(self, source: int) -> int | None:
        """Add or drop one source row after its task changed; its proxy row if shown."""
        rows, model, match = self._rows, self._model, self._match
        assert rows is not None and model is not None and match is not None
        if not self.complete:
            return self._from_source_row(source)  # the scan decides when it gets there
        at = bisect_left(rows, source)
        shown = at < len(rows) and rows[at] == source
        wanted = self._accepts(source)
        if wanted and not shown:
            self.beginInsertRows(QModelIndex(), at, at)
            rows.insert(at, source)
            self.endInsertRows()
        elif shown and not wanted:
            self.beginRemoveRows(QModelIndex(), at, at)
            del rows[at]
            self.endRemoveRows()
            return None
        return at if wanted else None

    def _accepts(self, source: int) -> bool:
        model, match = self._model, self._match
        assert model is not None and match is not None
        if model.has_folds and model.is_folded_take(source):
            return False
        return match(model.facts_at(source), model.folded_prompt_at(source))

    def on_model_folding_changed(self) -> None:
        """A variations run was folded or opened: its takes leave or rejoin the rows (row
        by row, so the selection and the scroll position stay)."""
        model = self._model
        assert model is not None
        if self._rows is not None and not self.complete:
            self._refilter(narrower=False)
            return
        self._match = self._build_matcher()
        count = model.rowCount()
        if self._rows is None:
            self._rows = list(range(count))
        wanted = (
            list(range(count)) if self._match is None else list(filter(self._accepts, range(count)))
        )
        self._apply_rows(wanted)
        if self._match is None:
            self._rows = None
        self._candidates, self._done = None, True

    def _apply_rows(self, new: list[int]) -> None:
        """Turn the rows into ``new`` (both ascending) with removals, then insertions."""
        rows = self._rows
        assert rows is not None
        keep, had = set(new), set(rows)
        for start, stop in reversed(_runs([i for i, r in enumerate(rows) if r not in keep])):
            self.beginRemoveRows(QModelIndex(), start, stop)
            del rows[start : stop + 1]
            self.endRemoveRows()
        for start, stop in _runs([j for j, r in enumerate(new) if r not in had]):
            self.beginInsertRows(QModelIndex(), start, stop)
            rows[start:start] = new[start : stop + 1]
            self.endInsertRows()

    # -- mapping -----------------------------------------------------------------------------

    def _to_source_row(self, row: int) -> int:
        return row if self._rows is None else self._rows[row]

    def _from_source_row(self, source: int) -> int | None:
        rows = self._rows
        if rows is None:
            return source
        at = bisect_left(rows, source)
        return at if at < len(rows) and rows[at] == source else None

    def mapToSource(self, proxy_index: AnyIndex) -> QModelIndex:
        model = self._model
        if model is None or not proxy_index.isValid():
            return QModelIndex()
        row = proxy_index.row()
        if self._rows is not None and row >= len(self._rows):
            return QModelIndex()
        return model.index(self._to_source_row(row), proxy_index.column())

    def mapFromSource(self, source_index: AnyIndex) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        row = self._from_source_row(source_index.row())
        return QModelIndex() if row is None else self.index(row, source_index.column())

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if (
            parent.isValid()
            or not 0 <= row < self.rowCount()
            or not 0 <= column < self.columnCount()
        ):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        return QModelIndex()

    def sibling(self, row: int, column: int, _index: AnyIndex) -> QModelIndex:
        return self.index(row, column)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._model is None:
            return 0
        return self._model.rowCount() if self._rows is None else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._model is None else self._model.columnCount()

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.rowCount() > 0

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called ~10 times per visible cell per paint: as few Python calls as possible.
        model, rows, row = self._model, self._rows, index.row()
        if model is None or row < 0:
            return None
        return model.data(model.index(row if rows is None else rows[row], index.column()), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self._model is None:
            return None
        return self._model.headerData(section, orientation, role)


def _everything(_task: TaskFacts, _prompt: str) -> bool:
    return True


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Ascending positions as (first, last) runs of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def _narrows(old: LibraryQuery, new: LibraryQuery) -> bool:
    """Whether ``new`` can only find fewer tasks than ``old`` (the same filters, and each
    old word inside some new word)."""
    if dataclasses.replace(old, words=()) != dataclasses.replace(new, words=()):
        return False
    folded = [w.casefold() for w in new.words]
    return all(any(w.casefold() in n for n in folded) for w in old.words)
