"""An accepted (paid) task never loses its APIXO id (issue 12 #1).

When the store cannot be written at the moment APIXO's answer arrives, the id is kept in
memory, fsynced to the accepted-ids journal beside the store, retried on a timer, and
restored by the next start, which follows the task to its video.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit, FakeClock, advance
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.retry import NO_RETRY
from veo_desktop.core.journal import RESERVE_BYTES, AcceptedId, AcceptedJournal, IdSafety
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import StoreError, TaskStore


class FullDiskStore(TaskStore):
    """The real store, whose writes fail while ``full`` is set, as on a full disk."""

    full = False

    def update(
        self,
        record: TaskRecord,
        *,
        new_events: Sequence[StateChange] = (),
        durable: bool = False,
    ) -> None:
        if self.full:
            raise StoreError(f"Cannot write the task store {self.path}: database or disk is full")
        super().update(record, new_events=new_events, durable=durable)


class FillsDiskOnSubmit(ApixoClient):
    """The real client; the disk fills up while the submission is on its way."""

    def __init__(self, fill: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fill = fill

    async def submit(self, request: Any) -> str:
        self.fill()
        return await super().submit(request)


def open_full_disk_store(kit: EngineKit) -> FullDiskStore:
    plain = TaskStore.open(kit.paths.store_path)
    store = FullDiskStore(plain._db, plain.path)
    kit._stores.append(store)
    return store


def filling_client(kit: EngineKit, fill: Any, **kwargs: Any) -> FillsDiskOnSubmit:
    client = FillsDiskOnSubmit(
        fill, SIM_API_KEY, base_url=kit.base_url, read_retry=NO_RETRY, **kwargs
    )
    kit._clients.append(client)
    return client


def row_on_disk(kit: EngineKit, local_id: str) -> TaskRecord:
    store = TaskStore.open(kit.paths.store_path)
    try:
        record = store.get(local_id)
    finally:
        store.close()
    assert record is not None
    return record


def journal_of(kit: EngineKit) -> AcceptedJournal:
    return AcceptedJournal.beside(kit.paths.store_path)


def posts(sim: Any) -> int:
    return len([r for r in sim.requests if r.method == "POST"])


def test_an_id_the_store_refused_is_journaled_and_the_next_start_follows_it_to_its_video(
    sim, engine_kit
):
    kit = engine_kit

    async def first_run() -> tuple[TaskRecord, IdSafety]:
        store = open_full_disk_store(kit)

        def fill() -> None:
            store.full = True

        engine = kit.engine(store=store, client=filling_client(kit, fill))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="paid while the disk filled"))
        assert engine.store_problem is not None
        return record, engine.id_safety(record.local_id)

    record, safety = kit.run(first_run)
    kit.close_stores()
    assert record.apixo_task_id in sim.created_task_ids
    assert safety is IdSafety.JOURNALED
    # The row never got the id: only the journal holds it (what a `generate` that exits
    # now leaves behind).
    assert row_on_disk(kit, record.local_id).apixo_task_id is None
    assert [e.apixo_task_id for e in journal_of(kit).entries()] == [record.apixo_task_id]

    async def second_run() -> tuple[TaskRecord, IdSafety]:
        engine = kit.engine()
        await engine.start()
        restored = engine.get(record.local_id)
        assert restored.state is TaskState.PENDING
        assert restored.apixo_task_id == record.apixo_task_id
        return await engine.wait(record.local_id), engine.id_safety(record.local_id)

    done, safety = kit.run(second_run)
    kit.close_stores()
    assert done.state is TaskState.SUCCEEDED and len(done.files) == 1
    assert Path(done.files[0]).stat().st_size > 1000
    assert safety is IdSafety.STORED
    assert row_on_disk(kit, record.local_id).apixo_task_id == record.apixo_task_id
    assert journal_of(kit).entries() == []  # cleared once the store held it
    assert posts(sim) == 1


def test_a_refused_id_commit_is_retried_on_a_timer_until_the_store_takes_it(
    sim, engine_kit, fake_clock: FakeClock
):
    kit = engine_kit
    seen: list[tuple[str, IdSafety]] = []

    async def scenario() -> None:
        store = open_full_disk_store(kit)

        def fill() -> None:
            store.full = True

        engine = kit.engine(
            store=store, client=filling_client(kit, fill), clock=fake_clock, timing=PollTiming()
        )
        engine.subscribe(lambda r: seen.append((r.local_id, engine.id_safety(r.local_id))))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="retry the commit"))
        assert engine.id_safety(record.local_id) is IdSafety.JOURNALED
        await advance(fake_clock, engine, 30)  # still full: retried, still journaled
        assert engine.id_safety(record.local_id) is IdSafety.JOURNALED
        assert row_on_disk(kit, record.local_id).apixo_task_id is None
        store.full = False  # space freed
        await advance(fake_clock, engine, 44)  # the retry at 70 s, before the first poll (75 s)
        assert engine.id_safety(record.local_id) is IdSafety.STORED
        assert engine.store_problem is None
        on_disk = row_on_disk(kit, record.local_id)
        assert on_disk.apixo_task_id == record.apixo_task_id
        assert on_disk.state is TaskState.PENDING
        assert journal_of(kit).entries() == []
        assert seen[-1] == (record.local_id, IdSafety.STORED)  # the window hears of it

    kit.run(scenario)


def test_an_id_nothing_could_save_is_unsaved_logged_loudly_then_saved_when_possible(
    sim, engine_kit, fake_clock: FakeClock, caplog
):
    kit = engine_kit
    blocker = journal_of(kit).path

    async def scenario() -> None:
        store = open_full_disk_store(kit)

        def fill() -> None:
            store.full = True
            blocker.mkdir()  # the journal cannot be written either

        engine = kit.engine(
            store=store, client=filling_client(kit, fill), clock=fake_clock, timing=PollTiming()
        )
        await engine.start()
        blocker.unlink()
        record = await engine.submit(GenerationRequest(prompt="nowhere to write"))
        assert engine.id_safety(record.local_id) is IdSafety.UNSAVED
        critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
        assert any(record.apixo_task_id in r.getMessage() for r in critical)
        blocker.rmdir()  # the journal can be written again; the store still not
        await advance(fake_clock, engine, 30)
        assert engine.id_safety(record.local_id) is IdSafety.JOURNALED
        store.full = False
        await advance(fake_clock, engine, 40)
        assert engine.id_safety(record.local_id) is IdSafety.STORED
        assert row_on_disk(kit, record.local_id).apixo_task_id == record.apixo_task_id

    kit.run(scenario)


def test_a_journal_entry_without_a_row_is_kept_and_reported(sim, engine_kit, caplog):
    kit = engine_kit
    kit.paths.store_path.parent.mkdir(parents=True, exist_ok=True)
    journal_of(kit).append(AcceptedId("f" * 32, "task_orphan", "veo-3-1", 1.0))

    async def scenario() -> None:
        engine = kit.engine()
        await engine.start()
        assert engine.tasks(include_hidden=True) == []

    kit.run(scenario)
    assert any(
        r.levelno == logging.CRITICAL and "task_orphan" in r.getMessage() for r in caplog.records
    )
    assert [e.apixo_task_id for e in journal_of(kit).entries()] == ["task_orphan"]


def test_an_orphan_entry_outlives_later_submissions_and_is_reported(sim, engine_kit):
    """An entry no row takes (the store was moved away) is a paid id: never thrown away."""
    kit = engine_kit
    kit.paths.store_path.parent.mkdir(parents=True, exist_ok=True)
    orphan = AcceptedId("f" * 32, "task_orphan", "veo-3-1", 1.0)
    journal_of(kit).append(orphan)

    async def scenario() -> None:
        engine = kit.engine()
        await engine.start()
        assert engine.journal_orphans == (orphan,)
        for n in range(3):
            await engine.submit(GenerationRequest(prompt=f"an ordinary submission {n}"))

    kit.run(scenario)
    assert [e.apixo_task_id for e in journal_of(kit).entries()] == ["task_orphan"]


@pytest.mark.parametrize(
    "row",
    [
        {"state": TaskState.PENDING, "apixo_task_id": "task_other"},
        {"state": TaskState.REJECTED},
    ],
    ids=["row-holds-another-id", "row-in-a-final-state"],
)
def test_an_entry_its_row_cannot_take_is_kept_and_reported(sim, engine_kit, row):
    kit = engine_kit
    kit.paths.store_path.parent.mkdir(parents=True, exist_ok=True)
    store = TaskStore.open(kit.paths.store_path)
    store.insert(
        TaskRecord(
            local_id="a" * 32,
            model="veo-3-1",
            request=GenerationRequest(prompt="kept").to_payload(),
            created_at=1.0,
            updated_at=1.0,
            **row,
        )
    )
    store.close()
    entry = AcceptedId("a" * 32, "task_paid_by_journal", "veo-3-1", 1.0)
    journal_of(kit).append(entry)

    async def scenario() -> None:
        engine = kit.engine()
        await engine.start(resume=False)
        assert engine.journal_orphans == (entry,)

    kit.run(scenario)
    assert journal_of(kit).entries() == [entry]


def test_an_uncertain_row_with_a_journaled_id_is_followed_to_its_video(sim, engine_kit):
    """A kill between the journal and the store (``submit.id_journaled``) leaves this."""
    kit = engine_kit

    async def first_run() -> TaskRecord:
        store = open_full_disk_store(kit)

        def fill() -> None:
            store.full = True

        engine = kit.engine(store=store, client=filling_client(kit, fill))
        await engine.start()
        return await engine.submit(GenerationRequest(prompt="journaled then killed"))

    record = kit.run(first_run)
    kit.close_stores()
    store = TaskStore.open(kit.paths.store_path)
    row = store.get(record.local_id)
    assert row is not None
    store.update(row.evolve(state=TaskState.UNCERTAIN, hidden=True))  # an older start's doing
    store.close()

    async def second_run() -> TaskRecord:
        engine = kit.engine()
        await engine.start()
        return await engine.wait(record.local_id)

    done = kit.run(second_run)
    kit.close_stores()
    assert done.state is TaskState.SUCCEEDED and not done.hidden
    assert posts(sim) == 1


# -- a real full disk ---------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (needs mount rights; skipped without them)."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_up(folder: Path) -> Path:
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    return filler


def test_a_really_full_disk_at_the_answer_loses_no_id(sim, small_disk, tmp_path):
    kit = EngineKit(base_url=sim.base_url, api_key=SIM_API_KEY, root=small_disk / "data")
    filler = small_disk / "filler"

    async def first_run() -> tuple[TaskRecord, IdSafety]:
        engine = kit.engine(client=filling_client(kit, lambda: fill_up(small_disk)))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="the disk is full"))
        assert isinstance(engine.store_problem, StoreError)
        return record, engine.id_safety(record.local_id)

    record, safety = kit.run(first_run)
    # The disk is full while the store is still open (closing it checkpoints and drops its
    # write-ahead log, which frees room again).
    assert filler.exists()
    with pytest.raises(OSError) as caught:
        (small_disk / "more").write_bytes(b"\0" * 8192)
    assert caught.value.errno == errno.ENOSPC
    kit.close_stores()
    # The journal's reserved room took the id although the disk is full.
    assert safety is IdSafety.JOURNALED
    assert [e.apixo_task_id for e in journal_of(kit).entries()] == [record.apixo_task_id]
    assert journal_of(kit).path.stat().st_size == RESERVE_BYTES

    filler.unlink()  # the person frees space and runs `resume`

    async def second_run() -> TaskRecord:
        engine = kit.engine()
        engine.library_dir = tmp_path / "videos"
        await engine.start()
        return await engine.wait(record.local_id)

    done = kit.run(second_run)
    kit.close_stores()
    assert done.state is TaskState.SUCCEEDED and done.apixo_task_id == record.apixo_task_id
    assert Path(done.files[0]).stat().st_size > 1000
    assert journal_of(kit).entries() == []
    assert posts(sim) == 1


# -- the journal file itself --------------------------------------------------------------


def test_the_journal_skips_a_torn_line_and_clearing_keeps_its_room(tmp_path):
    journal = AcceptedJournal(tmp_path / "tasks.sqlite3.accepted")
    assert journal.entries() == []
    journal.reserve()
    assert journal.path.stat().st_size == RESERVE_BYTES
    first = AcceptedId("a" * 32, "task_one", "veo-3-1", 10.0)
    journal.append(first)
    with journal.path.open("r+b") as handle:  # a write torn by a crash
        data = handle.read()
        end = data.index(b"\0")
        handle.seek(end)
        handle.write(b'{"local_id": "bbb", "apixo_ta')
    second = AcceptedId("c" * 32, "task_two\n\x1b[31m", "veo-3-1-extend", 11.0)
    journal.append(second)
    assert journal.entries() == [first, second]
    assert journal.path.read_bytes().count(b"\n") == 3  # one JSON line each; no raw ESC
    assert b"\x1b" not in journal.path.read_bytes()
    assert journal.clear()
    assert journal.entries() == []
    assert journal.path.stat().st_size == RESERVE_BYTES


def test_a_kill_between_the_journal_and_the_store_loses_nothing_and_sends_nothing_twice(
    sim, engine_kit
):
    """SIGKILL at ``submit.id_journaled``: the row says 'submitting', the journal has the id.

    Before the journal this window made the task 'uncertain' (paid, never downloaded).
    """
    import os
    import signal
    import sys

    from veo_desktop.core.crashpoints import KILL_POINT_ENV

    kit = engine_kit
    env = {k: v for k, v in os.environ.items() if k != KILL_POINT_ENV}
    env.update({"APIXO_API_KEY": SIM_API_KEY, KILL_POINT_ENV: "submit.id_journaled"})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            "--data-dir",
            str(kit.root),
            "--base-url",
            kit.base_url,
            "generate",
            "--prompt",
            "killed after the journal",
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    (created,) = sim.created_task_ids

    async def restart() -> TaskRecord:
        engine = kit.engine()
        await engine.start()
        (record,) = engine.tasks()
        assert record.apixo_task_id == created and record.state is TaskState.PENDING
        return await engine.wait(record.local_id)

    record = kit.run(restart)
    assert record.state is TaskState.SUCCEEDED and record.files
    assert posts(sim) == 1
    assert journal_of(kit).entries() == []
