"""Recent prompts, from the task store: each distinct prompt once, newest first, searchable."""

from __future__ import annotations

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


@dataclass(frozen=True)
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
    wanted = _normal(query)
    newest: dict[str, RecentPrompt] = {}
    for record in sorted(records_of(source), key=lambda r: r.created_at):
        if record.hidden and not include_hidden:
            continue
        prompt = record.prompt
        if not prompt.strip():
            continue
        key = _normal(prompt)
        if wanted and wanted not in key:
            continue
        previous = newest.pop(key, None)
        uses = previous.uses + 1 if previous is not None else 1
        newest[key] = RecentPrompt(prompt, record.created_at, uses, record.local_id)
    found = sorted(newest.values(), key=lambda p: p.last_used, reverse=True)
    return found[:limit] if limit > 0 else found
