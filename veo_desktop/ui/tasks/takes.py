"""Which rows are takes of one variations run, and what tells them apart ("Take 2/4 · seed 17").

A variations run sends N copies of one request that differ only in their seeds
(:func:`veo_desktop.core.batch.variations.variation_requests`), one after another. The
records keep no run id, so :class:`Takes` finds the runs the same way: tasks whose requests
are equal but for the seed, each sent within :data:`RUN_GAP` seconds of the one before. A
task alone in its run is not a take and says nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from veo_desktop.records.library import Labels
from veo_desktop.records.task import TaskRecord

#: Takes of one run are sent one after another; a longer pause starts a new run.
RUN_GAP = 600.0


class Take(Protocol):
    """A take as a run is numbered from: a task's record, or a list's shelved row."""

    @property
    def local_id(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def seed(self) -> object: ...


class ShelvedTake(Take, Protocol):
    @property
    def run(self) -> int | None: ...


def seed_of(task: Take) -> int | None:
    """The seed the task was asked for (None when it had none)."""
    seed = task.seed
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def run_key(task: TaskRecord) -> str | None:
    """What every take of one run shares: the model and the request without its seed."""
    if task.is_extend or seed_of(task) is None:
        return None
    request: dict[str, Any] = dict(task.request)
    data = request.get("input")
    if isinstance(data, Mapping):
        request["input"] = {k: v for k, v in data.items() if k != "seed"}
    try:
        return task.model + "\n" + json.dumps(request, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None


def take_text(number: int, count: int, seed: int | None) -> str:
    """ "Take 2/4 · seed 17" (the seed left out when unknown)."""
    text = f"Take {number}/{count}"
    return text if seed is None else f"{text} \u00b7 seed {seed}"


#: At most this many tags are named on a row ("+2" says how many more).
ROW_TAGS = 3


def label_text(labels: Labels) -> str:
    """What the person said about a task, short enough for its row: "★★★★ ♥ #night"."""
    parts = []
    if labels.rating:
        parts.append("\u2605" * labels.rating)
    if labels.favourite:
        parts.append("\u2665")
    tags = sorted(labels.tags)
    parts += [f"#{tag}" for tag in tags[:ROW_TAGS]]
    if len(tags) > ROW_TAGS:
        parts.append(f"+{len(tags) - ROW_TAGS}")
    return " ".join(parts)


def spoken_labels(labels: Labels) -> str:
    """The same for a screen reader: "Rated 4 of 5, favourite, tagged night, harbour"."""
    parts = []
    if labels.rating:
        parts.append(f"Rated {labels.rating} of 5")
    if labels.favourite:
        parts.append("favourite")
    if labels.tags:
        parts.append("tagged " + ", ".join(sorted(labels.tags)))
    return ", ".join(parts)


def folded_text(take: str, count: int) -> str:
    """The take line of a run's first take while the others are folded under it:
    "Take 1/4 · seed 17 · 3 more takes"."""
    more = count - 1
    return f"{take} \u00b7 {more} more take{'s' if more != 1 else ''}"


class Takes:
    """The take text of every task that belongs to a variations run of two or more."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        #: local id -> (the local id of its run's first take, how many takes the run has).
        self._runs: dict[str, tuple[str, int]] = {}
        #: local id -> (its request, its run key hashed), while shelved rows are grouped.
        self._keys: dict[str, tuple[object, int | None]] = {}

    def text_of(self, local_id: str) -> str:
        return self._texts.get(local_id, "")

    def head_of(self, local_id: str) -> str | None:
        """The first take of the run ``local_id`` belongs to (None: not a take)."""
        run = self._runs.get(local_id)
        return None if run is None else run[0]

    def count_of(self, local_id: str) -> int:
        """How many takes the run of ``local_id`` has (0: not a take)."""
        run = self._runs.get(local_id)
        return 0 if run is None else run[1]

    def heads(self) -> set[str]:
        """The first take of every run."""
        return {head for head, _count in self._runs.values()}

    @staticmethod
    def may_change(task: TaskRecord) -> bool:
        """Whether adding or removing ``task`` can change any take (it has a seed)."""
        return not task.is_extend and seed_of(task) is not None

    def rebuild(self, tasks: Iterable[TaskRecord], shelved: Iterable[ShelvedTake] = ()) -> set[str]:
        """Find the runs among ``tasks`` and ``shelved`` (rows that keep their run key
        hashed); returns the ids whose take text changed.

        Takes share their model and prompt, so only tasks that share them with another
        task are compared by :func:`run_key` (which writes the request out): at 100,000
        tasks with few repeated prompts, 60 ms instead of 1.2 s. With shelved rows, every
        task with a seed is (its key is kept until its request changes).
        """
        shelved = [row for row in shelved if row.run is not None]
        groups = self._groups(tasks) if not shelved else self._hashed_groups(tasks, shelved)
        texts: dict[str, str] = {}
        runs: dict[str, tuple[str, int]] = {}
        for group in groups:
            if len(group) < 2:
                continue
            group.sort(key=lambda t: (t.created_at, t.local_id))
            run: list[Take] = []
            for task in group:
                if run and task.created_at - run[-1].created_at > RUN_GAP:
                    self._name(run, texts, runs)
                    run = []
                run.append(task)
            self._name(run, texts, runs)
        old, old_runs = self._texts, self._runs
        self._texts, self._runs = texts, runs
        return {
            i
            for i in old.keys() | texts.keys()
            if old.get(i) != texts.get(i) or old_runs.get(i) != runs.get(i)
        }

    def _hashed_groups(
        self, tasks: Iterable[TaskRecord], shelved: list[ShelvedTake]
    ) -> Iterable[list[Take]]:
        keys: dict[str, tuple[object, int | None]] = {}
        known = self._keys
        full: list[tuple[int, TaskRecord]] = []
        for task in tasks:
            if not self.may_change(task):
                continue
            kept = known.get(task.local_id)
            if kept is None or kept[0] is not task.request:
                key = run_key(task)
                kept = (task.request, None if key is None else hash(key))
            keys[task.local_id] = kept
            if kept[1] is not None:
                full.append((kept[1], task))
        self._keys = keys
        # Counted first (no list a row: at 100,000 rows with few takes, megabytes).
        counts = Counter(row.run for row in shelved)
        counts.update(run for run, _task in full)
        groups: dict[int, list[Take]] = {}
        for row in shelved:
            run = row.run
            if run is not None and counts[run] > 1:
                groups.setdefault(run, []).append(row)
        for run, task in full:
            if counts[run] > 1:
                groups.setdefault(run, []).append(task)
        return groups.values()

    def _groups(self, tasks: Iterable[TaskRecord]) -> Iterable[list[Take]]:
        self._keys = {}
        alike: dict[tuple[str, object], list[TaskRecord]] = {}
        for task in tasks:
            data = task.request.get("input")
            if not isinstance(data, dict) and not isinstance(data, Mapping):
                continue
            seed = data.get("seed")
            if isinstance(seed, int) and not isinstance(seed, bool) and not task.is_extend:
                alike.setdefault((task.model, data.get("prompt")), []).append(task)
        groups: dict[str, list[Take]] = {}
        for same in alike.values():
            if len(same) < 2:
                continue
            for task in same:
                key = run_key(task)
                if key is not None:
                    groups.setdefault(key, []).append(task)
        return groups.values()

    @staticmethod
    def _name(run: list[Take], texts: dict[str, str], runs: dict[str, tuple[str, int]]) -> None:
        if len(run) < 2:
            return
        head = run[0].local_id
        for number, task in enumerate(run, start=1):
            texts[task.local_id] = take_text(number, len(run), seed_of(task))
            runs[task.local_id] = (head, len(run))
