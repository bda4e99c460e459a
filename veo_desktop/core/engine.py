"""The durable task engine: submit, poll, download, recover; the window and the CLI observe it.

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
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from veo_desktop import __version__
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    AuthenticationError,
    ForeignTaskError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SubmissionUncertainError,
    TooManyResultsError,
    UnknownStateError,
    UnusableResultError,
    UnusableTaskIdError,
)
from veo_desktop.api.models import ExtendRequest, GenerationRequest, Model
from veo_desktop.api.responses import MAX_RESULT_URLS, ApixoState, TaskStatus
from veo_desktop.core import downloads, sidecar
from veo_desktop.core.clock import SYSTEM_CLOCK, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.downloads import (
    DEFAULT_MAX_BYTES,
    DOWNLOAD_TIMEOUT,
    DownloadCorruptError,
    Downloader,
    DownloadError,
    DownloadTooLargeError,
)
from veo_desktop.core.journal import RESERVE_BYTES, AcceptedId, AcceptedJournal, IdSafety
from veo_desktop.core.lockfile import FileLock, LockBusyError
from veo_desktop.core.scheduler import STOP_WAIT, PollScheduler, cancel_and_wait
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import RESUBMITTABLE, TaskState
from veo_desktop.records.reject import reject_reason
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.safe_text import safe
from veo_desktop.storage.store import PlannedDownload, StoreError, TaskStore

log = logging.getLogger(__name__)

OnChange = Callable[[TaskRecord], None]
OnProgress = Callable[[str, int, int | None], None]

SLOW_NOTE = "Taking longer than usual"
#: The longest note built from outside text (an answer, an error message).
NOTE_LIMIT = 500
#: A task APIXO answers 404 for this many times in a row is lost.
LOST_CONFIRMATIONS = 2
#: A "success" without a usable video is re-polled this many times before it fails.
BAD_SUCCESS_LIMIT = 3
#: After a 429 every interval is multiplied (x2 per 429, at most x16), and the factor is
#: halved again after each quiet minute.
MAX_SLOWDOWN = 16.0
RATE_LIMIT_RECOVERY = 60.0
#: How long the balance read before a POST may take.
BALANCE_BEFORE_TIMEOUT = 5.0
UNUSABLE_RESULT_CODE = "NoUsableVideo"
UNUSABLE_TASK_ID_CODE = "UnusableTaskId"
#: The journal is pruned of stored ids once its entries pass half its reserved room (and
#: at start and close): not after every submission, which would cost a third fsync each.
JOURNAL_PRUNE_BYTES = RESERVE_BYTES // 2
#: How far APIXO's clock may be from ours for its times to be believed (seconds).
CLOCK_SKEW = 3600.0
UNSAFE_URL_CODE = "UnsafeVideoUrl"
#: The fail code of a task whose video could not be downloaded (see :meth:`redownload`).
DOWNLOAD_FAILED_CODE = "DownloadFailed"
#: A URL failing permanently (404, an HTML page, too large...) is tried this many times,
#: spaced by the poll timing, before it is given up.
PERMANENT_DOWNLOAD_TRIES = 3
#: A URL whose complete download fails the video check this many times in one run (a cut
#: body would pass on a later try) is given up too: the server sends a damaged video.
DAMAGED_DOWNLOAD_TRIES = 5
JOURNAL_NOTE = (
    "APIXO accepted this task, but its id could not be saved at the time; it was kept in "
    "the accepted-ids journal and restored."
)
RECOVERED_NOTE = (
    "Veo Desktop stopped while this task was being sent, so APIXO may or may not have "
    "received it. Check again, resubmit it (charged again if APIXO took it) or dismiss it."
)
_POLLABLE = frozenset({TaskState.PENDING, TaskState.PROCESSING})


class EngineBusyError(RuntimeError):
    """Another Veo Desktop (window or command line) works on the same data folder."""


class TaskBusyError(ValueError):
    """The task is still running; the action is not possible yet."""


@dataclass
class _DownloadState:
    #: Permanent failures so far, by result index.
    tries: dict[int, int] = field(default_factory=dict)
    #: Complete downloads that failed the video check, by result index.
    damaged: dict[int, int] = field(default_factory=dict)
    #: Result indexes given up: (the reason shown, whether the URL was refused outright).
    given_up: dict[int, tuple[str, bool]] = field(default_factory=dict)


@dataclass
class _PollState:
    failures: int = 0
    not_found: int = 0
    bad_success: int = 0
    unexpected: int = 0


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
        download_http: httpx.AsyncClient | None = None,
        max_download_bytes: int = DEFAULT_MAX_BYTES,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._store = store
        self.library_dir = Path(library_dir)
        self.timing = timing or PollTiming()
        self._clock = clock or SYSTEM_CLOCK
        self._rng = rng
        self._owns_http = download_http is None
        self._http = download_http or httpx.AsyncClient(
            timeout=DOWNLOAD_TIMEOUT,
            follow_redirects=False,
            headers={"User-Agent": f"veo-desktop/{__version__}"},
        )
        self._downloader = Downloader(self._http, max_bytes=max_download_bytes)
        self._scheduler = PollScheduler(
            clock=self._clock, poll=self._poll, max_in_flight=max_polls_in_flight
        )
        self._lock = FileLock(store.path.with_name(store.path.name + ".lock"))
        # Read before loading: a commit that lands in between changes it, so start() reloads.
        self._loaded_version = store.data_version()
        self._records: dict[str, TaskRecord] = {r.local_id: r for r in store.load_all()}
        self._unsaved_events: dict[str, list[StateChange]] = {}
        #: Records changed in memory whose latest version the store could not take.
        self._dirty: set[str] = set()
        #: Accepted tasks whose APIXO id is not durably in the store yet (issue 12 #1).
        self._id_risk: dict[str, IdSafety] = {}
        self._journal = AcceptedJournal.beside(store.path)
        #: The journal holds entries the store does not (yet) hold.
        #: Journal entries no row can take (see :attr:`journal_orphans`).
        self._orphans: tuple[AcceptedId, ...] = ()
        self._store_retry: asyncio.Task[None] | None = None
        self._poll_states: dict[str, _PollState] = {}
        self._download_states: dict[str, _DownloadState] = {}
        self._downloads: dict[str, asyncio.Task[None]] = {}
        self._subscribers: list[OnChange] = []
        self._progress_subscribers: list[OnProgress] = []
        self._started = False
        self._running = False
        self._closed = False
        self._activity = 0
        self._slowdown = 1.0
        self._slowdown_since = 0.0
        self.last_balance: Decimal | None = _decimal_or_none(store.get_meta("last_balance"))
        #: A problem every poll runs into (a rejected API key); None when polls work.
        self.problem: ApixoError | None = None
        #: The last store write that failed (the record is kept in memory and re-written).
        self.store_problem: Exception | None = None

    def __repr__(self) -> str:
        return f"TaskEngine(store={self._store!r}, tasks={len(self._records)})"

    # -- life ----------------------------------------------------------------------------

    async def start(self, *, resume: bool = True) -> None:
        """Take the data folder, recover, and (with ``resume``) restart polls and downloads.

        ``submitting`` rows left by a crash become ``uncertain``: never re-POSTed.

        Raises:
            EngineBusyError: another window or command line works on this data folder.
        """
        if self._closed:
            raise RuntimeError("This engine was closed; create a new one.")
        if self._started:
            return
        try:
            self._lock.acquire()
        except LockBusyError:
            raise EngineBusyError(
                "Another Veo Desktop (the window or a command line) is working on "
                f"{self._store.path.parent}. Close it or wait for it to finish."
            ) from None
        self._started = True
        self._journal.reserve()
        if self._store.data_version() != self._loaded_version:
            # Another process (the command line) wrote tasks since this engine was made.
            # Otherwise the records loaded then are current: 10,000 tasks take ~0.3 s to load.
            before = self._records
            self._records = {r.local_id: r for r in self._store.load_all()}
            for record in self._records.values():
                if before.get(record.local_id) != record:
                    self._notify(record)
        self._replay_journal()
        for record in list(self._records.values()):
            if record.state is TaskState.SUBMITTING or (
                record.state in _POLLABLE and record.apixo_task_id is None
            ):
                log.warning("task %s was interrupted while being sent", record.short_id)
                self._commit(record.evolve(state=TaskState.UNCERTAIN, note=RECOVERED_NOTE))
        if resume:
            self._resume()

    def _resume(self) -> None:
        self._running = True
        now = self._clock.time()
        for record in self._records.values():
            if record.state in _POLLABLE:
                first = record.created_at + self.timing.first_poll(record.mode)
                self._scheduler.schedule(record.local_id, max(now, first))
            elif record.state is TaskState.DOWNLOADING:
                self._start_download(record.local_id)
        self._scheduler.start()

    async def aclose(self) -> None:
        """Stop all work; the store stays consistent and everything resumes at next start."""
        if self._closed:
            return
        self._closed = True
        self._running = False
        try:
            await self._scheduler.aclose()
            await cancel_and_wait(list(self._downloads.values()), "download")
            self._downloads.clear()
            if self._store_retry is not None:
                await cancel_and_wait([self._store_retry], "store retry")
                self._store_retry = None
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
            if self._owns_http:
                try:
                    async with asyncio.timeout(STOP_WAIT):
                        await self._http.aclose()
                except TimeoutError:
                    log.warning("the download connections did not close in time")
        finally:
            self._lock.release()

    @property
    def started(self) -> bool:
        return self._started and not self._closed

    @property
    def quiescent(self) -> bool:
        """Nothing runs but waits on the clock (tests advance a fake clock then)."""
        return self._activity == 0 and (self._scheduler.settled or not self._running)

    # -- observing -----------------------------------------------------------------------

    def subscribe(self, on_change: OnChange) -> Callable[[], None]:
        """Call ``on_change(record)`` after every change of a record; returns unsubscribe."""
        self._subscribers.append(on_change)
        return lambda: _remove(self._subscribers, on_change)

    def subscribe_progress(self, on_progress: OnProgress) -> Callable[[], None]:
        """Call ``on_progress(local_id, bytes_done, bytes_total)`` while downloading."""
        self._progress_subscribers.append(on_progress)
        return lambda: _remove(self._progress_subscribers, on_progress)

    def tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """Every task, oldest first."""
        records = sorted(self._records.values(), key=lambda r: r.created_at)
        return records if include_hidden else [r for r in records if not r.hidden]

    def get(self, local_id: str) -> TaskRecord:
        """The task with this local id.

        Raises:
            KeyError: no such task.
        """
        return self._records[local_id]

    def find(self, task_id: str) -> TaskRecord | None:
        """A task by local id, a unique local-id prefix, or APIXO's task id."""
        if task_id in self._records:
            return self._records[task_id]
        for record in self._records.values():
            if record.apixo_task_id == task_id:
                return record
        matches = [r for r in self._records.values() if r.local_id.startswith(task_id.lower())]
        return matches[0] if len(matches) == 1 and len(task_id) >= 4 else None

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
        return sum(
            (r.price for r in self._records.values() if r.charged and r.created_at >= since),
            Decimal("0"),
        )

    async def balance(self) -> Decimal:
        """The key's balance (also kept as :attr:`last_balance`)."""
        value = await self._client.balance()
        self._remember_balance(value)
        return value

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
        return await self._submit(request, parent_id=parent_id)

    async def _submit(
        self,
        request: GenerationRequest | ExtendRequest,
        *,
        parent_id: str | None,
        resubmit_of: TaskRecord | None = None,
    ) -> TaskRecord:
        request = request.validated()
        self._require_started()
        if parent_id is None and isinstance(request, ExtendRequest):
            parent = self.find(request.task_id)
            parent_id = parent.local_id if parent and parent.model == Model.VEO else None
        if parent_id is not None and parent_id not in self._records:
            raise KeyError(parent_id)
        with self._busy():
            balance_before = await self._balance_before_post()
            now = self._clock.time()
            record = TaskRecord(
                local_id=uuid.uuid4().hex,
                model=request.model.value,
                request=request.to_payload(),
                state=TaskState.SUBMITTING,
                created_at=now,
                updated_at=now,
                parent_id=parent_id,
                price=request.price,
                balance_before=balance_before,
                resubmit_of=resubmit_of.local_id if resubmit_of else None,
                history=(StateChange(now, TaskState.SUBMITTING),),
            )
            self._insert(record, resubmit_of)
            crash_point("submit.row_committed")
            try:
                if isinstance(request, ExtendRequest):
                    task_id = await self._client.extend(request)
                else:
                    task_id = await self._client.submit(request)
            except SubmissionUncertainError as error:
                self._update(
                    record.local_id, state=TaskState.UNCERTAIN, note=str(error), durable=True
                )
                raise
            except ApixoError as error:
                self._update(
                    record.local_id,
                    state=TaskState.REJECTED,
                    fail_code=_error_code(error),
                    reject_reason=reject_reason(error),
                    fail_message=str(error),
                    durable=True,
                )
                raise
            except BaseException:
                self._update(
                    record.local_id, state=TaskState.UNCERTAIN, note=RECOVERED_NOTE, durable=True
                )
                raise
            crash_point("submit.answered")
            self._journal_accepted(record, task_id)
            crash_point("submit.id_journaled")
            record = self._update(
                record.local_id, state=TaskState.PENDING, apixo_task_id=task_id, durable=True
            )
            crash_point("submit.id_committed")
            log.info("task %s accepted as %s", record.short_id, task_id)
            # Timed from APIXO's answer: its createTime is when it took the task.
            accepted = self._clock.time()
            self._schedule(record.local_id, accepted + self.timing.first_poll(record.mode))
            return record

    def _insert(self, record: TaskRecord, resubmit_of: TaskRecord | None) -> None:
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
        self._notify(record)
        if old is not None:
            self._records[old.local_id] = old
            self._notify(old)

    async def _balance_before_post(self) -> Decimal | None:
        try:
            async with asyncio.timeout(BALANCE_BEFORE_TIMEOUT):
                return await self.balance()
        except (ApixoError, TimeoutError) as error:
            log.info("balance before submitting unknown: %s", type(error).__name__)
            return None

    async def resubmit(self, local_id: str) -> TaskRecord:
        """Submit the same request again as a NEW task (the person asked; it is charged).

        The old row is kept and linked (``resubmitted_as`` / ``resubmit_of``); an
        uncertain one is also hidden, since the person resolved it.
        """
        old = self.get(local_id)
        if old.state not in RESUBMITTABLE:
            raise TaskBusyError(f"A {old.state.value} task cannot be resubmitted.")
        return await self._submit(old.request_model, parent_id=old.parent_id, resubmit_of=old)

    async def check_uncertain(self, local_id: str) -> str:
        """Ask APIXO what it can tell about an uncertain submission; a plain explanation.

        APIXO lists no tasks, so the balance is the evidence: it is compared with the
        balance read just before the POST, minus what this app's other tasks cost since.
        """
        self._require_started()
        record = self.get(local_id)
        if record.state is not TaskState.UNCERTAIN:
            raise TaskBusyError("Only an uncertain task can be checked.")
        try:
            current = await self.balance()
        except ApixoError as error:
            text = f"Could not check with APIXO: {error}"
        else:
            text = self._explain_uncertain(record, current)
        self._update(local_id, note=text)
        return text

    def _explain_uncertain(self, record: TaskRecord, current: Decimal) -> str:
        price = record.price
        sent_at = time.strftime("%H:%M on %d %b", time.localtime(record.created_at))
        if record.balance_before is None:
            return (
                "The balance before this submission is not known, so the app cannot tell "
                f"whether APIXO took it. Look for a task created at {sent_at} in the APIXO "
                f"dashboard; resubmitting costs ${price:.2f} again if it was taken."
            )
        others = sum(
            (
                r.price
                for r in self._records.values()
                if r.local_id != record.local_id and r.charged and r.created_at >= record.created_at
            ),
            Decimal("0"),
        )
        drop = record.balance_before - current
        unexplained = drop - others
        if unexplained >= price * Decimal("0.99"):
            return (
                f"The balance fell by ${drop:.2f} since this was sent (${others:.2f} of it "
                "for this app's other tasks), so APIXO most likely took this task and "
                f"charged ${price:.2f}. Look for it in the APIXO dashboard (created at "
                f"{sent_at}); resubmitting would charge again."
            )
        if unexplained < price * Decimal("0.01"):
            return (
                f"The balance (${current:.2f}) has not dropped by this task's price since it "
                "was sent, so APIXO most likely did not take it. Resubmitting costs "
                f"${price:.2f}."
            )
        return (
            f"The balance fell by ${drop:.2f} since this was sent, which does not match "
            f"this task's price (${price:.2f}); another use of this API key may explain it. "
            f"Check the APIXO dashboard for a task created at {sent_at} before resubmitting."
        )

    def dismiss(self, local_id: str) -> TaskRecord:
        """Hide an uncertain task without sending anything."""
        self._require_started()
        record = self.get(local_id)
        if record.state is not TaskState.UNCERTAIN:
            raise TaskBusyError("Only an uncertain task can be dismissed; remove it instead.")
        return self._update(local_id, hidden=True, note="Dismissed; it was not sent again.")

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
            paths = [Path(f) for f in record.files]
            for planned in self._store.planned_downloads(local_id):
                paths.append(planned.path)
            for path in dict.fromkeys(paths):
                for victim in (path, sidecar.sidecar_path(path), downloads.part_path(path)):
                    try:
                        victim.unlink(missing_ok=True)
                    except OSError as error:
                        failures.append(f"{victim}: {error.strerror or error}")
        self._update(local_id, hidden=True)
        if failures:
            raise OSError("Could not delete " + "; ".join(failures))

    async def refresh(self, local_id: str) -> TaskRecord:
        """Poll one task now (a "check now"); returns the record afterwards."""
        self._require_started()
        record = self.get(local_id)
        if record.state in _POLLABLE and not self._scheduler.is_polling(local_id):
            self._scheduler.cancel(local_id)
            await self._poll(local_id)
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
        self._download_states.pop(local_id, None)
        record = self._update(
            local_id,
            state=TaskState.DOWNLOADING,
            fail_code=None,
            fail_message=None,
            note=None,
            hidden=False,
        )
        self._start_download(local_id, force=True)
        return record

    # -- polling -------------------------------------------------------------------------

    async def _poll(self, local_id: str) -> None:
        record = self._records.get(local_id)
        if record is None or record.state not in _POLLABLE or record.apixo_task_id is None:
            return
        with self._busy():
            crash_point("poll.before")
            try:
                status = await self._client.status(record.apixo_task_id, model=record.model)
            except RateLimitedError as error:
                self._on_rate_limited(local_id, error)
            except NotFoundError as error:
                self._on_not_found(local_id, error)
            except (AuthenticationError, PermissionDeniedError) as error:
                self._on_poll_error(local_id, error, str(error), auth=True)
            except TooManyResultsError as error:
                self._fail_too_many(local_id, error.count)
            except UnusableTaskIdError as error:
                self._fail_unusable_id(local_id, error)
            except UnknownStateError as error:
                self._on_poll_error(
                    local_id,
                    error,
                    f"APIXO answered an unknown state '{error.state}'",
                    slow=True,
                )
            except ForeignTaskError as error:
                self._on_poll_error(
                    local_id,
                    error,
                    f"APIXO answered about another task ('{error.answered_id}') instead of "
                    f"{record.apixo_task_id}",
                )
            except ResponseFormatError as error:
                if _is_unusable_success(error):
                    self._on_unusable_success(local_id, error)
                else:
                    self._on_poll_error(
                        local_id, error, f"APIXO sent an unreadable answer: {error}"
                    )
            except ApixoError as error:
                self._on_poll_error(local_id, error, _poll_error_text(error))
            except Exception as error:  # noqa: BLE001 - no error may stop a task's polls
                self._on_unexpected_poll_error(local_id, error)
            else:
                crash_point("poll.answered")
                self._on_status(local_id, status)

    def _on_unexpected_poll_error(self, local_id: str, error: Exception) -> None:
        """A poll error nobody expected: logged once with its traceback, then retried."""
        state = self._poll_states.setdefault(local_id, _PollState())
        record = self._records[local_id]
        if state.unexpected == 0:
            log.error(
                "poll of %s failed unexpectedly; retrying with backoff",
                record.short_id,
                exc_info=error,
            )
        state.unexpected += 1
        self._on_poll_error(
            local_id,
            error,
            f"Veo Desktop could not read APIXO's answer ({type(error).__name__})",
        )

    def _on_status(self, local_id: str, status: TaskStatus) -> None:
        record = self._records.get(local_id)
        if record is None or record.state not in _POLLABLE:
            return
        self._poll_states.pop(local_id, None)
        self.problem = None
        self._calm_down(self._clock.time())
        now = self._clock.time()
        times: dict[str, Any] = {
            "api_create_time": status.create_time or record.api_create_time,
            "api_complete_time": status.complete_time or record.api_complete_time,
            "api_cost_time": status.cost_time or record.api_cost_time,
        }
        if status.state is ApixoState.SUCCESS:
            self._update(
                local_id,
                state=TaskState.DOWNLOADING,
                result_urls=status.result_urls,
                results_at=now,
                note=None,
                **times,
            )
            crash_point("poll.success_committed")
            self._start_download(local_id)
            return
        if status.state is ApixoState.FAILED:
            self._update(
                local_id,
                state=TaskState.FAILED,
                fail_code=status.fail_code or "Unknown error",
                fail_message=status.fail_msg or "APIXO reported that the task failed.",
                note=None,
                **times,
            )
            return
        age = now - record.created_at
        if age >= self.timing.result_lifetime:
            self._update(
                local_id,
                state=TaskState.EXPIRED,
                fail_message=(
                    "APIXO had still not finished this task a day after it was sent; "
                    "its result can no longer be fetched."
                ),
                note=None,
                **times,
            )
            return
        state = TaskState.PROCESSING if status.state is ApixoState.PROCESSING else TaskState.PENDING
        note = SLOW_NOTE if age >= self.timing.slow_after else None
        changes = {k: v for k, v in times.items() if getattr(record, k) != v}
        if state is not record.state or note != record.note or changes:
            self._update(local_id, state=state, note=note, **changes)
        self._schedule(local_id, now + self._interval(age))

    def _interval(self, age: float) -> float:
        t = self.timing
        if age >= t.slow_after:
            base = t.slow_interval
        else:
            base = t.interval_min + (t.interval_max - t.interval_min) * self._rng()
        return base * self._slowdown

    def _on_rate_limited(self, local_id: str, error: RateLimitedError) -> None:
        now = self._clock.time()
        self._slowdown = min(self._slowdown * 2, MAX_SLOWDOWN)
        self._slowdown_since = now
        self._scheduler.set_throttle(self._slowdown)
        pause = error.retry_after
        if pause is None:
            pause = min(max(self.timing.interval_min, 1.0) * self._slowdown, 300.0)
        self._scheduler.pause_until(now + pause)
        log.info(
            "APIXO rate limited the polls; pausing %.1f s (slowdown x%g)", pause, self._slowdown
        )
        record = self._records[local_id]
        age = now - record.created_at
        at = now + pause + self._interval(age)
        self._set_note(local_id, f"APIXO is rate limiting; checking again in {_human(at - now)}")
        self._schedule(local_id, at)

    def _calm_down(self, now: float) -> None:
        """Halve the slowdown after each quiet ``RATE_LIMIT_RECOVERY`` without a 429."""
        if self._slowdown > 1.0 and now - self._slowdown_since >= RATE_LIMIT_RECOVERY:
            self._slowdown = max(1.0, self._slowdown / 2)
            self._slowdown_since = now
            self._scheduler.set_throttle(self._slowdown)

    def _on_not_found(self, local_id: str, error: NotFoundError) -> None:
        state = self._poll_states.setdefault(local_id, _PollState())
        state.not_found += 1
        if state.not_found >= LOST_CONFIRMATIONS:
            self._poll_states.pop(local_id, None)
            record = self._records[local_id]
            self._update(
                local_id,
                state=TaskState.LOST,
                fail_code="HTTP 404",
                fail_message=(
                    f"APIXO no longer knows task {record.apixo_task_id} (HTTP 404). "
                    "Contact APIXO support with this task id if it was charged."
                ),
                note=None,
            )
            return
        now = self._clock.time()
        delay = self.timing.interval_max * self._slowdown
        self._set_note(local_id, "APIXO does not know this task (HTTP 404); checking again")
        self._schedule(local_id, now + delay)

    def _on_unusable_success(self, local_id: str, error: ResponseFormatError) -> None:
        state = self._poll_states.setdefault(local_id, _PollState())
        state.bad_success += 1
        record = self._records[local_id]
        if state.bad_success >= BAD_SUCCESS_LIMIT:
            self._fail(
                local_id,
                UNUSABLE_RESULT_CODE,
                f"APIXO reported success without a usable video ({error}) "
                f"Contact APIXO support with task id {record.apixo_task_id}.",
            )
            return
        now = self._clock.time()
        delay = self._interval(now - record.created_at)
        self._set_note(
            local_id,
            f"APIXO reported success without a usable video; checking again in {_human(delay)}",
        )
        self._schedule(local_id, now + delay)

    def _on_poll_error(
        self,
        local_id: str,
        error: Exception,
        text: str,
        *,
        auth: bool = False,
        slow: bool = False,
    ) -> None:
        """Show ``text`` on the task and poll again with backoff (``slow``: every
        ``slow_interval``), until two result lifetimes have passed: then it expired."""
        state = self._poll_states.setdefault(local_id, _PollState())
        state.failures += 1
        record = self._records[local_id]
        now = self._clock.time()
        text = safe(text, NOTE_LIMIT).rstrip(".")
        if auth and isinstance(error, ApixoError):
            self.problem = error
        if now - record.created_at >= 2 * self.timing.result_lifetime:
            self._poll_states.pop(local_id, None)
            self._update(
                local_id,
                state=TaskState.EXPIRED,
                fail_message=(
                    "APIXO gave no usable answer about this task for two days; its result "
                    f"can no longer be fetched. Last answer: {text}."
                ),
                note=None,
            )
            return
        if slow:
            delay = max(self.timing.slow_interval, self.timing.interval_max) * self._slowdown
        else:
            delay = self._backoff(state.failures, auth=auth)
        log.info(
            "poll of %s failed (%s); next in %.1f s", record.short_id, type(error).__name__, delay
        )
        self._set_note(
            local_id,
            f"{text}; checking again in {_human(delay)}"
            if slow
            else f"{text}; retrying in {_human(delay)}",
        )
        self._schedule(local_id, now + delay)

    def _backoff(self, failures: int, *, auth: bool = False) -> float:
        t = self.timing
        cap = max(5 * t.slow_interval, t.interval_max)
        base = max(t.slow_interval, t.interval_max) if auth else t.interval_max
        delay = min(base * 2.0 ** (failures - 1), cap)
        return delay * (0.8 + 0.2 * self._rng()) * self._slowdown

    def _schedule(self, local_id: str, at: float) -> None:
        if self._running:
            self._scheduler.schedule(local_id, at)

    # -- downloading ---------------------------------------------------------------------

    def _start_download(self, local_id: str, *, force: bool = False) -> None:
        if (not self._running and not force) or self._closed:
            return
        running = self._downloads.get(local_id)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(
            self._download_loop(local_id), name=f"download-{local_id[:8]}"
        )
        self._downloads[local_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._downloads.get(local_id) is done:
                del self._downloads[local_id]

        task.add_done_callback(forget)

    async def _download_loop(self, local_id: str) -> None:
        failures = 0
        while True:
            record = self._records.get(local_id)
            if record is None or record.state is not TaskState.DOWNLOADING:
                self._download_states.pop(local_id, None)
                return
            error: DownloadError | None
            try:
                with self._busy():
                    error = await self._download_all(local_id)
            except asyncio.CancelledError:
                raise
            except DownloadError as caught:
                error = caught
            except StoreError as caught:
                error = DownloadError(safe(str(caught), NOTE_LIMIT))
            except Exception as caught:
                log.exception("download of %s failed unexpectedly", local_id[:8])
                error = DownloadError(f"The download failed ({type(caught).__name__}); retrying.")
            if error is None:
                failures = 0
                continue  # ended; unless "Download again" already restarted it
            failures += 1
            if not self._after_download_error(local_id, error):
                return
            await self._clock.sleep(self._download_backoff(failures, error))

    def _download_backoff(self, failures: int, error: DownloadError) -> float:
        """Seconds before the next try, from the poll timing.

        A permanent error (see :data:`PERMANENT_DOWNLOAD_TRIES`) waits ``interval_max``
        doubling: it fails the same way unless something changed on the server's side.
        """
        t = self.timing
        cap = max(5 * t.slow_interval, t.interval_max)
        base = max(t.interval_max, 0.01) if _is_permanent(error) else max(t.interval_min, 0.01)
        delay = min(base * 2.0 ** min(failures - 1, 16), cap)
        return delay * (0.8 + 0.2 * self._rng())

    def _after_download_error(self, local_id: str, error: DownloadError) -> bool:
        """Record a failed pass; False when the task ended (its result expired)."""
        record = self._records[local_id]
        log.info("download of %s failed: %s", record.short_id, type(error).__name__)
        reason = safe(str(error), NOTE_LIMIT)
        if self._clock.time() >= self._result_expiry(record):
            self._discard_parts(local_id)
            self._download_states.pop(local_id, None)
            if record.files:
                missing = len(record.result_urls) - len(record.files)
                self._update(
                    local_id,
                    state=TaskState.SUCCEEDED,
                    note=_missing_note(missing, len(record.result_urls), reason),
                )
                return False
            self._update(
                local_id,
                state=TaskState.EXPIRED,
                fail_message=(
                    "The video could not be downloaded within a day of being made, and "
                    f"APIXO no longer keeps it. Last error: {reason}"
                ),
                note=None,
            )
            return False
        self._set_note(local_id, reason)
        return True

    def _discard_parts(self, local_id: str, indexes: set[int] | None = None) -> None:
        """Delete the partial downloads of a task (or of some of its URLs) that end here."""
        try:
            planned = self._store.planned_downloads(local_id)
        except StoreError as error:
            log.warning("partial downloads of %s left in place: %s", local_id[:8], error)
            return
        for item in planned:
            if indexes is None or item.index in indexes:
                with contextlib.suppress(OSError):
                    downloads.part_path(item.path).unlink(missing_ok=True)

    def _result_expiry(self, record: TaskRecord) -> float:
        """When APIXO stops keeping the task's videos: a day after it finished them.

        APIXO's ``completeTime`` is used only when it is sane (not before the task was sent,
        give or take :data:`CLOCK_SKEW`, and not after the app saw the result): a value in
        other units or a hostile one must neither keep a download going forever nor end it
        at once.
        """
        seen = record.results_at if record.results_at is not None else record.updated_at
        made = seen
        if record.api_complete_time:
            said = record.api_complete_time / 1000
            if record.created_at - CLOCK_SKEW <= said <= seen:
                made = said
        return made + self.timing.result_lifetime

    async def _download_all(self, local_id: str) -> DownloadError | None:
        """One pass over the task's URLs; the error to retry after, or None when it ended.

        Each URL stands alone (issue 12 #13): a URL that is refused, or fails permanently
        :data:`PERMANENT_DOWNLOAD_TRIES` times, is given up while the others download. The
        task succeeds with every video it got (the rest noted on it), and fails only when
        no URL gave a video. A transient error keeps the task downloading.
        """
        record = self._records[local_id]
        if len(record.result_urls) > MAX_RESULT_URLS:
            self._fail_too_many(local_id, len(record.result_urls))
            return None
        plan = self._plan(record)
        state = self._download_states.setdefault(local_id, _DownloadState())
        files = list(record.files)
        retry: DownloadError | None = None
        for item in plan:
            if str(item.path) in files or item.index in state.given_up:
                continue
            try:
                await self._download_one(local_id, item)
            except DownloadError as error:
                if not self._give_up(local_id, state, item, error):
                    retry = retry or error
                continue
            files.append(str(item.path))
            self._update(local_id, files=tuple(files), note=None)
            crash_point("download.file_committed")
        if retry is not None:
            return retry
        self._finish_download(local_id, state)
        return None

    async def _download_one(self, local_id: str, item: PlannedDownload) -> None:
        record = self._records[local_id]
        if await self._adopt_existing(record, item):
            return
        part = downloads.part_path(item.path)

        def progress(done: int, total: int | None) -> None:
            self._emit_progress(local_id, done, total)

        await self._downloader.fetch(item.url, part, progress)
        try:
            sidecar.write_sidecar(record, item.index, item.path)
        except OSError as error:
            raise downloads.disk_error(error, item.path.parent) from error
        crash_point("download.sidecar_written")
        downloads.finalize(part, item.path)
        crash_point("download.renamed")

    def _give_up(
        self, local_id: str, state: _DownloadState, item: PlannedDownload, error: DownloadError
    ) -> bool:
        """Count a failure of one URL; True when that URL is given up for good."""
        reason = safe(str(error), NOTE_LIMIT)
        if error.retry and _is_permanent(error):
            tries = state.tries[item.index] = state.tries.get(item.index, 0) + 1
            if tries < PERMANENT_DOWNLOAD_TRIES:
                return False
        elif error.retry and isinstance(error, DownloadCorruptError):
            # A cut-short body downloads again; a server that sends a damaged video every
            # time would otherwise be fetched again and again for a whole day.
            damaged = state.damaged[item.index] = state.damaged.get(item.index, 0) + 1
            if damaged < DAMAGED_DOWNLOAD_TRIES:
                return False
            reason = f"The video server keeps sending a damaged video. {reason}"
        elif error.retry:
            return False
        log.warning(
            "result %d of task %s is given up: %s",
            item.index + 1,
            local_id[:8],
            type(error).__name__,
        )
        state.given_up[item.index] = (reason, not error.retry)
        self._discard_parts(local_id, {item.index})
        return True

    def _finish_download(self, local_id: str, state: _DownloadState) -> None:
        self._download_states.pop(local_id, None)
        record = self._records[local_id]
        if not state.given_up:
            self._update(local_id, state=TaskState.SUCCEEDED, note=None)
            log.info("task %s downloaded: %s", local_id[:8], ", ".join(record.files))
            return
        reason, _ = state.given_up[min(state.given_up)]
        if record.files:
            note = _missing_note(len(state.given_up), len(record.result_urls), reason)
            self._update(local_id, state=TaskState.SUCCEEDED, note=note)
            log.info("task %s downloaded in part: %s", local_id[:8], ", ".join(record.files))
            return
        if all(refused for _, refused in state.given_up.values()):
            self._fail(
                local_id,
                UNSAFE_URL_CODE,
                f"{reason} It was not downloaded; the result URLs are listed in the task "
                "details until they expire.",
            )
            return
        self._fail(local_id, DOWNLOAD_FAILED_CODE, f"The video could not be downloaded: {reason}")

    def _fail(self, local_id: str, code: str, message: str) -> None:
        """End the task ``failed`` (nothing more is polled or downloaded for it)."""
        self._download_states.pop(local_id, None)
        self._poll_states.pop(local_id, None)
        self._update(
            local_id, state=TaskState.FAILED, fail_code=code, fail_message=message, note=None
        )

    def _fail_too_many(self, local_id: str, count: int) -> None:
        """A success listing more URLs than Veo makes is refused whole: nothing is planned."""
        self._fail(
            local_id,
            UNUSABLE_RESULT_CODE,
            f"APIXO reported success with {count} video URLs; a Veo task makes 1 to 4, so "
            "none was downloaded. Contact APIXO support with task id "
            f"{self._records[local_id].apixo_task_id}.",
        )

    def _fail_unusable_id(self, local_id: str, error: UnusableTaskIdError) -> None:
        """A stored APIXO id no request may carry (kept by an older version): never asked."""
        self._fail(
            local_id,
            UNUSABLE_TASK_ID_CODE,
            f"APIXO's id for this task cannot be asked about: {error} If it was charged, look "
            "for it in the APIXO dashboard or contact APIXO support.",
        )

    def _plan(self, record: TaskRecord) -> list[PlannedDownload]:
        plan = self._store.planned_downloads(record.local_id)
        if len(plan) >= len(record.result_urls):
            return plan
        downloads.ensure_folder(self.library_dir)
        taken = self._store.planned_paths()
        known = {p.index for p in plan}
        new: list[PlannedDownload] = []
        for index, url in enumerate(record.result_urls):
            if index in known:
                continue
            path = downloads.unique_path(self.library_dir, record, index, taken)
            taken.add(str(path))
            new.append(PlannedDownload(index, url, path))
        self._store.plan_downloads(record.local_id, new)
        return sorted([*plan, *new], key=lambda p: p.index)

    async def _adopt_existing(self, record: TaskRecord, item: PlannedDownload) -> bool:
        """A video renamed into place just before a crash is ours if its sidecar says so
        and it passes the full check (every MP4 box whole, every packet demuxed)."""
        if not item.path.exists():
            return False
        try:
            meta = sidecar.read_sidecar(sidecar.sidecar_path(item.path))
        except sidecar.SidecarError:
            return False
        if meta.get("local_task_id") != record.local_id:
            return False
        try:
            await downloads.verify_video(item.path)
        except DownloadError as error:
            log.warning("%s is not a complete video (%s); downloading it again", item.path, error)
            return False
        return True

    def _emit_progress(self, local_id: str, done: int, total: int | None) -> None:
        for callback in list(self._progress_subscribers):
            try:
                callback(local_id, done, total)
            except Exception:
                log.exception("a progress subscriber failed")

    # -- records -------------------------------------------------------------------------

    def _set_note(self, local_id: str, note: str | None) -> None:
        if self._records[local_id].note != note:
            self._update(local_id, note=note)

    def _update(self, local_id: str, *, durable: bool = False, **changes: Any) -> TaskRecord:
        return self._commit(self._records[local_id].evolve(**changes), durable=durable)

    def _commit(self, record: TaskRecord, *, durable: bool = False) -> TaskRecord:
        """Write ``record`` (appending a history entry if its state changed), then notify.

        ``durable`` commits reach the disk before this returns (power-cut safe): used for
        what money depends on, the outcome of a POST. A write the store refuses keeps the
        record in memory (``store_problem`` says why) and is retried: with the next commit
        that works, and on a timer spaced by the poll timing.
        """
        old = self._records[record.local_id]
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
        self._notify(record)
        return record

    # -- keeping accepted ids (issue 12 #1) ------------------------------------------------

    def id_safety(self, local_id: str) -> IdSafety:
        """Where the task's APIXO id is kept: say so loudly when it is ``UNSAVED``.

        ``STORED`` for a task whose id is durably in the store (and for one without an id:
        nothing to lose). The window and the command line read it after a submission and
        in their ``subscribe`` callback: every change of it comes with a notify of the
        record, and :attr:`store_problem` holds the store's error meanwhile.

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
        """Accepted ids the journal holds that no task row can take (found at start).

        Each is a paid APIXO task the store does not know (e.g. the store was moved away
        and a new one started beside the old journal). They stay in the journal for good;
        the window and the command line show them so the person can recover the videos.
        """
        return self._orphans

    def _journal_accepted(self, record: TaskRecord, task_id: str) -> None:
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
        record = self._records.get(entry.local_id)
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
            self._notify(record)
        self.store_problem = None
        return True

    def _save_unsaved(self) -> None:
        """One more try: journal the ids held only in memory, then write the store."""
        for local_id, safety in list(self._id_risk.items()):
            if safety is IdSafety.UNSAVED:
                record = self._records[local_id]
                if record.apixo_task_id is None:
                    continue
                self._journal_accepted(record, record.apixo_task_id)
                if self._id_risk[local_id] is IdSafety.JOURNALED:
                    log.warning("APIXO task %s is journaled now", record.apixo_task_id)
                    self._notify(record)
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
        t = self.timing
        failures = 0
        while self._dirty or self._id_risk:
            failures += 1
            cap = max(t.slow_interval, t.interval_max, 0.01)
            await self._clock.sleep(
                min(max(t.interval_max, 0.01) * 2.0 ** min(failures - 1, 16), cap)
            )
            with self._busy():
                self._save_unsaved()

    def _replay_journal(self) -> None:
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
        record = self._records.get(entry.local_id)
        return (
            record is not None
            and record.apixo_task_id in (None, entry.apixo_task_id)
            and record.state in (TaskState.SUBMITTING, TaskState.UNCERTAIN, *_POLLABLE)
        )

    def _restore_ids(self, entries: list[AcceptedId]) -> None:
        """Apply the journal's entries to the rows they belong to."""
        for entry in entries:
            record = self._records.get(entry.local_id)
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
            if record.state not in (TaskState.SUBMITTING, TaskState.UNCERTAIN, *_POLLABLE):
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
            self._commit(
                record.evolve(
                    state=TaskState.PENDING,
                    apixo_task_id=entry.apixo_task_id,
                    note=JOURNAL_NOTE,
                    hidden=False,
                ),
                durable=True,
            )

    def _notify(self, record: TaskRecord) -> None:
        for callback in list(self._subscribers):
            try:
                callback(record)
            except Exception:
                log.exception("a task subscriber failed")

    def _remember_balance(self, value: Decimal) -> None:
        self.last_balance = value
        with contextlib.suppress(StoreError):
            self._store.set_meta("last_balance", str(value))

    def _require_started(self) -> None:
        """Changes need the data folder's lock, which :meth:`start` takes."""
        if self._closed:
            raise RuntimeError("This engine was closed.")
        if not self._started:
            raise RuntimeError("Start the engine first (await engine.start()).")

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        self._activity += 1
        try:
            yield
        finally:
            self._activity -= 1


def _remove(items: list[Any], item: Any) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


def _decimal_or_none(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


def _is_unusable_success(error: ResponseFormatError) -> bool:
    return isinstance(error, UnusableResultError)


def redownload_problem(record: TaskRecord) -> str | None:
    """Why ``record``'s videos cannot be downloaded again (free); None when they can.

    The one rule behind the engine's :meth:`TaskEngine.redownload`, the window's "Download
    again" and the command line's ``download`` hints.
    """
    state = record.state
    if state is TaskState.DOWNLOADING:
        return "This task is already downloading."
    if record.is_active or state is TaskState.UNCERTAIN:
        return "This task has not finished on APIXO yet; its video downloads by itself."
    if not record.result_urls:
        return f"This {state.value} task has no video to download."
    if state is TaskState.FAILED and record.fail_code == DOWNLOAD_FAILED_CODE:
        return None
    if state is TaskState.EXPIRED:
        return None
    if state is TaskState.SUCCEEDED and len(record.files) < len(record.result_urls):
        return None
    if state is TaskState.SUCCEEDED:
        return "Every video of this task is already downloaded."
    return f"This task {state.value} ({record.fail_code}); its video cannot be downloaded again."


def _is_permanent(error: DownloadError) -> bool:
    return error.permanent or isinstance(error, DownloadTooLargeError)


def _missing_note(missing: int, total: int, reason: str) -> str:
    if total == 1:
        return f"The video could not be downloaded: {reason}"
    return f"{missing} of {total} videos could not be downloaded: {reason}"


def _error_code(error: ApixoError) -> str:
    if isinstance(error, ApiStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__


def _poll_error_text(error: ApixoError) -> str:
    if isinstance(error, ServerError):
        return f"APIXO server error (HTTP {error.status_code})"
    if isinstance(error, ApixoTimeoutError):
        return "APIXO did not answer in time"
    if isinstance(error, ApixoConnectionError):
        return "Network error"
    return str(error)


def _human(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
