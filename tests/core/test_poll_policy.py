"""The poll policy, directly: records, a number for the time, and no I/O at all."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from veo_desktop.api.errors import (
    ApixoConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TooManyResultsError,
    UnknownStateError,
    UnusableResultError,
)
from veo_desktop.api.responses import ApixoState, TaskStatus
from veo_desktop.core.health import API_OK, ApiState
from veo_desktop.core.poll_policy import (
    BAD_SUCCESS_LIMIT,
    LOST_CONFIRMATIONS,
    SLOW_NOTE,
    UNUSABLE_RESULT_CODE,
    PollPolicy,
    human_seconds,
)
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord

TIMING = PollTiming()  # first poll 75/90 s, then 5-10 s, 60 s after 10 min, a day to live
T0 = 1_767_000_000.0


def pending(created_at: float = T0, **changes: object) -> TaskRecord:
    record = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request={"request_type": "async", "input": {"prompt": "a fox", "mode": "fast"}},
        state=TaskState.PENDING,
        created_at=created_at,
        updated_at=created_at,
        price=Decimal("0.20"),
        apixo_task_id="task_1",
    )
    return record.evolve(**changes) if changes else record


def policy(draw: float = 0.5) -> PollPolicy:
    return PollPolicy(TIMING, lambda: draw)


def status(state: ApixoState, **fields: object) -> TaskStatus:
    return TaskStatus("task_1", state, **fields)  # type: ignore[arg-type]


def test_first_polls_come_after_the_advised_wait_and_at_once_when_overdue() -> None:
    quality = pending().evolve(
        request={"request_type": "async", "input": {"prompt": "a fox", "mode": "quality"}}
    )
    assert policy().after_submit(pending(), accepted_at=T0 + 2) == T0 + 2 + 75
    assert policy().after_submit(quality, accepted_at=T0) == T0 + 90
    assert policy().first_poll_at(pending(), now=T0 + 10) == T0 + 75
    assert policy().first_poll_at(pending(), now=T0 + 500) == T0 + 500


def test_a_running_answer_changes_only_what_changed_and_polls_again_in_the_interval() -> None:
    rules = policy(draw=0.5)
    record = pending()
    step = rules.after_status(record, status(ApixoState.PENDING), T0 + 75)
    assert step.changes == {} and step.poll_at == T0 + 75 + 7.5
    assert step.health == API_OK and not step.download
    step = rules.after_status(record, status(ApixoState.PROCESSING, create_time=5), T0 + 80)
    assert step.changes == {"state": TaskState.PROCESSING, "note": None, "api_create_time": 5}


def test_a_slow_task_is_noted_and_polled_every_slow_interval_then_expires_after_a_day() -> None:
    rules = policy()
    record = pending()
    step = rules.after_status(record, status(ApixoState.PROCESSING), T0 + 700)
    assert step.changes["note"] == SLOW_NOTE
    assert step.poll_at == T0 + 700 + TIMING.slow_interval
    step = rules.after_status(record, status(ApixoState.PROCESSING), T0 + 86_400)
    assert step.changes["state"] is TaskState.EXPIRED and step.poll_at is None


def test_success_hands_the_task_to_downloads_and_failure_ends_it() -> None:
    rules = policy()
    urls = ("https://cdn.example.com/a.mp4",)
    step = rules.after_status(pending(), status(ApixoState.SUCCESS, result_urls=urls), T0 + 80)
    assert step.download and step.poll_at is None
    assert step.changes["state"] is TaskState.DOWNLOADING
    assert step.changes["result_urls"] == urls and step.changes["results_at"] == T0 + 80
    failed = status(ApixoState.FAILED, fail_code="CONTENT", fail_msg="refused")
    step = rules.after_status(pending(), failed, T0 + 80)
    assert step.changes["state"] is TaskState.FAILED and step.changes["fail_code"] == "CONTENT"
    assert not step.download and step.poll_at is None


def test_server_errors_back_off_doubling_with_jitter_up_to_the_cap() -> None:
    rules = policy(draw=0.5)  # jitter: x0.9
    record = pending()
    delays = []
    for n in range(8):
        step = rules.after_error(record, ServerError(502), T0 + 100 + n)
        assert step.error_delay is not None and step.poll_at == T0 + 100 + n + step.error_delay
        delays.append(step.error_delay)
    assert delays == pytest.approx([9, 18, 36, 72, 144, 270, 270, 270])
    assert step.changes["note"].startswith("APIXO server error (HTTP 502); retrying in")
    assert step.health is not None and step.health.state is ApiState.RETRYING
    assert step.health.detail == "APIXO server error (HTTP 502)"
    assert step.health.retry_at == step.poll_at
    ok = rules.after_status(record, status(ApixoState.PENDING), T0 + 200)
    assert ok.health == API_OK
    again = rules.after_error(record, ApixoConnectionError("reset", sent=True), T0 + 300)
    assert again.error_delay == pytest.approx(9)  # an answer ended the run of failures
    assert again.changes["note"] == "Network error; retrying in 9 s"


def test_a_refused_key_is_its_own_health_and_waits_longer() -> None:
    error = AuthenticationError(401)
    step = policy().after_error(pending(), error, T0 + 100)
    assert step.health is not None and step.health.state is ApiState.KEY_REFUSED
    assert step.health.error is error and not step.health.answers
    assert step.error_delay == pytest.approx(60 * 0.9)


def test_a_429_pauses_every_poll_and_slows_them_down_until_apixo_is_calm() -> None:
    rules = policy(draw=0.5)
    record = pending()
    step = rules.after_error(record, RateLimitedError(retry_after=30), T0 + 100)
    assert step.pause_until == T0 + 130 and step.throttle == 2.0
    assert step.poll_at == T0 + 130 + 7.5 * 2
    assert step.health is not None and step.health.state is ApiState.RATE_LIMITED
    assert step.health.answers
    assert step.changes["note"].startswith("APIXO is rate limiting; checking again in")
    for _ in range(5):
        rules.after_error(record, RateLimitedError(), T0 + 101)
    assert rules.slowdown == 16.0  # at most x16
    assert rules.after_status(record, status(ApixoState.PENDING), T0 + 120).throttle is None
    calm = rules.after_status(record, status(ApixoState.PENDING), T0 + 161)
    assert calm.throttle == 8.0 and calm.poll_at == T0 + 161 + 7.5 * 8


def test_a_task_unknown_twice_is_lost() -> None:
    rules = policy()
    record = pending()
    for _ in range(LOST_CONFIRMATIONS - 1):
        step = rules.after_error(record, NotFoundError(404), T0 + 100)
        assert step.poll_at == T0 + 100 + TIMING.interval_max and step.health is None
    step = rules.after_error(record, NotFoundError(404), T0 + 110)
    assert step.changes["state"] is TaskState.LOST and step.poll_at is None


def test_a_success_without_a_usable_video_fails_after_a_few_answers() -> None:
    rules = policy()
    record = pending()
    error = UnusableResultError("no URL")
    for _ in range(BAD_SUCCESS_LIMIT - 1):
        assert rules.after_error(record, error, T0 + 100).poll_at is not None
    step = rules.after_error(record, error, T0 + 100)
    assert step.changes["state"] is TaskState.FAILED
    assert step.changes["fail_code"] == UNUSABLE_RESULT_CODE and step.poll_at is None
    many = rules.after_error(record, TooManyResultsError("5 URLs", count=5), T0 + 100)
    assert (
        many.changes["state"] is TaskState.FAILED and "5 video URLs" in many.changes["fail_message"]
    )


def test_an_unknown_state_is_checked_again_slowly_without_calling_apixo_down() -> None:
    step = policy().after_error(pending(), UnknownStateError("?", state="queued"), T0 + 100)
    assert step.poll_at == T0 + 100 + TIMING.slow_interval
    assert step.health is None
    assert (
        step.changes["note"] == "APIXO answered an unknown state 'queued'; checking again in 60 s"
    )


def test_an_unexpected_error_is_reported_once_and_retried_like_any_other() -> None:
    rules = policy()
    record = pending()
    first = rules.after_error(record, KeyError("boom"), T0 + 100)
    second = rules.after_error(record, KeyError("boom"), T0 + 110)
    assert isinstance(first.unexpected, KeyError) and second.unexpected is None
    assert "could not read APIXO's answer (KeyError)" in first.changes["note"]
    assert second.error_delay is not None and first.error_delay is not None
    assert second.error_delay > first.error_delay


def test_errors_for_two_days_expire_the_task() -> None:
    step = policy().after_error(pending(), ServerError(500), T0 + 2 * 86_400)
    assert step.changes["state"] is TaskState.EXPIRED and step.poll_at is None
    assert "Last answer: APIXO server error (HTTP 500)." in step.changes["fail_message"]


def test_a_note_says_a_wait_in_words() -> None:
    assert [human_seconds(s) for s in (0.25, 20, 300, 10_800)] == ["0.2 s", "20 s", "5 min", "3 h"]
