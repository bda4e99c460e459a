"""Where each task's row is in the task list, found in O(1), moved cheaply at the top.

A list read newest first gets its new tasks at the top. Counted from the top, every row
below a new one moves (at 100,000 rows, 15-20 ms of Python per new task); counted from the
bottom, none does. :class:`RowIndex` keeps each row's distance from the last row, so an
insert or removal at row ``r`` renumbers the ``r`` rows above it, not the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

_Row = TypeVar("_Row")


class RowIndex(Generic[_Row]):
    """The row of each key among ``rows`` (a list the model changes, then reports here).

    Args:
        key: a row's key (a task's local id).
    """

    __slots__ = ("_count", "_from_end", "_key")

    def __init__(self, key: Callable[[_Row], str]) -> None:
        self._key = key
        #: Each key's distance from the last row (0: the last row).
        self._from_end: dict[str, int] = {}
        self._count = 0

    def __getitem__(self, key: str) -> int:
        return self._count - 1 - self._from_end[key]

    def get(self, key: str) -> int | None:
        """The row of ``key`` (None when no row has it)."""
        distance = self._from_end.get(key)
        return None if distance is None else self._count - 1 - distance

    def rebuild(self, rows: Sequence[_Row]) -> None:
        """Every row changed (a reset, a sort)."""
        last = len(rows) - 1
        key = self._key
        self._count = len(rows)
        self._from_end = {key(row): last - number for number, row in enumerate(rows)}

    def inserted(self, rows: Sequence[_Row], row: int) -> None:
        """``rows[row]`` was inserted (the rows above it are renumbered)."""
        self._count = len(rows)
        self._renumber(rows, 0, row + 1)

    def removed(self, rows: Sequence[_Row], row: int, key: str) -> None:
        """The row ``row``, of ``key``, was removed (``rows`` no longer holds it)."""
        del self._from_end[key]
        self._count = len(rows)
        self._renumber(rows, 0, row)

    def moved(self, rows: Sequence[_Row], first: int, end: int) -> None:
        """The rows from ``first`` to before ``end`` changed places among themselves."""
        self._renumber(rows, first, end)

    def _renumber(self, rows: Sequence[_Row], first: int, end: int) -> None:
        last = self._count - 1
        key, from_end = self._key, self._from_end
        for number in range(first, end):
            from_end[key(rows[number])] = last - number
