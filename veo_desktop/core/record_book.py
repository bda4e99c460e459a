"""The record book: every task's record in memory, written through to the store.

Each change of a record is committed to the task store (with a history entry when its state
changes), then every subscriber is told. A write the store refuses (a full disk) keeps the
record in memory (:attr:`RecordBook.store_problem` says why) and is retried: with the next
commit that works, and on a timer (a backoff spaced by the poll timing).

APIXO's answer to a POST is money: its task id is first appended, fsynced, to the
accepted-ids journal beside the store (:mod:`veo_desktop.core.journal`), so a store that
cannot be written then loses nothing; the next start restores the id from the journal
(:meth:`RecordBook.replay_journal`), and :meth:`RecordBook.id_safety` says where an id is.

A window does not wait for a large library to load: its book may start with the tasks it
needs first (``recent_first``: the unfinished ones, the last day's, the newest
thousand) and read the rest in a thread (:meth:`RecordBook.load_rest`, which the engine
awaits before it starts). Until then a task asked for by id is read from the store.

All methods run on the event loop's thread; callbacks are called on it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from veo_desktop.api.retry import Backoff
from veo_desktop.core.clock import Activity, Clock
from veo_desktop.core.heap import large_blocks_mapped, release_free_heap
from veo_desktop.core.journal import RESERVE_BYTES, AcceptedId, AcceptedJournal, IdSafety
from veo_desktop.core.poll_policy import POLLABLE
from veo_desktop.core.scheduler import cancel_and_wait
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.library import LibraryQuery
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import StateChange, TaskRecord, is_imported
from veo_desktop.storage.store import StoreError, TaskStore, file_key

if TYPE_CHECKING:
    from veo_desktop.core.history import PromptTable

log = logging.getLogger(__name__)

OnChange = Callable[[TaskRecord], None]
_Read = TypeVar("_Read")

#: The journal is pruned of stored ids once its entries pass half its reserved room (and
#: at start and close): not after every submission, which would cost a third fsync each.
JOURNAL_PRUNE_BYTES = RESERVE_BYTES // 2
JOURNAL_NOTE = (
    "APIXO accepted this task, but its id could not be saved at the time; it was kept in "
    "the accepted-ids journal and restored."
)
#: A window's first load (``recent_first``): tasks created this long ago or later (today's,
#: which the status bar's spend and the daily cap count: local midnight is at most 25 hours
#: ago, across a change of summer time), and at least this many newest.
RECENT_SECONDS = 26 * 3600
RECENT_NEWEST = 1000
#: A fold (:meth:`RecordBook.fold`) over a book holding at most this many tasks runs on the
#: loop (a few milliseconds); over more, in a thread.
FOLD_HERE_MOST = 5000
#: The states a journaled id may be given back to.
_RESTORABLE = frozenset({TaskState.SUBMITTING, TaskState.UNCERTAIN, *POLLABLE})


class RecordBook:
    """The tasks' records, their changes and listeners, and the store behind them.

    Args:
        store: the task store (owned by the caller).
        clock: the time of each change; the sleep between store retries.
        timing: spaces the store retries (``interval_max`` doubling up to ``slow_interval``).
        activity: counts a store retry as work in progress.
        recent_first: load only the tasks a window needs first; :meth:`load_rest` reads
            the others (see the module's docstring).
    """

    def __init__(
        self,
        store: TaskStore,
        *,
        clock: Clock,
        timing: PollTiming,
        activity: Activity,
        recent_first: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._timing = timing
        self._activity = activity
        # Read before loading: a commit that lands in between changes it (see reload).
        self._loaded_version = store.data_version()
        #: Tasks created since this (unix seconds) were all loaded (0: every task was).
        self._recent_since = 0.0
        if recent_first:
            self._recent_since = clock.time() - RECENT_SECONDS
            loaded = store.load_recent(since=self._recent_since, newest=RECENT_NEWEST)
        else:
            loaded = store.load_all()
        self._records: dict[str, TaskRecord] = {r.local_id: r for r in loaded}
        #: Whether every task of the store is in :attr:`_records` (see :meth:`load_rest`).
        self._complete = not recent_first or len(loaded) == store.count()
        #: Every task created at or after this (unix seconds) is loaded (the newest ones,
        #: as a list read newest first shows them; the older it reads with
        #: :meth:`read_older`).
        self._floor = _floor(loaded, self._recent_since) if recent_first else 0.0
        self._rest: asyncio.Task[None] | None = None
        #: APIXO ids no task of the store has (:meth:`find_id`; a task added later is
        #: loaded, and found among the loaded first).
        self._not_stored: set[str] = set()
        #: The tasks changed while :meth:`reload_if_changed` reads (None: it does not).
        self._changed_meanwhile: set[str] | None = None
        #: The read-only connections of the reads in threads now (closing interrupts them).
        self._readers: set[TaskStore] = set()
        self._unsaved_events: dict[str, list[StateChange]] = {}
        #: Records changed in memory whose latest version the store could not take.
        self._dirty: set[str] = set()
        #: Accepted tasks whose APIXO id is not durably in the store yet (issue 12 #1).
        self._id_risk: dict[str, IdSafety] = {}
        self._journal = AcceptedJournal.beside(store.path)
        #: Journal entries no row can take (see :attr:`journal_orphans`).
        self._orphans: tuple[AcceptedId, ...] = ()
        self._store_retry: asyncio.Task[None] | None = None
        self._subscribers: list[OnChange] = []
        self._closed = False
        #: The last store write that failed (the record is kept in memory and re-written).
        self.store_problem: Exception | None = None

    def __len__(self) -> int:
        return len(self._records)

    # -- loading ----------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Whether every task is loaded (else :meth:`records` and :meth:`tasks` hold the
        ones a window needs first; see :meth:`load_rest`)."""
        return self._complete

    async def load_rest(self) -> None:
        """Load every task the first load left out, once (callers share one load).

        The store is read in a thread on a read-only connection of its own; the loop stays
        free. Tasks the book already holds (loaded first, read by id, or changed since) are
        kept as they are. Closing the book stops the read.

        Raises:
            StoreError: the store cannot be read (nothing changed; call again to retry).
        """
        if not self._more_to_read():
            return
        rest = self._rest
        if rest is None or (rest.done() and (rest.cancelled() or rest.exception() is not None)):
            rest = self._rest = asyncio.get_running_loop().create_task(
                self._read_rest(), name="task-load"
            )
        try:
            await asyncio.shield(rest)
        except asyncio.CancelledError:
            this = asyncio.current_task()
            if rest.cancelled() and this is not None and not this.cancelling():
                # The book closed (which cancelled the load), not this caller.
                raise RuntimeError("This task list was closed.") from None
            raise

    def _more_to_read(self) -> bool:
        """Whether the store holds tasks the book does not (False once :attr:`complete`).

        Raises:
            RuntimeError: the book was closed.
        """
        if self._complete:
            return False
        if self._closed:
            raise RuntimeError("This task list was closed.")
        return True

    async def load_matching(self, query: LibraryQuery, before: float = math.inf) -> int:
        """Load every task the store's search finds for ``query`` (hidden ones left out),
        read in a thread as :meth:`load_rest` does: a window's search or filter over a
        library not loaded whole. Returns how many were not loaded before (what the book
        holds already is kept as it is).

        Raises:
            StoreError: the store cannot be read (nothing changed).
            RuntimeError: the book was closed.
        """
        if not self._more_to_read():
            return 0
        found = await self._read_in_thread(
            lambda reader: reader.load_among(reader.search(query, before=before))
        )
        return self._add_unknown(found)

    async def read_older(
        self, before: float, count: int, shelve: Callable[[TaskRecord], _Read | None]
    ) -> tuple[list[_Read], list[TaskRecord]]:
        """The ``count`` newest tasks created before ``before`` (unix seconds), with every
        other one created at the moment of the oldest of them (a page of a list read newest
        first; fewer than ``count``: the last), read in a thread as :meth:`load_rest`
        reads: what ``shelve`` makes of each (given a task without its history; see
        :meth:`TaskStore.load_older_each`), and whole the tasks it makes nothing of. The
        book keeps none of them: a window's list keeps what it shows of a large library's
        older tasks (``ui.tasks.shelved``).

        Raises:
            StoreError: the store cannot be read (nothing changed).
            RuntimeError: the book was closed.
        """
        if self._closed:
            raise RuntimeError("This task list was closed.")

        def read(reader: TaskStore) -> tuple[list[_Read], list[TaskRecord]]:
            with large_blocks_mapped():  # (the page's rows: freed once listed)
                made, whole = reader.load_older_each(before, count, shelve)
                return made, reader.load_among(whole)

        # (not ``large``: the last mapping scope to close trims the heap)
        return await self._read_in_thread(read, large=False)

    async def count_listed(self) -> int:
        """How many tasks a list shows (every one not hidden), loaded or not: counted in a
        thread while the book is not :attr:`complete`.

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        if self._complete:
            return sum(1 for record in self._records.values() if not record.hidden)
        return await self._read_in_thread(lambda reader: reader.count(hidden=False), large=False)

    def holds_since(self, since: float) -> bool:
        """Whether the book holds every task created since ``since`` (unix seconds)."""
        return since >= self.held_from

    @property
    def held_from(self) -> float:
        """The book holds every task created at or after this (unix seconds; minus infinity
        once :attr:`complete`), and maybe some older ones."""
        return -math.inf if self._complete else self._floor

    async def fold(
        self,
        fold: Callable[[Iterator[TaskSummary]], _Read],
        since: float,
        until: float = math.inf,
    ) -> _Read:
        """``fold(tasks)`` over every task created from ``since`` to before ``until`` (unix
        seconds; hidden ones too, in no particular order), as counting needs them
        (:class:`TaskSummary`), without keeping them: the book's version of each task it
        holds, the store's of the others (read from their columns a slice at a time: a
        chart of a year of a large library neither loads nor keeps the year's tasks).

        ``fold`` runs in a thread, unless the book holds every task of the range and they
        are few (:data:`FOLD_HERE_MOST`): at 100,000 tasks a fold takes a tenth of a second or
        more, which the loop must not lose at each change.

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        if self._closed:
            raise RuntimeError("This task list was closed.")
        loaded = list(self._records.values())  # (the loop's; the thread reads this copy)

        def held() -> dict[str, TaskSummary]:
            return {r.local_id: TaskSummary.of(r) for r in loaded if since <= r.created_at < until}

        if self.holds_since(since):
            if len(loaded) <= FOLD_HERE_MOST:
                return fold(iter(held().values()))
            with self._activity.busy():
                counted = await asyncio.to_thread(lambda: fold(iter(held().values())))
            if self._closed:
                raise RuntimeError("This task list was closed.")
            return counted

        def tasks(reader: TaskStore) -> Iterator[TaskSummary]:
            mine = held()
            yield from mine.values()
            for summary in reader.summaries(since, until):
                if self._closed:  # (a fold between two of the store's statements)
                    raise StoreError("The task list was closed.", reader.path)
                if summary.local_id not in mine:
                    yield summary

        return await self._read_in_thread(lambda reader: fold(tasks(reader)))

    async def naming(self, keys: Collection[str]) -> list[TaskRecord]:
        """Every task (hidden ones too) that lists a file whose
        :func:`~veo_desktop.storage.store.file_key` is one of ``keys``, loaded or not (the
        book's version of those it holds; the others read in a thread and not kept). What
        a removal must see of a library not loaded whole: a file another task names stays
        (:func:`veo_desktop.core.cleanup.keys_kept_by`).

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        stored: list[TaskRecord] = []
        if keys and self._more_to_read():
            stored = await self._read_in_thread(
                lambda reader: reader.load_among(reader.naming(keys)), large=False
            )
        held = [r for r in self._records.values() if _lists_one_of(r, keys)]
        return held + [r for r in stored if r.local_id not in self._records]

    async def in_states_or_hidden(self, states: Collection[TaskState]) -> list[TaskRecord]:
        """Every task in one of ``states``, or hidden, loaded or not (the book's version of
        those it holds; the others read in a thread and not kept): what Clean up may choose
        in a library not loaded whole.

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        values = [state.value for state in states]
        stored: list[TaskRecord] = []
        if self._more_to_read():
            stored = await self._read_in_thread(
                lambda reader: reader.load_among(reader.ids_in_states_or_hidden(values))
            )
        held = [r for r in self._records.values() if r.state in states or r.hidden]
        return held + [r for r in stored if r.local_id not in self._records]

    async def file_names(self) -> set[str]:
        """Every file name a task lists (hidden ones too), loaded or not: the store's read in
        a thread, with the book's on top.

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        names: set[str] = set()
        if self._more_to_read():
            names = await self._read_in_thread(lambda reader: reader.file_names())
        names.update(
            name
            for record in self._records.values()
            for name in record.files
            if isinstance(name, str)  # (another program's list may hold anything)
        )
        return names

    async def prompts_before(self, until: float) -> PromptTable:
        """Every distinct prompt of the tasks created before ``until`` (unix seconds; hidden
        ones too), counted by the store in a thread and packed there (a large library's
        older prompts: their tasks are not loaded)."""
        from veo_desktop.core.history import PromptTable, normal_prompt  # (not at start)

        return await self._read_in_thread(
            lambda reader: PromptTable(reader.distinct_prompts(normal_prompt, until))
        )

    def load_rest_now(self) -> None:
        """:meth:`load_rest`, here and now on this thread (for what must see every task and
        cannot wait: seconds for 100,000 tasks).

        Raises:
            StoreError: the store cannot be read (nothing changed).
        """
        if not self._more_to_read():
            return
        log.info("reading every task now (%d loaded)", len(self._records))
        self._merge_rest(self._store.load_all())

    async def _read_rest(self) -> None:
        self._merge_rest(
            await self._read_in_thread(lambda reader: reader.load_all(stop=lambda: self._closed))
        )

    def _merge_rest(self, records: list[TaskRecord]) -> None:
        """Add every task of a whole load the book does not hold yet (what it holds, loaded
        first, read by id or changed since, is as new or newer)."""
        if self._complete:
            return
        self._add_unknown(records)
        self._complete = True
        log.info("all %d tasks loaded", len(self._records))

    def _add_unknown(self, records: list[TaskRecord]) -> int:
        """Add the records of a read the book does not hold (what it holds, loaded before,
        read by id or changed since, is as new or newer); returns how many."""
        known = self._records
        added = 0
        for record in records:
            if record.local_id not in known:
                known[record.local_id] = record
                added += 1
        return added

    async def _read_in_thread(
        self, load: Callable[[TaskStore], _Read], *, large: bool = True
    ) -> _Read:
        """``load(reader)`` in a thread, on a read-only connection of its own to the store
        (the loop stays free); closing the book stops the read (``interrupt``). After a
        ``large`` read (rows, not a count) the C heap's free memory goes back to the system
        (:func:`~veo_desktop.core.heap.release_free_heap`).

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the book was closed.
        """
        path = self._store.path

        def read() -> _Read:
            reader = TaskStore.open_reader(path)
            self._readers.add(reader)
            try:
                if self._closed:
                    raise StoreError("The task list was closed.", path)
                return load(reader)
            finally:
                self._readers.discard(reader)
                reader.close()
                if large:
                    release_free_heap()

        try:
            with self._activity.busy():
                read_now = await asyncio.to_thread(read)
        except StoreError:
            if self._closed:  # (stopped, or never begun)
                raise RuntimeError("This task list was closed.") from None
            raise
        if self._closed:
            raise RuntimeError("This task list was closed.")
        return read_now

    def _fetch(self, local_id: str) -> TaskRecord | None:
        """A task not loaded yet (see :meth:`load_rest`), read from the store and kept."""
        if self._complete:
            return None
        try:
            record = self._store.get(local_id)
        except StoreError as error:
            log.warning("task %s could not be read: %s", local_id, error)
            return None
        if record is not None:
            self._records[local_id] = record
        return record

    def __contains__(self, local_id: object) -> bool:
        return isinstance(local_id, str) and self.lookup(local_id) is not None

    # -- reading --------------------------------------------------------------------------

    def records(self) -> list[TaskRecord]:
        """Every record loaded (every one once :attr:`complete`), in no particular order."""
        return list(self._records.values())

    def get(self, local_id: str) -> TaskRecord:
        """The task with this local id.

        Raises:
            KeyError: no such task.
        """
        record = self._records.get(local_id) or self._fetch(local_id)
        if record is None:
            raise KeyError(local_id)
        return record

    def lookup(self, local_id: str) -> TaskRecord | None:
        return self._records.get(local_id) or self._fetch(local_id)

    def holds(self, local_id: str) -> bool:
        """Whether the task ``local_id`` is loaded (nothing is read)."""
        return local_id in self._records

    def keep(self, record: TaskRecord) -> None:
        """Load ``record`` (read from the store by the caller) unless a version of it is."""
        self._add_unknown([record])

    def peek_many(self, local_ids: Collection[str]) -> dict[str, TaskRecord]:
        """The tasks with these local ids (those there are), the ones not loaded read from
        the store in one query, and not kept (a list's selection of rows)."""
        found = {i: r for i in local_ids if (r := self._records.get(i)) is not None}
        unread = [i for i in local_ids if i not in found]
        if unread and not self._complete:
            try:
                found.update((r.local_id, r) for r in self._store.load_among(unread))
            except StoreError as error:
                log.warning("%d tasks could not be read: %s", len(unread), error)
        return found

    def peek(self, local_id: str) -> TaskRecord | None:
        """The task with this local id: a task not loaded is read from the store, and not
        kept (a list shows it)."""
        record = self._records.get(local_id)
        if record is not None or self._complete:
            return record
        try:
            return self._store.get(local_id)
        except StoreError as error:
            log.warning("task %s could not be read: %s", local_id, error)
            return None

    def tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """Every task loaded (every one once :attr:`complete`), oldest first."""
        records = sorted(self._records.values(), key=lambda r: r.created_at)
        return records if include_hidden else [r for r in records if not r.hidden]

    def find(self, task_id: str) -> TaskRecord | None:
        """A task by local id, a unique local-id prefix, or APIXO's task id."""
        if task_id in self._records:
            return self._records[task_id]
        for record in self._records.values():
            if record.apixo_task_id == task_id:
                return record
        if not self._complete:
            return self._find_stored(task_id)
        matches = [r for r in self._records.values() if r.local_id.startswith(task_id.lower())]
        return matches[0] if len(matches) == 1 and len(task_id) >= 4 else None

    def find_id(self, apixo_task_id: str) -> str | None:
        """The local id of the task APIXO knows as ``apixo_task_id`` (None: none), read from
        the store if it is not loaded, and not kept (a list's extend names its source so)."""
        for record in self._records.values():
            if record.apixo_task_id == apixo_task_id:
                return record.local_id
        if self._complete or apixo_task_id in self._not_stored:
            return None
        try:
            stored = self._store.find_by_apixo_id(apixo_task_id)
        except StoreError as error:  # (asked again next time)
            log.warning("task %s could not be looked up: %s", apixo_task_id, error)
            return None
        if stored is None:
            self._not_stored.add(apixo_task_id)
            return None
        return stored.local_id

    def _find_stored(self, task_id: str) -> TaskRecord | None:
        """:meth:`find` in the store, for a book still loading."""
        try:
            record = self._store.find_by_apixo_id(task_id)
            wide = record is None and len(task_id) >= 4
            ids = self._store.ids_starting(task_id) if wide else []
        except StoreError as error:
            log.warning("task %s could not be looked up: %s", task_id, error)
            return None
        if record is not None:
            return self._records.setdefault(record.local_id, record)
        return self.lookup(ids[0]) if len(ids) == 1 else None

    def loaded_since(self, since: float) -> list[TaskRecord]:
        """The loaded tasks created at or after ``since`` (unix seconds; hidden ones too), in
        no particular order: every one from :attr:`held_from` on (what a view counts on
        each change, without sorting the whole library as :meth:`tasks` does)."""
        return [r for r in self._records.values() if r.created_at >= since]

    def tasks_since(self, since: float) -> list[TaskRecord]:
        """Every task created since ``since`` (unix seconds; hidden ones too), maybe with
        older ones: the loaded ones, and while the book is not :attr:`complete` the store's
        of before the first load with the book's changes on top.

        Raises:
            StoreError: the book is still loading and the store cannot be read.
        """
        records = self._records
        if since < self._recent_since and not self._complete:
            # Older than the first load: the store's tasks, with the book's changes on top.
            records = {r.local_id: r for r in self._store.load_since(since)} | records
        return list(records.values())

    def charged_since(self, since: float, *, besides: str | None = None) -> Decimal:
        """What the tasks APIXO accepted since ``since`` cost (``besides``: not that one).

        Tasks imported from elsewhere (``core.library_import``) were not paid from this app:
        they count neither here nor against the daily cap.

        Raises:
            StoreError: the book is still loading and the store cannot be read.
        """
        return sum(
            (
                r.price
                for r in self.tasks_since(since)
                if r.charged
                and r.created_at >= since
                and r.local_id != besides
                and not is_imported(r)
            ),
            Decimal("0"),
        )

    # -- observing ------------------------------------------------------------------------

    def subscribe(self, on_change: OnChange) -> Callable[[], None]:
        """Call ``on_change(record)`` after every change of a record; returns unsubscribe."""
        self._subscribers.append(on_change)
        return lambda: remove_listener(self._subscribers, on_change)

    def notify(self, record: TaskRecord) -> None:
        if self._changed_meanwhile is not None:
            self._changed_meanwhile.add(record.local_id)
        for callback in list(self._subscribers):
            try:
                callback(record)
            except Exception:
                log.exception("a task subscriber failed")

    # -- changing -------------------------------------------------------------------------

    async def reload_if_changed(self) -> None:
        """Load the store again if another process (the command line) wrote to it since.

        Otherwise the records loaded at construction are current. The store is read in a
        thread, as :meth:`load_rest` does (100,000 tasks take seconds).

        Raises:
            StoreError: the store cannot be read (the records stay as they were).
        """
        if self._store.data_version() == self._loaded_version:
            return
        self._changed_meanwhile = set()
        try:
            whole = self._complete
            held = list(self._records)
            records = await self._read_in_thread(
                (lambda reader: reader.load_all(stop=lambda: self._closed))
                if whole
                # A first load again, with every task the book holds besides.
                else lambda reader: reader.load_recent(
                    since=self._recent_since, newest=RECENT_NEWEST, besides=held
                )
            )
        finally:
            changed, self._changed_meanwhile = self._changed_meanwhile, None
        before = self._records
        # A part read keeps what else the book holds (the rest, if it loaded meanwhile);
        # what changed here while the thread read (an import, say) is newer than its copy.
        self._records = (
            ({} if whole else before)
            | {r.local_id: r for r in records}
            | {local_id: before[local_id] for local_id in changed if local_id in before}
        )
        for record in self._records.values():
            if before.get(record.local_id) != record:
                self.notify(record)

    def insert(self, record: TaskRecord, resubmit_of: TaskRecord | None) -> None:
        """Write the new row (and the link from the row it resubmits) durably, together."""
        old = None
        if resubmit_of is not None:
            old = self._records[resubmit_of.local_id].evolve(
                resubmitted_as=record.local_id,
                hidden=resubmit_of.hidden or resubmit_of.state is TaskState.UNCERTAIN,
                updated_at=record.created_at,
            )
        with self._store.transaction(durable=True):
            self._store.insert(record)
            if old is not None:
                self._store.update(old)
        self._records[record.local_id] = record
        self.notify(record)
        if old is not None:
            self._records[old.local_id] = old
            self.notify(old)

    def add_finished(self, record: TaskRecord) -> None:
        """Add a finished task made elsewhere (an imported video) durably, and tell listeners.

        Raises:
            ValueError: not a ``succeeded`` task with a video, or its id (ours or APIXO's)
                is already in the book.
            StoreError: the store cannot be written.
        """
        if record.state is not TaskState.SUCCEEDED or not record.files:
            raise ValueError("Only a finished task with its video can be added.")
        apixo_id = record.apixo_task_id
        if self.lookup(record.local_id) is not None or (apixo_id and self._knows(apixo_id)):
            raise ValueError("This task is already in the list.")
        self.insert(record, None)

    def _knows(self, apixo_id: str) -> bool:
        """Whether a task of the book (or the store, while it loads) has this APIXO id."""
        if any(r.apixo_task_id == apixo_id for r in self._records.values()):
            return True
        return not self._complete and self._store.find_by_apixo_id(apixo_id) is not None

    def set_note(self, local_id: str, note: str | None) -> None:
        if self.get(local_id).note != note:
            self.update(local_id, note=note)

    def update(self, local_id: str, *, durable: bool = False, **changes: Any) -> TaskRecord:
        return self.commit(self.get(local_id).evolve(**changes), durable=durable)

    def commit(self, record: TaskRecord, *, durable: bool = False) -> TaskRecord:
        """Write ``record`` (appending a history entry if its state changed), then notify.

        ``durable`` commits reach the disk before this returns (power-cut safe): used for
        what money depends on, the outcome of a POST. A write the store refuses keeps the
        record in memory (``store_problem`` says why) and is retried: with the next commit
        that works, and on a timer spaced by the poll timing.
        """
        old = self.get(record.local_id)
        now = self._clock.time()
        pending = self._unsaved_events.pop(record.local_id, [])
        record = record.evolve(updated_at=now)
        if record.state is not old.state:
            change = StateChange(now, record.state, record.note or record.fail_message)
            record = record.evolve(history=(*old.history, change))
            pending.append(change)
        durable = durable or record.local_id in self._id_risk
        try:
            self._store.update(record, new_events=pending, durable=durable)
        except StoreError as error:
            log.error(  # noqa: TRY400 - the message says it all; no traceback needed
                "could not save task %s (APIXO id %s, state %s): %s",
                record.local_id,
                record.apixo_task_id,
                record.state.value,
                error,
            )
            self.store_problem = error
            self._unsaved_events[record.local_id] = pending
            self._records[record.local_id] = record
            if record.local_id not in self._dirty:
                self._dirty.add(record.local_id)
                self._warn_if_unsaved(record.local_id)
            self._ensure_store_retry()
        else:
            self._dirty.discard(record.local_id)
            self._records[record.local_id] = record
            self._stored(record.local_id)
            if self._dirty:
                self._flush_dirty()
            else:
                self.store_problem = None
        self.notify(record)
        return record

    # -- keeping accepted ids (issue 12 #1) -------------------------------------------------

    def id_safety(self, local_id: str) -> IdSafety:
        """Where the task's APIXO id is kept (``STORED`` also for one without an id).

        Raises:
            KeyError: no such task.
        """
        self.get(local_id)
        return self._id_risk.get(local_id, IdSafety.STORED)

    @property
    def journal_path(self) -> Path:
        """The accepted-ids journal beside the store."""
        return self._journal.path

    @property
    def journal_orphans(self) -> tuple[AcceptedId, ...]:
        """Accepted ids the journal holds that no task row can take (found at start)."""
        return self._orphans

    def reserve_journal(self) -> None:
        """Give the journal its reserved room (at start: the store may fill the disk)."""
        self._journal.reserve()

    def journal_accepted(self, record: TaskRecord, task_id: str) -> None:
        """Append APIXO's answer to the journal, fsynced, before the store commit."""
        entry = AcceptedId(record.local_id, task_id, record.model, self._clock.time())
        try:
            size = self._journal.append(entry)
        except OSError as error:
            log.warning("could not journal APIXO task %s: %s", task_id, error)
            self._id_risk[record.local_id] = IdSafety.UNSAVED
        else:
            self._id_risk[record.local_id] = IdSafety.JOURNALED
            if size > JOURNAL_PRUNE_BYTES:
                self._prune_journal()

    def _warn_if_unsaved(self, local_id: str) -> None:
        if self._id_risk.get(local_id) is IdSafety.UNSAVED:
            record = self._records[local_id]
            log.critical(
                "APIXO accepted task %s as %s (charged) but it could not be saved anywhere "
                "yet; retrying. Keep this APIXO task id.",
                local_id,
                record.apixo_task_id,
            )

    def _stored(self, local_id: str) -> None:
        """The store took the task durably: its id is safe (its journal entry is pruned
        later: at start, at close, or when the journal grows)."""
        self._id_risk.pop(local_id, None)

    def _prune_journal(self) -> None:
        """Drop the journal entries whose ids the store holds durably; keep every other."""
        self._journal.retain(self._journal_keeps)

    def _journal_keeps(self, entry: AcceptedId) -> bool:
        record = self.lookup(entry.local_id)  # (a row older than a first load: read)
        stored = (
            record is not None
            and record.apixo_task_id == entry.apixo_task_id
            and entry.local_id not in self._id_risk
            and entry.local_id not in self._dirty
        )
        return not stored

    def _flush_dirty(self) -> bool:
        """Write every record the store refused before; True when all are written.

        The ids this saves were journaled when the store failed: their entries are pruned
        at once (the store works again, and this path is rare).
        """
        risky = [local_id for local_id in self._dirty if local_id in self._id_risk]
        try:
            return self._write_dirty()
        finally:
            if any(local_id not in self._id_risk for local_id in risky):
                self._prune_journal()

    def _write_dirty(self) -> bool:
        for local_id in list(self._dirty):
            record = self._records[local_id]
            events = self._unsaved_events.get(local_id, [])
            try:
                self._store.update(record, new_events=events, durable=local_id in self._id_risk)
            except StoreError as error:
                self.store_problem = error
                return False
            except KeyError:
                log.error("task %s has no row in the store any more", local_id)  # noqa: TRY400
            self._unsaved_events.pop(local_id, None)
            self._dirty.discard(local_id)
            log.info("task %s saved after all (APIXO id %s)", local_id, record.apixo_task_id)
            self._stored(local_id)
            self.notify(record)
        self.store_problem = None
        return True

    def _save_unsaved(self) -> None:
        """One more try: journal the ids held only in memory, then write the store."""
        for local_id, safety in list(self._id_risk.items()):
            if safety is IdSafety.UNSAVED:
                record = self._records[local_id]
                if record.apixo_task_id is None:
                    continue
                self.journal_accepted(record, record.apixo_task_id)
                if self._id_risk[local_id] is IdSafety.JOURNALED:
                    log.warning("APIXO task %s is journaled now", record.apixo_task_id)
                    self.notify(record)
        if self._dirty:
            self._flush_dirty()

    def _ensure_store_retry(self) -> None:
        if self._closed or (self._store_retry is not None and not self._store_retry.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._store_retry = loop.create_task(self._store_retry_loop(), name="store-retry")

    async def _store_retry_loop(self) -> None:
        """Retry refused writes, ``interval_max`` doubling up to ``slow_interval``."""
        t = self._timing
        backoff = Backoff(
            initial=max(t.interval_max, 0.01), max_delay=max(t.slow_interval, t.interval_max, 0.01)
        )
        failures = 0
        while self._dirty or self._id_risk:
            failures += 1
            await self._clock.sleep(backoff.delay(failures))
            with self._activity.busy():
                self._save_unsaved()

    async def aclose(self, *, owner: bool = True) -> None:
        """Stop loading and retrying; one last try to save everything; say loudly what is
        not saved. ``owner``: whether this book's engine held the data folder's lock; if
        not, another program may be writing, and neither the store nor the journal is
        touched."""
        self._closed = True
        for reader in list(self._readers):  # (a page, a search, a count, the rest)
            reader.interrupt()
        if self._rest is not None and not self._rest.done():
            await cancel_and_wait([self._rest], "task load")
        if self._store_retry is not None:
            await cancel_and_wait([self._store_retry], "store retry")
            self._store_retry = None
        if not owner:
            return
        self._save_unsaved()
        self._prune_journal()
        for local_id, safety in self._id_risk.items():
            log.critical(
                "closing with APIXO task %s (local task %s) %s; %s",
                self._records[local_id].apixo_task_id,
                local_id,
                "only in the accepted-ids journal"
                if safety is IdSafety.JOURNALED
                else "saved NOWHERE",
                "the next start restores it"
                if safety is IdSafety.JOURNALED
                else "write this id down: it is charged and its video is on APIXO",
            )

    # -- the journal at start ---------------------------------------------------------------

    def replay_journal(self) -> None:
        """Give each row the APIXO id the journal kept for it (before uncertain recovery).

        Entries the store now holds are pruned; entries no row can take stay in the
        journal for good and are reported (:attr:`journal_orphans`).
        """
        entries = self._journal.entries()
        if not entries:
            return
        self._restore_ids(entries)
        self._prune_journal()
        self._orphans = tuple(
            entry
            for entry in self._journal.entries()
            if entry.local_id not in self._id_risk
            and self._journal_keeps(entry)
            and not self._restorable(entry)
        )

    def _restorable(self, entry: AcceptedId) -> bool:
        record = self.lookup(entry.local_id)
        return (
            record is not None
            and record.apixo_task_id in (None, entry.apixo_task_id)
            and record.state in _RESTORABLE
        )

    def _restore_ids(self, entries: Iterable[AcceptedId]) -> None:
        """Apply the journal's entries to the rows they belong to."""
        for entry in entries:
            record = self.lookup(entry.local_id)
            if record is None:
                log.critical(
                    "APIXO accepted task %s (%s, local id %s) but the store has no row for "
                    "it; the entry stays in %s. Contact APIXO support with this id.",
                    entry.apixo_task_id,
                    entry.model,
                    entry.local_id,
                    self._journal.path,
                )
                continue
            if record.apixo_task_id == entry.apixo_task_id:
                continue
            if record.apixo_task_id is not None:
                log.error(
                    "the journal says task %s is APIXO task %s, the store says %s; keeping "
                    "the store's",
                    entry.local_id,
                    entry.apixo_task_id,
                    record.apixo_task_id,
                )
                continue
            if record.state not in _RESTORABLE:
                log.error(
                    "the journal holds APIXO task %s for task %s, which is %s; not changed",
                    entry.apixo_task_id,
                    entry.local_id,
                    record.state.value,
                )
                continue
            log.warning(
                "task %s: APIXO task id %s restored from the accepted-ids journal",
                record.short_id,
                entry.apixo_task_id,
            )
            self._id_risk[record.local_id] = IdSafety.JOURNALED
            self.commit(
                record.evolve(
                    state=TaskState.PENDING,
                    apixo_task_id=entry.apixo_task_id,
                    note=JOURNAL_NOTE,
                    hidden=False,
                ),
                durable=True,
            )


def _floor(loaded: list[TaskRecord], since: float) -> float:
    """The moment from which a first load (``TaskStore.load_recent``) holds every task:
    ``since``, or earlier if the newest :data:`RECENT_NEWEST` go further back. (Its
    unfinished tasks older than that are not counted: a page may hold them again.)"""
    created = sorted((r.created_at for r in loaded), reverse=True)
    if len(created) < RECENT_NEWEST:
        return min(since, created[-1]) if created else since
    # Just after the newest's oldest moment: others of that moment may have been left out.
    return min(since, math.nextafter(created[RECENT_NEWEST - 1], math.inf))


def remove_listener(items: list[Any], item: Any) -> None:
    """Take ``item`` off a listener list (no error when it is not there)."""
    with contextlib.suppress(ValueError):
        items.remove(item)


def _lists_one_of(record: TaskRecord, keys: Collection[str]) -> bool:
    """Whether ``record`` lists a file whose :func:`file_key` is one of ``keys``."""
    return any(isinstance(name, str) and file_key(name) in keys for name in record.files)
