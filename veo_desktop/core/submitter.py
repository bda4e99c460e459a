"""Submitting paid tasks, and what the balance says about a submission whose answer was lost.

The rules money depends on: the ``submitting`` row is committed (durably) before the POST
leaves; APIXO's task id is journaled, fsynced, and committed as soon as the answer arrives,
before anything else happens; a POST whose answer was lost, or that a crash interrupted,
makes the row ``uncertain`` and is never sent again by itself. APIXO lists no tasks, so
the balance read just before the POST is the evidence an uncertain task is checked with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from veo_desktop.api.client import ApixoClient
from veo_desktop.api.errors import ApiStatusError, ApixoError, SubmissionUncertainError
from veo_desktop.api.models import ExtendRequest, GenerationRequest, Model
from veo_desktop.core.clock import Activity, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.record_book import RecordBook
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import reject_reason
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import StoreError, TaskStore

log = logging.getLogger(__name__)

#: How long the balance read before a POST may take.
BALANCE_BEFORE_TIMEOUT = 5.0
RECOVERED_NOTE = (
    "Veo Desktop stopped while this task was being sent, so APIXO may or may not have "
    "received it. Check again, resubmit it (charged again if APIXO took it) or dismiss it."
)

#: Called with a task APIXO just accepted and the clock time of its answer.
OnAccepted = Callable[[TaskRecord, float], None]


class Submitter:
    """Sends new tasks to APIXO and keeps the balance they are judged by.

    Args:
        client: the APIXO client.
        store: keeps the last balance read.
        book: the records (a submission is a new row, then its outcome).
        clock: the time of a submission.
        activity: counts a submission as work in progress.
        on_accepted: called once APIXO's id is committed (the engine schedules the polls).
    """

    def __init__(
        self,
        *,
        client: ApixoClient,
        store: TaskStore,
        book: RecordBook,
        clock: Clock,
        activity: Activity,
        on_accepted: OnAccepted,
    ) -> None:
        self._client = client
        self._store = store
        self._book = book
        self._clock = clock
        self._activity = activity
        self._on_accepted = on_accepted
        #: The last balance read (kept in the store across runs).
        self.last_balance: Decimal | None = _decimal_or_none(store.get_meta("last_balance"))

    async def balance(self) -> Decimal:
        """The key's balance (also kept as :attr:`last_balance`)."""
        value = await self._client.balance()
        self.last_balance = value
        with contextlib.suppress(StoreError):
            self._store.set_meta("last_balance", str(value))
        return value

    async def submit(
        self,
        request: GenerationRequest | ExtendRequest,
        *,
        parent_id: str | None,
        resubmit_of: TaskRecord | None = None,
    ) -> TaskRecord:
        """Submit a (validated) request as a new task; see ``TaskEngine.submit``."""
        if parent_id is None and isinstance(request, ExtendRequest):
            parent = self._book.find(request.task_id)
            parent_id = parent.local_id if parent and parent.model == Model.VEO else None
        if parent_id is not None and parent_id not in self._book:
            raise KeyError(parent_id)
        with self._activity.busy():
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
            self._book.insert(record, resubmit_of)
            crash_point("submit.row_committed")
            task_id = await self._post(record, request)
            crash_point("submit.answered")
            self._book.journal_accepted(record, task_id)
            crash_point("submit.id_journaled")
            record = self._book.update(
                record.local_id, state=TaskState.PENDING, apixo_task_id=task_id, durable=True
            )
            crash_point("submit.id_committed")
            log.info("task %s accepted as %s", record.short_id, task_id)
            # Timed from APIXO's answer: its createTime is when it took the task.
            self._on_accepted(record, self._clock.time())
            return record

    async def _post(self, record: TaskRecord, request: GenerationRequest | ExtendRequest) -> str:
        """Send the POST; the row says how it ended when APIXO did not surely take it."""
        try:
            if isinstance(request, ExtendRequest):
                return await self._client.extend(request)
            return await self._client.submit(request)
        except SubmissionUncertainError as error:
            self._book.update(
                record.local_id, state=TaskState.UNCERTAIN, note=str(error), durable=True
            )
            raise
        except ApixoError as error:
            self._book.update(
                record.local_id,
                state=TaskState.REJECTED,
                fail_code=_error_code(error),
                reject_reason=reject_reason(error),
                fail_message=str(error),
                durable=True,
            )
            raise
        except BaseException:
            self._book.update(
                record.local_id, state=TaskState.UNCERTAIN, note=RECOVERED_NOTE, durable=True
            )
            raise

    async def _balance_before_post(self) -> Decimal | None:
        try:
            async with asyncio.timeout(BALANCE_BEFORE_TIMEOUT):
                return await self.balance()
        except (ApixoError, TimeoutError) as error:
            log.info("balance before submitting unknown: %s", type(error).__name__)
            return None

    async def check_uncertain(self, record: TaskRecord) -> str:
        """What APIXO's balance now tells about the uncertain ``record``, in words."""
        try:
            current = await self.balance()
        except ApixoError as error:
            return f"Could not check with APIXO: {error}"
        others = self._book.charged_since(record.created_at, besides=record.local_id)
        return explain_uncertain(record, current, others)


def explain_uncertain(record: TaskRecord, current: Decimal, others: Decimal) -> str:
    """What the balance says about an uncertain submission, in words.

    Args:
        record: the uncertain task (its ``balance_before`` was read just before the POST).
        current: the balance now.
        others: what this app's other tasks accepted since cost.
    """
    price = record.price
    sent_at = time.strftime("%H:%M on %d %b", time.localtime(record.created_at))
    if record.balance_before is None:
        return (
            "The balance before this submission is not known, so the app cannot tell "
            f"whether APIXO took it. Look for a task created at {sent_at} in the APIXO "
            f"dashboard; resubmitting costs ${price:.2f} again if it was taken."
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


def _decimal_or_none(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


def _error_code(error: ApixoError) -> str:
    if isinstance(error, ApiStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__
