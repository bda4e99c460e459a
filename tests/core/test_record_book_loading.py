"""A window's record book starts with the tasks it needs first and reads the rest in a thread
(``recent_first``): a real sqlite store of a few thousand tasks, most of them old."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fixtures.core import FAST_TIMING, FakeClock
from veo_desktop.core import record_book as record_book_module
from veo_desktop.core.clock import Activity
from veo_desktop.core.record_book import RECENT_NEWEST, RECENT_SECONDS, RecordBook
from veo_desktop.records.library import matcher, parse_query
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import IMPORTED_NOTE, StateChange, TaskRecord
from veo_desktop.storage import store as store_module
from veo_desktop.storage.store import StoreError, TaskStore

#: Old finished tasks, one a minute, ending three days before the clock's now.
OLD = 3000
#: Tasks of the last day, one an hour.
RECENT = 20


def task(at: float, state: TaskState, index: int, **changes: object) -> TaskRecord:
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request={"request_type": "async", "input": {"prompt": f"shot {index}", "mode": "fast"}},
        state=state,
        created_at=at,
        updated_at=at + 90,
        apixo_task_id=f"task_{index}",
        price=Decimal("0.20"),
        history=(StateChange(at, TaskState.SUBMITTING), StateChange(at + 90, state)),
        **changes,  # type: ignore[arg-type]
    )


def insert_rows(path: Path, records: list[TaskRecord]) -> None:
    """Write ``records`` (with their histories) into the store at ``path``, in the store's
    own row layout, as another program (or an older version) left them."""
    db = sqlite3.connect(path)
    with db:
        db.executemany(store_module._INSERT, [store_module._values(r) for r in records])
        db.executemany(
            "INSERT INTO task_events (local_id, at, state, note) VALUES (?, ?, ?, ?)",
            [e for r in records for e in store_module._events(r.local_id, r.history)],
        )
    db.close()


class Library:
    """A store at ``path`` with :data:`OLD` old tasks (the oldest still polling), then
    :data:`RECENT` of the last day."""

    def __init__(self, path: Path, now: float) -> None:
        self.path = path
        TaskStore.open(path).close()
        old_end = now - 3 * 24 * 3600
        self.old = [task(old_end - (OLD - i) * 60, TaskState.SUCCEEDED, i) for i in range(OLD)]
        self.old[0] = self.old[0].evolve(state=TaskState.PENDING)  # still polled
        self.recent = [
            task(now - (RECENT - i) * 3600, TaskState.SUCCEEDED, OLD + i) for i in range(RECENT)
        ]
        insert_rows(path, self.old + self.recent)

    @property
    def everything(self) -> list[TaskRecord]:
        return self.old + self.recent


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def library(tmp_path: Path, clock: FakeClock) -> Library:
    return Library(tmp_path / "tasks.sqlite3", clock.now)


def recent_book(store: TaskStore, clock: FakeClock) -> RecordBook:
    return RecordBook(
        store, clock=clock, timing=FAST_TIMING, activity=Activity(), recent_first=True
    )


def ids(records: list[TaskRecord]) -> set[str]:
    return {r.local_id for r in records}


def test_the_first_load_holds_what_a_window_needs_and_the_rest_follows(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    assert not book.complete
    first = ids(book.tasks(include_hidden=True))
    newest = ids(library.everything[-RECENT_NEWEST:])
    polled = library.old[0].local_id
    # the unfinished one, today's, the newest thousand; not the other old ones
    assert first == newest | {polled}
    assert len(first) < len(library.everything) / 2

    asyncio.run(book.load_rest())
    assert book.complete
    assert ids(book.tasks(include_hidden=True)) == ids(library.everything)
    assert book.get(library.old[5].local_id) == library.old[5]
    store.close()


def test_a_task_asked_for_before_the_rest_is_read_from_the_store(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    old = library.old[7]
    assert old.local_id not in ids(book.tasks(include_hidden=True))
    assert book.get(old.local_id) == old
    assert book.lookup(old.local_id) == old
    assert old.local_id in book
    assert book.find(old.apixo_task_id or "") == old
    prefix = library.old[8].local_id[:10]
    assert book.find(prefix) == library.old[8]
    with pytest.raises(KeyError):
        book.get("f" * 32)
    assert book.lookup("f" * 32) is None
    store.close()


def test_a_change_made_before_the_rest_is_read_is_kept(library, clock):
    """The thread read the store before the change was committed (its own snapshot):
    what the book changed meanwhile is not overwritten by the older copy."""
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    old = library.old[11]

    async def scenario() -> None:
        loading = asyncio.ensure_future(book.load_rest())
        book.set_note(old.local_id, "changed while loading")
        await loading

    asyncio.run(scenario())
    assert book.complete
    assert book.get(old.local_id).note == "changed while loading"
    stored = store.get(old.local_id)
    assert stored is not None and stored.note == "changed while loading"
    store.close()


def test_what_was_charged_counts_the_tasks_not_loaded_yet(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    week = clock.now - 7 * 24 * 3600
    expected = sum((r.price for r in library.everything if r.created_at >= week), Decimal("0"))
    assert clock.now - week > RECENT_SECONDS  # older than the first load
    assert book.charged_since(week) == expected
    asyncio.run(book.load_rest())
    assert book.charged_since(week) == expected
    store.close()


def test_an_import_of_a_task_not_loaded_yet_is_refused_as_a_duplicate(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    old = library.old[20]
    again = old.evolve(
        local_id=uuid.uuid4().hex,
        history=(StateChange(clock.now, TaskState.SUCCEEDED, f"{IMPORTED_NOTE} /media/x"),),
        files=("/tmp/x.mp4",),
    )
    with pytest.raises(ValueError, match="already in the list"):
        book.add_finished(again)
    assert store.count() == len(library.everything)
    store.close()


def test_closing_while_the_rest_loads_stops_it_and_loses_nothing(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)

    async def scenario() -> None:
        loading = asyncio.ensure_future(book.load_rest())
        await asyncio.sleep(0)  # the thread has been asked for
        await book.aclose()
        with pytest.raises(RuntimeError, match="closed"):  # its caller was not cancelled
            await loading

    asyncio.run(scenario())
    assert not book.complete
    assert store.count() == len(library.everything)
    store.close()


def test_a_small_library_is_whole_at_once(tmp_path, clock):
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    store.insert(task(clock.now - 30 * 24 * 3600, TaskState.SUCCEEDED, 1))
    book = recent_book(store, clock)
    assert book.complete  # nothing left to read: no thread at all
    assert len(book.tasks()) == 1
    store.close()


def test_a_store_that_cannot_be_read_fails_the_load_and_a_retry_works(library, clock):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    away = library.path.rename(library.path.with_name("elsewhere.sqlite3"))  # an unplugged disk
    try:
        with pytest.raises(store_module.StoreError):
            asyncio.run(book.load_rest())
        assert not book.complete
    finally:
        away.rename(library.path)
    asyncio.run(book.load_rest())
    assert book.complete
    assert len(book.tasks()) == len(library.everything)
    store.close()


def test_the_unfinished_index_covers_every_state_that_is_not_final():
    """The first load finds unfinished tasks by an index over a fixed list of states: a
    state added later must be added there too (a new migration), or the window would show
    such a task only once the rest is loaded."""
    from veo_desktop.storage.migrations import UNFINISHED_STATES

    assert set(UNFINISHED_STATES) == {s.value for s in TaskState if not s.is_final}


def test_the_first_load_uses_indexes_only(library, clock):
    store = TaskStore.open(library.path)
    plan = " ".join(
        str(row[-1])
        for row in store._db.execute(
            "EXPLAIN QUERY PLAN SELECT local_id FROM tasks WHERE " + store_module.UNFINISHED_SQL
        )
    )
    assert "USING INDEX tasks_unfinished" in plan
    store.close()


def test_a_task_is_found_by_apixos_id_through_its_own_index(library, clock):
    """An extend's source named by APIXO's id is looked up (a list's shelved rows, the
    lineage): by an index, not a scan of the table or of the (model, id) index."""
    store = TaskStore.open(library.path)
    plan = " ".join(
        str(row[-1])
        for row in store._db.execute(
            "EXPLAIN QUERY PLAN " + store_module._SELECT + " WHERE t.apixo_task_id = ?"
            " ORDER BY t.created_at LIMIT 1",  # (as find_by_apixo_id asks)
            ("task_17",),
        )
    )
    assert "USING INDEX tasks_by_apixo_task" in plan, plan
    found = store.find_by_apixo_id("task_17")
    assert found is not None and found.local_id == library.old[17].local_id
    store.close()


@pytest.mark.parametrize("page", [1, 7, 333, 5000])
def test_pages_of_older_tasks_cover_every_task_once_even_across_equal_moments(
    tmp_path: Path, clock: FakeClock, page: int
) -> None:
    """Pages read newest first (``read_older``, as a window's list reads a large library's
    older tasks) bring only older tasks, never skip one, and leave the book as it was. Runs
    of tasks made at one moment (an import) sit on the first load's edge (the thousandth
    newest) and on page edges."""
    path = tmp_path / "tasks.sqlite3"
    TaskStore.open(path).close()
    old_end = clock.now - 3 * 24 * 3600
    moments = [old_end - i * 60 for i in range(1500)]
    moments[995:1010] = [moments[995]] * 15  # the thousandth newest among fifteen alike
    moments[1200:1260] = [moments[1200]] * 60
    records = [task(at, TaskState.SUCCEEDED, i) for i, at in enumerate(moments)]
    insert_rows(path, records)
    store = TaskStore.open(path)
    book = recent_book(store, clock)
    held = ids(book.tasks(include_hidden=True))
    assert len(held) == RECENT_NEWEST

    async def read_pages() -> set[str]:
        listed, before = set(held), book.held_from
        while True:
            made, whole = await book.read_older(before, page, lambda t: t if t.state else None)
            got = made + whole
            assert all(r.created_at < before for r in got)  # only older ones
            # None twice (but what the book holds, made at the moment of its edge).
            assert not (listed - held) & ids(got)
            assert len(ids(got) - held) >= min(page, len(records) - len(listed)) - 15
            listed |= ids(got)
            if len(got) < page:
                return listed
            before = min(r.created_at for r in got)

    assert asyncio.run(read_pages()) == ids(records)
    assert ids(book.tasks(include_hidden=True)) == held  # (the book kept none of them)
    asyncio.run(book.aclose())
    store.close()


def test_a_search_with_letters_beyond_ascii_finds_every_task_the_list_would_show(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The list folds every letter ("über" finds "Über"), and so does the store's search of
    a word with letters beyond ASCII (sqlite's LIKE would not): such a search reads its
    matches among the older tasks, every one the list would show, and only those."""
    path = tmp_path / "tasks.sqlite3"
    library = Library(path, clock.now)
    prompts = ["\u00dcber den Wolken", "Stra\u00dfe bei Nacht", "\u00c9T\u00c9 \u00e0 Paris"]
    older = [
        task(clock.now - 10 * 24 * 3600 - i, TaskState.SUCCEEDED, 90_000 + i).evolve(
            request={"request_type": "async", "input": {"prompt": prompt, "mode": "fast"}}
        )
        for i, prompt in enumerate(prompts)
    ]
    insert_rows(path, older)
    store = TaskStore.open(path)
    book = recent_book(store, clock)
    for text in ("\u00fcber", "stra\u00dfe", "\u00e9t\u00e9"):
        query = parse_query(text)
        shows = matcher(query, {})
        wanted = {r.local_id for r in older if shows(r, r.prompt.casefold())}
        assert wanted
        held = ids(book.tasks())
        asyncio.run(book.load_matching(query))
        assert ids(book.tasks()) - held == wanted - held
        assert not book.complete
    ascii_only = recent_book(store, clock)
    asyncio.run(ascii_only.load_matching(parse_query("shot 1717")))
    assert library.old[1717].local_id in ids(ascii_only.tasks())
    assert not ascii_only.complete  # an ASCII search reads its matches only
    store.close()


def test_a_fold_sees_each_task_of_its_range_once_and_keeps_none(library, clock):
    """A fold over a range older than the first load reads the store's tasks of that range
    (with tasks created at one moment at its edges), sees each exactly once, as the book
    holds it when it does, and leaves the book as it was."""
    tied_at = library.old[1500].created_at
    tied = [task(tied_at, TaskState.SUCCEEDED, 9000 + i) for i in range(150)]
    insert_rows(library.path, tied)
    everything = library.everything + tied
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    held = len(book)
    polled = library.old[0]  # (held: it is polled)
    db = sqlite3.connect(library.path)
    with db:  # another program changed it: the book's version is the one counted
        db.execute("UPDATE tasks SET price = '9.99' WHERE local_id = ?", (polled.local_id,))
    db.close()

    def priced(tasks: Iterator[TaskSummary]) -> list[tuple[str, Decimal]]:
        return sorted((t.local_id, t.price) for t in tasks)

    def expected(since: float, until: float) -> list[tuple[str, Decimal]]:
        return sorted((r.local_id, r.price) for r in everything if since <= r.created_at < until)

    since, until = library.old[300].created_at, library.old[2900].created_at
    assert not book.holds_since(since)
    assert asyncio.run(book.fold(priced, since, until)) == expected(since, until)
    assert asyncio.run(book.fold(priced, -math.inf)) == expected(-math.inf, math.inf)
    assert asyncio.run(book.fold(priced, tied_at, tied_at + 1)) == expected(tied_at, tied_at + 1)
    assert asyncio.run(book.fold(priced, tied_at + 1, tied_at + 2)) == []
    assert len(book) == held and not book.complete  # nothing was kept
    store.close()


def test_a_summary_read_from_the_columns_is_the_whole_records(tmp_path, clock):
    """What the store reads for counting, from its columns, says what the whole record
    says: prompt, mode, price, state, charged, imported; a request whose input is not a
    mapping gives an empty prompt and the fast mode, as the record does."""
    path = tmp_path / "tasks.sqlite3"
    TaskStore.open(path).close()
    made = [
        task(clock.now - 10, TaskState.SUCCEEDED, 1),
        task(clock.now - 9, TaskState.UNCERTAIN, 2).evolve(apixo_task_id=None),
        task(clock.now - 8, TaskState.FAILED, 3).evolve(
            price=Decimal("1.50"),
            request={"request_type": "async", "input": {"prompt": 'Ü\n"q"', "mode": "quality"}},
        ),
        task(clock.now - 7, TaskState.SUCCEEDED, 4).evolve(
            history=(StateChange(clock.now - 7, TaskState.SUCCEEDED, f"{IMPORTED_NOTE} /media/x"),)
        ),
        task(clock.now - 6, TaskState.SUCCEEDED, 5).evolve(request={"input": "not a mapping"}),
    ]
    insert_rows(path, made)
    with TaskStore.open(path) as store:
        read = {s.local_id: s for s in store.summaries(-math.inf)}
        wholes = {r.local_id: TaskSummary.of(r) for r in store.load_all()}
    assert read == wholes
    assert read[made[3].local_id].imported and not read[made[0].local_id].imported
    assert read[made[2].local_id].prompt == 'Ü\n"q"' and read[made[2].local_id].mode == "quality"
    assert read[made[4].local_id].prompt == "" and read[made[4].local_id].mode == "fast"
    assert not read[made[1].local_id].charged


def test_a_fold_over_the_tasks_held_runs_here_and_reads_nothing(library, clock, monkeypatch):
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    monkeypatch.setattr(TaskStore, "open_reader", None)  # (a read would fail)
    since = book.held_from
    assert library.old[0].created_at < since < library.recent[0].created_at
    assert book.holds_since(since) and not book.holds_since(since - 1)
    counted = asyncio.run(book.fold(lambda tasks: sum(1 for _ in tasks), since))
    assert counted == sum(1 for r in library.everything if r.created_at >= since)
    monkeypatch.undo()
    asyncio.run(book.load_rest())
    assert book.held_from == -math.inf
    store.close()


def test_a_fold_over_many_tasks_held_runs_in_a_thread_and_reads_nothing(
    library, clock, monkeypatch
):
    """A book holding more tasks than a fold may take on the loop folds them in a thread
    (a year of a large library read whole), from what it holds: the store is not read."""
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    asyncio.run(book.load_rest())
    monkeypatch.setattr(record_book_module, "FOLD_HERE_MOST", 100)
    monkeypatch.setattr(TaskStore, "open_reader", None)  # (a read would fail)
    threads: list[threading.Thread] = []

    def counted(tasks: Iterator[TaskSummary]) -> int:
        threads.append(threading.current_thread())
        return sum(1 for _ in tasks)

    since = library.old[1000].created_at
    assert asyncio.run(book.fold(counted, since)) == len(library.everything) - 1000
    assert threads and threads[0] is not threading.main_thread()
    store.close()


def test_a_fold_stops_when_the_book_closes(library, clock):
    """A fold under way when the book closes reads no further: what folds the tasks is
    stopped (an error from the tasks it reads), and its caller hears the book closed."""
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    started, closed = threading.Event(), threading.Event()
    seen: list[object] = []

    def slow(tasks: Iterator[TaskSummary]) -> int:
        started.set()
        closed.wait(10)  # (the book closes while the fold is under way)
        try:
            for task in tasks:
                seen.append(task)
        except StoreError as error:
            seen.append(error)
            raise
        return len(seen)

    async def scenario() -> None:
        folding = asyncio.ensure_future(book.fold(slow, -math.inf))
        await asyncio.to_thread(started.wait, 10)
        await book.aclose()
        closed.set()
        with pytest.raises(RuntimeError, match="closed"):
            await folding

    asyncio.run(scenario())
    assert isinstance(seen[-1], StoreError)  # stopped while reading
    assert len(seen) < len(library.everything)  # (not read through)
    store.close()


def test_an_apixo_id_no_task_has_is_asked_of_the_store_once_but_a_failure_again(
    library, clock, monkeypatch
):
    """``find_id`` (a list's extend naming its source): the local id of a stored task not
    loaded (not kept); an id no task has is asked of the store once; a failed read again."""
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    older = library.old[5]
    assert not book.holds(older.local_id)
    asked: list[str] = []
    real = TaskStore.find_by_apixo_id
    failing = [True]

    def find_by_apixo_id(self: TaskStore, apixo_task_id: str) -> TaskRecord | None:
        asked.append(apixo_task_id)
        if apixo_task_id == "task_failing" and failing[0]:
            raise StoreError("the disk is gone", self.path)
        return real(self, apixo_task_id)

    monkeypatch.setattr(TaskStore, "find_by_apixo_id", find_by_apixo_id)
    assert book.find_id(str(older.apixo_task_id)) == older.local_id
    assert not book.holds(older.local_id)
    assert book.find_id("task_gone") is None
    assert book.find_id("task_gone") is None
    assert book.find_id("task_failing") is None
    failing[0] = False
    assert book.find_id("task_failing") is None
    assert asked.count("task_gone") == 1
    assert asked.count("task_failing") == 2
    asyncio.run(book.aclose())
    store.close()


def test_a_page_with_a_damaged_row_lists_it_without_its_settings(library, clock):
    """A row another program damaged (its request no JSON, its files no list) is made into
    a shelved row like the others, not a failed page: it loads as the store loads it."""
    db = sqlite3.connect(library.path)
    with db:
        damaged = library.old[1500]
        db.execute(
            "UPDATE tasks SET request = ?, files = ? WHERE local_id = ?",
            ('{"input": [', "not a list", damaged.local_id),
        )
    db.close()
    store = TaskStore.open(library.path)
    book = recent_book(store, clock)
    made, whole = asyncio.run(
        book.read_older(book.held_from, 5000, lambda t: (t.local_id, t.prompt, t.state))
    )
    assert whole == []
    facts = {local_id: (prompt, state) for local_id, prompt, state in made}
    assert facts[damaged.local_id] == ("", TaskState.SUCCEEDED)
    assert facts[library.old[1501].local_id] == ("shot 1501", TaskState.SUCCEEDED)
    asyncio.run(book.aclose())
    store.close()
