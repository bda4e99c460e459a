"""Loading a store of 10,000 tasks: time and memory, against the bare sqlite read of the
same rows (baseline, measured in the same run).

Run with ``pytest -m benchmark -s tests/benchmarks/test_core_store.py``.
"""

from __future__ import annotations

import gc
import sqlite3
import statistics
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore

pytestmark = pytest.mark.benchmark

TASKS = 10_000
ROUNDS = 5
STATES = (
    TaskState.SUBMITTING,
    TaskState.PENDING,
    TaskState.PROCESSING,
    TaskState.DOWNLOADING,
    TaskState.SUCCEEDED,
)


def fill(path: Path) -> None:
    store = TaskStore.open(path)
    now = time.time() - TASKS
    with store.transaction():
        for i in range(TASKS):
            created = now + i
            request = GenerationRequest(
                prompt=f"A cinematic shot number {i} of a lighthouse in a storm, waves, dusk",
                mode="quality" if i % 3 else "fast",
                seed=i,
            )
            store.insert(
                TaskRecord(
                    local_id=uuid.uuid4().hex,
                    model="veo-3-1",
                    request=request.to_payload(),
                    state=TaskState.SUCCEEDED,
                    created_at=created,
                    updated_at=created + 120,
                    apixo_task_id=f"task_{uuid.uuid4().hex}",
                    api_create_time=int(created * 1000),
                    api_complete_time=int(created * 1000) + 120_000,
                    api_cost_time=120_000,
                    result_urls=(f"https://r2.apixo.ai/{uuid.uuid4().hex}.mp4",),
                    files=(f"/home/me/Videos/Veo Desktop/2026-01-01_shot-{i}.mp4",),
                    price=request.price,
                    history=tuple(StateChange(created + k, s) for k, s in enumerate(STATES)),
                )
            )
    store.close()


def bare(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("SELECT * FROM tasks").fetchall()
    db.execute("SELECT * FROM task_events").fetchall()
    db.close()


def ours(path: Path) -> list[TaskRecord]:
    store = TaskStore.open(path)
    try:
        return store.load_all()
    finally:
        store.close()


def timed(fn, path: Path) -> float:
    gc.collect()
    started = time.perf_counter()
    fn(path)
    return time.perf_counter() - started


def test_loading_ten_thousand_tasks(tmp_path):
    path = tmp_path / "tasks.sqlite3"
    fill(path)
    size_mb = sum(p.stat().st_size for p in tmp_path.iterdir()) / 1e6
    ours(path)  # warm the page cache for both
    bare_times = [timed(bare, path) for _ in range(ROUNDS)]
    our_times = [timed(ours, path) for _ in range(ROUNDS)]

    gc.collect()
    tracemalloc.start()
    records = ours(path)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(records) == TASKS and all(len(r.history) == len(STATES) for r in records)

    print()
    print(
        f"Loading {TASKS:,} tasks with {len(STATES)} history entries each ({size_mb:.1f} MB file)"
    )
    print(f"  bare sqlite fetch (baseline)  {statistics.median(bare_times) * 1000:7.0f} ms")
    print(f"  TaskStore.open + load_all     {statistics.median(our_times) * 1000:7.0f} ms")
    ratio = statistics.median(our_times) / statistics.median(bare_times)
    print(f"  ratio                         {ratio:7.1f}x")
    print(f"  records kept in memory        {current / 1e6:7.1f} MB")
    print(f"  peak while loading            {peak / 1e6:7.1f} MB")
