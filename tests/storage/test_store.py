"""The sqlite task store: schema migrations, round trips, atomicity, damaged files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from veo_desktop.storage.store import CHECKPOINT_EVERY, PlannedDownload, StoreError, TaskStore


def make_record(prompt: str = "A calm ocean", **changes) -> TaskRecord:
    now = time.time()
    record = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=GenerationRequest(prompt=prompt, mode="quality", seed=3).to_payload(),
        state=TaskState.SUBMITTING,
        created_at=now,
        updated_at=now,
        price=Decimal("1.50"),
        history=(StateChange(now, TaskState.SUBMITTING),),
    )
    return record.evolve(**changes)


def test_a_new_store_is_wal_with_foreign_keys_at_the_current_schema(tmp_path):
    with TaskStore.open(tmp_path / "deep" / "tasks.sqlite3") as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 2
        db = sqlite3.connect(store.path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()
        assert store.load_all() == []


def test_commits_reach_the_main_file_through_a_background_checkpoint(tmp_path):
    """sqlite's automatic checkpoint (with its fsyncs) would run inside a commit on the
    event loop's thread; the store checkpoints from a thread of its own instead."""
    with TaskStore.open(tmp_path / "tasks.sqlite3") as store:
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        records = [make_record(f"task {n}") for n in range(CHECKPOINT_EVERY)]
        for record in records:
            store.insert(record, durable=False)
        assert store._checkpointer is not None
        store._checkpointer.join(timeout=30)
        # The main file alone (no WAL beside it) now holds every task.
        alone = tmp_path / "alone" / "tasks.sqlite3"
        alone.parent.mkdir()
        alone.write_bytes(store.path.read_bytes())
        copy = sqlite3.connect(alone)
        try:
            assert copy.execute("SELECT count(*) FROM tasks").fetchone()[0] == CHECKPOINT_EVERY
        finally:
            copy.close()


def test_a_record_round_trips_exactly(task_store):
    record = make_record("Crème brûlée \u2014 \U0001f98a", apixo_task_id=None)
    task_store.insert(record)
    later = record.evolve(
        state=TaskState.SUCCEEDED,
        apixo_task_id="task_abc",
        api_create_time=1767965610929,
        api_complete_time=1767965730929,
        api_cost_time=120000,
        result_urls=("https://r2.apixo.ai/x.mp4",),
        files=("/videos/a.mp4",),
        note="done",
        hidden=True,
        balance_before=Decimal("74.87"),
        results_at=time.time(),
        resubmit_of="f" * 32,
        history=(*record.history, StateChange(time.time(), TaskState.SUCCEEDED, "ok")),
    )
    task_store.update(later, new_events=later.history[1:])
    assert task_store.get(record.local_id) == later
    assert task_store.load_all() == [later]
    assert task_store.find_by_apixo_id("task_abc") == later
    assert later.request_model.seed == 3
    assert later.prompt == "Crème brûlée \u2014 \U0001f98a"


def test_updating_an_unknown_task_raises(task_store):
    with pytest.raises(KeyError):
        task_store.update(make_record())


def test_load_all_returns_tasks_oldest_first_with_their_histories(task_store):
    records = []
    for i in range(50):
        record = make_record(f"clip {i}", created_at=1000.0 + i)
        history = tuple(StateChange(2000.0 + i + k, s) for k, s in enumerate(TaskState))
        record = record.evolve(history=history)
        task_store.insert(record)
        records.append(record)
    loaded = task_store.load_all()
    assert loaded == records
    assert [c.state for c in loaded[7].history] == list(TaskState)


def test_a_failed_transaction_writes_nothing(task_store):
    first, second = make_record(), make_record()
    with pytest.raises(RuntimeError), task_store.transaction():
        task_store.insert(first)
        task_store.insert(second)
        raise RuntimeError("boom")
    assert task_store.load_all() == []


def test_planned_downloads_and_small_values_persist(tmp_path):
    path = tmp_path / "t.sqlite3"
    record = make_record()
    with TaskStore.open(path) as store:
        store.insert(record)
        plan = [PlannedDownload(0, "https://x/a.mp4", tmp_path / "a.mp4")]
        store.plan_downloads(record.local_id, plan)
        store.plan_downloads(record.local_id, [PlannedDownload(0, "https://x/b", tmp_path / "b")])
        store.set_meta("last_balance", "12.50")
    with TaskStore.open(path) as store:
        assert store.planned_downloads(record.local_id) == plan
        assert store.planned_paths() == {str(tmp_path / "a.mp4")}
        assert store.get_meta("last_balance") == "12.50"
        assert store.get_meta("nothing") is None


def test_a_version_1_file_is_migrated_and_its_tasks_kept(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    body = GenerationRequest(prompt="from version one").to_payload()
    db.execute(
        "INSERT INTO tasks (local_id, model, request, state, created_at, updated_at, "
        "apixo_task_id, result_urls, files, price) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            "a" * 32,
            "veo-3-1",
            json.dumps(body),
            "downloading",
            100.0,
            150.0,
            "task_1",
            '["https://r2.apixo.ai/1.mp4"]',
            "[]",
            "0.20",
        ),
    )
    db.execute(
        "INSERT INTO task_events (local_id, at, state, note) VALUES (?, 100.0, 'submitting', NULL)",
        ("a" * 32,),
    )
    db.close()

    with TaskStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (record,) = store.load_all()
        assert record.state is TaskState.DOWNLOADING
        assert record.prompt == "from version one"
        assert record.results_at == 150.0  # back-filled: the result URLs came by then
        assert record.balance_before is None and record.resubmit_of is None
        assert [c.state for c in record.history] == [TaskState.SUBMITTING]
        store.plan_downloads(record.local_id, [PlannedDownload(0, "u", tmp_path / "v.mp4")])


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer version of Veo Desktop"):
        TaskStore.open(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
    db.close()


def test_a_damaged_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "tasks.sqlite3"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError, match="not a Veo Desktop task store"):
        TaskStore.open(path)


KILLER = textwrap.dedent(
    """
    import os, signal, sys, time, uuid
    from decimal import Decimal
    from pathlib import Path
    from veo_desktop.storage.store import TaskStore
    from veo_desktop.records.task import TaskRecord, StateChange
    from veo_desktop.records.lifecycle import TaskState

    store = TaskStore.open(Path(sys.argv[1]))
    commit = sys.argv[2] == "commit"
    def record(i):
        now = time.time()
        return TaskRecord(uuid.uuid4().hex, "veo-3-1", {"input": {"prompt": str(i)}},
                          TaskState.PENDING, now, now, price=Decimal("0.20"),
                          history=(StateChange(now, TaskState.PENDING),))
    tx = store.transaction()
    tx.__enter__()
    for i in range(500):
        store.insert(record(i))
    if commit:
        store._db.execute("COMMIT")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize(("mode", "expected"), [("commit", 500), ("no-commit", 0)])
def test_a_kill_during_a_transaction_leaves_all_or_nothing(tmp_path, mode, expected):
    path = tmp_path / "tasks.sqlite3"
    TaskStore.open(path).close()
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(path), mode],
        cwd=Path(__file__).resolve().parents[2],
        check=False,
        capture_output=True,
    )
    assert done.returncode == -9, done.stderr
    with TaskStore.open(path) as store:
        records = store.load_all()
        assert len(records) == expected
        assert all(len(r.history) == 1 for r in records)
