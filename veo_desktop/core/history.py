"""Recent prompts, from the task store: each distinct prompt once, newest first, searchable."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from veo_desktop.records.task import TaskRecord

DEFAULT_LIMIT = 50


@runtime_checkable
class _HasTasks(Protocol):
    def tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]: ...


@runtime_checkable
class _HasLoadAll(Protocol):
    def load_all(self) -> list[TaskRecord]: ...


@runtime_checkable
class _HasTasksSince(Protocol):
    def tasks_since(self, since: float) -> list[TaskRecord]: ...


#: A :class:`TaskEngine`, a :class:`TaskStore`, or the records themselves.
TaskSource = _HasTasks | _HasLoadAll | Iterable[TaskRecord]


def records_since(source: TaskSource, since: float) -> list[TaskRecord]:
    """The tasks of ``source`` created since ``since`` (unix seconds; hidden ones too, and
    maybe older ones besides): an engine reads only those (a window's large library is
    not read whole for today's spend)."""
    if isinstance(source, _HasTasksSince):
        return source.tasks_since(since)
    return records_of(source)


def records_of(source: TaskSource) -> list[TaskRecord]:
    """Every task of an engine (hidden ones too), a store, or an iterable of records."""
    if isinstance(source, _HasTasks):
        return source.tasks(include_hidden=True)
    if isinstance(source, _HasLoadAll):
        return source.load_all()
    return list(source)


@dataclass(frozen=True, slots=True)
class RecentPrompt:
    """A prompt used before.

    Attributes:
        prompt: the text, exactly as last sent.
        last_used: when it was last submitted (unix seconds).
        uses: how many tasks used it.
        local_id: the newest task that used it (to re-use its other settings).
    """

    prompt: str
    last_used: float
    uses: int
    local_id: str


def _normal(text: str) -> str:
    """Prompts that differ only in spacing or case are the same prompt."""
    return " ".join(text.split()).casefold()


class PromptIndex:
    """Every distinct prompt of some tasks: its newest use and how many tasks used it,
    searched by text (the Prompts tab searches one at each keystroke).

    Args:
        records: the tasks (any order; an iterator will do).
    """

    __slots__ = ("_entries",)

    def __init__(self, records: Iterable[TaskRecord] = ()) -> None:
        #: By the prompt's normal form, in the order of their newest use (see :meth:`add`).
        self._entries: dict[str, RecentPrompt] = {}
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, record: TaskRecord) -> None:
        """Count ``record``'s prompt (a blank one is not a prompt)."""
        prompt = record.prompt
        if not prompt.strip():
            return
        key = _normal(prompt)
        entries = self._entries
        known = entries.get(key)
        if known is None:
            entries[key] = RecentPrompt(prompt, record.created_at, 1, record.local_id)
        elif record.created_at >= known.last_used:  # (newer: it moves to the end)
            del entries[key]
            entries[key] = RecentPrompt(prompt, record.created_at, known.uses + 1, record.local_id)
        else:
            entries[key] = RecentPrompt(
                known.prompt, known.last_used, known.uses + 1, known.local_id
            )

    def search(
        self, query: str = "", limit: int = DEFAULT_LIMIT, *, older: PromptIndex | None = None
    ) -> list[RecentPrompt]:
        """The prompts whose text contains ``query`` (case and runs of spaces do not matter;
        empty: all), newest first, at most ``limit`` (0 or less: all).

        ``older``: the index of the tasks created before every task of this one (a large
        library's, counted apart); its prompts join these, their uses added up.
        """
        wanted = _normal(query)
        mine = {k: e for k, e in self._entries.items() if wanted in k}
        found = list(mine.values())
        if older is not None:
            for index, entry in enumerate(found):
                before = older._entries.get(_normal(entry.prompt))
                if before is not None:
                    found[index] = RecentPrompt(
                        entry.prompt, entry.last_used, entry.uses + before.uses, entry.local_id
                    )
            found[:0] = [e for k, e in older._entries.items() if wanted in k and k not in mine]
        if limit > 0:
            return heapq.nlargest(limit, found, key=_last_used)
        return sorted(found, key=_last_used, reverse=True)


def _last_used(entry: RecentPrompt) -> float:
    return entry.last_used


def recent_prompts(
    source: TaskSource,
    query: str = "",
    limit: int = DEFAULT_LIMIT,
    *,
    include_hidden: bool = True,
) -> list[RecentPrompt]:
    """Distinct prompts, newest first, whose text contains ``query`` (case-insensitive).

    Args:
        source: a TaskEngine, a TaskStore, or records.
        query: text to look for (case and runs of spaces do not matter). Empty: all.
        limit: the most prompts returned (0 or less: no limit).
        include_hidden: also prompts of tasks removed from the list (they stay in history).
    """
    records = sorted(records_of(source), key=lambda r: r.created_at)
    index = PromptIndex(r for r in records if include_hidden or not r.hidden)
    return index.search(query, limit)
