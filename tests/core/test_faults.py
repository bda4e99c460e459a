"""The fault matrix: every simulator fault kind, on every endpoint it applies to, and what
the person sees (the final state, the notes on the way, whether money was spent)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.core import FAST_TIMING, EngineKit
from veo_desktop.api.errors import (
    ApixoError,
    AuthenticationError,
    BadRequestError,
    ExtendSourceError,
    InsufficientBalanceError,
    PermissionDeniedError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.api.retry import NO_RETRY
from veo_desktop.core.engine import SLOW_NOTE, UNUSABLE_RESULT_CODE
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault


@dataclass
class Outcome:
    record: TaskRecord
    notes: list[str] = field(default_factory=list)
    error: ApixoError | None = None


def run_one(
    kit: EngineKit,
    sim: Any,
    faults: list[Fault],
    request: GenerationRequest | ExtendRequest | None = None,
    *,
    client: dict[str, Any] | None = None,
    **engine_kwargs: Any,
) -> Outcome:
    notes: list[str] = []

    async def scenario() -> Outcome:
        engine = kit.engine(client=kit.client(**(client or {})), **engine_kwargs)

        def seen(record: TaskRecord) -> None:
            if record.note and (not notes or notes[-1] != record.note):
                notes.append(record.note)

        engine.subscribe(seen)
        await engine.start()
        for fault in faults:
            sim.add_fault(fault)
        try:
            record = await engine.submit(request or GenerationRequest(prompt="a lighthouse"))
        except ApixoError as error:
            (record,) = engine.tasks()
            return Outcome(record, notes, error)
        return Outcome(await engine.wait(record.local_id), notes)

    return kit.run(scenario)


def video_ok(sim: Any, record: TaskRecord) -> bool:
    expected = httpx.get(sim.tasks[record.apixo_task_id].result_url).content
    return [Path(f).read_bytes() for f in record.files] == [expected]


def eventually(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def posts(sim: Any) -> int:
    return len([r for r in sim.requests if r.method == "POST"])


# -- submit ----------------------------------------------------------------------------------

REJECTIONS = [
    (400, BadRequestError, "rejected the request"),
    (401, AuthenticationError, "API key"),
    (402, InsufficientBalanceError, "balance is too low"),
    (403, PermissionDeniedError, "cannot use Veo 3.1"),
]


@pytest.mark.parametrize(("status", "error_type", "words"), REJECTIONS)
def test_a_4xx_submit_is_rejected_and_nothing_is_charged(
    sim, engine_kit, status, error_type, words
):
    out = run_one(engine_kit, sim, [Fault(endpoint="submit", kind="http_error", status=status)])
    assert isinstance(out.error, error_type)
    assert out.record.state is TaskState.REJECTED and not out.record.charged
    assert out.record.fail_code == f"HTTP {status}"
    assert words in (out.record.fail_message or "")
    assert sim.created_task_ids == [] and sim.balance == 100.0
    assert posts(sim) == 1


def test_a_short_balance_is_rejected_by_apixo_itself(sim, engine_kit):
    sim.balance = 0.1
    out = run_one(engine_kit, sim, [])
    assert isinstance(out.error, InsufficientBalanceError)
    assert out.record.state is TaskState.REJECTED
    assert "0.10 USD left" in (out.record.fail_message or "")


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="submit", kind="http_error", status=429, retry_after=0),
        Fault(endpoint="submit", kind="http_error", status=503),
    ],
    ids=["429", "503"],
)
def test_a_submit_apixo_provably_did_not_take_is_retried_once_accepted(sim, engine_kit, fault):
    out = run_one(engine_kit, sim, [fault])
    assert out.error is None and out.record.state is TaskState.SUCCEEDED
    assert len(sim.created_task_ids) == 1 and posts(sim) == 2
    assert video_ok(sim, out.record)


UNCERTAIN_SUBMITS = [
    (Fault(endpoint="submit", kind="http_error", status=500), False),
    (Fault(endpoint="submit", kind="http_error", status=502, accept_first=True), True),
    (Fault(endpoint="submit", kind="http_error", status=504), False),
    (Fault(endpoint="submit", kind="html", status=502, accept_first=True), True),
    (Fault(endpoint="submit", kind="reset"), False),
    (Fault(endpoint="submit", kind="reset", accept_first=True), True),
    (Fault(endpoint="submit", kind="malformed_json", accept_first=True), True),
    (Fault(endpoint="submit", kind="delay", delay=1.0, accept_first=True), True),
]


@pytest.mark.parametrize(
    ("fault", "taken"),
    UNCERTAIN_SUBMITS,
    ids=["500", "502-taken", "504", "html-taken", "reset", "reset-taken", "cut-body", "timeout"],
)
def test_a_submit_whose_answer_is_lost_is_uncertain_and_never_resent(sim, engine_kit, fault, taken):
    out = run_one(engine_kit, sim, [fault], client={"timeout": 0.4})
    assert isinstance(out.error, SubmissionUncertainError)
    assert out.record.state is TaskState.UNCERTAIN
    assert not out.record.is_final and not out.record.is_active
    assert "not sent again" in (out.record.note or "")
    assert out.record.apixo_task_id is None
    eventually(lambda: posts(sim) == 1)  # the simulator logs a delayed answer when it ends
    assert len(sim.created_task_ids) == (1 if taken else 0)


def test_an_extend_of_an_unknown_task_is_rejected(sim, engine_kit):
    out = run_one(engine_kit, sim, [], ExtendRequest(task_id="task_nope", prompt="more"))
    assert isinstance(out.error, ExtendSourceError)
    assert out.record.state is TaskState.REJECTED and not out.record.charged


def test_a_failing_balance_read_does_not_stop_a_submission(sim, engine_kit):
    out = run_one(
        engine_kit, sim, [Fault(endpoint="balance", kind="http_error", status=500, times=-1)]
    )
    assert out.record.state is TaskState.SUCCEEDED
    assert out.record.balance_before is None


# -- status ----------------------------------------------------------------------------------

RECOVERED_POLLS = [
    (
        Fault(endpoint="status", kind="http_error", status=500, times=2),
        "APIXO server error (HTTP 500)",
    ),
    (Fault(endpoint="status", kind="http_error", status=502), "APIXO server error (HTTP 502)"),
    (Fault(endpoint="status", kind="http_error", status=504), "APIXO server error (HTTP 504)"),
    (Fault(endpoint="status", kind="html", status=502), "APIXO server error (HTTP 502)"),
    (Fault(endpoint="status", kind="reset", times=2), "Network error; retrying in"),
    (Fault(endpoint="status", kind="delay", delay=1.0), "did not answer in time"),
    (Fault(endpoint="status", kind="malformed_json"), "unreadable answer"),
    (Fault(endpoint="status", kind="http_error", status=401), "did not accept the API key"),
    (Fault(endpoint="status", kind="http_error", status=403), "cannot use Veo 3.1"),
    (Fault(endpoint="status", kind="http_error", status=404), "does not know this task"),
    (
        Fault(endpoint="status", kind="http_error", status=429, retry_after=1),
        "APIXO is rate limiting",
    ),
    (Fault(endpoint="status", kind="bad_result_json"), "success without a usable video"),
    (Fault(endpoint="status", kind="no_result_urls", times=2), "success without a usable video"),
]


@pytest.mark.parametrize(
    ("fault", "note"),
    RECOVERED_POLLS,
    ids=[
        f"{f.kind}-{f.status if f.kind in ('http_error', 'html') else ''}"
        for f, _ in RECOVERED_POLLS
    ],
)
def test_a_poll_fault_shows_a_note_then_the_task_still_finishes(sim, engine_kit, fault, note):
    timing = dataclasses.replace(FAST_TIMING, interval_max=0.1)
    out = run_one(
        engine_kit, sim, [fault], client={"read_retry": NO_RETRY, "timeout": 0.4}, timing=timing
    )
    assert any(note in n for n in out.notes), out.notes
    assert out.record.state is TaskState.SUCCEEDED, out.record
    assert out.record.note is None
    assert video_ok(sim, out.record)
    assert posts(sim) == 1


def test_a_task_apixo_forgot_is_lost(sim, engine_kit):
    fault = Fault(endpoint="status", kind="http_error", status=404, times=-1)
    out = run_one(engine_kit, sim, [fault], client={"read_retry": NO_RETRY})
    assert out.record.state is TaskState.LOST and out.record.is_final
    assert out.record.apixo_task_id in (out.record.fail_message or "")
    statuses = [r for r in sim.requests if r.endpoint == "status"]
    assert len(statuses) == 2  # confirmed once, then never polled again


def test_a_success_without_a_usable_video_fails_with_a_clear_message(sim, engine_kit):
    fault = Fault(endpoint="status", kind="no_result_urls", times=-1)
    out = run_one(engine_kit, sim, [fault], client={"read_retry": NO_RETRY})
    assert out.record.state is TaskState.FAILED
    assert out.record.fail_code == UNUSABLE_RESULT_CODE
    message = out.record.fail_message or ""
    assert "success without a usable video" in message
    assert "Contact APIXO" in message and (out.record.apixo_task_id or "?") in message


def test_a_slow_task_is_marked_and_still_followed(sim_factory, tmp_path):
    slow = sim_factory(duration=0.8)
    kit = EngineKit(base_url=slow.base_url, api_key="test-key-123", root=tmp_path / "d")
    timing = dataclasses.replace(FAST_TIMING, slow_after=0.2, slow_interval=0.1)
    out = run_one(kit, slow, [], timing=timing)
    kit.close_stores()
    assert SLOW_NOTE in out.notes
    assert out.record.state is TaskState.SUCCEEDED and out.record.note is None


def test_a_task_unfinished_after_its_result_lifetime_expires(sim_factory, tmp_path):
    slow = sim_factory(duration=30)
    kit = EngineKit(base_url=slow.base_url, api_key="test-key-123", root=tmp_path / "d")
    timing = dataclasses.replace(FAST_TIMING, result_lifetime=0.3)
    out = run_one(kit, slow, [], timing=timing)
    kit.close_stores()
    assert out.record.state is TaskState.EXPIRED
    assert "no longer be fetched" in (out.record.fail_message or "")


# -- media -----------------------------------------------------------------------------------

RECOVERED_DOWNLOADS = [
    (Fault(endpoint="media", kind="cut_media"), "interrupted"),
    (Fault(endpoint="media", kind="cut_media", times=3), "interrupted"),
    (Fault(endpoint="media", kind="reset"), "interrupted"),
    (Fault(endpoint="media", kind="http_error", status=404, times=2), "link may have expired"),
    (Fault(endpoint="media", kind="http_error", status=503), "video server is busy"),
    (Fault(endpoint="media", kind="html", status=500), "video server is busy"),
    (Fault(endpoint="media", kind="delay", delay=0.2), None),
]


@pytest.mark.parametrize(
    ("fault", "note"),
    RECOVERED_DOWNLOADS,
    ids=["cut", "cut-3x", "reset", "404-2x", "503", "html-500", "delay"],
)
def test_a_download_fault_is_retried_and_the_video_arrives_intact(sim, engine_kit, fault, note):
    out = run_one(engine_kit, sim, [fault])
    assert out.record.state is TaskState.SUCCEEDED
    if note:
        assert any(note in n for n in out.notes), out.notes
    assert video_ok(sim, out.record)
    assert not list(engine_kit.library.glob("*.part"))


def test_a_cut_download_resumes_with_a_range_request(sim, engine_kit):
    out = run_one(engine_kit, sim, [Fault(endpoint="media", kind="cut_media")])
    media = [r for r in sim.requests if r.endpoint == "media"]
    assert [r.status for r in media] == [200, 206]
    assert video_ok(sim, out.record)


def test_an_undownloadable_result_expires_after_its_lifetime(sim, engine_kit):
    # Long enough for the task to finish first (the poll would expire it otherwise).
    timing = dataclasses.replace(FAST_TIMING, result_lifetime=2.0, slow_interval=0.2)
    # A transient failure (a busy server) that lasts: a permanent one (403, 404...) ends the
    # task failed after a few tries instead (tests/core/test_hostile_results.py).
    fault = Fault(endpoint="media", kind="http_error", status=503, times=-1)
    out = run_one(engine_kit, sim, [fault], timing=timing)
    assert out.record.state is TaskState.EXPIRED
    assert "could not be downloaded within a day" in (out.record.fail_message or "")
    assert out.record.charged and out.record.price == Decimal("0.20")
    assert not list(engine_kit.library.glob("*.part"))


# -- extends ---------------------------------------------------------------------------------


def run_extend(kit: EngineKit, sim: Any, fault: Fault) -> Outcome:
    notes: list[str] = []

    async def scenario() -> Outcome:
        engine = kit.engine(client=kit.client(read_retry=NO_RETRY))
        await engine.start()
        source = await engine.wait(
            (await engine.submit(GenerationRequest(prompt="source clip"))).local_id
        )
        engine.subscribe(lambda r: notes.append(r.note or ""))
        sim.add_fault(fault)
        request = ExtendRequest(task_id=source.apixo_task_id or "", prompt="and then")
        try:
            record = await engine.submit(request)
        except ApixoError as error:
            return Outcome(engine.tasks()[-1], notes, error)
        return Outcome(await engine.wait(record.local_id), notes)

    return kit.run(scenario)


def test_an_extend_whose_answer_is_lost_is_uncertain(sim, engine_kit):
    out = run_extend(
        engine_kit, sim, Fault(endpoint="extend_submit", kind="reset", accept_first=True)
    )
    assert isinstance(out.error, SubmissionUncertainError)
    assert out.record.state is TaskState.UNCERTAIN and out.record.is_extend
    assert len(sim.created_task_ids) == 2 and posts(sim) == 2


def test_an_extend_poll_fault_shows_a_note_then_the_extend_finishes(sim, engine_kit):
    fault = Fault(endpoint="extend_status", kind="http_error", status=502, times=2)
    out = run_extend(engine_kit, sim, fault)
    assert any("APIXO server error (HTTP 502)" in n for n in out.notes), out.notes
    assert out.record.state is TaskState.SUCCEEDED and out.record.is_extend
    assert video_ok(sim, out.record)
