"""The engine's start on a window's large library (``recent_first``): it reads no older task,
one start is shared by its callers, a close ends a load of the older tasks, and an engine
that never held the data folder's lock leaves the journal alone. Real sqlite stores; the
background reads are held at a gate (the reads themselves are real); nothing is sent (the
client points nowhere and ``resume`` is off)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.core.test_record_book_loading import Library
from veo_desktop.api.client import ApixoClient
from veo_desktop.core.engine import EngineBusyError, TaskEngine
from veo_desktop.core.journal import AcceptedId, AcceptedJournal
from veo_desktop.core.lockfile import FileLock, LockBusyError
from veo_desktop.core.spending import SpendingCap, spend_this_session, spend_today
from veo_desktop.storage.store import TaskStore


class Gate:
    """Holds the background read of the older tasks: ``asked`` is set once it wants to
    start, and it goes on once ``opened`` is set."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.opened = threading.Event()

    async def wait_asked(self) -> None:
        assert await asyncio.to_thread(self.asked.wait, 30)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    real = TaskStore.open_reader.__func__  # type: ignore[attr-defined]

    def open_reader(cls: type[TaskStore], path: Path) -> TaskStore:
        held.asked.set()
        held.opened.wait(timeout=30)
        return real(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(TaskStore, "open_reader", classmethod(open_reader))
    yield held
    held.opened.set()


class Kit:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.library = Library(root / "tasks.sqlite3", time.time())
        self.store = TaskStore.open(self.library.path)
        self.client = ApixoClient("k" * 32, base_url="http://127.0.0.1:9/api/v1")
        self.engine = TaskEngine(
            client=self.client,
            store=self.store,
            library_dir=root / "videos",
            recent_first=True,
        )

    def lock_is_free(self) -> bool:
        other = FileLock(self.store.path.with_name(self.store.path.name + ".lock"))
        try:
            other.acquire()
        except LockBusyError:
            return False
        other.release()
        return True

    async def aclose(self) -> None:
        await self.engine.aclose()
        await self.client.aclose()
        self.store.close()


def test_the_start_reads_no_older_task_and_tasks_reads_them_all_when_asked(
    tmp_path: Path, gate: Gate
) -> None:
    """The engine starts on the tasks loaded first (the three-day-old task still polled is
    among them); what must see every task (``tasks``) reads the rest there and then."""
    kit = Kit(tmp_path)

    async def scenario() -> None:
        await kit.engine.start(resume=False)
        assert kit.engine.started and not kit.engine.tasks_complete
        assert not gate.asked.is_set()  # nothing was read in the background
        loaded = {t.local_id for t in kit.engine.loaded_tasks()}
        assert kit.library.old[0].local_id in loaded  # still polled: the engine's work
        assert kit.library.old[1].local_id not in loaded
        assert len(kit.engine.tasks()) == len(kit.library.everything)
        assert kit.engine.tasks_complete
        await kit.aclose()

    asyncio.run(scenario())


def write_meanwhile(kit: Kit) -> None:
    """Another program (the command line) writes to the store after the engine loaded it:
    the start reads the tasks again, in a thread (held at the gate)."""
    db = sqlite3.connect(kit.library.path)
    with db:
        db.execute(
            "UPDATE tasks SET note = 'from the CLI' WHERE local_id = ?",
            (kit.library.recent[0].local_id,),
        )
    db.close()


def test_starts_called_together_share_one_and_a_cancelled_caller_does_not_stop_it(
    tmp_path: Path, gate: Gate
) -> None:
    kit = Kit(tmp_path)
    write_meanwhile(kit)

    async def scenario() -> None:
        first = asyncio.ensure_future(kit.engine.start(resume=False))
        await gate.wait_asked()
        second = asyncio.ensure_future(kit.engine.start(resume=False))
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        gate.opened.set()
        await second
        assert kit.engine.started and not kit.engine.tasks_complete
        assert not kit.lock_is_free()  # the data folder is this engine's
        assert kit.engine.get(kit.library.recent[0].local_id).note == "from the CLI"
        await kit.aclose()
        assert kit.lock_is_free()

    asyncio.run(scenario())


def test_closing_while_older_tasks_load_ends_the_load_and_frees_the_folder(
    tmp_path: Path, gate: Gate
) -> None:
    kit = Kit(tmp_path)

    async def scenario() -> None:
        await kit.engine.start(resume=False)
        loading = asyncio.ensure_future(kit.engine.load_all_tasks())
        await gate.wait_asked()
        closing = asyncio.ensure_future(kit.engine.aclose())
        gate.opened.set()
        await closing
        with pytest.raises(RuntimeError, match="closed"):
            await loading
        assert not kit.engine.tasks_complete
        assert kit.lock_is_free()
        with pytest.raises(RuntimeError, match="closed"):
            await kit.engine.load_all_tasks()
        await kit.client.aclose()
        kit.store.close()

    asyncio.run(scenario())


def test_a_submit_during_the_start_waits_for_it_then_goes(tmp_path: Path, gate: Gate) -> None:
    """A submit while the window's start still reads (another program wrote meanwhile) is
    not refused (it waits), and the start cancelled by its caller goes on for it."""
    from veo_desktop.api.models import GenerationRequest

    kit = Kit(tmp_path)
    write_meanwhile(kit)

    async def scenario() -> None:
        start = asyncio.ensure_future(kit.engine.start(resume=False))
        await gate.wait_asked()
        submit = asyncio.ensure_future(kit.engine.submit(GenerationRequest(prompt="a fox")))
        await asyncio.sleep(0)
        assert not submit.done()  # waiting, not refused
        start.cancel()
        with pytest.raises(asyncio.CancelledError):
            await start
        gate.opened.set()
        await kit.engine.wait_started()
        assert kit.engine.started and not submit.done()
        submit.cancel()  # it is sending now; nothing here answers
        await asyncio.gather(submit, return_exceptions=True)
        await kit.aclose()

    asyncio.run(scenario())


def test_an_engine_that_never_held_the_lock_leaves_the_journal_alone(tmp_path: Path) -> None:
    """Another program (the command line) holds the data folder and may be appending to
    the accepted-ids journal: an engine that found it busy must not rewrite it on close."""
    kit = Kit(tmp_path)
    journal = AcceptedJournal.beside(kit.store.path)
    stored = kit.library.recent[0]
    assert stored.apixo_task_id is not None
    journal.append(AcceptedId(stored.local_id, stored.apixo_task_id, stored.model, 1.0))
    before = journal.path.read_bytes()
    holder = FileLock(kit.store.path.with_name(kit.store.path.name + ".lock"))
    holder.acquire()

    async def scenario() -> None:
        with pytest.raises(EngineBusyError):
            await kit.engine.start(resume=False)
        await kit.aclose()

    try:
        asyncio.run(scenario())
    finally:
        holder.release()
    assert journal.path.read_bytes() == before  # an owner would prune the stored id


def test_todays_spend_and_the_cap_check_read_no_older_task(tmp_path: Path) -> None:
    """The daily cap (asked before every paid action) and Settings' "spent today" count
    today's tasks, which the first load holds: a large library is not read for them, and
    the sums are those of the whole library."""
    kit = Kit(tmp_path)

    async def scenario() -> None:
        await kit.engine.start(resume=False)
        cap = SpendingCap(Decimal("50"), kit.engine)
        spent = cap.spent_today()
        cap.check(Decimal("0.40"))
        session = spend_this_session(kit.engine, time.time() - 5 * 24 * 3600)
        assert not kit.engine.tasks_complete
        everything = kit.engine.tasks()  # (now read whole)
        assert spent == spend_today(everything)
        assert session == spend_this_session(everything, time.time() - 5 * 24 * 3600)
        assert session.count > len(kit.library.recent)  # older ones too, read for it
        await kit.aclose()

    asyncio.run(scenario())


def test_a_journal_entry_of_a_task_older_than_the_first_load_is_not_an_orphan(
    tmp_path: Path,
) -> None:
    """The accepted-ids journal names a stored task of three days ago: it is found (read by
    id), not reported as a paid id no task takes, and pruned on close."""
    kit = Kit(tmp_path)
    stored = kit.library.old[5]
    assert stored.apixo_task_id is not None
    journal = AcceptedJournal.beside(kit.store.path)
    journal.append(AcceptedId(stored.local_id, stored.apixo_task_id, stored.model, 1.0))

    async def scenario() -> None:
        await kit.engine.start(resume=False)
        assert kit.engine.journal_orphans == ()
        assert not kit.engine.tasks_complete
        await kit.aclose()

    asyncio.run(scenario())
    assert AcceptedJournal.beside(kit.library.path).entries() == []
