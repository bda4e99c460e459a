"""A Python whose sqlite has no FTS5 (some Linux distributions' builds): the store opens, the
prompt index is a plain table kept in step by triggers, search finds the same tasks by a
scan, and the log says so in words once, never a traceback. Simulated on a real sqlite
file: every connection refuses to create an FTS5 table (sqlite's authorizer), as a build
without the module refuses it ("no such module: fts5")."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.storage.test_library import PROMPTS, oracle, record
from veo_desktop.records.library import LibraryQuery, parse_query
from veo_desktop.storage.library import NO_FTS5_TEXT
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from veo_desktop.storage.store import TaskStore

_connect = sqlite3.connect


def connect_without_fts5(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    """``sqlite3.connect``, on a connection that cannot create FTS5 tables."""
    db: sqlite3.Connection = _connect(*args, **kwargs)

    def authorize(action: int, _arg1: str | None, arg2: str | None, *_rest: Any) -> int:
        if action == sqlite3.SQLITE_CREATE_VTABLE and arg2 == "fts5":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    db.set_authorizer(authorize)
    return db


@pytest.fixture
def no_fts5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "connect", connect_without_fts5)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")


WORDS = ["fox", "FOX", '"fox" runs', "100%", "ocean_wave", "café", "back\\slash", "*", "zzz"]


def test_without_fts5_the_store_opens_and_search_scans(
    tmp_path: Path, no_fts5: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "tasks.sqlite3"
    with TaskStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert not store.full_text_search()
        rows = [record(prompt, n) for n, prompt in enumerate(PROMPTS)]
        for row in rows:
            store.insert(row, durable=False)
        for words in WORDS:
            assert store.search(parse_query(words)) == oracle(store, words), words
        # The index follows a prompt change and a delete.
        changed = rows[0].evolve(request={**rows[0].request, "input": {"prompt": "a windy pier"}})
        store.update(changed)
        assert store.search(parse_query("fox")) == [rows[7].local_id]
        assert store.search(parse_query("windy")) == [rows[0].local_id]
        with store.transaction():
            store._db.execute("DELETE FROM tasks WHERE local_id = ?", (rows[7].local_id,))
        assert store.search(parse_query("fox")) == []
        assert store.search(LibraryQuery()) == [r.local_id for r in rows if r is not rows[7]]
    told = [r for r in caplog.records if r.getMessage() == NO_FTS5_TEXT]
    # Once when the plain index is made, once at the store's first search.
    assert len(told) == 2 and all(r.levelno == logging.WARNING for r in told)
    assert not any(r.exc_info for r in caplog.records)


def test_an_older_file_migrates_without_fts5(tmp_path: Path, no_fts5: None) -> None:
    path = tmp_path / "v4.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:4]:
        migration(db)
    db.execute("PRAGMA user_version = 4")
    db.close()
    rows = [record(f"old prompt number {n}", n) for n in range(12)]
    with TaskStore.open(tmp_path / "scratch.sqlite3") as scratch:
        for row in rows:
            scratch.insert(row, durable=False)
        listed = ", ".join(r[1] for r in _connect(path).execute("PRAGMA table_info(tasks)"))
    db = _connect(path, isolation_level=None)
    db.execute("ATTACH ? AS old", (str(tmp_path / "scratch.sqlite3"),))
    db.execute(f"INSERT INTO tasks ({listed}) SELECT {listed} FROM old.tasks")
    db.execute("INSERT INTO task_events SELECT * FROM old.task_events")
    db.execute("DETACH old")
    db.close()

    with TaskStore.open(path) as migrated:
        assert migrated.schema_version == SCHEMA_VERSION and not migrated.full_text_search()
        assert migrated.load_all() == rows
        assert migrated.search(parse_query('"number 1"')) == [rows[1].local_id] + [
            r.local_id for r in rows[10:]
        ]


def test_a_plain_index_keeps_working_with_an_sqlite_that_has_fts5(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", connect_without_fts5)
        with TaskStore.open(path) as store:
            store.insert(record("a quiet harbour", 1), durable=False)
    with TaskStore.open(path) as store:  # this Python's sqlite has FTS5: still a scan
        assert not store.full_text_search()
        second = record("a loud market", 2)
        store.insert(second, durable=False)
        assert store.search(parse_query("mark")) == [second.local_id]
    with TaskStore.open(tmp_path / "fresh.sqlite3") as fresh:
        assert fresh.full_text_search()
