"""The poll policy: what to do next with a task after one poll. Pure: no I/O, no asyncio.

Given the task's record, the clock's time and the poll's outcome (APIXO's answer or the
error), :class:`PollPolicy` says what changes on the record, when the task is polled again,
whether its videos are ready to download, and what the outcome says about APIXO's health.
The engine's poller applies the :class:`PollStep`; this module only decides, so it is
tested directly with records and a number for the time.

Rules: the first poll comes ``first_poll`` after the submission; later ones every
``interval_min``..``interval_max`` (jittered), every ``slow_interval`` once a task runs past
``slow_after``; a task APIXO has not finished after ``result_lifetime`` is expired. A 429
pauses every poll and multiplies the intervals (x2 per 429, at most x16, halved after each
quiet minute). Errors are retried with backoff until two result lifetimes have passed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from veo_desktop.api.errors import (
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
    TooManyResultsError,
    UnknownStateError,
    UnusableResultError,
    UnusableTaskIdError,
)
from veo_desktop.api.responses import ApixoState, TaskStatus
from veo_desktop.api.retry import Backoff
from veo_desktop.core.health import API_OK, ApiHealth, ApiState
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import safe

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
UNUSABLE_RESULT_CODE = "NoUsableVideo"
UNUSABLE_TASK_ID_CODE = "UnusableTaskId"
#: The states in which a task is polled.
POLLABLE = frozenset({TaskState.PENDING, TaskState.PROCESSING})


@dataclass(frozen=True)
class PollStep:
    """What the engine does after one poll of a task.

    Attributes:
        changes: fields of the record to change (nothing to write when empty).
        poll_at: clock time of the next poll of this task (None: it is not polled again).
        download: the task's videos are ready; start downloading them.
        health: what the poll says about APIXO (None: nothing about APIXO itself).
        pause_until: start no poll of any task before this clock time (after a 429).
        throttle: the new factor dividing the polls in flight (after a 429, or calmer).
        error_delay: a failed poll is retried in this many seconds (for the log).
        unexpected: an error nobody expected, to log once with its traceback.
    """

    changes: Mapping[str, Any] = field(default_factory=dict)
    poll_at: float | None = None
    download: bool = False
    health: ApiHealth | None = None
    pause_until: float | None = None
    throttle: float | None = None
    error_delay: float | None = None
    unexpected: Exception | None = None


@dataclass
class _Counts:
    failures: int = 0
    not_found: int = 0
    bad_success: int = 0
    unexpected: int = 0


class PollPolicy:
    """Decides each task's next poll from its record, the time and the poll's outcome.

    Holds only numbers: per-task counts of failures in a row, and the slowdown after a 429.

    Args:
        timing: the poll cadence.
        rng: jitter source in [0, 1).
    """

    def __init__(self, timing: PollTiming, rng: Callable[[], float]) -> None:
        self.timing = timing
        self._rng = rng
        self._counts: dict[str, _Counts] = {}
        #: Every interval is multiplied by this after a 429 (1 when APIXO is calm).
        self.slowdown = 1.0
        self._slowdown_since = 0.0

    # -- when -----------------------------------------------------------------------------

    def first_poll_at(self, record: TaskRecord, now: float) -> float:
        """When a task found running at start is polled: its first poll, or now if overdue."""
        return max(now, record.created_at + self.timing.first_poll(record.mode))

    def after_submit(self, record: TaskRecord, accepted_at: float) -> float:
        """When a task APIXO just accepted is polled first (its createTime is then)."""
        return accepted_at + self.timing.first_poll(record.mode)

    def interval(self, age: float) -> float:
        """The gap before the next poll of a task ``age`` seconds old."""
        t = self.timing
        if age >= t.slow_after:
            base = t.slow_interval
        else:
            base = t.interval_min + (t.interval_max - t.interval_min) * self._rng()
        return base * self.slowdown

    def backoff(self, failures: int, *, auth: bool = False) -> float:
        """The wait after ``failures`` failed polls of a task in a row (``auth``: slower)."""
        t = self.timing
        base = max(t.slow_interval, t.interval_max) if auth else t.interval_max
        cap = max(5 * t.slow_interval, t.interval_max)
        return Backoff(base, cap, jitter=0.2).delay(failures, self._rng) * self.slowdown

    def forget(self, local_id: str) -> None:
        """The task is not polled any more (it ended, or was handed to downloads)."""
        self._counts.pop(local_id, None)

    # -- after an answer ------------------------------------------------------------------

    def after_status(self, record: TaskRecord, status: TaskStatus, now: float) -> PollStep:
        """APIXO answered about ``record`` (a pollable task)."""
        self._counts.pop(record.local_id, None)
        throttle = self._calm_down(now)
        changes, poll_at = self._answered(record, status, now)
        return PollStep(
            changes=changes,
            poll_at=poll_at,
            download=status.state is ApixoState.SUCCESS,
            health=API_OK,
            throttle=throttle,
        )

    def _answered(
        self, record: TaskRecord, status: TaskStatus, now: float
    ) -> tuple[dict[str, Any], float | None]:
        """The record's changes after an answer, and its next poll (None: it ended)."""
        times: dict[str, Any] = {
            "api_create_time": status.create_time or record.api_create_time,
            "api_complete_time": status.complete_time or record.api_complete_time,
            "api_cost_time": status.cost_time or record.api_cost_time,
        }
        if status.state is ApixoState.SUCCESS:
            ready = {"result_urls": status.result_urls, "results_at": now, "note": None}
            return {"state": TaskState.DOWNLOADING, **ready, **times}, None
        if status.state is ApixoState.FAILED:
            reason = {
                "fail_code": status.fail_code or "Unknown error",
                "fail_message": status.fail_msg or "APIXO reported that the task failed.",
                "note": None,
            }
            return {"state": TaskState.FAILED, **reason, **times}, None
        age = now - record.created_at
        if age >= self.timing.result_lifetime:
            message = (
                "APIXO had still not finished this task a day after it was sent; "
                "its result can no longer be fetched."
            )
            return {
                "state": TaskState.EXPIRED,
                "fail_message": message,
                "note": None,
                **times,
            }, None
        state = TaskState.PROCESSING if status.state is ApixoState.PROCESSING else TaskState.PENDING
        note = SLOW_NOTE if age >= self.timing.slow_after else None
        changes = {k: v for k, v in times.items() if getattr(record, k) != v}
        if state is not record.state or note != record.note or changes:
            changes = {"state": state, "note": note, **changes}
        return changes, now + self.interval(age)

    def _calm_down(self, now: float) -> float | None:
        """Halve the slowdown after each quiet ``RATE_LIMIT_RECOVERY`` without a 429."""
        if self.slowdown > 1.0 and now - self._slowdown_since >= RATE_LIMIT_RECOVERY:
            self.slowdown = max(1.0, self.slowdown / 2)
            self._slowdown_since = now
            return self.slowdown
        return None

    # -- after an error -------------------------------------------------------------------

    def after_error(self, record: TaskRecord, error: Exception, now: float) -> PollStep:
        """A poll of ``record`` raised ``error`` (any exception: none stops its polls)."""
        if isinstance(error, RateLimitedError):
            return self._rate_limited(record, error, now)
        if isinstance(error, NotFoundError):
            return self._not_found(record, now)
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            return self._failed(record, error, str(error), now, auth=True)
        if isinstance(error, TooManyResultsError):
            self.forget(record.local_id)
            return PollStep(changes=too_many_results(record, error.count), health=API_OK)
        if isinstance(error, UnusableTaskIdError):
            self.forget(record.local_id)
            return PollStep(changes=unusable_task_id(error))
        if isinstance(error, UnknownStateError):
            text = f"APIXO answered an unknown state '{error.state}'"
            return self._failed(record, error, text, now, slow=True)
        if isinstance(error, ForeignTaskError):
            text = (
                f"APIXO answered about another task ('{error.answered_id}') instead of "
                f"{record.apixo_task_id}"
            )
            return self._failed(record, error, text, now)
        if isinstance(error, UnusableResultError):
            return self._unusable_success(record, error, now)
        if isinstance(error, ResponseFormatError):
            return self._failed(record, error, f"APIXO sent an unreadable answer: {error}", now)
        if isinstance(error, ApixoError):
            return self._failed(record, error, _poll_error_text(error), now)
        counts = self._counts.setdefault(record.local_id, _Counts())
        counts.unexpected += 1
        text = f"Veo Desktop could not read APIXO's answer ({type(error).__name__})"
        step = self._failed(record, error, text, now)
        return dataclasses.replace(step, unexpected=error) if counts.unexpected == 1 else step

    def _rate_limited(self, record: TaskRecord, error: RateLimitedError, now: float) -> PollStep:
        self.slowdown = min(self.slowdown * 2, MAX_SLOWDOWN)
        self._slowdown_since = now
        pause = error.retry_after
        if pause is None:
            pause = min(max(self.timing.interval_min, 1.0) * self.slowdown, 300.0)
        at = now + pause + self.interval(now - record.created_at)
        note = f"APIXO is rate limiting; checking again in {human_seconds(at - now)}"
        return PollStep(
            changes=_note(record, note),
            poll_at=at,
            health=ApiHealth(ApiState.RATE_LIMITED, "APIXO is rate limiting", at, error),
            pause_until=now + pause,
            throttle=self.slowdown,
        )

    def _not_found(self, record: TaskRecord, now: float) -> PollStep:
        counts = self._counts.setdefault(record.local_id, _Counts())
        counts.not_found += 1
        if counts.not_found >= LOST_CONFIRMATIONS:
            self.forget(record.local_id)
            changes = dict(
                state=TaskState.LOST,
                fail_code="HTTP 404",
                fail_message=(
                    f"APIXO no longer knows task {record.apixo_task_id} (HTTP 404). "
                    "Contact APIXO support with this task id if it was charged."
                ),
                note=None,
            )
            return PollStep(changes=changes)
        note = "APIXO does not know this task (HTTP 404); checking again"
        return PollStep(
            changes=_note(record, note),
            poll_at=now + self.timing.interval_max * self.slowdown,
        )

    def _unusable_success(
        self, record: TaskRecord, error: ResponseFormatError, now: float
    ) -> PollStep:
        counts = self._counts.setdefault(record.local_id, _Counts())
        counts.bad_success += 1
        if counts.bad_success >= BAD_SUCCESS_LIMIT:
            self.forget(record.local_id)
            return PollStep(
                changes=failed(
                    UNUSABLE_RESULT_CODE,
                    f"APIXO reported success without a usable video ({error}) "
                    f"Contact APIXO support with task id {record.apixo_task_id}.",
                ),
                health=API_OK,  # the task ends on what APIXO answered
            )
        delay = self.interval(now - record.created_at)
        note = (
            "APIXO reported success without a usable video; checking again in "
            f"{human_seconds(delay)}"
        )
        return PollStep(changes=_note(record, note), poll_at=now + delay)

    def _failed(
        self,
        record: TaskRecord,
        error: Exception,
        text: str,
        now: float,
        *,
        auth: bool = False,
        slow: bool = False,
    ) -> PollStep:
        """Show ``text`` on the task and poll again with backoff (``slow``: every
        ``slow_interval``), until two result lifetimes have passed: then it expired."""
        counts = self._counts.setdefault(record.local_id, _Counts())
        counts.failures += 1
        text = safe(text, NOTE_LIMIT).rstrip(".")
        refused = error if auth and isinstance(error, ApixoError) else None
        health = None if refused is None else ApiHealth(ApiState.KEY_REFUSED, text, None, refused)
        if now - record.created_at >= 2 * self.timing.result_lifetime:
            self.forget(record.local_id)
            changes = dict(
                state=TaskState.EXPIRED,
                fail_message=(
                    "APIXO gave no usable answer about this task for two days; its result "
                    f"can no longer be fetched. Last answer: {text}."
                ),
                note=None,
            )
            return PollStep(changes=changes, health=health)
        if slow:
            delay = max(self.timing.slow_interval, self.timing.interval_max) * self.slowdown
            note = f"{text}; checking again in {human_seconds(delay)}"
        else:
            delay = self.backoff(counts.failures, auth=auth)
            note = f"{text}; retrying in {human_seconds(delay)}"
            if refused is None:
                health = ApiHealth(ApiState.RETRYING, text, now + delay)
            else:
                health = ApiHealth(ApiState.KEY_REFUSED, text, now + delay, refused)
        return PollStep(
            changes=_note(record, note), poll_at=now + delay, health=health, error_delay=delay
        )


def failed(code: str, message: str) -> dict[str, Any]:
    """The changes that end a task ``failed`` by the app's own decision."""
    return {"state": TaskState.FAILED, "fail_code": code, "fail_message": message, "note": None}


def too_many_results(record: TaskRecord, count: int) -> dict[str, Any]:
    """A success listing more URLs than Veo makes is refused whole: nothing is planned."""
    return failed(
        UNUSABLE_RESULT_CODE,
        f"APIXO reported success with {count} video URLs; a Veo task makes 1 to 4, so "
        f"none was downloaded. Contact APIXO support with task id {record.apixo_task_id}.",
    )


def unusable_task_id(error: UnusableTaskIdError) -> dict[str, Any]:
    """A stored APIXO id no request may carry (kept by an older version): never asked."""
    return failed(
        UNUSABLE_TASK_ID_CODE,
        f"APIXO's id for this task cannot be asked about: {error} If it was charged, look "
        "for it in the APIXO dashboard or contact APIXO support.",
    )


def human_seconds(seconds: float) -> str:
    """``"7.5 s"``, ``"20 s"``, ``"5 min"``, ``"3 h"``: a wait as a note says it."""
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def _note(record: TaskRecord, note: str) -> dict[str, Any]:
    return {} if record.note == note else {"note": note}


def _poll_error_text(error: ApixoError) -> str:
    if isinstance(error, ServerError):
        return f"APIXO server error (HTTP {error.status_code})"
    if isinstance(error, ApixoTimeoutError):
        return "APIXO did not answer in time"
    if isinstance(error, ApixoConnectionError):
        return "Network error"
    return str(error)
