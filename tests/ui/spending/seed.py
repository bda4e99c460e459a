"""Spending over several weeks and a library with real files, for the Spending view's tests
and for looking at it (the records a person would have after some weeks of use)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.mp4 import encoded_clip
from tests.ui.tasks_support import make_record
from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.core.video_names import part_path
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord


def noon(day: dt.date, hour: int = 12) -> float:
    return dt.datetime.combine(day, dt.time(hour)).timestamp()


def spending_records(today: dt.date, days: int = 40) -> list[TaskRecord]:
    """Fast and quality videos on most days, an uncertain one every fifth day."""
    records = []
    number = 0
    for back in range(days):
        day = today - dt.timedelta(days=back)
        for index in range((back * 7 + 3) % 6):
            number += 1
            records.append(make_record(number, created_at=noon(day, 9 + index)))
        for index in range((back * 5 + 1) % 3):
            number += 1
            records.append(make_record(number, mode="quality", created_at=noon(day, 14 + index)))
        if back % 5 == 2:
            number += 1
            records.append(
                make_record(
                    number, state=TaskState.UNCERTAIN, apixo_task_id=None, created_at=noon(day, 20)
                )
            )
    return records


@dataclass
class Library:
    """A library with files: what Clean up may free, and what it must keep."""

    kept: TaskRecord  # in the list, a finished video
    removed: TaskRecord  # removed from the list earlier, its video kept
    old_failed: TaskRecord  # failed ten days ago, left a partial download and a sidecar
    new_failed: TaskRecord  # failed today: stays
    dismissed: TaskRecord  # an uncertain task dismissed (hidden), no files

    @property
    def records(self) -> list[TaskRecord]:
        return [self.kept, self.removed, self.old_failed, self.new_failed, self.dismissed]


def library_records(folder: Path, today: dt.date) -> Library:
    """Tasks with real files in ``folder`` (tiny real H.264 clips)."""
    folder.mkdir(parents=True, exist_ok=True)

    def video(name: str, frames: int) -> str:
        path = folder / name
        encoded_clip(path, frames=frames)
        sidecar_path(path).write_text('{"prompt": "seeded"}', encoding="utf-8")
        return str(path)

    kept = make_record(901, files=(video("kept.mp4", 6),), created_at=noon(today, 8))
    removed = make_record(
        902, files=(video("removed.mp4", 8),), hidden=True, created_at=noon(today, 7)
    )
    broken = folder / "broken.mp4"
    part_path(broken).write_bytes(b"\0" * 50_000)
    sidecar_path(broken).write_text('{"prompt": "broken"}', encoding="utf-8")
    old_failed = make_record(
        903,
        state=TaskState.FAILED,
        files=(str(broken),),
        fail_code="DownloadFailed",
        created_at=noon(today - dt.timedelta(days=10)),
    )
    new_failed = make_record(
        904, state=TaskState.FAILED, fail_code="SensitiveContent", created_at=noon(today, 6)
    )
    dismissed = make_record(
        905,
        state=TaskState.UNCERTAIN,
        apixo_task_id=None,
        hidden=True,
        created_at=noon(today - dt.timedelta(days=3)),
    )
    return Library(kept, removed, old_failed, new_failed, dismissed)
