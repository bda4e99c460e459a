"""A stored shot whose fields no longer pass (a newer rule, a newer version's value, a damaged
text) opens as a blocked shot with the reason: every other shot and storyboard works, nothing
is sent for it, and editing or removing it fixes it. The bad rows are written into the real
sqlite file with ``sqlite3``, as a newer version or a damaged disk would leave them.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit
from tests.storyboard.support import posts, started_service
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.storyboard import ShotStatus, StoryboardError

GOOD = (
    '{"input":{"mode":"fast","prompt":"%s","generationType":"TEXT_2_VIDEO","aspect_ratio":"16:9"}}'
)

#: (stored request text or None to keep it, stored start or None, the problem's words)
BAD_ROWS = {
    "damaged text": (
        '{"input": {"prompt": "A fox',
        None,
        "the stored settings are no longer valid: they cannot be read (",
    ),
    "unknown mode": (
        GOOD.replace('"fast"', '"ultra"') % "A fox",
        None,
        "the stored settings are no longer valid: mode: Choose a mode: fast, quality "
        "(got 'ultra'). Edit the shot to fix it.",
    ),
    "prompt now too long": (
        GOOD % ("a" * 10_001),
        None,
        "the stored settings are no longer valid: prompt: The prompt is 10,001 characters; "
        "the limit is 10,000. Shorten it by 1. Edit the shot to fix it.",
    ),
    "not a request": (
        "[1, 2]",
        None,
        "the stored settings are no longer valid: they are not a request this version can "
        "read. Edit the shot to fix it.",
    ),
    "unknown start": (
        None,
        "loop",
        "the stored start is no longer valid: 'loop' is not a way to start a shot. Edit the "
        "shot to fix it.",
    ),
}


def _write_rows(store_path: Path, shot_id: str, request: str | None, start: str | None) -> None:
    db = sqlite3.connect(store_path)
    try:
        if request is not None:
            db.execute("UPDATE shots SET request = ? WHERE id = ?", (request, shot_id))
        if start is not None:
            db.execute("UPDATE shots SET start = ? WHERE id = ?", (start, shot_id))
        db.commit()
    finally:
        db.close()


def _stored(store_path: Path, shot_id: str) -> tuple[str | None, str]:
    db = sqlite3.connect(store_path)
    try:
        row = db.execute("SELECT request, start FROM shots WHERE id = ?", (shot_id,)).fetchone()
    finally:
        db.close()
    return row[0], row[1]


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_stored_shot_that_no_longer_validates_is_blocked_and_the_rest_works(
    engine_kit: EngineKit, sim: Any, case: str
) -> None:
    bad_request, bad_start, words = BAD_ROWS[case]
    fox, bad, owl = (
        Shot(request=GenerationRequest(prompt=p)) for p in ("A fox", "A hare", "An owl")
    )
    film = Storyboard(name="Film", shots=(fox, bad, owl), created_at=1.0)
    other = Storyboard(
        name="Other", shots=(Shot(request=GenerationRequest(prompt="A kite")),), created_at=2.0
    )
    store = engine_kit.store()
    store.save_storyboard(film)
    store.save_storyboard(other)
    store.close()
    store_path = engine_kit.paths.store_path
    _write_rows(store_path, bad.id, bad_request, bad_start)
    as_written = _stored(store_path, bad.id)

    async def scenario() -> None:
        _, service = await started_service(engine_kit)
        # The service opens; the shot is there, blocked, with the reason naming it and its field.
        assert [b.name for b in service.boards()] == ["Film", "Other"]
        plan = service.plan(film.id)
        assert [s.status for s in plan.shots] == [
            ShotStatus.SEND,
            ShotStatus.BLOCKED,
            ShotStatus.SEND,
        ]
        assert plan.count == 2 and plan.total == Decimal("0.40")
        (problem,) = plan.problems
        assert problem.startswith(f"shot 2: {words}")
        assert problem.endswith(". Edit the shot to fix it.")

        # Nothing is sent for it: Generate refuses, naming it; More takes refuses; the film too.
        with pytest.raises(StoryboardError, match="shot 2: the stored") as refused:
            await service.generate_missing(film.id, approved=plan.total)
        assert "nothing was sent" in str(refused.value)
        with pytest.raises(StoryboardError, match=r"Shot 2: the stored .* Nothing was sent"):
            await service.generate_takes(film.id, bad.id, 1, approved=Decimal("10"))
        with pytest.raises(StoryboardError, match="The film was not made: shot 2: the stored"):
            await service.render(film.id, engine_kit.root / "film.mp4")
        assert posts(sim) == []

        # Every other storyboard works.
        result = await service.generate_missing(other.id, approved=Decimal("0.20"))
        assert result.ready and len(posts(sim)) == 1

        # An edit elsewhere writes the stored text back as it was read (nothing is lost).
        service.set_trim(film.id, fox.id, (0.0, 1.0))
        service.move_shot(film.id, owl.id, 0)
        assert _stored(store_path, bad.id) == as_written
        assert service.plan(film.id).shots[2].status is ShotStatus.BLOCKED

        # Editing the shot fixes it, and it stays fixed.
        if bad_start is not None:
            service.set_start(film.id, bad.id, ShotStart.OWN)
        else:
            service.set_request(film.id, bad.id, GenerationRequest(prompt="A hare, again"))
        fixed = service.plan(film.id)
        assert [s.status for s in fixed.shots] == [ShotStatus.SEND] * 3 and not fixed.problems
        service.close()

    engine_kit.run(scenario)
    assert _stored(store_path, bad.id)[1] == "own"

    async def reopened() -> None:
        _, service = await started_service(engine_kit)
        assert service.get(film.id).shot(bad.id).problem is None
        assert service.plan(film.id).shots[2].status is ShotStatus.SEND
        service.close()

    engine_kit.run(reopened)


def test_a_blocked_shot_can_be_removed_and_the_storyboard_then_generates(
    engine_kit: EngineKit, sim: Any
) -> None:
    fox, bad = (
        Shot(request=GenerationRequest(prompt="A fox")),
        Shot(request=GenerationRequest(prompt="A hare")),
    )
    film = Storyboard(name="Film", shots=(fox, bad), created_at=1.0)
    store = engine_kit.store()
    store.save_storyboard(film)
    store.close()
    _write_rows(engine_kit.paths.store_path, bad.id, '{"input": [', None)

    async def scenario() -> None:
        _, service = await started_service(engine_kit)
        assert service.plan(film.id).shots[1].status is ShotStatus.BLOCKED
        service.remove_shot(film.id, bad.id)
        plan = service.plan(film.id)
        assert plan.count == 1 and not plan.problems
        result = await service.generate_missing(film.id, approved=plan.total)
        assert result.ready and len(posts(sim)) == 1
        service.close()

    engine_kit.run(scenario)
