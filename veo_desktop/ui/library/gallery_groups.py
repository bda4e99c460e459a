"""How the gallery groups its videos into sections: by day, by variations run, by storyboard.

Grouping is plain Python over the rows of the task list the gallery shows (no Qt): by the
day a video was made, by variations run (tasks equal but for the seed, each sent within
:data:`~veo_desktop.ui.tasks.takes.RUN_GAP` of the one before; videos in no run go under
:data:`SINGLES_TITLE`, last), or by the storyboard it is a shot of. Within a section the
list's order is kept; sections are ordered newest first (by the newest video in each).
:class:`~veo_desktop.ui.library.gallery_items.GalleryItems` does the grouping, whole or one
video at a time; this module holds the names, titles and per-row keys.

A row may be a task's record or a large library's shelved row (its facts only; see
:mod:`~veo_desktop.ui.tasks.shelved`): both say when the task was made and, for a run, its
key (hashed). Neither key is kept per row: a day is found among the days seen
(:class:`Days`), and a shelved row keeps its run key; only a record's is worked out, once.
So regrouping 100,000 videos after a filter change costs a look-up a row, and the gallery
holds nothing a row beyond its place.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.cells import TaskRow
from veo_desktop.ui.tasks.row_index import IdKey
from veo_desktop.ui.tasks.shelved import ListRow
from veo_desktop.ui.tasks.takes import run_key


class Grouping(enum.Enum):
    """What the gallery's sections are (stored in the window state by value)."""

    DAY = "day"
    RUN = "run"
    STORYBOARD = "storyboard"


#: The group-by choices as the gallery's menu names them.
GROUPING_LABELS: dict[Grouping, str] = {
    Grouping.DAY: "By day",
    Grouping.RUN: "By variations run",
    Grouping.STORYBOARD: "By storyboard",
}

#: Where videos outside any run go.
SINGLES_TITLE = "Single videos"
#: Where videos that are no storyboard's shot go.
NO_STORYBOARD_TITLE = "Not in a storyboard"


@dataclass(frozen=True)
class Section:
    """One header (a title and a detail: how many, when) and the gallery positions (indexes
    into the shown items) under it."""

    title: str
    detail: str
    positions: tuple[int, ...]

    @property
    def text(self) -> str:
        """The header as one line: "Today · 3 videos"."""
        return f"{self.title} \u00b7 {self.detail}"


class Days:
    """The local calendar day of a moment (a proleptic ordinal), from the days seen so far.

    A day is worked out once (``datetime.fromtimestamp``), with its local midnights; any
    later moment between them is that day, found by bisection (a few hundred days among
    100,000 videos). A day whose clock changes (a DST switch: the UTC offset at its start
    is not the one at its end) is not kept: each moment of it is worked out.
    """

    __slots__ = ("_days", "_ends", "_last", "_starts")

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._days: list[int] = []
        #: The last day found (videos come in time order: most look-ups stop here).
        self._last = (0.0, 0.0, 0)

    def __call__(self, moment: float) -> int:
        start, end, day = self._last
        if start <= moment < end:
            return day
        found = bisect_right(self._starts, moment) - 1
        if found >= 0 and moment < self._ends[found]:
            self._last = (self._starts[found], self._ends[found], self._days[found])
            return self._days[found]
        return self._learn(moment)

    def _learn(self, moment: float) -> int:
        date = dt.datetime.fromtimestamp(moment).date()
        start = dt.datetime.combine(date, dt.time()).timestamp()
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time()).timestamp()
        steady = time.localtime(start).tm_gmtoff == time.localtime(end - 1).tm_gmtoff
        if steady and start <= moment < end:
            at = bisect_right(self._starts, start)
            self._starts.insert(at, start)
            self._ends.insert(at, end)
            self._days.insert(at, date.toordinal())
            self._last = (start, end, date.toordinal())
        return date.toordinal()


class GroupKeys:
    """The grouping keys of rows: the day each was made, and its variations run's key.

    A shelved row keeps its run key (hashed); a record's is worked out once per record
    (:func:`~veo_desktop.ui.tasks.takes.run_key` writes its request out) and kept while
    its row is shown.
    """

    def __init__(self) -> None:
        self.day_of = Days()
        self._runs: dict[IdKey, tuple[TaskRecord, int | None]] = {}

    def day(self, row: ListRow) -> int:
        """The local calendar day ``row``'s task was made (a proleptic ordinal)."""
        return self.day_of(row.created_at)

    def days(self, rows: Sequence[ListRow]) -> list[int]:
        """:meth:`day` of each row (one pass, for 100,000 rows at a time)."""
        day_of = self.day_of
        return [day_of(row.created_at) for row in rows]

    def run(self, row: ListRow) -> int | None:
        """What every take of ``row``'s run shares, hashed (``None``: it cannot be a
        take); a shelved row's and a record's agree (the task list's takes hash alike)."""
        if not isinstance(row, TaskRow):
            return row.run
        task = row.task
        known = self._runs.get(row.id_key)
        if known is not None and known[0] is task:
            return known[1]
        key = run_key(task)
        hashed = None if key is None else hash(key)
        self._runs[row.id_key] = (task, hashed)
        return hashed

    def forget_except(self, keys: Iterable[IdKey], count: int) -> None:
        """Drop the run keys of rows no longer shown (``keys``, ``count`` of them): the
        cache stays bounded by the records shown."""
        cache = self._runs
        if len(cache) > 2 * max(1, count):
            kept = set(keys)
            for stale in [k for k in cache if k not in kept]:
                del cache[stale]


def day_title(day: int, today: int) -> str:
    """ "Today", "Yesterday", or "Tuesday 1 December 2026"."""
    if day == today:
        return "Today"
    if day == today - 1:
        return "Yesterday"
    date = dt.date.fromordinal(day)
    return f"{date:%A} {date.day} {date:%B %Y}"


def count_text(count: int) -> str:
    return "1 video" if count == 1 else f"{count:,} videos"


def run_title(prompt: str) -> str:
    """A run's title: its first take's prompt, on one line."""
    return " ".join(prompt[:200].split()) or "Variations run"


def run_when(first_made: float) -> str:
    """When a run's first take was sent: "3 Dec 14:02"."""
    when = dt.datetime.fromtimestamp(first_made)
    return f"{when.day} {when:%b %H:%M}"
