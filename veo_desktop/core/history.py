"""Recent prompts, from the task store: each distinct prompt once, newest first, searchable."""

from __future__ import annotations

import bisect
import heapq
import itertools
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from veo_desktop.records.summary import TaskSummary
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


def normal_prompt(text: str) -> str:
    """A prompt's normal form: prompts that differ only in spacing or case are the same
    prompt."""
    return " ".join(text.split()).casefold()


class PromptIndex:
    """Every distinct prompt of some tasks: its newest use and how many tasks used it,
    searched by text (the Prompts tab searches one at each keystroke).

    Args:
        records: the tasks (any order; an iterator will do).
    """

    __slots__ = ("_entries",)

    def __init__(self, records: Iterable[TaskRecord | TaskSummary] = ()) -> None:
        #: By the prompt's normal form, in the order of their newest use (see :meth:`add`).
        self._entries: dict[str, RecentPrompt] = {}
        for record in records:
            self.add(record)

    def add(self, record: TaskRecord | TaskSummary) -> None:
        """Count ``record``'s prompt (a blank one is not a prompt)."""
        prompt = record.prompt
        if not prompt.strip():
            return
        key = normal_prompt(prompt)
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
        self, query: str = "", limit: int = DEFAULT_LIMIT, *, older: PromptTable | None = None
    ) -> list[RecentPrompt]:
        """The prompts whose text contains ``query`` (case and runs of spaces do not matter;
        empty: all), newest first, at most ``limit`` (0 or less: all).

        ``older``: the prompts of the tasks created before every task of this index (a
        large library's, counted apart); they join these, the uses of one in both added up.
        """
        wanted = normal_prompt(query)
        mine = {k: e for k, e in self._entries.items() if wanted in k}
        found = list(mine.values())
        if older is not None:
            for index, entry in enumerate(found):
                uses = older.uses_of(normal_prompt(entry.prompt))
                if uses:
                    found[index] = RecentPrompt(
                        entry.prompt, entry.last_used, entry.uses + uses, entry.local_id
                    )
            more = (i for i in older.newest(wanted) if older.key(i) not in mine)
            found[:0] = [
                older.entry(i) for i in itertools.islice(more, limit if limit > 0 else None)
            ]
        if limit > 0:
            return heapq.nlargest(limit, found, key=_last_used)
        return sorted(found, key=_last_used, reverse=True)


#: A distinct prompt as :class:`PromptTable` takes it: its normal form, its text as last
#: used, when it was last used, how many tasks used it, the newest one's local id.
PromptRow = tuple[str, str, float, int, str]
#: How many prompts :class:`PromptTable` joins into a string at a time while it packs.
_CHUNK = 4096


class PromptTable:
    """Distinct prompts packed to be kept (a large library's older prompts: 100,000 in about
    11 MB): their normal forms in one string, searched at C speed, their texts in another,
    times, uses and local ids in flat arrays.

    Args:
        rows: the prompts, oldest last use first (an iterator will do: it is packed as it
            comes, a few thousand at a time).
    """

    __slots__ = (
        "_hashes",
        "_ids",
        "_key_starts",
        "_keys",
        "_last_used",
        "_places",
        "_starts",
        "_texts",
        "_uses",
    )

    def __init__(self, rows: Iterable[PromptRow]) -> None:
        keys: list[str] = []
        texts: list[str] = []
        key_chunks: list[str] = []
        text_chunks: list[str] = []
        self._key_starts = array("q", [0])
        self._starts = array("q", [0])
        self._last_used = array("d")
        self._uses = array("q")
        hashes = array("q")
        #: The local ids, 16 bytes each while every one is a uuid's 32 hex digits.
        self._ids: bytearray | list[str] = bytearray()
        for key, text, last_used, uses, local_id in rows:
            keys.append(f"{key}\n")  # (no normal form holds a newline)
            texts.append(text)
            self._key_starts.append(self._key_starts[-1] + len(key) + 1)
            self._starts.append(self._starts[-1] + len(text))
            self._last_used.append(last_used)
            self._uses.append(uses)
            hashes.append(hash(key))
            if isinstance(self._ids, bytearray) and _is_hex_id(local_id):
                self._ids += bytes.fromhex(local_id)
            else:
                if isinstance(self._ids, bytearray):  # (from now on, as they are)
                    packed = self._ids
                    self._ids = [packed[i : i + 16].hex() for i in range(0, len(packed), 16)]
                self._ids.append(local_id)
            if len(keys) == _CHUNK:
                key_chunks.append("".join(keys))
                text_chunks.append("".join(texts))
                keys.clear()
                texts.clear()
        self._keys = "".join(key_chunks) + "".join(keys)
        self._texts = "".join(text_chunks) + "".join(texts)
        # The normal forms' hashes, sorted, and where each is (a lookup by bisection).
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        self._hashes = array("q", (hashes[place] for place in order))
        self._places = array("q", order)

    def __len__(self) -> int:
        return len(self._last_used)

    def key(self, place: int) -> str:
        """The normal form of the prompt at ``place`` (0: the oldest)."""
        return self._keys[self._key_starts[place] : self._key_starts[place + 1] - 1]

    def entry(self, place: int) -> RecentPrompt:
        """The prompt at ``place`` (0: the oldest)."""
        ids = self._ids
        local_id = ids[place] if isinstance(ids, list) else ids[16 * place : 16 * place + 16].hex()
        return RecentPrompt(
            self._texts[self._starts[place] : self._starts[place + 1]],
            self._last_used[place],
            self._uses[place],
            local_id,
        )

    def uses_of(self, key: str) -> int:
        """How many tasks used the prompt whose normal form is ``key`` (0: none)."""
        wanted = hash(key)
        at = bisect.bisect_left(self._hashes, wanted)
        while at < len(self._hashes) and self._hashes[at] == wanted:
            place = self._places[at]
            if self.key(place) == key:
                return self._uses[place]
            at += 1
        return 0

    def newest(self, wanted: str) -> Iterator[int]:
        """The places of the prompts whose normal form contains ``wanted`` (a normal form;
        empty: every one), newest first."""
        if not wanted:
            yield from range(len(self) - 1, -1, -1)
            return
        keys, starts = self._keys, self._key_starts
        end = len(keys)
        while (found := keys.rfind(wanted, 0, end)) >= 0:
            place = bisect.bisect_right(starts, found) - 1
            yield place
            end = starts[place]  # (the next match ends before this prompt)


def _is_hex_id(local_id: str) -> bool:
    return len(local_id) == 32 and local_id == local_id.lower() and _HEX.issuperset(local_id)


_HEX = frozenset("0123456789abcdef")


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
