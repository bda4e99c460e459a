"""Polls per task against the ideal schedule, on a fault-free simulator (goal: ratio <= 1.05).

The ideal for a task that APIXO finishes ``D`` seconds after submission is one first poll at
``first_poll``, then one poll per (mean) interval until the poll that sees it finished:
``1 + ceil(max(0, D - first_poll) / mean_interval)``. Extra polls (two at once, polls after
the final state, polls before the first-poll time) would push the ratio above 1.

Run with ``pytest -m benchmark -s tests/benchmarks/test_core_polls.py``.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import pytest

from tests.fixtures.core import EngineKit
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState

pytestmark = pytest.mark.benchmark

TASKS = 40
TIMING = PollTiming(first_poll_fast=1.0, first_poll_quality=1.0, interval_min=0.5, interval_max=1.0)
SIM_DURATION = 3.0


def test_polls_per_task_against_the_ideal_schedule(sim_factory, tmp_path):
    sim = sim_factory(duration=SIM_DURATION, video="shared")
    kit = EngineKit(base_url=sim.base_url, api_key=SIM_API_KEY, root=tmp_path / "d")

    async def scenario() -> list:
        engine = kit.engine(timing=TIMING)
        await engine.start()
        records = await asyncio.gather(
            *(engine.submit(GenerationRequest(prompt=f"bench {i}")) for i in range(TASKS))
        )
        return [await engine.wait(r.local_id) for r in records]

    done = kit.run(scenario, timeout=120)
    kit.close_stores()
    assert {r.state for r in done} == {TaskState.SUCCEEDED}

    polls = Counter(r.query.get("taskId") for r in sim.requests if r.endpoint == "status")
    infos = sim.tasks
    mean = (TIMING.interval_min + TIMING.interval_max) / 2
    actual = ideal = 0
    early = 0
    for record in done:
        info = infos[record.apixo_task_id]
        took = info.complete_time - info.create_time
        ideal += 1 + math.ceil(max(0.0, took - TIMING.first_poll_fast) / mean)
        actual += polls[record.apixo_task_id]
        times = [
            r.time
            for r in sim.requests
            if r.endpoint == "status" and r.query.get("taskId") == record.apixo_task_id
        ]
        early += sum(1 for t in times if t < info.create_time + TIMING.first_poll_fast - 0.01)
    ratio = actual / ideal
    print()
    print("Polls per task against the ideal schedule (fault-free simulator)")
    print(f"  tasks                       {TASKS}")
    print(f"  simulated duration          {SIM_DURATION:.1f} s (+ render)")
    print(f"  first poll / interval       {TIMING.first_poll_fast} s / 0.5-1.0 s")
    print(f"  polls made                  {actual}  ({actual / TASKS:.2f} per task)")
    print(f"  ideal polls                 {ideal}  ({ideal / TASKS:.2f} per task)")
    print(f"  ratio (goal <= 1.05)        {ratio:.3f}")
    print(f"  polls before first-poll     {early}")
