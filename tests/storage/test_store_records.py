"""Records read from a real sqlite file: every field as it was saved (values and types), the
records immutable, and what the store shares among them (short repeated texts, floats) only
ever immutable: never a request's dicts, never a prompt."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.storage.test_store import make_record
from tests.storage.test_store_loading import varied_records
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage import store as store_module
from veo_desktop.storage.store import TaskStore

FIELDS = [f.name for f in dataclasses.fields(TaskRecord)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "tasks.sqlite3"


def _saved(path: Path, records: list[TaskRecord]) -> None:
    with TaskStore.open(path) as store:
        for record in records:
            store.insert(record)


@contextlib.contextmanager
def _reopened(path: Path) -> Iterator[TaskStore]:
    """The store at ``path`` opened again (what it reads comes from the file, not a cache)."""
    with TaskStore.open(path) as store:
        yield store


def unusual_records() -> list[TaskRecord]:
    """Records beyond the usual shapes: requests with every JSON kind, choices holding no
    text, a long failure message, prices and balances of many digits, a history of notes."""
    at = time.time()
    long_message = "The server said: " + "x" * 5000
    varied = varied_records()
    return [
        *varied,
        make_record(
            "every JSON kind",
            created_at=at + 10,
            request={
                "request_type": "callback",
                "callback_url": "https://example.com/hook?a=1&b=\u00e9",
                "provider": "official",
                "extra": [1, 2.5, None, True, False, {"nested": ["x", {"y": []}]}],
                "input": {
                    "prompt": 'unicode \u2014 \U0001f98a and \\ and "quotes" and \n newline',
                    "mode": "fast",
                    "generationType": "REFERENCE_2_VIDEO",
                    "aspect_ratio": "9:16",
                    "image_urls": ["https://example.com/a.png", "https://example.com/b.png"],
                    "seed": 4294967295,
                    "watermark": "studio",
                    "enableTranslation": False,
                    "unknown": {"deep": [0, -1, 1e-7, 12345678901234567890]},
                },
            },
            price=Decimal("0.123456789012345678901234567"),
            balance_before=Decimal("-0.00"),
        ),
        make_record(
            "choices that are no text",
            created_at=at + 11,
            request={"request_type": 7, "provider": None, "input": {"mode": ["fast"], "seed": 1}},
        ),
        make_record("no input at all", created_at=at + 12, request={"request_type": "async"}),
        make_record("input no object", created_at=at + 13, request={"input": ["a", "b"]}),
        make_record(
            "failed, long",
            state=TaskState.FAILED,
            created_at=at + 14,
            updated_at=at + 99,
            apixo_task_id="task_long",
            fail_code="500",
            fail_message=long_message,
            history=(
                StateChange(at + 14, TaskState.SUBMITTING, "sent"),
                StateChange(at + 15, TaskState.PENDING, "accepted"),
                StateChange(at + 16, TaskState.FAILED, long_message),
            ),
        ),
        make_record(
            "rejected, unknown reason later",
            state=TaskState.REJECTED,
            created_at=at + 15,
            reject_reason=RejectReason.REFUSED,
            resubmit_of=varied[0].local_id,
            parent_id=varied[1].local_id,
        ),
    ]


def assert_same_fields(loaded: TaskRecord, saved: TaskRecord) -> None:
    """Every field (read one by one: a field the store forgot to set fails here) equal and of
    the same type, the history entry by entry."""
    assert type(loaded) is TaskRecord
    for name in FIELDS:
        got, want = getattr(loaded, name), getattr(saved, name)
        assert got == want, name
        assert type(got) is type(want), name
    assert loaded.request == saved.request
    for got_change, want_change in zip(loaded.history, saved.history, strict=True):
        assert type(got_change) is StateChange
        assert (got_change.at, got_change.state, got_change.note) == (
            want_change.at,
            want_change.state,
            want_change.note,
        )
        assert type(got_change.at) is float
    assert loaded == saved


def test_every_read_gives_each_field_as_saved(path: Path) -> None:
    records = unusual_records()
    _saved(path, records)
    with _reopened(path) as store:
        by_id = {r.local_id: r for r in records}
        everything = store.load_all()
        assert [r.local_id for r in everything] == [r.local_id for r in records]
        among = store.load_among([r.local_id for r in records[::2]])
        one_by_one = [store.get(r.local_id) for r in records]
        recent = store.load_recent(since=0.0, newest=len(records))
        for loaded in [*everything, *among, *recent]:
            assert_same_fields(loaded, by_id[loaded.local_id])
        for loaded_or_none, saved in zip(one_by_one, records, strict=True):
            assert loaded_or_none is not None
            assert_same_fields(loaded_or_none, saved)


def test_values_of_another_type_load_as_text(path: Path) -> None:
    """Columns holding what this app never writes (bytes as the failure code and message)
    come back as text (what shows or formats them reads text; undecodable bytes replaced);
    a history note that is no text is read as none, by a whole load and by ``get`` alike."""
    record = make_record("odd columns", state=TaskState.FAILED)
    _saved(path, [record])
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE tasks SET fail_code = X'3530', fail_message = X'00ff'")
        db.execute("UPDATE task_events SET note = X'01'")
    db.close()
    with _reopened(path) as store:
        (loaded,) = store.load_all()
        got = store.get(record.local_id)
    assert got is not None
    assert loaded.history[0].note is None and got.history[0].note is None
    for each in (loaded, got):
        stored: tuple[object, object] = (each.fail_code, each.fail_message)
        assert stored == ("50", "\x00\ufffd")


def test_loaded_records_are_immutable(path: Path) -> None:
    _saved(path, unusual_records())
    with _reopened(path) as store:
        loaded = store.load_all()
    record = loaded[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.note = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del record.note
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.history[0].note = "changed"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        record.anything_new = 1  # type: ignore[attr-defined]
    assert not hasattr(record, "__dict__")
    changed = record.evolve(note="changed")
    assert changed.note == "changed" and record.note != "changed"
    assert changed == dataclasses.replace(record, note="changed")
    assert dataclasses.astuple(changed)[FIELDS.index("note")] == "changed"


def test_records_share_repeated_short_texts_but_never_a_dict(path: Path) -> None:
    """Memory at 100,000 tasks: the request's choices, the model, failure codes and messages
    and history notes are one string each for every task that repeats them; each record's
    request keeps dicts of its own (someone may change one), and its prompt is its own."""
    at = time.time()
    records = [
        make_record(
            "same prompt",
            state=TaskState.FAILED,
            created_at=at + i,
            updated_at=at + i + 5,
            fail_code="500",
            fail_message="The generation failed.",
            history=(
                StateChange(at + i, TaskState.SUBMITTING, "Imported from /media/old"),
                StateChange(at + i + 5, TaskState.FAILED, "The generation failed."),
            ),
        )
        for i in range(3)
    ]
    _saved(path, records)
    with _reopened(path) as store:
        first, second, third = store.load_all()
        got = store.get(third.local_id)
    assert got is not None
    for other in (second, third, got):
        assert other.model is first.model
        assert other.fail_code is first.fail_code
        assert other.fail_message is first.fail_message
        assert other.history[0].note is first.history[0].note
        assert other.history[1].note is first.fail_message
        for key in ("request_type",):
            assert other.request[key] is first.request[key]
        for key in ("mode", "generationType", "aspect_ratio"):
            assert other.input[key] is first.input[key]
        assert other.request is not first.request
        assert other.input is not first.input
        assert other.input["prompt"] is not first.input["prompt"]
        assert other.local_id is not first.local_id
    # Someone changing a loaded request changes that record's only.
    first.input["mode"] = "fast"  # type: ignore[index]
    assert second.mode == "quality"
    # The times a task was created and last changed are its history's first and last.
    assert first.created_at is first.history[0].at
    assert first.updated_at is first.history[-1].at


def test_a_library_of_many_distinct_texts_loads_whole(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared texts are bounded (few kept, short ones only); the rest load as they are."""
    monkeypatch.setattr(store_module, "_SHARED", {})
    monkeypatch.setattr(store_module, "_SHARED_MOST", 5)
    at = time.time()
    records = [
        make_record(
            f"clip {i}",
            state=TaskState.FAILED,
            created_at=at + i,
            fail_code=f"code {i}",
            fail_message=f"message {i} " + "y" * (i * 100),
            request={"request_type": f"type {i}", "input": {"prompt": f"p {i}", "mode": "m"}},
        )
        for i in range(12)
    ]
    _saved(path, records)
    with _reopened(path) as store:
        loaded = store.load_all()
    for got, saved in zip(loaded, records, strict=True):
        assert_same_fields(got, saved)
    shared: dict[str, Any] = store_module._SHARED
    assert len(shared) == 5
    assert all(len(text) <= store_module._SHARED_LONGEST for text in shared)


def test_a_record_with_no_history_keeps_its_times(path: Path) -> None:
    record = make_record("no history", history=(), created_at=0.0, updated_at=-0.0)
    zero = make_record(
        "created at zero",
        created_at=-0.0,
        updated_at=0.0,
        history=(StateChange(0.0, TaskState.SUBMITTING), StateChange(-0.0, TaskState.PENDING)),
    )
    other = make_record("an old row", created_at=5.0, local_id=uuid.uuid4().hex)
    _saved(path, [record, zero, other])
    with _reopened(path) as store:
        loaded = {r.local_id: r for r in store.load_all()}
    for saved in (record, zero, other):
        assert_same_fields(loaded[saved.local_id], saved)
