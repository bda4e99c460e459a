"""APIXO's health as the engine publishes it: typed values from real polls of the simulator."""

from __future__ import annotations

import dataclasses

from tests.fixtures.core import FAST_TIMING, wait_until
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.retry import NO_RETRY
from veo_desktop.core.engine import ApiHealth, ApiState
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault


def test_failing_polls_publish_retrying_then_ok_before_the_task_change(sim, engine_kit):
    sim.add_fault(Fault(endpoint="status", kind="http_error", status=502, times=-1))
    timing = dataclasses.replace(FAST_TIMING, interval_max=0.1)
    seen: list[ApiHealth] = []
    at_change: list[tuple[str, ApiHealth | None]] = []

    async def scenario() -> TaskRecord:
        engine = engine_kit.engine(client=engine_kit.client(read_retry=NO_RETRY), timing=timing)
        assert engine.api_health is None
        engine.subscribe_health(seen.append)
        engine.subscribe(lambda record: at_change.append((record.note or "", engine.api_health)))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="a flaky APIXO"))
        await wait_until(lambda: len(seen) >= 2, message="two failed polls")
        sim.clear_faults()
        done = await engine.wait(record.local_id)
        assert engine.api_health is not None and engine.api_health.state is ApiState.OK
        return done

    done = engine_kit.run(scenario)
    assert done.state is TaskState.SUCCEEDED
    retrying = [h for h in seen if h.state is ApiState.RETRYING]
    assert len(retrying) >= 2
    assert all(h.detail == "APIXO server error (HTTP 502)" for h in retrying)
    assert all(h.retry_at is not None and not h.answers for h in retrying)
    assert seen[-1].state is ApiState.OK
    # Every note "retrying in" a task showed came with a RETRYING health already published.
    retry_notes = [health for note, health in at_change if "retrying in" in note]
    assert retry_notes
    assert all(h is not None and h.state is ApiState.RETRYING for h in retry_notes)


def test_a_refused_key_is_published_with_its_error_and_is_the_engine_problem(sim, engine_kit):
    sim.add_fault(Fault(endpoint="status", kind="http_error", status=401, times=1))
    seen: list[ApiHealth] = []

    async def scenario() -> TaskRecord:
        engine = engine_kit.engine(client=engine_kit.client(read_retry=NO_RETRY))
        engine.subscribe_health(seen.append)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="a refused key"))
        await wait_until(lambda: bool(seen), message="the refused poll")
        refused = seen[0]
        assert refused.state is ApiState.KEY_REFUSED
        assert engine.problem is refused.error and refused.error is not None
        done = await engine.wait(record.local_id)
        assert engine.problem is None  # a poll that worked clears it
        return done

    assert engine_kit.run(scenario).state is TaskState.SUCCEEDED
    assert seen[-1].state is ApiState.OK
