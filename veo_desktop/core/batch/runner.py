"""The batch runner: a batch's items submitted through :meth:`TaskEngine.submit`, at most
``concurrency`` at once, slowing down when APIXO rate limits (:mod:`.pacing`), its progress
kept in the batch journal (:mod:`.journal`) so a run that stops is resumed without losing or
duplicating any item (:mod:`.reconcile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    AuthenticationError,
    InsufficientBalanceError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import RequestInvalidError
from veo_desktop.core.batch.items import BatchItem, payload_key
from veo_desktop.core.batch.journal import BatchJournal
from veo_desktop.core.batch.pacing import BatchBackoff, Pacer
from veo_desktop.core.batch.progress import (
    BatchProgress,
    BatchResult,
    ItemState,
    ItemStatus,
    item_state,
)
from veo_desktop.core.batch.reconcile import reconcile
from veo_desktop.core.clock import SYSTEM_CLOCK, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import StoreError

log = logging.getLogger(__name__)


class BatchBusyError(RuntimeError):
    """This batch is already being sent."""


_ACTIVE_JOURNALS: set[Path] = set()
OnBatchProgress = Callable[[BatchProgress], None]


class BatchRunner:
    """Submits a batch's items through the engine, at most ``concurrency`` at once.

    Args:
        engine: a started :class:`TaskEngine` (every submission goes through it).
        items: the batch (validated; see :func:`parse_batch_file`, :func:`variation_requests`).
        concurrency: how many submissions may be in flight at once (1-16).
        on_progress: called with a :class:`BatchProgress` after every change (loop thread).
        journal: where progress is kept across restarts (see :func:`journal_path`); None keeps
            it in memory only.
        source: what the batch came from (a file name, "Variations"), kept in the journal.
        backoff: how to slow down on rate limits.
        clock: time and sleep (a fake one in tests).
    """

    def __init__(
        self,
        engine: TaskEngine,
        items: Sequence[BatchItem],
        *,
        concurrency: int = 2,
        on_progress: OnBatchProgress | None = None,
        journal: Path | None = None,
        source: str = "",
        backoff: BatchBackoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not items:
            raise ValueError("A batch needs at least one item.")
        if not 1 <= concurrency <= 16:
            raise ValueError("concurrency must be from 1 to 16")
        self._engine = engine
        self._items = list(items)
        self._on_progress = on_progress
        self._journal = (
            BatchJournal(None, self._items, source=source)
            if journal is None
            else BatchJournal.open(journal, self._items, source=source)
        )
        self._clock = clock or SYSTEM_CLOCK
        self._pacer = Pacer(concurrency, backoff or BatchBackoff(), self._clock)
        self._statuses = [ItemStatus(i, item) for i, item in enumerate(self._items)]
        self._keys = [item.key for item in self._items]
        self._queue: deque[int] = deque()
        self._by_key: dict[str, list[str]] = {}
        self._awaiting: dict[str, deque[int]] = {}
        self._awaiting_resubmit: dict[str, int] = {}
        self._stopped: str | None = None
        self._wake = asyncio.Event()
        self._running = False
        self._ran = False

    @classmethod
    def resume(cls, engine: TaskEngine, journal: Path, **kwargs: Any) -> BatchRunner:
        """A runner for the batch recorded in ``journal`` (its items come from the journal)."""
        loaded = BatchJournal.load(journal)
        kwargs.setdefault("source", loaded.source)
        return cls(engine, loaded.items, journal=journal, **kwargs)

    # -- state -------------------------------------------------------------------------------

    @property
    def items(self) -> list[BatchItem]:
        return list(self._items)

    @property
    def statuses(self) -> list[ItemStatus]:
        return list(self._statuses)

    @property
    def journal(self) -> BatchJournal:
        return self._journal

    @property
    def running(self) -> bool:
        return self._running

    def progress(self) -> BatchProgress:
        counts = dict.fromkeys(ItemState, 0)
        for status in self._statuses:
            counts[status.state] += 1
        pacer = self._pacer
        paused = pacer.paused_until if pacer.paused(self._clock.time()) else None
        return BatchProgress(
            total=len(self._statuses),
            waiting=counts[ItemState.WAITING],
            sending=counts[ItemState.SENDING],
            submitted=counts[ItemState.SUBMITTED],
            uncertain=counts[ItemState.UNCERTAIN],
            rejected=counts[ItemState.REJECTED],
            paused_until=paused,
            note=pacer.note,
            stopped=self._stopped,
            finished=not self._running and self._ran,
        )

    def cancel(self, reason: str = "Stopped; the rest were not sent.") -> None:
        """Send nothing more; submissions already in flight finish (never cut mid-POST)."""
        if self._stopped is None:
            self._stopped = reason
        self._wake.set()

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> BatchResult:
        """Send every item not sent yet; returns when all are done or the batch stopped.

        Raises:
            BatchBusyError: this batch's journal is already being run in this process.
            RuntimeError: the engine is not started.
        """
        if self._running:
            raise BatchBusyError("This batch is already being sent.")
        if not self._engine.started:
            raise RuntimeError("Start the engine before running a batch.")
        path = self._journal.path.resolve() if self._journal.path is not None else None
        if path is not None:
            if path in _ACTIVE_JOURNALS:
                raise BatchBusyError("This batch is already being sent.")
            _ACTIVE_JOURNALS.add(path)
        self._running = True
        self._ran = True
        unsubscribe = self._engine.subscribe(self._on_record)
        try:
            # The journal is matched with every task (a window's large library reads its
            # older ones in a thread here, rather than on the loop in _reconcile).
            await self._engine.load_all_tasks()
            self._reconcile()
            self._emit()
            await self._dispatch()
        finally:
            unsubscribe()
            self._running = False
            if path is not None:
                _ACTIVE_JOURNALS.discard(path)
        if all(s.state.is_done for s in self._statuses):
            with contextlib.suppress(OSError):
                self._journal.finish()
        self._pacer.end_pause()
        self._emit()
        return BatchResult(tuple(self._statuses), self._stopped)

    def _reconcile(self) -> None:
        """Match the journal with the engine's rows: what was sent, what is left."""
        records = self._engine.tasks(include_hidden=True)
        self._by_key, queue = reconcile(self._journal, self._statuses, self._keys, records)
        self._queue = deque(queue)

    async def _dispatch(self) -> None:
        inflight: dict[asyncio.Task[None], int] = {}
        try:
            while True:
                now = self._clock.time()
                paused = self._pacer.paused(now)
                if self._stopped is None and not paused:
                    while (
                        self._queue and len(inflight) < self._pacer.limit and self._stopped is None
                    ):
                        index = self._queue.popleft()
                        task = asyncio.get_running_loop().create_task(
                            self._send(index), name=f"batch-item-{index}"
                        )
                        inflight[task] = index
                if not inflight and (not self._queue or self._stopped is not None):
                    return
                self._wake.clear()
                waiters: set[asyncio.Task[Any]] = set(inflight)
                wake = asyncio.get_running_loop().create_task(self._wake.wait())
                waiters.add(wake)
                sleeper: asyncio.Task[None] | None = None
                if paused and self._stopped is None:
                    sleeper = asyncio.get_running_loop().create_task(
                        self._clock.sleep(self._pacer.paused_until - now)
                    )
                    waiters.add(sleeper)
                try:
                    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for helper in (wake, sleeper):
                        if helper is not None and not helper.done():
                            helper.cancel()
                for task in done:
                    if task in inflight:
                        inflight.pop(task)
                        error = task.exception()
                        if error is not None:
                            raise error
                if paused and not self._pacer.paused(self._clock.time()):
                    self._pacer.end_pause()
                    self._emit()
        finally:
            # Submissions in flight are never cut off mid-POST by the batch itself.
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    async def _send(self, index: int) -> None:
        status = self._statuses[index]
        item = self._items[index]
        previous = status.local_id
        if previous is not None:
            previous = self._latest_row(index, previous)
            if previous is None:
                return
        status.state = ItemState.SENDING
        status.message = None
        self._emit()
        key = self._keys[index]
        try:
            if previous is None:
                self._journal.mark_sending(index, self._by_key.get(key, []))
                self._awaiting.setdefault(key, deque()).append(index)
            else:
                self._awaiting_resubmit[previous] = index
            crash_point("batch.sending_recorded")
        except OSError as error:
            self._requeue(index, front=True)
            self._stop(f"The batch journal cannot be written ({error}); nothing more was sent.")
            return
        try:
            if previous is None:
                record = await self._engine.submit(item.request)
            else:
                record = await self._engine.resubmit(previous)
        except RateLimitedError as error:
            self._after_not_taken(index, previous, error)
            self._on_rate_limited(error.retry_after)
        except ServerError as error:
            if error.status_code == 503:  # "not taken" (the client says so for 503 only)
                self._after_not_taken(index, previous, error)
                self._on_rate_limited(None)
            else:
                self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
        except (ApixoConnectionError, ApixoTimeoutError) as error:
            self._after_not_taken(index, previous, error)
            self._on_unreachable(error)
        except (InsufficientBalanceError, AuthenticationError, PermissionDeniedError) as error:
            self._after_not_taken(index, previous, error)
            self._stop(f"{error} The rest were not sent.")
        except SubmissionUncertainError as error:
            self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
        except (ApiStatusError, RequestInvalidError, ApixoError) as error:
            self._finish_item(index, previous, ItemState.REJECTED, str(error))
        except StoreError as error:
            self._after_not_taken(index, previous, error)
            self._stop(f"{error} Nothing more was sent.")
        except (KeyError, ValueError) as error:
            # The row to resubmit vanished or changed state (the person acted on it).
            self._finish_item(index, previous, ItemState.REJECTED, f"Not sent again: {error}")
        except Exception as error:
            log.exception("batch item %d: the submission failed unexpectedly", index)
            row = self._current_row(index, previous)
            if row is None:
                self._requeue(index, front=True)
            else:
                self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
            self._stop(f"The batch stopped: {error}")
        else:
            self._link(index, record.local_id)
            self._hide_superseded(previous, record.local_id)
            status.local_id = record.local_id
            status.state = ItemState.SUBMITTED
            self._pacer.succeeded()
            self._emit()
        finally:
            self._drop_awaiting(index, key, previous)

    def _latest_row(self, index: int, row: str) -> str | None:
        """The row to resubmit for an item APIXO refused, or None when nothing is to be sent.

        The person may have acted on the refused row meanwhile (resubmitted it from the
        task list): then the item follows that row and is not sent again by the batch.
        """
        latest = row
        seen = {row}
        try:
            record = self._engine.get(latest)
            while record.resubmitted_as is not None and record.resubmitted_as not in seen:
                latest = record.resubmitted_as
                seen.add(latest)
                record = self._engine.get(latest)
        except KeyError:
            self._finish_item(index, None, ItemState.UNCERTAIN, "Its task is no longer known.")
            return None
        if latest != row:
            self._link(index, latest)
        state, message = item_state(record)
        if state is ItemState.WAITING:
            return latest
        self._finish_item(index, latest, state, message or state.value)
        return None

    # -- outcomes ------------------------------------------------------------------------------

    def _current_row(self, index: int, previous: str | None) -> str | None:
        entry = self._journal.entries.get(index)
        linked = entry.local_id if entry is not None else None
        return linked if linked is not None else previous

    def _after_not_taken(self, index: int, previous: str | None, error: Exception) -> None:
        """APIXO did not take the item: it goes back to the queue (its row links the retry)."""
        row = self._current_row(index, previous)
        if row is not None and row != previous:
            self._hide_superseded(previous, row)
        status = self._statuses[index]
        status.local_id = row
        if row is None:
            with contextlib.suppress(OSError):
                self._journal.forget(index)
        status.message = str(error)
        self._requeue(index, front=True)

    def _finish_item(
        self, index: int, previous: str | None, state: ItemState, message: str
    ) -> None:
        row = self._current_row(index, previous)
        if row is not None and row != previous:
            self._hide_superseded(previous, row)
        status = self._statuses[index]
        status.local_id = row
        status.state = state
        status.message = message
        if row is None:
            with contextlib.suppress(OSError):
                self._journal.forget(index)
        log.info("batch item %d %s: %s", index, state.value, message)
        self._emit()

    def _requeue(self, index: int, *, front: bool) -> None:
        self._statuses[index].state = ItemState.WAITING
        if front:
            self._queue.appendleft(index)
        else:
            self._queue.append(index)
        self._emit()

    def _hide_superseded(self, previous: str | None, current: str) -> None:
        """A row APIXO refused with 429 and then resubmitted clutters the list: hide it."""
        if previous is None or previous == current:
            return
        with contextlib.suppress(KeyError, ValueError, OSError, StoreError):
            if not self._engine.get(previous).hidden:
                self._engine.remove(previous, delete_files=False)

    def _on_rate_limited(self, retry_after: float | None) -> None:
        self._pacer.rate_limited(retry_after)
        self._emit()

    def _on_unreachable(self, error: Exception) -> None:
        if self._pacer.unreachable():
            self._stop(f"APIXO could not be reached ({error}). The items not sent were not sent.")
        else:
            self._emit()

    def _stop(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
            log.warning("batch stopped: %s", reason)
        self._wake.set()
        self._emit()

    # -- linking rows to items -----------------------------------------------------------------

    def _on_record(self, record: TaskRecord) -> None:
        """Link a new row to the item being sent, before the engine's POST leaves."""
        if record.state is not TaskState.SUBMITTING:
            return
        key = payload_key(record.model, record.request)
        known = self._by_key.setdefault(key, [])
        if record.local_id in known:
            return
        known.append(record.local_id)
        index: int | None = None
        if record.resubmit_of is not None and record.resubmit_of in self._awaiting_resubmit:
            index = self._awaiting_resubmit.pop(record.resubmit_of)
        elif self._awaiting.get(key):
            index = self._awaiting[key].popleft()
        if index is None:
            return
        crash_point("batch.row_seen")
        try:
            self._link(index, record.local_id)
        except OSError:
            log.exception("could not record batch item %d's task in the journal", index)
        crash_point("batch.row_linked")

    def _link(self, index: int, local_id: str) -> None:
        self._statuses[index].local_id = local_id
        self._journal.link(index, local_id)

    def _drop_awaiting(self, index: int, key: str, previous: str | None) -> None:
        waiting = self._awaiting.get(key)
        if waiting is not None:
            with contextlib.suppress(ValueError):
                waiting.remove(index)
        if previous is not None:
            self._awaiting_resubmit.pop(previous, None)

    def _emit(self) -> None:
        if self._on_progress is None:
            return
        try:
            self._on_progress(self.progress())
        except Exception:
            log.exception("a batch progress callback failed")
