"""The plan: what each shot's takes mean for sending it again, and what waits on what."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.storyboard import ShotStatus, plan

NOW = time.time()


def task(local_id: str, state: TaskState, video: Path | None = None, **more: Any) -> TaskRecord:
    fields: dict[str, Any] = {
        "local_id": local_id,
        "model": "veo-3-1",
        "request": GenerationRequest(prompt=local_id).to_payload(),
        "state": state,
        "created_at": NOW - 60,
        "updated_at": NOW - 30,
        "apixo_task_id": f"apixo-{local_id}",
        "files": (str(video),) if video else (),
        "result_urls": ("https://r2.example/v.mp4",) if video else (),
        "api_complete_time": int((NOW - 30) * 1000) if video else None,
        "price": Decimal("0.20"),
    }
    fields.update(more)
    return TaskRecord(**fields)


def shot(*takes: str, start: ShotStart = ShotStart.OWN, mode: str = "fast") -> Shot:
    return Shot(request=GenerationRequest(prompt="p", mode=mode), start=start, takes=takes)


def statuses(shots: list[Shot], records: list[TaskRecord]) -> list[ShotStatus]:
    by_id = {r.local_id: r for r in records}
    return [s.status for s in plan(Storyboard(shots=tuple(shots)), by_id.get, now=NOW).shots]


def test_each_kind_of_take_and_what_waits_on_it(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"not checked here")
    records = [
        task("done", TaskState.SUCCEEDED, video),
        task("busy", TaskState.PROCESSING),
        task("maybe", TaskState.UNCERTAIN),
        task("dismissed", TaskState.UNCERTAIN, hidden=True),
        task("failed", TaskState.FAILED, fail_code="X"),
        task("old", TaskState.REJECTED, resubmitted_as="new"),
        task("new", TaskState.SUCCEEDED, video, resubmit_of="old"),
    ]
    shots = [
        shot("done"),
        shot("busy", start=ShotStart.CONTINUE),
        shot(start=ShotStart.EXTEND, mode="quality"),
        shot("maybe"),
        shot(start=ShotStart.CONTINUE),
        shot("dismissed"),
        shot("failed"),
        shot("old"),
    ]
    result = plan(Storyboard(shots=tuple(shots)), {r.local_id: r for r in records}.get, now=NOW)
    assert [s.status for s in result.shots] == [
        ShotStatus.READY,
        ShotStatus.RUNNING,
        ShotStatus.SEND_AFTER,  # extends shot 2, whose take is being made
        ShotStatus.UNCERTAIN,
        ShotStatus.BLOCKED,  # continues an uncertain shot
        ShotStatus.SEND,  # the person dismissed the uncertain take: not sent
        ShotStatus.SEND,  # a failed take: a new one is needed
        ShotStatus.READY,  # followed to the person's resubmission
    ]
    assert result.shots[2].waits_on == 1 and result.shots[2].price == Decimal("1.50")
    assert "uncertain" in result.shots[4].message
    assert result.count == 3 and result.total == Decimal("1.90")
    assert result.problems == (f"shot 5: {result.shots[4].message}",)
    assert result.shots[7].take == "new"


def test_shots_that_cannot_be_made_as_they_are(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    extension = task("ext", TaskState.SUCCEEDED, video, model="veo-3-1-extend")
    stale = task(
        "stale", TaskState.SUCCEEDED, video, api_complete_time=int((NOW - 3 * 86400) * 1000)
    )
    gone = task("gone", TaskState.SUCCEEDED, tmp_path / "deleted.mp4")
    assert statuses([shot(start=ShotStart.CONTINUE)], []) == [ShotStatus.BLOCKED]
    assert statuses([shot("ext"), shot(start=ShotStart.EXTEND)], [extension])[1] is (
        ShotStatus.BLOCKED
    )
    assert (
        statuses([shot(), shot(start=ShotStart.EXTEND), shot(start=ShotStart.EXTEND)], [])[2]
        is ShotStatus.BLOCKED
    )
    assert statuses([shot("stale"), shot(start=ShotStart.EXTEND)], [stale])[1] is (
        ShotStatus.BLOCKED
    )
    assert statuses([shot("gone")], [gone]) == [ShotStatus.BLOCKED]
    assert statuses(
        [Shot(takes=("failed",), chosen="failed")], [task("failed", TaskState.FAILED)]
    ) == [ShotStatus.BLOCKED]
