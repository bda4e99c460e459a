"""How the gallery groups its videos into sections: by day, by variations run, by storyboard.

Grouping is plain Python over the tasks the gallery shows (no Qt): by the day a video was
made, by variations run (tasks equal but for the seed, each sent within
:data:`~veo_desktop.ui.tasks.takes.RUN_GAP` of the one before; videos in no run go under
:data:`SINGLES_TITLE`, last), or by the storyboard it is a shot of. Within a section the
list's order is kept; sections are ordered newest first (by the newest video in each).
:class:`~veo_desktop.ui.library.gallery_items.GalleryItems` does the grouping, whole or one
video at a time; this module holds the names, titles and per-task keys.

What is expensive per task (the day a task was made, its run key) is computed once per
task record and kept in a :class:`GroupKeys` cache, so regrouping 100,000 videos after a
filter change costs dictionary look-ups, not date arithmetic or JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from veo_desktop.records.task import TaskRecord
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


class GroupKeys:
    """Per-task grouping keys, each computed once per record (a changed record: again)."""

    def __init__(self) -> None:
        self._days: dict[str, tuple[TaskRecord, int]] = {}
        self._runs: dict[str, tuple[TaskRecord, str | None]] = {}

    def day(self, task: TaskRecord) -> int:
        """The local calendar day ``task`` was made (a proleptic ordinal)."""
        known = self._days.get(task.local_id)
        if known is not None and known[0] is task:
            return known[1]
        day = dt.datetime.fromtimestamp(task.created_at).date().toordinal()
        self._days[task.local_id] = (task, day)
        return day

    def days(self, tasks: Sequence[TaskRecord]) -> list[int]:
        """:meth:`day` of each task (one pass, for 100,000 tasks at a time)."""
        known = self._days
        found = []
        for task in tasks:
            entry = known.get(task.local_id)
            found.append(entry[1] if entry is not None and entry[0] is task else self.day(task))
        return found

    def run(self, task: TaskRecord) -> str | None:
        """What every take of ``task``'s run shares (``None``: it cannot be a take)."""
        known = self._runs.get(task.local_id)
        if known is not None and known[0] is task:
            return known[1]
        key = run_key(task)
        self._runs[task.local_id] = (task, key)
        return key

    def forget_except(self, local_ids: set[str]) -> None:
        """Drop the keys of tasks no longer shown (keeps the cache bounded by the list)."""
        for cache in (self._days, self._runs):
            if len(cache) > 2 * max(1, len(local_ids)):
                for stale in [k for k in cache if k not in local_ids]:
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


def run_title(run: Sequence[TaskRecord]) -> tuple[str, str]:
    """A run's title (its prompt) and when its first take was sent ("3 Dec 14:02")."""
    first = min(run, key=lambda task: task.created_at)
    prompt = " ".join(first.prompt[:200].split()) or "Variations run"
    when = dt.datetime.fromtimestamp(first.created_at)
    return prompt, f"{when.day} {when:%b %H:%M}"
