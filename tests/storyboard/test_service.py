"""The storyboard service the window uses, against the simulator: editing a storyboard, the
plan's order and price, an extended shot sent after its source, export and import, the film.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit
from tests.fixtures.mp4 import decoded_frames
from tests.storyboard.support import no_frames, started_service
from veo_desktop.api.models import GenerationRequest, Model
from veo_desktop.core.settings import Settings
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.safe_text import forget_secrets, register_secret
from veo_desktop.storyboard import ShotStatus, StoryboardError, StoryboardService


def test_a_storyboard_edited_generated_with_an_extend_exported_and_rendered(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    async def scenario() -> None:
        store = engine_kit.store()
        engine = engine_kit.engine(store=store)
        await engine.start()
        service = StoryboardService(
            engine=engine, store=store, settings=Settings(), frame_url=no_frames
        )
        service.start()
        changed: list[str] = []
        service.subscribe(changed.append)

        board = service.create("  Lantern   night ")
        assert board.name == "Lantern night"
        first = service.add_shot(board.id, GenerationRequest(prompt="A lantern rises"))
        second = service.add_shot(
            board.id, GenerationRequest(prompt="It rises higher", mode="quality")
        )
        service.set_start(board.id, second.id, ShotStart.EXTEND)
        spare = service.duplicate_shot(board.id, first.id)
        assert [s.id for s in service.get(board.id).shots] == [first.id, spare.id, second.id]
        service.move_shot(board.id, spare.id, 5)
        assert [s.id for s in service.get(board.id).shots][-1] == spare.id
        service.remove_shot(board.id, spare.id)
        with pytest.raises(StoryboardError, match="first shot has no previous shot"):
            service.set_start(board.id, first.id, ShotStart.CONTINUE)

        plan = service.plan(board.id)
        assert [s.status for s in plan.shots] == [ShotStatus.SEND, ShotStatus.SEND_AFTER]
        assert plan.shots[1].waits_on == 0
        assert (plan.count, plan.total) == (2, Decimal("1.70"))
        with pytest.raises(StoryboardError, match=r"more than the \$0.20 agreed"):
            await service.generate_missing(board.id, approved=Decimal("0.20"))
        assert not [r for r in sim.requests if r.method == "POST"]

        result = await service.generate_missing(board.id, approved=plan.total)

        assert result.ready and not result.failures
        source, extension = (engine.get(i) for i in result.sent)
        assert extension.model == Model.EXTEND
        assert extension.input["taskId"] == source.apixo_task_id
        assert extension.parent_id == source.local_id
        kept = service.get(board.id)
        assert [s.chosen for s in kept.shots] == [source.local_id, extension.local_id]
        assert board.id in changed
        assert service.board_of(extension.local_id) == kept
        assert service.board_of("no such task") is None
        with pytest.raises(StoryboardError, match="own takes"):
            service.choose_take(board.id, first.id, extension.local_id)
        service.set_trim(board.id, first.id, (0.25, 0.75))

        copy = service.import_json(service.export_json(board.id), name="ignored")
        assert copy.id != board.id and copy.name == "Lantern night"
        assert [(s.takes, s.chosen, s.trim) for s in copy.shots] == [
            (s.takes, s.chosen, s.trim) for s in service.get(board.id).shots
        ]
        assert service.plan(copy.id).ready and service.plan(copy.id).count == 0
        again = StoryboardService(
            engine=engine, store=store, settings=Settings(), frame_url=no_frames
        )
        assert again.boards() == service.boards()
        service.delete(copy.id)
        assert [b.id for b in service.boards()] == [board.id]

        report = await service.render(board.id, tmp_path / "lantern.mp4")
        takes = [len(decoded_frames(Path(r.files[0]))) for r in (source, extension)]
        assert report.frames == len(decoded_frames(report.output)) == 12 + takes[1]

        await asyncio.to_thread(Path(extension.files[0]).unlink)
        gone = service.plan(board.id).shots[1]
        assert gone.status is ShotStatus.BLOCKED and "is missing" in gone.message
        service.remove_take(board.id, second.id, extension.local_id)
        assert service.plan(board.id).shots[1].status is ShotStatus.SEND

        posts = len([r for r in sim.requests if r.method == "POST"])
        with pytest.raises(StoryboardError, match="more than the"):
            await service.generate_takes(board.id, first.id, 2, approved=Decimal("0.20"))
        sent, problems = await service.generate_takes(
            board.id, first.id, 2, approved=Decimal("0.40")
        )
        assert len(sent) == 2 and not problems
        assert len([r for r in sim.requests if r.method == "POST"]) == posts + 2
        now = service.get(board.id).shots[0]
        assert now.takes[-2:] == sent and now.chosen == source.local_id
        assert len({engine.get(i).input.get("seed") for i in sent}) == 2
        await asyncio.gather(*(engine.wait(i) for i in sent))
        service.close()

    engine_kit.run(scenario)


def test_generating_cancelled_mid_way_then_run_again_sends_nothing_twice(
    engine_kit: EngineKit, sim: Any
) -> None:
    async def scenario() -> None:
        engine, service = await started_service(engine_kit)
        board = service.create("Kites")
        service.add_shot(board.id, GenerationRequest(prompt="A kite climbs"))
        service.add_shot(board.id, GenerationRequest(prompt="It loops"), start=ShotStart.EXTEND)
        plan = service.plan(board.id)
        linked = asyncio.Event()
        service.subscribe(lambda _: linked.set() if service.get(board.id).shots[0].takes else None)
        run = asyncio.ensure_future(service.generate_missing(board.id, approved=plan.total))
        await linked.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        (take,) = service.get(board.id).shots[0].takes
        assert engine.get(take).state is not TaskState.UNCERTAIN  # never cut mid-POST
        assert service.get(board.id).shots[0].sending is None

        again = service.plan(board.id)
        assert again.count == 1 and again.total == Decimal("0.20")
        result = await service.generate_missing(board.id, approved=again.total)

        assert result.ready
        posts = [r for r in sim.requests if r.method == "POST"]
        assert len(posts) == 2
        service.close()

    engine_kit.run(scenario)


def test_a_secret_in_a_prompt_never_reaches_an_exported_file(
    engine_kit: EngineKit, tmp_path: Path
) -> None:
    secret = "sk-live-storyboard-0123456789abcdef"
    register_secret(secret)
    try:
        store = engine_kit.store()
        service = StoryboardService(
            engine=engine_kit.engine(store=store),
            store=store,
            settings=Settings(),
            frame_url=no_frames,
        )
        board = service.create("Leaky")
        service.add_shot(board.id, GenerationRequest(prompt=f"A key {secret} on a desk"))
        text = service.export_json(board.id)
        assert secret not in text and "A key" in text
    finally:
        forget_secrets()
