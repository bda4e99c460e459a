"""The record book directly: write-through to a real sqlite store, listeners, refused writes."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

from tests.core.test_accepted_ids import FullDiskStore
from tests.fixtures.core import FAST_TIMING, FakeClock, wait_until
from veo_desktop.core.clock import Activity
from veo_desktop.core.journal import IdSafety
from veo_desktop.core.record_book import RecordBook
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore


def new_record(clock: FakeClock) -> TaskRecord:
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request={"request_type": "async", "input": {"prompt": "a fox", "mode": "fast"}},
        state=TaskState.SUBMITTING,
        created_at=clock.now,
        updated_at=clock.now,
        price=Decimal("0.20"),
        history=(StateChange(clock.now, TaskState.SUBMITTING),),
    )


def open_store(path: Path) -> FullDiskStore:
    plain = TaskStore.open(path)
    return FullDiskStore(plain._db, plain.path)


def book_for(store: TaskStore, clock: FakeClock) -> RecordBook:
    return RecordBook(store, clock=clock, timing=FAST_TIMING, activity=Activity())


def test_a_change_is_written_through_with_its_history_and_told_to_listeners(tmp_path):
    clock = FakeClock()
    store = open_store(tmp_path / "tasks.sqlite3")
    book = book_for(store, clock)
    heard: list[TaskState] = []
    unsubscribe = book.subscribe(lambda record: heard.append(record.state))
    record = new_record(clock)
    book.insert(record, None)
    clock.now += 5
    book.update(record.local_id, state=TaskState.PENDING, apixo_task_id="task_1", durable=True)
    unsubscribe()
    book.set_note(record.local_id, "hello")
    assert heard == [TaskState.SUBMITTING, TaskState.PENDING]
    stored = store.get(record.local_id)
    assert stored is not None and stored.state is TaskState.PENDING and stored.note == "hello"
    assert [c.state for c in stored.history] == [TaskState.SUBMITTING, TaskState.PENDING]
    assert stored.updated_at == clock.now
    assert book.find("task_1") == book.get(record.local_id) == stored
    assert book.find(record.local_id[:6]) == stored
    store.close()


def test_a_refused_write_stays_in_memory_and_goes_out_with_the_next_that_works(tmp_path):
    clock = FakeClock()
    store = open_store(tmp_path / "tasks.sqlite3")
    book = book_for(store, clock)
    first, second = new_record(clock), new_record(clock)
    book.insert(first, None)
    book.insert(second, None)
    store.full = True
    book.update(first.local_id, state=TaskState.PENDING, apixo_task_id="task_1")
    assert book.get(first.local_id).state is TaskState.PENDING
    assert book.store_problem is not None and "disk is full" in str(book.store_problem)
    on_disk = store.get(first.local_id)
    assert on_disk is not None and on_disk.state is TaskState.SUBMITTING
    store.full = False
    book.update(second.local_id, note="works again")
    assert book.store_problem is None
    on_disk = store.get(first.local_id)
    assert on_disk is not None and on_disk.state is TaskState.PENDING
    assert [c.state for c in on_disk.history] == [TaskState.SUBMITTING, TaskState.PENDING]
    store.close()


def test_an_id_the_store_refused_is_journaled_then_stored_by_the_retry(tmp_path):
    clock = FakeClock()
    store = open_store(tmp_path / "tasks.sqlite3")
    book = book_for(store, clock)
    record = new_record(clock)

    async def scenario() -> None:
        book.reserve_journal()
        book.insert(record, None)
        store.full = True
        book.journal_accepted(record, "task_1")
        book.update(record.local_id, state=TaskState.PENDING, apixo_task_id="task_1")
        assert book.id_safety(record.local_id) is IdSafety.JOURNALED
        store.full = False
        await wait_until(lambda: clock.next_deadline() is not None, message="the retry")
        clock.set(clock.next_deadline() or clock.now)
        await wait_until(
            lambda: book.id_safety(record.local_id) is IdSafety.STORED, message="stored"
        )
        await book.aclose()

    asyncio.run(scenario())
    on_disk = store.get(record.local_id)
    assert on_disk is not None and on_disk.apixo_task_id == "task_1"
    store.close()
