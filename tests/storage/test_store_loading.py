"""Loading the whole store (``TaskStore.load_all``): the same records as reading each one,
whatever the rows hold, as one snapshot, and with the garbage collector as it was."""

from __future__ import annotations

import gc
import json
import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.storage.test_store import make_record
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore, file_key


def varied_records() -> list[TaskRecord]:
    """Records whose lists and texts take every decoding path: empty, one item, several,
    quotes, backslashes, non-ASCII, notes in the history, none at all."""
    first = make_record('Crème brûlée \u2014 \U0001f98a "quoted" and a \\ backslash')
    at = first.created_at
    return [
        first,
        make_record(
            "two results",
            state=TaskState.SUCCEEDED,
            created_at=at + 1,
            apixo_task_id="task_two",
            result_urls=("https://r2.apixo.ai/a.mp4", "https://r2.apixo.ai/b.mp4"),
            files=("/home/me/Vidéos/a.mp4", "/home/me/Vidéos/b.mp4"),
            results_at=at + 3,
            history=(
                StateChange(at + 1, TaskState.SUBMITTING),
                StateChange(at + 2, TaskState.PENDING, "accepted"),
                StateChange(at + 3, TaskState.SUCCEEDED),
            ),
        ),
        make_record(
            "odd names",
            created_at=at + 2,
            files=('/tmp/a "quoted" name.mp4', "C:\\Videos\\b.mp4", "", 'x","y'),
            result_urls=("",),
            note='a note, with a dash \u2014 and "quotes"',
            balance_before=Decimal("12.34"),
        ),
        make_record(
            "refused",
            state=TaskState.REJECTED,
            created_at=at + 3,
            fail_code="422",
            fail_message="The prompt was refused.",
            reject_reason=RejectReason.REFUSED,
            hidden=True,
        ),
        make_record("no history", created_at=at + 4, history=()),
    ]


@pytest.fixture
def store(tmp_path: Path):
    with TaskStore.open(tmp_path / "tasks.sqlite3") as opened:
        yield opened


def test_load_all_gives_what_each_read_gives_oldest_first(store: TaskStore) -> None:
    records = varied_records()
    for record in reversed(records):
        store.insert(record)
    loaded = store.load_all()
    assert loaded == records
    assert loaded == [store.get(r.local_id) for r in records]
    assert [r.history for r in loaded] == [r.history for r in records]


def test_lists_written_by_other_json_writers_load_the_same(store: TaskStore) -> None:
    """Rows with padded JSON (an older version, another tool) decode as before."""
    record = varied_records()[1]
    store.insert(record)
    db = sqlite3.connect(store.path)
    with db:
        db.execute(
            "UPDATE tasks SET result_urls = ?, files = ?, request = ? WHERE local_id = ?",
            (
                '[ "https://r2.apixo.ai/a.mp4", "https://r2.apixo.ai/b.mp4" ]',
                '["/home/me/Vid\\u00e9os/a.mp4",  "/home/me/Vidéos/b.mp4"]',
                " " + store._db.execute("SELECT request FROM tasks").fetchone()[0] + "\n",
                record.local_id,
            ),
        )
    db.close()
    assert store.load_all() == [record]


@pytest.mark.parametrize(
    "files", ['["a" "b"]', '["]', '["a",]', '["a\x01"]', '["a"]x', '{"a": 1}', "7", b"[]"]
)
def test_a_damaged_list_is_read_as_none_not_as_a_guess(
    store: TaskStore, files: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stored list that ``json.loads`` would refuse (or that is no list) is not guessed
    at by the fast path: it is read as empty, said in the log, and the task loads."""
    record = varied_records()[0]
    store.insert(record)
    store._db.execute("UPDATE tasks SET files = ?", (files,))
    assert store.load_all() == [record.evolve(files=())]
    assert store.get(record.local_id) == record.evolve(files=())
    assert "damaged" in caplog.text
    store.update(record.evolve(files=(), note="seen"))  # (the stored text is kept)
    kept = "[]" if files == b"[]" else files  # (a BLOB that sqlite reads as [] is [])
    assert store._db.execute("SELECT files FROM tasks").fetchone() == (kept,)


def test_load_all_inside_a_write_and_the_collector_left_as_it_was(store: TaskStore) -> None:
    records = varied_records()
    for record in records:
        store.insert(record)
    assert gc.isenabled()
    with store.transaction():
        store.update(records[0].evolve(note="changed in this transaction"))
        assert store.load_all()[0].note == "changed in this transaction"
    assert gc.isenabled()
    gc.disable()
    try:
        changed = records[0].evolve(note="changed in this transaction")
        assert store.load_all() == [changed, *records[1:]]
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_load_all_sees_one_commit_and_leaves_no_read_open(store: TaskStore) -> None:
    records = varied_records()
    for record in records:
        store.insert(record)
    store.load_all()
    # No read transaction is left open: another connection can still checkpoint fully.
    other = sqlite3.connect(store.path)
    other.execute("DELETE FROM tasks WHERE local_id = ?", (records[0].local_id,))
    other.commit()
    busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    other.close()
    assert busy == 0
    assert store.load_all() == records[1:]


@pytest.mark.parametrize(
    "request_text",
    ['{"input":{"prompt":"a"}},{"input":{}}', '{"input":', "[1, 2]", "null", b"{}"],
)
def test_a_damaged_request_loads_its_task_without_settings_and_shifts_no_neighbour(
    store: TaskStore, request_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stored request that is no JSON object (a bad write, another program) does not stop
    the library from loading: that task loads without its settings (its ids, state, price
    and files intact: nothing paid for is lost, its video is still polled or listed), its
    neighbours exactly as they were, and the log names it."""
    records = varied_records()
    for record in records:
        store.insert(record)
    store._db.execute(
        "UPDATE tasks SET request = ? WHERE local_id = ?", (request_text, records[2].local_id)
    )
    damaged = records[2].evolve(request={})
    expected = [*records[:2], damaged, *records[3:]]
    assert store.load_all() == expected
    assert store.get(records[2].local_id) == damaged
    assert damaged.prompt == "" and damaged.apixo_task_id == records[2].apixo_task_id
    assert records[2].local_id in caplog.text
    # A change of that task (a poll, a note) keeps the stored text: someone may recover it.
    store.update(damaged.evolve(note="seen", hidden=True))
    stored = store._db.execute(
        "SELECT request, note FROM tasks WHERE local_id = ?", (records[2].local_id,)
    ).fetchone()
    assert stored == ("{}" if request_text == b"{}" else request_text, "seen")
    store.update(records[3].evolve(request={}))  # (a whole request set empty is written)
    assert store.get(records[3].local_id) == records[3].evolve(request={})


def test_the_requests_share_their_keys(store: TaskStore) -> None:
    """One string per key for the whole library, not one per task (memory at 100,000)."""
    for record in varied_records():
        store.insert(record)
    first, second = store.load_all()[:2]
    assert first.prompt != second.prompt
    pairs = zip(first.input, second.input, strict=True)
    assert all(a is b for a, b in pairs if a == b)


_ANY_VALUE = (
    st.text(max_size=40)
    | st.binary(max_size=8)
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from(['{"input": {"prompt": 5}}', '{"input": []}', "[]", '["x", 1]'])
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request=_ANY_VALUE,
    urls=_ANY_VALUE,
    files=_ANY_VALUE,
    note=_ANY_VALUE | st.none(),
    texts=st.tuples(*(_ANY_VALUE | st.none() for _ in range(3))),
)
def test_whatever_a_row_holds_every_task_loads(
    tmp_path_factory: pytest.TempPathFactory,
    request: object,
    urls: object,
    files: object,
    note: object,
    texts: tuple[object, object, object],
) -> None:
    """Whatever another program left in one row's request, lists, failure texts, notes and
    history note, the library loads (whole, by id, and as the window's first load), every
    other task exactly as it was, that one with its ids, state and price, and every text of
    it text (or none)."""
    path = tmp_path_factory.mktemp("any") / "tasks.sqlite3"
    records = varied_records()
    with TaskStore.open(path) as store:
        for record in records:
            store.insert(record)
        hit = records[1]
        store._db.execute(
            "UPDATE tasks SET request = ?, result_urls = ?, files = ? WHERE local_id = ?",
            (request, urls, files, hit.local_id),
        )
        store._db.execute(
            "UPDATE task_events SET note = ? WHERE local_id = ?", (note, hit.local_id)
        )
        store._db.execute(
            "UPDATE tasks SET fail_code = ?, fail_message = ?, note = ? WHERE local_id = ?",
            (*texts, hit.local_id),
        )
        for loaded in (
            store.load_all(),
            store.load_recent(since=0.0, newest=len(records)),
            [store.get(r.local_id) for r in records],
        ):
            by_id = {r.local_id: r for r in loaded if r is not None}
            assert [by_id[r.local_id] for r in records if r is not hit] == [
                r for r in records if r is not hit
            ]
            read = by_id[hit.local_id]
            assert (read.apixo_task_id, read.state, read.price) == (
                hit.apixo_task_id,
                hit.state,
                hit.price,
            )
            assert isinstance(read.prompt, str) and isinstance(read.mode, str)
            assert all(n is None or isinstance(n, str) for n in (c.note for c in read.history))
            for text in (read.fail_code, read.fail_message, read.note):
                assert text is None or isinstance(text, str)


def test_a_request_nested_deeper_than_python_reads_and_a_price_in_bytes_still_load(
    store: TaskStore,
) -> None:
    """Two more things another program may leave: JSON nested deeper than Python's decoder
    goes (sqlite finds it well formed), and a price stored as bytes."""
    records = varied_records()
    for record in records:
        store.insert(record)
    deep = '{"input": ' * 3000 + "{}" + "}" * 3000
    store._db.execute(
        "UPDATE tasks SET request = ? WHERE local_id = ?", (deep, records[1].local_id)
    )
    store._db.execute(
        "UPDATE tasks SET price = CAST('1.50' AS BLOB) WHERE local_id = ?",
        (records[2].local_id,),
    )
    loaded = {r.local_id: r for r in store.load_all()}
    assert loaded[records[1].local_id] == records[1].evolve(request={})
    assert loaded[records[2].local_id].price == Decimal("1.50")
    assert store.get(records[1].local_id) == records[1].evolve(request={})
    assert {r.local_id for r in loaded.values()} == {r.local_id for r in records}


FILE_NAME = st.text(
    alphabet=st.sampled_from([*"ab .-_\"'\\/:%", "\u00e9", "\u65e5", "\U0001f98a", "\n", "\t"]),
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    listed=st.lists(st.lists(FILE_NAME, max_size=3), min_size=1, max_size=6),
    escaped=st.booleans(),
    data=st.data(),
)
def test_the_tasks_naming_a_file_are_every_task_listing_one_of_its_key(
    tmp_path: Path, listed: list[list[str]], escaped: bool, data: st.DataObject
) -> None:
    """What Remove reads of a library not loaded whole: the tasks whose files hold a name
    with the same last part as one asked about, however the names are spelled (quotes,
    backslashes, letters beyond ASCII, stored escaped by another writer or not), whether
    sqlite looks them up (a few) or every task's files are read (many); a damaged list
    names nothing."""
    names = [name for files in listed for name in files]
    some = st.sampled_from(names) | FILE_NAME if names else FILE_NAME
    asked = data.draw(st.lists(some, max_size=12), label="asked")
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "tasks.sqlite3"  # (one per example)
    records = [
        make_record(f"take {n}", created_at=1_700_000_000.0 + n, files=tuple(files))
        for n, files in enumerate(listed)
    ]
    with TaskStore.open(path) as store:
        for record in records:
            store.insert(record, durable=False)
        if escaped:  # (another writer's JSON: every letter beyond ASCII escaped)
            with store.transaction():
                for record in records:
                    store._db.execute(
                        "UPDATE tasks SET files = ? WHERE local_id = ?",
                        (json.dumps(list(record.files)), record.local_id),
                    )
        damaged = make_record("damaged", created_at=1_600_000_000.0, files=("x",))
        store.insert(damaged, durable=False)
        with store.transaction():
            store._db.execute(
                "UPDATE tasks SET files = ? WHERE local_id = ?",
                ('["' + "".join(asked)[:20], damaged.local_id),
            )
        parts = {file_key(name) for name in asked}
        wanted = [r.local_id for r in records if any(file_key(n) in parts for n in r.files)]
        assert store.naming(parts) == wanted


def test_clean_ups_candidates_and_every_file_name_come_from_the_columns(tmp_path: Path) -> None:
    """What Clean up reads of a library not loaded whole: the tasks in the states asked
    about or hidden (oldest first), and every file name a task lists (a damaged list
    names none)."""
    at = 1_700_000_000.0
    made = [
        make_record("failed", state=TaskState.FAILED, created_at=at, files=("/v/a.mp4",)),
        make_record("kept", state=TaskState.SUCCEEDED, created_at=at + 1, files=("/v/b.mp4",)),
        make_record("removed", state=TaskState.SUCCEEDED, created_at=at + 2, hidden=True),
        make_record("lost", state=TaskState.LOST, created_at=at + 3, files=('/v/"c".mp4',)),
        make_record("damaged", state=TaskState.SUCCEEDED, created_at=at + 4, files=("x",)),
    ]
    with TaskStore.open(tmp_path / "tasks.sqlite3") as store:
        for record in made:
            store.insert(record, durable=False)
        with store.transaction():
            store._db.execute(
                "UPDATE tasks SET files = '[\"/v/cut' WHERE local_id = ?", (made[4].local_id,)
            )
        states = ["failed", "lost"]
        assert store.ids_in_states_or_hidden(states) == [made[i].local_id for i in (0, 2, 3)]
        assert store.ids_in_states_or_hidden([]) == [made[2].local_id]
        assert store.file_names() == {"/v/a.mp4", "/v/b.mp4", '/v/"c".mp4'}
