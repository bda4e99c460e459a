"""Uncertain submissions: never re-sent by themselves; checked, resubmitted or dismissed by
the person; and rows left 'submitting' by a crash recover as uncertain."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest

from tests.fixtures.core import EngineKit
from veo_desktop.api.errors import SubmissionUncertainError
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.engine import RECOVERED_NOTE, TaskBusyError
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.sim import Fault


def posts(sim) -> list:
    return [r for r in sim.requests if r.method == "POST"]


def submit_uncertain(kit: EngineKit, sim, *, taken: bool):
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=taken))

    async def scenario():
        engine = kit.engine()
        await engine.start()
        with pytest.raises(SubmissionUncertainError):
            await engine.submit(GenerationRequest(prompt="maybe taken", mode="quality"))
        (record,) = engine.tasks()
        return engine, record

    return scenario


def test_check_uncertain_tells_that_apixo_most_likely_took_it(sim, engine_kit):
    async def scenario():
        engine, record = await submit_uncertain(engine_kit, sim, taken=True)()
        assert record.balance_before == Decimal("100")
        text = await engine.check_uncertain(record.local_id)
        assert "most likely took this task" in text
        assert "$1.50" in text
        assert engine.get(record.local_id).note == text
        assert engine.get(record.local_id).state is TaskState.UNCERTAIN

    engine_kit.run(scenario)
    assert len(posts(sim)) == 1


def test_check_uncertain_tells_that_apixo_most_likely_did_not_take_it(sim, engine_kit):
    async def scenario():
        engine, record = await submit_uncertain(engine_kit, sim, taken=False)()
        # Another task of this app, accepted afterwards, explains its own charge.
        other = await engine.submit(GenerationRequest(prompt="another one"))
        assert other.state is TaskState.PENDING
        text = await engine.check_uncertain(record.local_id)
        assert "most likely did not take it" in text
        assert "Resubmitting costs $1.50" in text

    engine_kit.run(scenario)


def test_check_uncertain_without_a_recorded_balance_says_so(sim, engine_kit):
    sim.add_fault(Fault(endpoint="balance", kind="http_error", status=500, times=2))

    async def scenario():
        engine, record = await submit_uncertain(engine_kit, sim, taken=True)()
        assert record.balance_before is None
        text = await engine.check_uncertain(record.local_id)
        assert "not known" in text and "APIXO dashboard" in text

    engine_kit.run(scenario)


def test_resubmit_makes_a_new_linked_task_and_hides_the_uncertain_one(sim, engine_kit):
    async def scenario():
        engine, record = await submit_uncertain(engine_kit, sim, taken=False)()
        new = await engine.resubmit(record.local_id)
        old = engine.get(record.local_id)
        assert new.local_id != old.local_id
        assert new.resubmit_of == old.local_id and old.resubmitted_as == new.local_id
        assert old.hidden and old.state is TaskState.UNCERTAIN
        assert new.request == old.request
        done = await engine.wait(new.local_id)
        assert done.state is TaskState.SUCCEEDED
        assert [r.local_id for r in engine.tasks()] == [new.local_id]

    engine_kit.run(scenario)
    assert len(posts(sim)) == 2  # the original and the one the person asked for


def test_a_failed_task_can_be_resubmitted_but_a_running_one_cannot(sim, engine_kit):
    async def scenario():
        engine = engine_kit.engine()
        await engine.start()
        failed = await engine.wait(
            (await engine.submit(GenerationRequest(prompt="#invalid words"))).local_id
        )
        assert failed.state is TaskState.FAILED
        running = await engine.submit(GenerationRequest(prompt="fine words"))
        with pytest.raises(TaskBusyError):
            await engine.resubmit(running.local_id)
        again = await engine.resubmit(failed.local_id)
        assert not engine.get(failed.local_id).hidden
        assert again.resubmit_of == failed.local_id

    engine_kit.run(scenario)


def test_dismiss_hides_an_uncertain_task_without_sending_anything(sim, engine_kit):
    async def scenario():
        engine, record = await submit_uncertain(engine_kit, sim, taken=True)()
        dismissed = engine.dismiss(record.local_id)
        assert dismissed.hidden and dismissed.state is TaskState.UNCERTAIN
        assert engine.tasks() == []
        pending = await engine.submit(GenerationRequest(prompt="x"))
        with pytest.raises(TaskBusyError):
            engine.dismiss(pending.local_id)

    engine_kit.run(scenario)


def test_a_row_left_submitting_by_a_crash_becomes_uncertain_and_is_not_resent(sim, engine_kit):
    store = engine_kit.store()
    now = time.time()
    body = GenerationRequest(prompt="killed mid-POST").to_payload()
    stranded = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=body,
        state=TaskState.SUBMITTING,
        created_at=now,
        updated_at=now,
        price=Decimal("0.20"),
        balance_before=Decimal("100"),
        history=(StateChange(now, TaskState.SUBMITTING),),
    )
    store.insert(stranded)

    async def scenario():
        engine = engine_kit.engine(store=store)
        await engine.start()
        record = engine.get(stranded.local_id)
        assert record.state is TaskState.UNCERTAIN
        assert record.note == RECOVERED_NOTE
        assert [c.state for c in record.history] == [TaskState.SUBMITTING, TaskState.UNCERTAIN]
        text = await engine.check_uncertain(record.local_id)
        assert "did not take it" in text

    engine_kit.run(scenario)
    assert posts(sim) == []
