"""The durable task engine: submit, poll, download, recover; the window and the CLI observe it.

:class:`TaskEngine` is the facade the window and the command line use. The work is split
by job:

- :mod:`~veo_desktop.core.record_book`: every record in memory, written through to the
  store, with listeners; refused writes retried; APIXO's ids journaled;
- :mod:`~veo_desktop.core.poll_policy` (pure) and :mod:`~veo_desktop.core.poller`: when to
  poll each task and what an answer means; APIXO's health (:mod:`~veo_desktop.core.health`);
- :mod:`~veo_desktop.core.download_manager`: the videos into the library, with sidecars.

Rules it keeps, because each task costs real money:

- the ``submitting`` row is committed before the POST leaves, and APIXO's task id is
  committed as soon as the answer arrives, before anything else happens; it is first
  appended, fsynced, to the accepted-ids journal beside the store
  (:mod:`veo_desktop.core.journal`), so a store that cannot be written then (a full disk)
  loses nothing: the record is kept in memory and re-written, and the next start restores
  the id from the journal (:meth:`TaskEngine.id_safety` says where the id is);
- no exception drops a task from polling: an unexpected one is a poll error with backoff,
  shown on the task;
- a video URL that fails permanently is tried a few times, then given up: the task keeps
  every video it got, and fails ``DownloadFailed`` only when none arrived (``redownload``);
- nothing is ever re-POSTed by itself: a submission whose answer was lost, or that was
  interrupted by a crash, becomes ``uncertain`` and waits for the person;
- every accepted task is polled until it ends, and every finished video is downloaded
  into the library before its URL expires (24 h), across restarts.

All methods run on the event loop's thread; callbacks are called on it too.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from veo_desktop.api.client import ApixoClient
from veo_desktop.api.errors import ApixoError
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.clock import SYSTEM_CLOCK, Activity, Clock
from veo_desktop.core.download_manager import (
    DAMAGED_DOWNLOAD_TRIES,
    DOWNLOAD_FAILED_CODE,
    PERMANENT_DOWNLOAD_TRIES,
    UNSAFE_URL_CODE,
    DownloadManager,
    OnProgress,
    redownload_problem,
)
from veo_desktop.core.downloads import DEFAULT_MAX_BYTES
from veo_desktop.core.health import ApiHealth, ApiState, OnHealth
from veo_desktop.core.journal import AcceptedId, IdSafety
from veo_desktop.core.lockfile import FileLock, LockBusyError
from veo_desktop.core.poll_policy import (
    POLLABLE,
    SLOW_NOTE,
    UNUSABLE_RESULT_CODE,
    UNUSABLE_TASK_ID_CODE,
    PollPolicy,
)
from veo_desktop.core.poller import Poller
from veo_desktop.core.record_book import OnChange, RecordBook
from veo_desktop.core.submitter import RECOVERED_NOTE, Submitter
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.library import LibraryQuery, LibraryStore
from veo_desktop.records.lifecycle import RESUBMITTABLE, TaskState
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore

if TYPE_CHECKING:
    import httpx

    from veo_desktop.api.client import SharedHttp
    from veo_desktop.core.history import PromptTable

__all__ = [
    "DAMAGED_DOWNLOAD_TRIES",
    "DOWNLOAD_FAILED_CODE",
    "PERMANENT_DOWNLOAD_TRIES",
    "RECOVERED_NOTE",
    "SLOW_NOTE",
    "UNSAFE_URL_CODE",
    "UNUSABLE_RESULT_CODE",
    "UNUSABLE_TASK_ID_CODE",
    "ApiHealth",
    "ApiState",
    "EngineBusyError",
    "OnChange",
    "OnHealth",
    "OnProgress",
    "TaskBusyError",
    "TaskEngine",
    "redownload_problem",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class EngineBusyError(RuntimeError):
    """Another Veo Desktop (window or command line) works on the same data folder."""


class TaskBusyError(ValueError):
    """The task is still running; the action is not possible yet."""


class TaskEngine:
    """Owns every task's lifecycle. Create it, ``await start()``, ``await aclose()``.

    Args:
        client: the APIXO client (owned by the caller, who closes it).
        store: the task store (owned by the caller).
        library_dir: where finished videos are saved.
        timing: the poll cadence.
        clock: time and sleep (fake in scheduler tests).
        max_polls_in_flight: the most status requests at once.
        download_http: the client for downloads; one is created (and closed) if None.
        max_download_bytes: the size limit of one video.
        rng: jitter source in [0, 1).
        recent_first: load only the tasks a window needs first (every unfinished one, the
            last day's, the newest thousand; see :class:`RecordBook`), which is all the
            engine's own work needs; the rest is read when asked for
            (:meth:`load_all_tasks`, or :meth:`tasks`). :meth:`loaded_tasks` lists what is
            loaded (``tasks_complete`` says whether that is every task).
    """

    def __init__(
        self,
        *,
        client: ApixoClient,
        store: TaskStore,
        library_dir: Path,
        timing: PollTiming | None = None,
        clock: Clock | None = None,
        max_polls_in_flight: int = 8,
        download_http: httpx.AsyncClient | SharedHttp | None = None,
        max_download_bytes: int = DEFAULT_MAX_BYTES,
        rng: Callable[[], float] = random.random,
        recent_first: bool = False,
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock or SYSTEM_CLOCK
        self._activity = Activity()
        self._policy = PollPolicy(timing or PollTiming(), rng)
        self._lock = FileLock(store.path.with_name(store.path.name + ".lock"))
        self._book = RecordBook(
            store,
            clock=self._clock,
            timing=self.timing,
            activity=self._activity,
            recent_first=recent_first,
        )
        self._downloads = DownloadManager(
            book=self._book,
            store=store,
            library_dir=Path(library_dir),
            timing=self.timing,
            clock=self._clock,
            activity=self._activity,
            http=download_http,
            max_bytes=max_download_bytes,
            rng=rng,
        )
        self._poller = Poller(
            client=client,
            book=self._book,
            policy=self._policy,
            clock=self._clock,
            activity=self._activity,
            max_in_flight=max_polls_in_flight,
            on_results=self._downloads.start,
        )
        self._submitter = Submitter(
            client=client,
            store=store,
            book=self._book,
            clock=self._clock,
            activity=self._activity,
            on_accepted=self._on_accepted,
        )
        self._started = False
        #: The one start under way (see :meth:`start`).
        self._starting: asyncio.Task[None] | None = None
        self._running = False
        self._closed = False

    def __repr__(self) -> str:
        return f"TaskEngine(store={self._store!r}, tasks={len(self._book)})"

    # -- life ----------------------------------------------------------------------------

    async def start(self, *, resume: bool = True) -> None:
        """Take the data folder, recover, and (with ``resume``) restart polls and downloads.

        ``submitting`` rows left by a crash become ``uncertain``: never re-POSTed.

        With ``recent_first``, the start does not wait for the older tasks: every task the
        engine works on (unfinished ones) is among those loaded first. Callers of a start
        under way share it (the first caller's ``resume``); one of them cancelled does not
        stop it.

        Raises:
            EngineBusyError: another window or command line works on this data folder.
            StoreError: the store cannot be read.
            RuntimeError: the engine was closed (before or while it started).
        """
        await asyncio.shield(self.begin_start(resume=resume))

    def begin_start(self, *, resume: bool = True) -> asyncio.Future[None]:
        """Start as :meth:`start` does, without waiting: from now on :meth:`wait_started`
        (and a submit) waits for this start. Returns what to await for it.

        Raises:
            RuntimeError: the engine was closed.
        """
        if self._closed:
            raise RuntimeError("This engine was closed; create a new one.")
        starting = self._starting
        if self._started:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        if starting is None or starting.done():
            starting = self._starting = asyncio.get_running_loop().create_task(
                self._start(resume=resume), name="engine-start"
            )
        return starting

    async def wait_started(self) -> None:
        """Wait for :meth:`start` (called by the session) to finish: actions taken while a
        large library still loads go ahead once it has.

        Raises:
            RuntimeError: the engine is not starting, or was closed.
            EngineBusyError, StoreError: the start failed (as :meth:`start` says).
        """
        if self._closed:
            raise RuntimeError("This engine was closed.")
        if self._started:
            return
        starting = self._starting
        if starting is None:
            raise RuntimeError("Start the engine first (await engine.start()).")
        await asyncio.shield(starting)

    async def _start(self, *, resume: bool) -> None:
        if self._closed:
            raise RuntimeError("This engine was closed while it started.")
        try:
            self._lock.acquire()
        except LockBusyError:
            raise EngineBusyError(
                "Another Veo Desktop (the window or a command line) is working on "
                f"{self._store.path.parent}. Close it or wait for it to finish."
            ) from None
        try:
            self._book.reserve_journal()
            await self._book.reload_if_changed()
        except asyncio.CancelledError:
            if self._closed:  # aclose releases the lock, after its last writes
                raise RuntimeError("This engine was closed while it started.") from None
            self._lock.release()
            raise
        except BaseException:
            if not self._closed:
                self._lock.release()
            raise
        if self._closed:
            raise RuntimeError("This engine was closed while it started.")
        self._started = True
        self._book.replay_journal()
        for record in self._book.records():
            if record.state is TaskState.SUBMITTING or (
                record.state in POLLABLE and record.apixo_task_id is None
            ):
                log.warning("task %s was interrupted while being sent", record.short_id)
                self._book.commit(record.evolve(state=TaskState.UNCERTAIN, note=RECOVERED_NOTE))
        if resume:
            self._resume()

    def _resume(self) -> None:
        self._running = self._poller.running = self._downloads.running = True
        now = self._clock.time()
        for record in self._book.records():
            if record.state in POLLABLE:
                self._poller.schedule(record.local_id, self._policy.first_poll_at(record, now))
            elif record.state is TaskState.DOWNLOADING:
                self._downloads.start(record.local_id)
        self._poller.start()

    async def aclose(self) -> None:
        """Stop all work; the store stays consistent and everything resumes at next start."""
        if self._closed:
            return
        self._closed = True
        self._running = False
        try:
            await self._poller.aclose()
            await self._downloads.aclose()
            # Only the engine holding the data folder's lock writes the journal and store.
            await self._book.aclose(owner=self._lock.held)
            if self._starting is not None:
                await asyncio.wait([self._starting])  # it ends once the load is stopped
                if not self._starting.cancelled():
                    self._starting.exception()  # retrieved: the start's callers were told
            await self._downloads.close_http()
        finally:
            self._lock.release()

    @property
    def started(self) -> bool:
        return self._started and not self._closed

    @property
    def quiescent(self) -> bool:
        """Nothing runs but waits on the clock (tests advance a fake clock then)."""
        return self._activity.idle and (self._poller.settled or not self._running)

    @property
    def timing(self) -> PollTiming:
        """The poll cadence."""
        return self._policy.timing

    @property
    def library(self) -> LibraryStore:
        """Ratings, favourites, tags, notes, search and saved searches in this engine's store."""
        return self._store

    @property
    def library_dir(self) -> Path:
        """Where finished videos are saved."""
        return self._downloads.library_dir

    @library_dir.setter
    def library_dir(self, folder: Path) -> None:
        self._downloads.library_dir = Path(folder)

    # -- observing -----------------------------------------------------------------------

    def subscribe(self, on_change: OnChange) -> Callable[[], None]:
        """Call ``on_change(record)`` after every change of a record; returns unsubscribe."""
        return self._book.subscribe(on_change)

    def subscribe_progress(self, on_progress: OnProgress) -> Callable[[], None]:
        """Call ``on_progress(local_id, bytes_done, bytes_total)`` while downloading."""
        return self._downloads.subscribe_progress(on_progress)

    def subscribe_health(self, on_health: OnHealth) -> Callable[[], None]:
        """Call ``on_health(health)`` after each poll that says something about APIXO.

        It is called before the record change the same poll makes is notified, so a
        ``subscribe`` callback reading :attr:`api_health` sees the new value.
        """
        return self._poller.subscribe_health(on_health)

    @property
    def api_health(self) -> ApiHealth | None:
        """What the last poll said about APIXO (None before any poll)."""
        return self._poller.health

    @property
    def problem(self) -> ApixoError | None:
        """A problem every poll runs into (a rejected API key); None when polls work."""
        return self._poller.problem

    @property
    def store_problem(self) -> Exception | None:
        """The last store write that failed (the record is kept in memory and re-written)."""
        return self._book.store_problem

    def tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """Every task, oldest first.

        With ``recent_first``, a library not loaded whole is read first, here and now (on
        this thread: seconds for 100,000 tasks): what must see every task (a crash's send
        marks, a batch's journal) never decides on a part. A window lists
        :meth:`loaded_tasks` and awaits :meth:`load_all_tasks` (a thread) instead.

        Raises:
            StoreError: the store cannot be read.
        """
        if not self._book.complete:
            self._book.load_rest_now()
        return self._book.tasks(include_hidden=include_hidden)

    def tasks_since(self, since: float) -> list[TaskRecord]:
        """Every task created since ``since`` (hidden ones too), maybe with older ones,
        without reading a large library whole (see :meth:`RecordBook.tasks_since`).

        Raises:
            StoreError: the store cannot be read.
        """
        return self._book.tasks_since(since)

    async def fold_tasks(
        self,
        fold: Callable[[Iterator[TaskSummary]], _T],
        since: float,
        until: float = math.inf,
    ) -> _T:
        """``fold(tasks)`` over every task created from ``since`` to before ``until``
        (hidden ones too), without loading a large library whole (see
        :meth:`RecordBook.fold`).

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the engine was closed.
        """
        return await self._book.fold(fold, since, until)

    async def prompts_before(self, until: float) -> PromptTable:
        """Every distinct prompt of the tasks created before ``until`` (see
        :meth:`RecordBook.prompts_before`).

        Raises:
            StoreError: the store cannot be read.
            RuntimeError: the engine was closed.
        """
        return await self._book.prompts_before(until)

    @property
    def held_from(self) -> float:
        """:meth:`loaded_tasks` holds every task created at or after this (unix seconds;
        minus infinity once :attr:`tasks_complete`)."""
        return self._book.held_from

    async def tasks_naming(self, names: Iterable[str]) -> list[TaskRecord]:
        """Every task that may name one of the files ``names``, loaded or not (see
        :meth:`RecordBook.naming`).

        Raises:
            StoreError: the store cannot be read.
        """
        from veo_desktop.core.cleanup import keys_kept_by  # (on a click, not at start)

        return await self._book.naming(keys_kept_by(names))

    async def cleanup_tasks(self) -> list[TaskRecord]:
        """Every task Clean up must see (:func:`~veo_desktop.core.cleanup.cleanup_plan`),
        loaded or not: the failed and hidden ones, which it may choose, and every task that
        may name one of their files, which keep them. The others are not read.

        Raises:
            StoreError: the store cannot be read.
        """
        from veo_desktop.core.cleanup import FAILED_STATES, keys_kept_by  # (on a click)

        chosen = await self._book.in_states_or_hidden(FAILED_STATES)
        names = [name for task in chosen for name in task.files]
        keys = await asyncio.to_thread(keys_kept_by, names)  # (thousands of paths: ~0.3 s)
        naming = await self._book.naming(keys)
        return list({task.local_id: task for task in [*chosen, *naming]}.values())

    async def file_names(self) -> set[str]:
        """Every file name a task lists (hidden ones too), loaded or not.

        Raises:
            StoreError: the store cannot be read.
        """
        return await self._book.file_names()

    def loaded_since(self, since: float) -> list[TaskRecord]:
        """The loaded tasks created at or after ``since`` (hidden ones too), in no
        particular order (see :meth:`RecordBook.loaded_since`)."""
        return self._book.loaded_since(since)

    @property
    def loaded_count(self) -> int:
        """How many tasks are loaded (hidden ones too)."""
        return len(self._book)

    def loaded_tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """The tasks loaded so far, oldest first: every one once :attr:`tasks_complete`;
        before, with ``recent_first``, every unfinished task and the newest (see
        :class:`RecordBook`)."""
        return self._book.tasks(include_hidden=include_hidden)

    @property
    def tasks_complete(self) -> bool:
        """Whether every task is loaded (without ``recent_first``: always)."""
        return self._book.complete

    async def load_all_tasks(self) -> None:
        """Load every task now if the engine started with the recent ones only.

        Raises:
            StoreError: the store cannot be read.
        """
        await self._book.load_rest()

    async def read_older(
        self, before: float, count: int, shelve: Callable[[TaskRecord], _T | None]
    ) -> tuple[list[_T], list[TaskRecord]]:
        """A page of the tasks created before ``before``, read in a thread and not kept:
        what ``shelve`` makes of each, and whole those it makes nothing of (see
        :meth:`RecordBook.read_older`).

        Raises:
            StoreError: the store cannot be read.
        """
        return await self._book.read_older(before, count, shelve)

    async def count_listed(self) -> int:
        """How many tasks a list shows (not hidden), loaded or not (see
        :meth:`RecordBook.count_listed`).

        Raises:
            StoreError: the store cannot be read.
        """
        return await self._book.count_listed()

    async def load_matching(self, query: LibraryQuery, before: float = math.inf) -> int:
        """Load the tasks the store's search finds for ``query`` among those created before
        ``before`` (see :meth:`RecordBook.load_matching`); returns how many were not loaded
        before.

        Raises:
            StoreError: the store cannot be read.
        """
        return await self._book.load_matching(query, before)

    def get(self, local_id: str) -> TaskRecord:
        """The task with this local id.

        Raises:
            KeyError: no such task.
        """
        return self._book.get(local_id)

    def find(self, task_id: str) -> TaskRecord | None:
        """A task by local id, a unique local-id prefix, or APIXO's task id."""
        return self._book.find(task_id)

    def find_id(self, apixo_task_id: str) -> str | None:
        """The local id of the task APIXO knows as ``apixo_task_id``, if this computer has
        it (read, not kept: see :meth:`RecordBook.find_id`)."""
        return self._book.find_id(apixo_task_id)

    def holds(self, local_id: str) -> bool:
        """Whether the task ``local_id`` is loaded (nothing is read)."""
        return self._book.holds(local_id)

    def keep(self, task: TaskRecord) -> None:
        """Load ``task`` (read from the store by the caller) unless a version of it is."""
        self._book.keep(task)

    def peek_many(self, local_ids: Sequence[str]) -> dict[str, TaskRecord]:
        """The tasks with these local ids (those there are), the ones not loaded read from
        the store in one go and not kept (see :meth:`RecordBook.peek_many`)."""
        return self._book.peek_many(local_ids)

    def peek(self, local_id: str) -> TaskRecord | None:
        """The task with this local id, read from the store if not loaded (and then not
        kept: see :meth:`RecordBook.peek`)."""
        return self._book.peek(local_id)

    async def wait(self, local_id: str) -> TaskRecord:
        """Wait until the task is final or uncertain, and return it."""
        future: asyncio.Future[TaskRecord] = asyncio.get_running_loop().create_future()

        def check(record: TaskRecord) -> None:
            if record.local_id == local_id and not record.is_active and not future.done():
                future.set_result(record)

        unsubscribe = self.subscribe(check)
        try:
            check(self.get(local_id))
            return await future
        finally:
            unsubscribe()

    def spend(self, since: float) -> Decimal:
        """What tasks APIXO accepted since ``since`` (unix seconds) cost."""
        return self._book.charged_since(since)

    async def balance(self) -> Decimal:
        """The key's balance (also kept as :attr:`last_balance`)."""
        return await self._submitter.balance()

    @property
    def last_balance(self) -> Decimal | None:
        """The last balance read (kept in the store across runs)."""
        return self._submitter.last_balance

    def id_safety(self, local_id: str) -> IdSafety:
        """Where the task's APIXO id is kept: say so loudly when it is ``UNSAVED``.

        ``STORED`` for a task whose id is durably in the store (and for one without an id:
        nothing to lose). The window and the command line read it after a submission and
        in their ``subscribe`` callback: every change of it comes with a notify of the
        record, and :attr:`store_problem` holds the store's error meanwhile.

        Raises:
            KeyError: no such task.
        """
        return self._book.id_safety(local_id)

    @property
    def journal_path(self) -> Path:
        """The accepted-ids journal beside the store."""
        return self._book.journal_path

    @property
    def journal_orphans(self) -> tuple[AcceptedId, ...]:
        """Accepted ids the journal holds that no task row can take (found at start).

        Each is a paid APIXO task the store does not know (e.g. the store was moved away
        and a new one started beside the old journal). They stay in the journal for good;
        the window and the command line show them so the person can recover the videos.
        """
        return self._book.journal_orphans

    # -- submitting ----------------------------------------------------------------------

    async def submit(
        self, request: GenerationRequest | ExtendRequest, *, parent_id: str | None = None
    ) -> TaskRecord:
        """Submit a new task; APIXO charges for it when it accepts it.

        Raises:
            RequestInvalidError: the request breaks a rule; no row was written.
            SubmissionUncertainError: the answer was lost; the row is ``uncertain``.
            ApixoError: APIXO did not take it (4xx, or provably not sent); the row is
                ``rejected``.
            StoreError: the store cannot be written; nothing was sent.
        """
        request = request.validated()
        await self.wait_started()  # a window's start may still be loading tasks
        return await self._submitter.submit(request, parent_id=parent_id)

    async def resubmit(self, local_id: str) -> TaskRecord:
        """Submit the same request again as a NEW task (the person asked; it is charged).

        The old row is kept and linked (``resubmitted_as`` / ``resubmit_of``); an
        uncertain one is also hidden, since the person resolved it.
        """
        old = self.get(local_id)
        if old.state not in RESUBMITTABLE:
            raise TaskBusyError(f"A {old.state.value} task cannot be resubmitted.")
        request = old.request_model.validated()
        await self.wait_started()  # a window's start may still be loading tasks
        return await self._submitter.submit(request, parent_id=old.parent_id, resubmit_of=old)

    async def check_uncertain(self, local_id: str) -> str:
        """Ask APIXO what it can tell about an uncertain submission; a plain explanation.

        APIXO lists no tasks, so the balance is the evidence: it is compared with the
        balance read just before the POST, minus what this app's other tasks cost since.
        """
        await self.wait_started()  # a window's start may still be loading tasks
        record = self.get(local_id)
        if record.state is not TaskState.UNCERTAIN:
            raise TaskBusyError("Only an uncertain task can be checked.")
        text = await self._submitter.check_uncertain(record)
        self._book.update(local_id, note=text)
        return text

    # -- the person's actions on a task ------------------------------------------------------

    def add_finished(self, record: TaskRecord) -> TaskRecord:
        """Add a finished task made elsewhere (an imported video; see ``core.library_import``).

        Raises:
            ValueError: not a finished task with a video, or already in the list.
            StoreError: the store cannot be written.
        """
        self._book.add_finished(record)
        return record

    def dismiss(self, local_id: str) -> TaskRecord:
        """Hide an uncertain task without sending anything."""
        self._require_started()
        record = self.get(local_id)
        if record.state is not TaskState.UNCERTAIN:
            raise TaskBusyError("Only an uncertain task can be dismissed; remove it instead.")
        return self._book.update(local_id, hidden=True, note="Dismissed; it was not sent again.")

    def remove(self, local_id: str, *, delete_files: bool) -> None:
        """Hide a task (kept for spend history); optionally delete its videos and sidecars.

        Raises:
            TaskBusyError: the task is still running.
            OSError: a file could not be deleted (the task is hidden anyway).
        """
        self._require_started()
        record = self.get(local_id)
        if record.is_active:
            raise TaskBusyError(
                "This task is still running; it can be removed once it has finished."
            )
        failures: list[str] = []
        if delete_files:
            for victim in self._downloads.paths(record):
                try:
                    victim.unlink(missing_ok=True)
                except OSError as error:
                    failures.append(f"{victim}: {error.strerror or error}")
        self._book.update(local_id, hidden=True)
        if failures:
            raise OSError("Could not delete " + "; ".join(failures))

    async def refresh(self, local_id: str) -> TaskRecord:
        """Poll one task now (a "check now"); returns the record afterwards."""
        await self.wait_started()  # a window's start may still be loading tasks
        await self._poller.refresh(local_id)
        return self.get(local_id)

    def redownload(self, local_id: str) -> TaskRecord:
        """Download a task's videos again ("Download again"; CLI ``download TASK``).

        For a task whose download was given up: ``failed`` with :data:`DOWNLOAD_FAILED_CODE`,
        ``expired`` after its download failed, or ``succeeded`` with some of its videos
        missing. It goes back to ``downloading`` and the download starts at once (also on
        an engine started with ``resume=False``); nothing is charged.

        Raises:
            TaskBusyError: the task has no download to try again (the message says why).
            KeyError: no such task.
        """
        self._require_started()
        record = self.get(local_id)
        problem = redownload_problem(record)
        if problem:
            raise TaskBusyError(problem)
        self._downloads.again(local_id)
        record = self._book.update(
            local_id,
            state=TaskState.DOWNLOADING,
            fail_code=None,
            fail_message=None,
            note=None,
            hidden=False,
        )
        self._downloads.start(local_id, force=True)
        return record

    def _on_accepted(self, record: TaskRecord, accepted_at: float) -> None:
        self._poller.schedule(record.local_id, self._policy.after_submit(record, accepted_at))

    def _require_started(self) -> None:
        """Changes need the data folder's lock, which :meth:`start` takes."""
        if self._closed:
            raise RuntimeError("This engine was closed.")
        if not self._started:
            raise RuntimeError("Start the engine first (await engine.start()).")
