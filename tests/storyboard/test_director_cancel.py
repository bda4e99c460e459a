"""A storyboard run cancelled (the window closing) or meeting a shot it was not asked about,
against the simulator: a POST in flight is never cut off however often the run is cancelled,
a shot not yet sent stays unsent, and a run sends only the shots in the plan agreed to.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit, wait_until
from tests.storyboard.support import posts, started_service
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.sim.faults import Fault
from veo_desktop.storyboard import ShotStatus


def test_cancelled_again_and_again_while_a_shot_is_posted_the_post_completes(
    engine_kit: EngineKit, sim: Any
) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.5))

    async def scenario() -> None:
        engine, service = await started_service(engine_kit)
        board = service.create("Closing")
        service.add_shot(board.id, GenerationRequest(prompt="A door closes"))
        plan = service.plan(board.id)
        run = asyncio.ensure_future(service.generate_missing(board.id, approved=plan.total))
        await wait_until(lambda: any(r.status is None for r in posts(sim)), message="the POST")
        for _ in range(3):  # the window's close cancels the run more than once
            run.cancel()
            for _ in range(3):
                await asyncio.sleep(0)
        with pytest.raises(asyncio.CancelledError):
            await run

        (take,) = service.get(board.id).shots[0].takes
        record = engine.get(take)
        assert record.state is not TaskState.UNCERTAIN
        assert record.apixo_task_id in sim.created_task_ids
        assert len(posts(sim)) == 1 and service.get(board.id).shots[0].sending is None
        service.close()

    engine_kit.run(scenario)


def test_cancelled_while_a_continued_shots_frame_uploads_it_is_not_sent(
    engine_kit: EngineKit, sim: Any
) -> None:
    asked = asyncio.Event()
    release = asyncio.Event()

    async def slow_frame(video: Path) -> str:
        asked.set()
        await release.wait()
        return "https://images.example/frame.png"

    async def scenario() -> None:
        _engine, service = await started_service(engine_kit, frame_url=slow_frame)
        board = service.create("Relay")
        service.add_shot(board.id, GenerationRequest(prompt="A runner starts"))
        service.add_shot(
            board.id, GenerationRequest(prompt="She passes the baton"), start=ShotStart.CONTINUE
        )
        plan = service.plan(board.id)
        run = asyncio.ensure_future(service.generate_missing(board.id, approved=plan.total))
        await asked.wait()
        run.cancel()
        for _ in range(3):
            await asyncio.sleep(0)
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await run

        assert len(posts(sim)) == 1
        second = service.get(board.id).shots[1]
        assert not second.takes and second.sending is None
        assert service.plan(board.id).shots[1].status is ShotStatus.SEND
        service.close()

    engine_kit.run(scenario)


def test_a_shot_running_when_agreed_that_fails_is_not_sent_again_by_the_run(
    engine_kit: EngineKit, sim: Any
) -> None:
    async def scenario() -> None:
        engine, service = await started_service(engine_kit)
        board = service.create("Fireworks")
        first = service.add_shot(board.id, GenerationRequest(prompt="A rocket #sensitive"))
        service.add_shot(
            board.id,
            GenerationRequest(prompt="It bursts", mode="quality"),
            start=ShotStart.EXTEND,
        )
        (running,), _ = await service.generate_takes(
            board.id, first.id, 1, approved=service.plan(board.id).total
        )
        plan = service.plan(board.id)
        assert [s.status for s in plan.shots] == [ShotStatus.RUNNING, ShotStatus.SEND_AFTER]

        result = await service.generate_missing(board.id, approved=plan.total)

        assert not result.sent and not result.ready
        assert engine.get(running).state is TaskState.FAILED
        assert len(posts(sim)) == 1  # the failed shot was not asked about: not sent again
        assert service.get(board.id).shots[0].takes == (running,)
        service.close()

    engine_kit.run(scenario)
