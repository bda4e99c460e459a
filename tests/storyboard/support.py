"""What the storyboard service tests share: a service on a started engine over the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.core import EngineKit
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.settings import Settings
from veo_desktop.storyboard import StoryboardService
from veo_desktop.storyboard.service import FrameUrl


async def no_frames(video: Path) -> str:
    raise AssertionError(f"no shot continues another here ({video})")


async def started_service(
    engine_kit: EngineKit, frame_url: FrameUrl = no_frames
) -> tuple[TaskEngine, StoryboardService]:
    """A started engine on the kit's store, and a started storyboard service on both."""
    store = engine_kit.store()
    engine = engine_kit.engine(store=store)
    await engine.start()
    service = StoryboardService(
        engine=engine, store=store, settings=Settings(), frame_url=frame_url
    )
    service.start()
    return engine, service


def posts(sim: Any) -> list[Any]:
    """The POSTs the simulator received (one per task sent)."""
    return [r for r in sim.requests if r.method == "POST"]
