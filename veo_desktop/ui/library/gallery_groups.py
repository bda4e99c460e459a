"""How the gallery groups its videos into sections: by day, by variations run, by storyboard.

Grouping is plain Python over the tasks the gallery shows (no Qt): :func:`group` takes the
shown items in the list's order and returns :class:`Section` s, each a title and the
positions of its items. Within a section the list's order is kept; sections are ordered
newest first (by the newest video in each).

What is expensive per task (the day a task was made, its run key) is computed once per
task record and kept in a :class:`GroupKeys` cache, so regrouping 100,000 videos after a
filter change costs dictionary look-ups, not date arithmetic or JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.takes import RUN_GAP, run_key


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


def group(
    tasks: Sequence[TaskRecord],
    grouping: Grouping,
    keys: GroupKeys,
    *,
    today: int | None = None,
    storyboard_of: Callable[[TaskRecord], str | None] | None = None,
) -> list[Section]:
    """The sections of ``tasks`` (shown in this order) for ``grouping``.

    Args:
        tasks: the videos the gallery shows, in the list's order.
        grouping: what a section is.
        keys: the per-task key cache (kept by the gallery between calls).
        today: the local day to call "Today" (tests pass one); default: now.
        storyboard_of: the title of the storyboard a task is a shot of (``None``: none);
            without it, grouping by storyboard puts every video under one section.
    """
    if not tasks:
        return []
    if grouping == Grouping.RUN:
        return _by_run(tasks, keys)
    if grouping == Grouping.STORYBOARD:
        return _by_title(tasks, storyboard_of or (lambda _task: None))
    now = dt.date.today().toordinal() if today is None else today
    buckets: dict[int, list[int]] = {}
    for position, day in enumerate(keys.days(tasks)):
        found = buckets.get(day)
        if found is None:
            buckets[day] = [position]
        else:
            found.append(position)
    return [
        Section(day_title(day, now), count_text(len(found)), tuple(found))
        for day, found in sorted(buckets.items(), key=lambda item: -item[0])
    ]


def _by_run(tasks: Sequence[TaskRecord], keys: GroupKeys) -> list[Section]:
    """One section per variations run (tasks equal but for the seed, sent within
    :data:`RUN_GAP` of each other, as :class:`~veo_desktop.ui.tasks.takes.Takes` finds them);
    videos in no run of two or more go under :data:`SINGLES_TITLE`, last."""
    by_key: dict[str, list[int]] = {}
    singles: list[int] = []
    for position, task in enumerate(tasks):
        key = keys.run(task)
        if key is None:
            singles.append(position)
        else:
            by_key.setdefault(key, []).append(position)
    runs: list[tuple[float, list[int]]] = []
    for found in by_key.values():
        found.sort(key=lambda p: tasks[p].created_at)
        run: list[int] = []
        for position in found:
            if run and tasks[position].created_at - tasks[run[-1]].created_at > RUN_GAP:
                _close_run(run, runs, singles, tasks)
                run = []
            run.append(position)
        _close_run(run, runs, singles, tasks)
    runs.sort(key=lambda item: -item[0])
    sections = [Section(*_run_title(tasks, run), tuple(sorted(run))) for _, run in runs]
    if singles:
        singles.sort()
        sections.append(Section(SINGLES_TITLE, count_text(len(singles)), tuple(singles)))
    return sections


def _close_run(
    run: list[int],
    runs: list[tuple[float, list[int]]],
    singles: list[int],
    tasks: Sequence[TaskRecord],
) -> None:
    if len(run) >= 2:
        runs.append((max(tasks[p].created_at for p in run), run))
    else:
        singles.extend(run)


def _run_title(tasks: Sequence[TaskRecord], run: list[int]) -> tuple[str, str]:
    """The run's prompt, and "4 takes · 3 Dec 14:02"."""
    first = tasks[run[0]]
    prompt = " ".join(first.prompt[:200].split()) or "Variations run"
    when = dt.datetime.fromtimestamp(first.created_at)
    return prompt, f"{len(run)} takes \u00b7 {when.day} {when:%b %H:%M}"


def _by_title(
    tasks: Sequence[TaskRecord],
    title_of: Callable[[TaskRecord], str | None],
) -> list[Section]:
    named: dict[str, list[int]] = {}
    newest: dict[str, float] = {}
    singles: list[int] = []
    for position, task in enumerate(tasks):
        title = title_of(task)
        if title is None:
            singles.append(position)
            continue
        named.setdefault(title, []).append(position)
        newest[title] = max(newest.get(title, 0.0), task.created_at)
    sections = [
        Section(title, count_text(len(found)), tuple(found))
        for title, found in sorted(named.items(), key=lambda item: -newest[item[0]])
    ]
    if singles:
        sections.append(Section(NO_STORYBOARD_TITLE, count_text(len(singles)), tuple(singles)))
    return sections
