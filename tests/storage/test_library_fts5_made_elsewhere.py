"""A library made where sqlite has FTS5, opened by a Python whose sqlite lacks it: the store
opens, its FTS5 prompt index becomes the plain table (rebuilt from the tasks' prompts, said
in the log in words, never a traceback), search finds what it found, adding, changing and
deleting tasks works, and no task, label, saved search or storyboard is lost. Back where
sqlite has FTS5, the file keeps working (a plain index).

FTS5's absence is real, not an authorizer: each connection's modules are dropped
(``sqlite3_drop_modules``, through ctypes on the sqlite library Python uses), so an FTS5
table fails as on a build without it ("no such module: fts5").
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.storage.test_library import PROMPTS, oracle, record
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.library import LabelChange, LibraryQuery, parse_query
from veo_desktop.records.storyboard import Shot, Storyboard
from veo_desktop.storage.library import NO_FTS5_TEXT
from veo_desktop.storage.store import StoreBusyError, TaskStore

_connect = sqlite3.connect
WORDS = ["fox", "FOX", '"fox" runs', "100%", "ocean_wave", "café", "back\\slash", "*", "zzz"]


def _sqlite_library() -> Any:
    """The sqlite library this Python's ``sqlite3`` uses (None: it is linked in, unreachable)."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    library = ctypes.CDLL(name)
    if not hasattr(library, "sqlite3_drop_modules"):
        return None
    library.sqlite3_drop_modules.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    library.sqlite3_drop_modules.restype = ctypes.c_int
    return library


@contextlib.contextmanager
def without_fts5_module() -> Iterator[None]:
    """Within it, every new sqlite connection has no FTS5 module (nor any other virtual
    table module)."""
    library = _sqlite_library()
    if library is None:
        pytest.skip("this Python's sqlite library cannot be reached through ctypes")

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = _connect(*args, **kwargs)
        # CPython's connection object holds its ``sqlite3 *`` right after the object header.
        handle = ctypes.c_void_p.from_address(id(db) + object.__basicsize__).value
        assert library.sqlite3_drop_modules(handle, None) == 0
        return db

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", connect)
        with pytest.raises(sqlite3.OperationalError, match="no such module: fts5"):
            sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        yield


def _schema(path: Path) -> list[str]:
    db = _connect(path)
    try:
        return [str(row[0]) for row in db.execute("SELECT sql FROM sqlite_master")]
    finally:
        db.close()


def test_a_library_made_with_fts5_opens_without_it_and_keeps_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tasks.sqlite3"
    rows = [record(prompt, n) for n, prompt in enumerate(PROMPTS)]
    board = Storyboard(
        name="Film", shots=(Shot(request=GenerationRequest(prompt="A fox")),), created_at=1.0
    )
    with TaskStore.open(path) as made:
        assert made.full_text_search()
        for row in rows:
            made.insert(row, durable=False)
        made.edit_labels(
            [rows[0].local_id, rows[7].local_id],
            LabelChange(rating=4, favourite=True, note="keep", add_tags=frozenset({"fox"})),
        )
        made.save_search("Foxes", parse_query("fox"))
        made.save_storyboard(board)
        found = {words: made.search(parse_query(words)) for words in WORDS}
        labels, searches = made.labels(), made.saved_searches()
    assert any("fts5" in sql.lower() for sql in _schema(path) if sql)

    caplog.set_level(logging.INFO)
    with without_fts5_module():
        with TaskStore.open(path) as store:
            assert not store.full_text_search()
            assert store.load_all() == rows
            assert store.labels() == labels and store.saved_searches() == searches
            assert store.load_storyboards() == [board]
            for words in WORDS:
                assert store.search(parse_query(words)) == found[words] == oracle(store, words)
            # The plain index follows an insert, a prompt change and a delete.
            added = record("a fox cub sleeps", 20)
            store.insert(added, durable=False)
            changed = rows[0].evolve(request={**rows[0].request, "input": {"prompt": "a pier"}})
            store.update(changed)
            with store.transaction():
                store._db.execute("DELETE FROM tasks WHERE local_id = ?", (rows[7].local_id,))
            assert store.search(parse_query("fox")) == [added.local_id]
            assert store.search(parse_query("pier")) == [rows[0].local_id]
            assert store._read("PRAGMA integrity_check") == [("ok",)]
        told = [r for r in caplog.records if "was made with full-text search (FTS5)" in r.message]
        assert len(told) == 1 and told[0].levelno == logging.WARNING
        assert str(path) in told[0].getMessage()
        assert not any(r.exc_info for r in caplog.records)
        caplog.clear()
        with TaskStore.open(path) as again:  # replaced once: nothing more to say
            assert again.search(parse_query("cub")) == [added.local_id]
        assert [r.getMessage() for r in caplog.records if "FTS5" in r.getMessage()] == [
            NO_FTS5_TEXT
        ]
    assert not any("fts5" in sql.lower() for sql in _schema(path) if sql)

    with TaskStore.open(path) as back:  # where sqlite has FTS5 again: the plain index works
        assert not back.full_text_search()
        assert back.search(parse_query("cub")) == [added.local_id]
        kept = (changed, *rows[1:7], *rows[8:], added)  # (rows[7] was deleted)
        assert back.search(LibraryQuery()) == [r.local_id for r in kept]


def test_an_index_that_cannot_be_rebuilt_now_is_left_as_it_was_and_rebuilt_at_the_next_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tasks.sqlite3"
    first = record("a red fox", 1)
    with TaskStore.open(path) as made:
        made.insert(first, durable=False)
    writer = _connect(path, isolation_level=None)
    with without_fts5_module():
        writer.execute("BEGIN IMMEDIATE")  # another program writing: no lock to be had
        try:
            with pytest.raises(StoreBusyError, match="in use by another program"):
                TaskStore.open(path, busy_timeout=0.05)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert any("fts5" in sql.lower() for sql in _schema(path) if sql)
        assert not any(r.exc_info for r in caplog.records)
        with TaskStore.open(path) as store:
            assert not store.full_text_search()
            assert store.load_all() == [first]
            store.insert(record("a fox cub", 2), durable=False)
            assert len(store.search(parse_query("fox"))) == 2
