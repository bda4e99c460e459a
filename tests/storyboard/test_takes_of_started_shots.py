"""More takes of a continued or extended shot, against the simulator: every take starts from
the take the film uses for the shot before (its last frame, or its task for an extend), not
from another of that shot's takes; a shot whose source is missing or cannot be extended is
refused before anything is uploaded, asked about or sent."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit
from tests.storyboard.support import posts, started_service
from veo_desktop.api.models import GenerationRequest, GenerationType, Model
from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.storyboard import StoryboardError, StoryboardService


async def _second_take_chosen(
    engine: TaskEngine, service: StoryboardService, board_id: str, shot_id: str
) -> str:
    """Give the shot a second finished take and choose it (the first stays its first take)."""
    (take,), problems = await service.generate_takes(board_id, shot_id, 1, approved=Decimal("0.20"))
    assert not problems
    await engine.wait(take)
    service.choose_take(board_id, shot_id, take)
    assert service.get(board_id).shot(shot_id).takes.index(take) == 1
    return take


def test_more_takes_of_continued_and_extended_shots_start_from_the_chosen_take(
    engine_kit: EngineKit, sim: Any
) -> None:
    frames: list[Path] = []

    async def frame_url(video: Path) -> str:
        frames.append(video)
        return f"https://images.example/{video.stem}.png"

    async def scenario() -> None:
        engine, service = await started_service(engine_kit, frame_url=frame_url)
        board = service.create("Relay")
        runner = service.add_shot(board.id, GenerationRequest(prompt="A runner starts"))
        baton = service.add_shot(
            board.id, GenerationRequest(prompt="She passes the baton"), start=ShotStart.CONTINUE
        )
        kite = service.add_shot(board.id, GenerationRequest(prompt="A kite climbs"))
        loop = service.add_shot(
            board.id, GenerationRequest(prompt="It loops"), start=ShotStart.EXTEND
        )

        # The shot before has no video yet: refused, before its price is asked.
        problem = service.takes_problem(board.id, baton.id)
        assert problem == (
            "Shot 2: It continues shot 1, which has no video yet: generate that shot first."
        )
        with pytest.raises(StoryboardError, match=r"no video yet.*Nothing was sent"):
            await service.generate_takes(board.id, baton.id, 2, approved=Decimal("10"))
        with pytest.raises(StoryboardError, match="Shot 4: It extends shot 3, which has no"):
            await service.generate_takes(board.id, loop.id, 2, approved=Decimal("10"))
        assert posts(sim) == [] and frames == []

        result = await service.generate_missing(board.id, approved=service.plan(board.id).total)
        assert result.ready
        chosen_runner = await _second_take_chosen(engine, service, board.id, runner.id)
        chosen_kite = await _second_take_chosen(engine, service, board.id, kite.id)
        assert service.takes_problem(board.id, baton.id) is None
        assert service.takes_problem(board.id, loop.id) is None
        before = len(posts(sim))
        frames.clear()

        # Continued: each take's first frame is the chosen take's last frame.
        sent, problems = await service.generate_takes(
            board.id, baton.id, 2, approved=Decimal("0.40")
        )
        assert len(sent) == 2 and not problems
        runner_file = Path(engine.get(chosen_runner).files[0])
        assert frames == [runner_file]  # one frame made and uploaded for both takes
        for local_id in sent:
            record = engine.get(local_id)
            assert record.generation_type == GenerationType.FRAMES
            assert record.input["image_urls"] == [f"https://images.example/{runner_file.stem}.png"]
            assert record.parent_id is None
        assert len({engine.get(i).input.get("seed") for i in sent}) == 2

        # Extended: each take extends the chosen take's task (and is its child).
        extended, problems = await service.generate_takes(
            board.id, loop.id, 2, approved=Decimal("0.40")
        )
        assert len(extended) == 2 and not problems
        source = engine.get(chosen_kite)
        for local_id in extended:
            record = engine.get(local_id)
            assert record.model == Model.EXTEND
            assert record.input["taskId"] == source.apixo_task_id
            assert record.parent_id == source.local_id
        assert len({engine.get(i).input.get("seed") for i in extended}) == 2
        assert len(posts(sim)) == before + 4
        kept = service.get(board.id)
        assert kept.shot(baton.id).takes[-2:] == sent
        assert kept.shot(loop.id).takes[-2:] == extended
        await asyncio.gather(*(engine.wait(i) for i in (*sent, *extended)))

        # An extension cannot be extended again: refused before anything is sent.
        again = service.add_shot(
            board.id, GenerationRequest(prompt="It loops again"), start=ShotStart.EXTEND
        )
        posted = len(posts(sim))
        with pytest.raises(StoryboardError, match="cannot be extended again"):
            await service.generate_takes(board.id, again.id, 1, approved=Decimal("10"))
        assert len(posts(sim)) == posted
        service.close()

    engine_kit.run(scenario)
