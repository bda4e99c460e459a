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
#: A local id as the index keeps it (see :func:`id_key`).
IdKey = bytes


def id_key(local_id: str) -> IdKey:
    """``local_id`` as the list keeps it: the 32 lowercase hex digits of a uuid (every id
    this app makes) as their 16 bytes (56 bytes of memory instead of 81: at 100,000 rows,
    2.5 MB), any other id as its UTF-8 marked so that it is never 16 bytes long (the two
    kinds never meet). Keys compare with each other: the list's order breaks ties between
    tasks made at one moment by them."""
    if len(local_id) == 32:
        try:
            key = bytes.fromhex(local_id)
        except ValueError:
            pass
        else:
            if key.hex() == local_id:
                return key
    text = local_id.encode("utf-8", "surrogatepass")
    return b"\2" + text + b"\2" if len(text) == 15 else b"\1" + text


def id_text(key: IdKey) -> str:
    """The local id that :func:`id_key` made ``key`` of."""
    if len(key) == 16:
        return key.hex()
    text = key[1:-1] if key[0] == 2 else key[1:]
    return text.decode("utf-8", "surrogatepass")


class RowIndex(Generic[_Row]):
    """The row of each key among ``rows`` (a list the model changes, then reports here).

    Args:
        key: a row's key (its task's local id, as :func:`id_key` makes it).
    """

    __slots__ = ("_count", "_from_end", "_key")

    def __init__(self, key: Callable[[_Row], IdKey]) -> None:
        self._key = key
        #: Each key's distance from the last row (0: the last row).
        self._from_end: dict[IdKey, int] = {}
        self._count = 0

    def __getitem__(self, local_id: str) -> int:
        return self._count - 1 - self._from_end[id_key(local_id)]

    def __contains__(self, key: object) -> bool:
        """Whether a row has ``key`` (a key :func:`id_key` made)."""
        return key in self._from_end

    def get(self, local_id: str) -> int | None:
        """The row of ``local_id`` (None when no row has it)."""
        distance = self._from_end.get(id_key(local_id))
        return None if distance is None else self._count - 1 - distance

    def of_key(self, key: IdKey) -> int | None:
        """The row of the task whose :func:`id_key` is ``key`` (None when no row has it)."""
        distance = self._from_end.get(key)
        return None if distance is None else self._count - 1 - distance

    def rebuild(self, rows: Sequence[_Row]) -> None:
        """Every row changed (a reset, a sort)."""
        last = len(rows) - 1
        key = self._key
        self._count = len(rows)
        self._from_end = {}  # (the old one freed first: at 100,000 rows, megabytes)
        self._from_end = {key(row): last - number for number, row in enumerate(rows)}

    def inserted(self, rows: Sequence[_Row], row: int) -> None:
        """``rows[row]`` was inserted (the rows above it are renumbered)."""
        self._count = len(rows)
        self._renumber(rows, 0, row + 1)

    def removed(self, rows: Sequence[_Row], row: int, local_id: str) -> None:
        """The row ``row``, of ``local_id``, was removed (``rows`` no longer holds it)."""
        del self._from_end[id_key(local_id)]
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
