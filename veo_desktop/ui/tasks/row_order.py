"""The order of the task list's rows (no Qt): one Python key per row, by any column.

Sorted by creation time, each source is directly followed by its extends (oldest first,
in either direction), as :class:`~veo_desktop.ui.tasks.lineage_places.LineagePlaces`
places them. Keys are unique (the creation time and local id break ties), so a row's
place is found by binary search.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from veo_desktop.ui.tasks.cells import SORT_VALUES, TaskRow
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.lineage_places import LineagePlaces

#: (the column's value, created_at, local id).
RowKey = tuple[Any, float, str]


class RowOrder:
    """The column and direction rows are sorted by, and the keys that order them."""

    def __init__(self, places: LineagePlaces) -> None:
        self._places = places
        self.column = Column.CREATED
        self.descending = True
        self._value = SORT_VALUES[Column.CREATED]

    def change(self, column: int, descending: bool) -> bool:
        """Sort by ``column`` from now on; False when that is the order already."""
        if column == self.column and descending == self.descending:
            return False
        self.column = Column(column)
        self._value = SORT_VALUES[column]
        self.descending = descending
        return True

    def key(self, row: TaskRow) -> RowKey:
        task = row.task
        if self.column == Column.CREATED:
            root_created, root_id, place = self._places.place_of(task)
            value: Any = (root_created, root_id, -place if self.descending else place)
            return (value, task.created_at, task.local_id)
        return (self._value(row), task.created_at, task.local_id)

    def before(self, a: RowKey, b: RowKey) -> bool:
        return a > b if self.descending else a < b

    def sort(self, rows: list[TaskRow]) -> None:
        rows.sort(key=self.key, reverse=self.descending)

    def position_for(self, rows: Sequence[TaskRow], key: RowKey) -> int:
        """Where a row with ``key`` belongs among ``rows`` (binary search)."""
        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            if self.before(self.key(rows[middle]), key):
                low = middle + 1
            else:
                high = middle
        return low

    def is_sorted(self, rows: Sequence[TaskRow]) -> bool:
        keys = [self.key(row) for row in rows]
        return all(not self.before(b, a) for a, b in itertools.pairwise(keys))
