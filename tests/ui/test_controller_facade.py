"""The controller as the widgets' only door: queries, batches as handles, the one money
path, and the job registry (real engine, simulator over loopback, real sqlite)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.batch import (
    BatchItem,
    BatchJournal,
    BatchProgress,
    BatchResult,
    ItemState,
    journal_path,
)
from veo_desktop.core.history import TaskSource
from veo_desktop.core.spending import (
    OVER_CAP_TITLE,
    PaidAction,
    PaidKind,
    SpendingCap,
    spend_today,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import Fault
from veo_desktop.ui.batches import BatchHandle
from veo_desktop.ui.controller import EngineController, is_extend_of
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.money import PaymentQuestion, pay

engine_env = tasks_support.engine_env


# -- the engine stays private ------------------------------------------------------------------


def test_the_controller_does_not_hand_out_its_engine(engine_env: EngineEnv) -> None:
    assert not hasattr(engine_env.controller, "engine")


def test_queries_answer_what_widgets_need(engine_env: EngineEnv) -> None:
    controller = engine_env.controller
    source = engine_env.finished("A lighthouse at dusk, waves below")
    assert source.apixo_task_id is not None
    assert controller.get(source.local_id) == engine_env.engine.get(source.local_id)
    assert controller.find(source.apixo_task_id) == engine_env.engine.get(source.local_id)
    assert controller.find("no-such-task") is None
    with pytest.raises(KeyError):
        controller.get("no-such-id")

    extend = ExtendRequest(task_id=source.apixo_task_id, prompt="The light sweeps the sea")
    child = engine_env.arun(controller.submit(extend))
    assert child is not None and is_extend_of(child, source)
    assert [t.local_id for t in controller.extends_of(source)] == [child.local_id]
    assert controller.extends_of(child) == []

    controller.remove(source.local_id, delete_files=False)
    engine_env.qtbot.waitUntil(lambda: engine_env.engine.get(source.local_id).hidden)
    assert source.local_id not in [t.local_id for t in controller.tasks()]
    hidden = [t.local_id for t in controller.tasks(include_hidden=True)]
    assert source.local_id in hidden and child.local_id in hidden


def test_spending_is_counted_over_the_controller(engine_env: EngineEnv) -> None:
    engine_env.submit("one", mode="fast")
    engine_env.submit("two", mode="quality")
    source: TaskSource = engine_env.controller
    assert spend_today(source).charged == Decimal("1.70")
    assert spend_today(source) == spend_today(engine_env.engine)


def test_quiescent_waits_for_the_jobs_too(engine_env: EngineEnv) -> None:
    controller = engine_env.controller
    release = asyncio.Event()

    async def held() -> None:
        await release.wait()

    engine_env.qtbot.waitUntil(lambda: controller.quiescent)
    job = engine_env.arun(_start(controller, held()))
    assert not controller.quiescent
    release.set()
    engine_env.qtbot.waitUntil(job.done)
    engine_env.qtbot.waitUntil(lambda: controller.quiescent)


async def _start(controller: EngineController, coro: Any) -> asyncio.Task[Any]:
    return controller.run(coro, name="held")


# -- batches come back as handles --------------------------------------------------------------


def _items(*prompts: str) -> list[BatchItem]:
    return [BatchItem(i, GenerationRequest(prompt=p)) for i, p in enumerate(prompts)]


def test_a_batch_starts_through_the_controller_and_reports_through_its_handle(
    engine_env: EngineEnv, tmp_path: Path
) -> None:
    items = _items("A kite over dunes", "A heron in mist", "A train at night")
    handle = engine_env.controller.start_batch(
        items, journal=journal_path(tmp_path, items), source="Variations", concurrency=2
    )
    assert isinstance(handle, BatchHandle)
    progress: list[BatchProgress] = []
    finished: list[BatchResult] = []
    handle.progressed.connect(progress.append)
    handle.finished.connect(finished.append)
    assert handle.job in engine_env.controller.jobs
    result = engine_env.arun(_wait(handle.job), timeout=20)

    assert result is not None and result is handle.result and finished == [result]
    assert [s.state for s in result.items] == [ItemState.SUBMITTED] * 3
    assert progress and progress[-1].submitted == 3 and handle.progress.submitted == 3
    assert not handle.running and handle.error is None
    ids = handle.task_ids()
    assert ids == [str(s.local_id) for s in result.items]
    assert {engine_env.engine.get(i).prompt for i in ids} == {r.request.prompt for r in items}
    assert engine_env.posts() == 3
    assert BatchJournal.load(journal_path(tmp_path, items)).finished


async def _wait(job: asyncio.Task[Any]) -> Any:
    return await job


def test_cancel_sends_no_more_and_the_rest_resumes_later(
    engine_env: EngineEnv, tmp_path: Path
) -> None:
    items = _items("One", "Two", "Three")
    path = journal_path(tmp_path, items)
    handle = engine_env.controller.start_batch(items, journal=path, concurrency=1)

    def stop_after_first(progress: BatchProgress) -> None:
        if progress.submitted >= 1:
            handle.cancel("Stopped by the test.")

    handle.progressed.connect(stop_after_first)
    result = engine_env.arun(_wait(handle.job), timeout=20)
    assert result is not None and result.stopped == "Stopped by the test."
    sent = len(result.submitted)
    assert 1 <= sent < 3 and engine_env.posts() == sent

    journal = BatchJournal.load(path)
    assert len(engine_env.controller.unsent_items(journal)) == 3 - sent
    again = engine_env.controller.resume_batch(path)
    resumed = engine_env.arun(_wait(again.job), timeout=20)
    assert resumed is not None and len(resumed.submitted) == 3
    assert engine_env.posts() == 3  # nothing sent twice


def test_a_batch_that_cannot_run_says_why(engine_env: EngineEnv, tmp_path: Path) -> None:
    items = _items("Busy one")
    path = journal_path(tmp_path, items)
    engine_env.sim.add_fault(Fault(endpoint="submit", kind="delay", delay=1.0))
    first = engine_env.controller.start_batch(items, journal=path)
    second = engine_env.controller.start_batch(items, journal=path)
    failures: list[BaseException] = []
    second.failed.connect(failures.append)
    assert engine_env.arun(_wait(second.job), timeout=20) is None
    assert failures and second.error is failures[0] and second.result is None
    assert "already being sent" in str(failures[0])
    assert engine_env.arun(_wait(first.job), timeout=20) is not None
    assert engine_env.posts() == 1


# -- the one money path ------------------------------------------------------------------------


def test_pay_sends_at_once_within_the_cap(engine_env: EngineEnv, qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    sent: list[str] = []
    cap = SpendingCap(Decimal("5"), engine_env.controller)
    action = PaidAction(PaidKind.EXTEND, Decimal("0.20"))
    assert not engine_env.controller.confirm_payment(action, cap).must_ask
    assert pay(engine_env.controller, action, host, lambda: sent.append("sent"), cap=cap) is None
    assert sent == ["sent"]


def test_pay_asks_past_the_cap_and_sends_only_when_confirmed(
    engine_env: EngineEnv, qtbot: Any
) -> None:
    engine_env.submit("Spent already")  # $0.20 today
    host = QWidget()
    qtbot.addWidget(host)
    answers: list[str] = []
    cap = SpendingCap(Decimal("0.30"), engine_env.controller)
    action = PaidAction(PaidKind.BATCH, Decimal("0.40"))
    expected = engine_env.controller.confirm_payment(action, cap)
    assert expected.over_cap and expected.title == OVER_CAP_TITLE

    declined = pay(
        engine_env.controller,
        action,
        host,
        lambda: answers.append("sent"),
        cap=cap,
        on_declined=lambda: answers.append("declined"),
        name="testQuestion",
    )
    assert isinstance(declined, PaymentQuestion) and declined.confirmation == expected
    assert declined.objectName() == "testQuestion"
    declined.reject()
    qtbot.waitUntil(lambda: answers == ["declined"])

    confirmed = pay(engine_env.controller, action, host, lambda: answers.append("sent"), cap=cap)
    assert confirmed is not None
    confirmed.accept_button.click()
    qtbot.waitUntil(lambda: answers == ["declined", "sent"])


def test_there_is_one_way_to_ask_the_money_policy(engine_env: EngineEnv) -> None:
    assert not hasattr(engine_env.controller, "confirmation")
    action = PaidAction(PaidKind.RETRY, Decimal("1.50"))
    retry = engine_env.controller.confirm_payment(action, None)
    assert retry.must_ask and retry.accept_label == "Submit again \u2013 $1.50"


# -- the job registry --------------------------------------------------------------------------


def test_the_registry_keeps_logs_and_cancels(
    engine_env: EngineEnv, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[tuple[str, str]] = []
    registry = JobRegistry(on_failure=lambda name, error: failures.append((name, str(error))))
    release = asyncio.Event()

    async def waits() -> str:
        await release.wait()
        return "done"

    async def fails() -> None:
        raise ValueError("broken on purpose")

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def scenario() -> None:
        ok = registry.start(waits(), name="waits")
        bad = registry.start(fails(), name="fails")
        assert registry.jobs == {ok, bad} and len(registry) == 2
        release.set()
        await registry.wait_idle()
        assert ok.result() == "done" and not registry
        assert failures == [("fails", "broken on purpose")]
        stuck = registry.start(forever(), name="forever")
        await registry.aclose()
        assert stuck.cancelled() and registry.closed and not registry.jobs
        assert failures == [("fails", "broken on purpose")]  # cancelled is no failure

    with caplog.at_level(logging.ERROR, logger="veo_desktop.ui.jobs"):
        engine_env.arun(scenario())
    assert [r.getMessage() for r in caplog.records] == ["fails failed"]


def test_a_failed_job_of_the_controller_is_shown_once(engine_env: EngineEnv) -> None:
    shown: list[tuple[str, str]] = []
    engine_env.controller.action_failed.connect(lambda *args: shown.append(args))

    async def fails() -> None:
        raise RuntimeError("the disk went away")

    async def scenario() -> None:
        engine_env.controller.run(fails(), name="Saving a frame")
        await engine_env.controller.job_registry.wait_idle()

    engine_env.arun(scenario())
    assert shown == [("Something went wrong", "Saving a frame: the disk went away")]


def test_a_task_state_is_reported_through_the_controller(engine_env: EngineEnv) -> None:
    task = engine_env.submit("A quiet harbour at dawn")
    engine_env.wait_state(task.local_id, TaskState.SUCCEEDED)
    assert engine_env.controller.get(task.local_id).state is TaskState.SUCCEEDED


def test_stopped_batches_are_found_through_the_controller(
    engine_env: EngineEnv, tmp_path: Path
) -> None:
    from veo_desktop.core.batch import journal_dir
    from veo_desktop.ui.tasks.batch_offer import stopped_batches, unsent_items

    items = _items("First of two", "Second of two")
    path = journal_path(journal_dir(tmp_path), items)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = engine_env.controller.start_batch(items, journal=path, concurrency=1)
    handle.progressed.connect(lambda p: handle.cancel() if p.submitted >= 1 else None)
    result = engine_env.arun(_wait(handle.job), timeout=20)
    assert result is not None and len(result.submitted) == 1

    by_controller = engine_env.arun(stopped_batches(engine_env.controller, tmp_path))
    by_engine = engine_env.arun(stopped_batches(engine_env.engine, tmp_path))
    assert [j.path for j in by_controller] == [j.path for j in by_engine] == [path]
    [journal] = by_controller
    assert unsent_items(journal, engine_env.controller) == unsent_items(journal, engine_env.engine)
    assert [i.request.prompt for i in unsent_items(journal, engine_env.controller)] == [
        "Second of two"
    ]
