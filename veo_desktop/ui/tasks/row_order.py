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

from veo_desktop.ui.tasks.cells import SORT_VALUES
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.lineage_places import LineagePlaces
from veo_desktop.ui.tasks.shelved import ListRow, ShelvedRow

#: (the column's value, created_at, local id as the list keeps it); by creation, the value
#: is (the root's created_at, the root's id, the place under it), inlined.
RowKey = tuple[Any, ...]


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

    def key(self, row: ListRow) -> RowKey:
        if self.column != Column.CREATED:
            return (self._value(row), row.created_at, row.id_key)
        # (one flat tuple: at 100,000 rows a sort makes 100,000 keys)
        if isinstance(row, ShelvedRow):  # (never in a lineage: its own root)
            return (row.created_at, row.id_key, 0, row.created_at, row.id_key)
        root_created, root_id, place = self._places.place_of(row)
        place = -place if self.descending else place
        return (root_created, root_id, place, row.created_at, row.id_key)

    def before(self, a: RowKey, b: RowKey) -> bool:
        return a > b if self.descending else a < b

    def sort(self, rows: list[ListRow]) -> None:
        rows.sort(key=self.key, reverse=self.descending)

    def position_for(self, rows: Sequence[ListRow], key: RowKey) -> int:
        """Where a row with ``key`` belongs among ``rows`` (binary search)."""
        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            if self.before(self.key(rows[middle]), key):
                low = middle + 1
            else:
                high = middle
        return low

    def is_sorted(self, rows: Sequence[ListRow]) -> bool:
        keys = [self.key(row) for row in rows]
        return all(not self.before(b, a) for a, b in itertools.pairwise(keys))
