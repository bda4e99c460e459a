"""The task store: one sqlite file (WAL), one row per task plus its history.

Every write is one transaction, so a SIGKILL at any moment leaves the file as it was before
or after a write, never between. Writes that money depends on (the row written before a
POST, APIXO's task id) are *durable* commits (``synchronous=FULL``: on disk, even across a
power cut, before the call returns); the frequent others (state changes, notes) use WAL's
``synchronous=NORMAL``, safe against a crash of the app, without an fsync on the event
loop's thread for every poll answer. Checkpoints (copying the WAL into the main file, with
its fsyncs) run in a thread of their own every :data:`CHECKPOINT_EVERY` commits, not inside
a commit on the caller's thread as sqlite would by default. The store never holds the API key:
it only ever receives records, whose fields come from the request body and APIXO's answers,
and every free-text field (notes, failure codes and messages, history notes, small values)
goes through :func:`~veo_desktop.safe_text.safe` on its way in: secrets removed, control
characters escaped. This is the one place text reaches the database.

When the store cannot work it raises a :class:`StoreError` subclass that says what is wrong
and what to do, told apart by sqlite's error codes and the operating system's ``errno``, never
by message text: :class:`StoreFullError`, :class:`StoreReadOnlyError`,
:class:`StorePermissionError`, :class:`StoreBusyError`, :class:`StoreDiskError`. Only a file
that fails sqlite's integrity check (or is no database at all) is :class:`StoreCorruptError`,
the one case where moving the file away is advised; a copy is kept beside it first.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import logging
import math
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from json.scanner import make_scanner
from pathlib import Path, PurePath
from typing import Any, TypeVar, cast

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import IMPORTED_NOTE, StateChange, TaskRecord
from veo_desktop.safe_text import printable, safe
from veo_desktop.storage.library import FOLDED_HAS, LibraryRows, folded_has
from veo_desktop.storage.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    UNFINISHED_SQL,
    usable_prompt_index,
)
from veo_desktop.storage.storyboards import StoryboardRows

log = logging.getLogger(__name__)

#: :meth:`TaskStore.naming` has sqlite look for this many file keys at most (two ``instr``
#: each: ~50 ms for one at 100,000 tasks); more are looked for in every task's files.
_NAMING_LOOKED_UP_MOST = 8
#: Checkpoint the WAL into the main file, in a background thread, after this many commits.
CHECKPOINT_EVERY = 200
#: How long a write waits for another program's lock before it gives up (seconds).
BUSY_TIMEOUT = 10.0
#: The longest free text (a note, a failure message, a small value) the store keeps.
TEXT_LIMIT = 16_000
#: The longest failure code the store keeps.
CODE_LIMIT = 200

_COLUMNS = (
    "local_id",
    "model",
    "request",
    "state",
    "created_at",
    "updated_at",
    "apixo_task_id",
    "parent_id",
    "api_create_time",
    "api_complete_time",
    "api_cost_time",
    "fail_code",
    "fail_message",
    "result_urls",
    "files",
    "price",
    "note",
    "hidden",
    "balance_before",
    "results_at",
    "resubmit_of",
    "resubmitted_as",
    "reject_reason",
)
#: A history entry's note, when it is text (another type, left by another program, is none).
_NOTE = "CASE WHEN typeof(note) = 'text' THEN note END"
_SELECT = (
    "SELECT "
    + ", ".join(f"t.{c}" for c in _COLUMNS)
    + ", (SELECT json_group_array(json_array(printf('%!.17g', e.at), e.state, e.note)) FROM "
    f"(SELECT at, state, {_NOTE} AS note FROM task_events WHERE local_id = t.local_id"
    " ORDER BY id) AS e)"
    " FROM tasks AS t"
)
#: What :meth:`TaskStore.load_older_each` makes of each task.
_Made = TypeVar("_Made")
#: The tasks without their histories, which :meth:`TaskStore.load_all` reads in one more
#: query (:data:`_HISTORIES`) rather than as a JSON text built per row.
_TASKS = "SELECT " + ", ".join(_COLUMNS) + " FROM tasks WHERE {} ORDER BY created_at, rowid"
_HISTORIES = f"SELECT local_id, at, state, {_NOTE} FROM task_events WHERE {{}} ORDER BY id"
_MALFORMED = "SELECT count(*) FROM tasks WHERE ({}) AND NOT json_valid(request)"
#: Tasks among a JSON list of local ids (the parameter), for :meth:`TaskStore.load_recent`.
_AMONG = "local_id IN (SELECT value FROM json_each(?))"
#: Tasks created in [since, before) (the parameters), for :meth:`TaskStore.load_older_each`.
_PAGE = "local_id IN (SELECT local_id FROM tasks WHERE created_at >= ? AND created_at < ?)"
#: Rows built per pass when the store loads (see :meth:`TaskStore.load_all`).
_DECODE_SLICE = 2000
#: A field of a task's request input, as bytes (sqlite's JSON reader keeps what Python's does,
#: a lone surrogate too, which is no UTF-8 text: :func:`_input_text` reads them).
_FIELD = "CAST(CASE WHEN json_valid(request) THEN json_extract(request, '$.input.{}') END AS BLOB)"


def _whole(*fields: str) -> str:
    """SQL for the whole request of a task whose input ``fields`` sqlite would not read as
    Python does, for :func:`_input_text` to read: one holding a NUL (sqlite's JSON reader
    cuts a text short at one), or where one of them is no text (JSON ``true`` is 1 to
    sqlite, "True" to Python; a float is written another way); NULL for the others."""
    other = " OR ".join(f"json_type(request, '$.input.{f}') <> 'text'" for f in fields)
    return (
        "CASE WHEN instr(request, '\\u0000') THEN request"
        f" WHEN json_valid(request) AND ({other}) THEN request END"
    )


#: :meth:`TaskStore.distinct_prompts`: the newest use of each normal form (sqlite takes the
#: bare columns of a group from the row of its one ``max``).
_DISTINCT_PROMPTS = (
    "SELECT k, prompt, max(created_at) AS last_used, count(*), local_id FROM"
    " (SELECT veo_normal(p) AS k, p AS prompt, created_at, local_id FROM"
    f"  (SELECT veo_prompt({_FIELD.format('prompt')}, {_whole('prompt')}) AS p,"
    "   created_at, local_id FROM tasks WHERE created_at < ?))"
    " WHERE length(k) > 0 GROUP BY k ORDER BY last_used"
)
#: What :meth:`TaskStore.summaries` reads of each task: its columns, two fields of its
#: request (sqlite reads them), the first note of its history.
_SUMMARIES = (
    "SELECT t.local_id, t.created_at, t.state, t.price, t.apixo_task_id IS NOT NULL,"
    f" {_FIELD.format('mode')}, {_FIELD.format('prompt')}, {_whole('mode', 'prompt')},"
    f" (SELECT {_NOTE} FROM task_events WHERE local_id = t.local_id ORDER BY id LIMIT 1)"
    " FROM tasks t WHERE t.created_at >= ? AND t.created_at < ?"
)
_INSERT = f"INSERT INTO tasks ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
#: What a damaged column (see :func:`_damaged_request`) was read as: an update that brings
#: back just that keeps the stored text (a prompt someone may still recover), not this.
_KEEP_DAMAGED = {
    "request": ("{}", "object"),
    "result_urls": ("[]", "array"),
    "files": ("[]", "array"),
}


def _set(column: str) -> str:
    """``column = ?N`` of :data:`_UPDATE` (N: its place in :data:`_COLUMNS`, whose values
    an update binds); for a column that may be damaged, the stored text is kept when the
    record holds what a damaged one is read as."""
    value = f"?{_COLUMNS.index(column) + 1}"
    if column not in _KEEP_DAMAGED:
        return f"{column} = {value}"
    empty, kind = _KEEP_DAMAGED[column]
    return (  # (a CASE tries its tests in order: json_type never sees a malformed text)
        f"{column} = CASE WHEN {value} != '{empty}' THEN {value}"
        f" WHEN NOT json_valid({column}) THEN {column}"
        f" WHEN json_type({column}) != '{kind}' THEN {column} ELSE {value} END"
    )


_UPDATE = "UPDATE tasks SET " + ", ".join(_set(c) for c in _COLUMNS[1:]) + " WHERE local_id = ?1"


class StoreError(RuntimeError):
    """The task store cannot be opened or used; the message says why and what to do.

    Attributes:
        path: the store's file.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class StoreFullError(StoreError):
    """The disk (or the user's quota) is full: free space, nothing saved was lost."""


class StoreReadOnlyError(StoreError):
    """The disk or the file is read-only."""


class StorePermissionError(StoreError):
    """The user may not read or write the store's folder or file."""


class StoreBusyError(StoreError):
    """Another program holds the store's lock for too long."""


class StoreDiskError(StoreError):
    """The disk failed to read or write (an I/O error), or sqlite reported damage that its
    integrity check could not confirm."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of Veo Desktop."""


class StoreCorruptError(StoreError):
    """sqlite's integrity check proves the file damaged, or it is not a database at all.

    Attributes:
        backup: the copy kept beside it before anything else happens, or None when no copy
            could be made (the message then says to copy the file by hand first).
    """

    def __init__(self, message: str, path: Path | None = None, backup: Path | None = None) -> None:
        super().__init__(message, path)
        self.backup = backup


@dataclass(frozen=True)
class PlannedDownload:
    """One result URL of a task and the file it is (being) downloaded to."""

    index: int
    url: str
    path: Path


class TaskStore(StoryboardRows, LibraryRows):
    """All tasks (and storyboards, :class:`StoryboardRows`; ratings, tags, search:
    :class:`LibraryRows`), durably. Use :meth:`open`; call
    :meth:`close` when done.

    Not thread-safe: use it from the thread that opened it (the event loop's).
    """

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        db.create_function(FOLDED_HAS, 2, folded_has, deterministic=True)
        self.path = path
        self._depth = 0
        self._durable = False
        self._commits = 0
        self._checkpointer: threading.Thread | None = None
        #: What the one damage check found (a damaged file, or a check that passed).
        self._damage: StoreCorruptError | StoreDiskError | None = None

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> TaskStore:
        """Open (or create) the store at ``path`` and bring its schema up to date.

        Args:
            path: the sqlite file.
            busy_timeout: how long a write waits for another program's lock (seconds).

        Raises:
            StoreCorruptError: the file is damaged (proven by sqlite's integrity check) or
                not a database; a copy was kept beside it (``backup``).
            StoreVersionError: a newer version of Veo Desktop wrote it.
            StoreError: another reason (see its subclasses): disk full, read-only, no
                permission, locked, an I/O error.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _os_error(path, error) from error
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("task store %s: journal mode is %s, not WAL", path, mode)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA wal_autocheckpoint = 0")  # see _checkpoint_soon
            db.execute("PRAGMA foreign_keys = ON")
            _migrate(db, path)
            usable_prompt_index(db)  # a library made where sqlite has FTS5, opened where not
        except sqlite3.Error as error:
            if db is not None:
                db.close()
            raise _sqlite_error(path, error) from error
        except StoreError:
            if db is not None:
                db.close()
            raise
        return cls(db, path)

    @classmethod
    def open_reader(cls, path: Path) -> TaskStore:
        """A read-only connection to a store that :meth:`open` brought up to date, for a
        thread of its own (the record book's background load): it never writes, migrates or
        checkpoints. :meth:`interrupt` stops what it reads from another thread.

        Raises:
            StoreError: the file cannot be read (see :meth:`open`).
        """
        path = Path(path)
        try:
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
            )
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        except sqlite3.Error as error:
            raise _sqlite_error(path, error) from error
        return cls(db, path)

    def interrupt(self) -> None:
        """Stop the query under way (from any thread): it fails with a :class:`StoreError`."""
        with contextlib.suppress(sqlite3.Error):
            self._db.interrupt()

    def _sync_wal(self) -> None:
        """fsync the write-ahead log, which holds every commit made so far."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            fd = os.open(wal, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return  # everything is already in the main file
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _checkpoint_soon(self) -> None:
        """Copy the WAL into the main file from another thread and connection.

        sqlite's automatic checkpoint would run inside a commit, on the event loop's thread,
        and fsync there: tens of milliseconds while the disk is busy (a video being written,
        say). A passive checkpoint lets this connection go on committing meanwhile.
        """
        if self._checkpointer is not None and self._checkpointer.is_alive():
            return
        self._checkpointer = threading.Thread(
            target=_checkpoint, args=(self.path,), name="task-store-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.join()
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA optimize")
        self._db.close()

    def __enter__(self) -> TaskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TaskStore({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[None]:
        """Group writes into one atomic commit (nested calls join the outer one).

        Args:
            durable: fsync the commit before returning (power-cut safe), not just make it
                crash safe. A nested durable call makes the outer commit durable.
        """
        if durable:
            self._durable = True
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            self._durable = False
            raise self._failure(error) from error
        self._depth = 1
        try:
            yield
        except BaseException as error:
            self._depth = 0
            self._durable = False
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._failure(error) from error
            raise
        self._depth = 0
        durable, self._durable = self._durable, False
        try:
            self._db.execute("COMMIT")
            self._commits += 1
            if self._commits % CHECKPOINT_EVERY == 0:
                self._checkpoint_soon()
            if durable:
                # The WAL holds this commit (and every earlier one): one fsync makes it all
                # durable. A FULL checkpoint would also rewrite the main file; not needed.
                self._sync_wal()
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise self._failure(error) from error
        except OSError as error:
            raise _os_error(self.path, error) from error

    # -- reading -------------------------------------------------------------------------

    def data_version(self) -> int:
        """A number that changes when another connection (another process) commits.

        Two readings on this store that are equal mean nothing was written meanwhile but
        through this store itself (sqlite's ``PRAGMA data_version``).
        """
        return int(self._read("PRAGMA data_version")[0][0])

    def _failure(self, error: sqlite3.Error) -> StoreError:
        """The :class:`StoreError` for a failure of this store's connection.

        sqlite reporting damage is checked once (the check reads the whole file, on the
        caller's thread): a copy is kept only the first time, and a check that passed is
        not run again for every later failure.
        """
        if _primary(error) not in _DAMAGE:
            return _sqlite_error(self.path, error)
        if self._damage is None:
            found = _damage_error(self.path, error)
            if not isinstance(found, StoreCorruptError | StoreDiskError):
                return found  # the check itself could not run (busy...): try it next time
            self._damage = found
        if isinstance(self._damage, StoreCorruptError):
            return StoreCorruptError(str(self._damage), self.path, self._damage.backup)
        return StoreDiskError(str(self._damage), self.path)

    def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query; an sqlite failure becomes the matching :class:`StoreError`."""
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def load_all(self, *, stop: Callable[[], bool] | None = None) -> list[TaskRecord]:
        """Every task with its history, oldest first (``stop``: asked between slices of
        rows; when it says True, the load ends with a :class:`StoreError`).

        Two queries in one read transaction (both see the same commit): the histories,
        grouped by task, then the tasks, built :data:`_DECODE_SLICE` rows at a time.
        Building the histories from rows is faster than sqlite writing each one as JSON
        text and Python reading it back. Slices keep what is freed small: a load in a
        thread never holds the GIL for long (freeing 100,000 rows at once took 200 ms).
        The cyclic garbage collector waits meanwhile: records hold no cycles, and its
        passes over the growing heap took a third of the time at 100,000 tasks.
        """
        return self._load("1", (), stop=stop)

    def _load(
        self, where: str, parameters: Sequence[Any], *, stop: Callable[[], bool] | None = None
    ) -> list[TaskRecord]:
        """The tasks ``where`` (an SQL condition on ``local_id`` and the task's columns, with
        its ``parameters``) says, with their histories, as :meth:`load_all` reads them."""
        records: list[TaskRecord] = []
        with _collector_paused(), self._snapshot():
            try:
                histories = _histories(self._db.execute(_HISTORIES.format(where), parameters))
                well_formed = not self._db.execute(_MALFORMED.format(where), parameters).fetchone()[
                    0
                ]
                cursor = self._db.execute(_TASKS.format(where), parameters)
                while rows := cursor.fetchmany(_DECODE_SLICE):
                    if stop is not None and stop():
                        raise StoreError("The tasks' load was stopped.", self.path)
                    requests = _requests(rows, well_formed=well_formed)
                    records += [
                        _build(row, histories.pop(row[0], ()), request)
                        for row, request in zip(rows, requests, strict=True)
                    ]
            except sqlite3.Error as error:
                raise self._failure(error) from error
        return records

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads inside see one commit (a read transaction; inside a write one: that one)."""
        if self._depth:
            yield
            return
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as error:
            raise self._failure(error) from error
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("COMMIT")

    def get(self, local_id: str) -> TaskRecord | None:
        rows = self._read(_SELECT + " WHERE t.local_id = ?", (local_id,))
        return _record(rows[0]) if rows else None

    def load_recent(
        self, *, since: float, newest: int, besides: Sequence[str] = ()
    ) -> list[TaskRecord]:
        """The tasks a window needs first, oldest first: every unfinished one (under way,
        or uncertain), every one created since ``since`` (unix seconds), the ``newest``
        newest, and those of ``besides`` (local ids); with their histories. :meth:`load_all`
        reads the rest (``RecordBook.load_rest``). Each part is found by an index."""
        chosen = (
            f"SELECT local_id FROM tasks WHERE {UNFINISHED_SQL}"
            " UNION SELECT local_id FROM tasks WHERE created_at >= ?"
            " UNION SELECT local_id FROM"
            " (SELECT local_id FROM tasks ORDER BY created_at DESC LIMIT ?)"
        )
        ids = {row[0] for row in self._read(chosen, (since, newest))}
        ids.update(besides)
        return self.load_among(sorted(ids))

    def _page_start(self, before: float, count: int) -> float:
        """When the oldest of the ``count`` newest tasks created before ``before`` was."""
        rows = self._read(
            "SELECT created_at FROM tasks WHERE created_at < ?"
            " ORDER BY created_at DESC LIMIT 1 OFFSET ?",
            (before, count - 1),
        )
        return float(rows[0][0]) if rows else -math.inf

    def load_older_each(
        self, before: float, count: int, convert: Callable[[TaskRecord], _Made | None]
    ) -> tuple[list[_Made], list[str]]:
        """The ``count`` newest tasks created before ``before`` (unix seconds), with every
        other one created at the moment of the oldest of them (a page of a list read newest
        first ends between two moments; fewer than ``count``: there are no others before
        ``before``), oldest first, each passed to ``convert`` as it is decoded (without its
        history) and only what ``convert`` makes kept: a page read into a few facts a task
        without holding its records all at once (each one's memory is reused by the next
        instead of being left scattered among what is kept). Returns what was made, oldest
        first, and the local ids of the tasks ``convert`` made nothing of (:meth:`load_among`
        reads them whole)."""
        since = self._page_start(before, count)
        made: list[_Made] = []
        left: list[str] = []
        with _collector_paused(), self._snapshot():
            try:
                for row in self._db.execute(_TASKS.format(_PAGE), (since, before)):
                    (request,) = _requests((row,), well_formed=False)
                    one = convert(_build(row, (), request))
                    if one is None:
                        left.append(row[0])
                    else:
                        made.append(one)
            except sqlite3.Error as error:
                raise self._failure(error) from error
        return made, left

    def load_among(self, local_ids: Sequence[str]) -> list[TaskRecord]:
        """The tasks with these local ids (those there are), oldest first, with their
        histories."""
        return self._load(_AMONG, (json.dumps(list(local_ids)),))

    def summaries(self, since: float, until: float = math.inf) -> Iterator[TaskSummary]:
        """Every task created from ``since`` to before ``until`` (unix seconds), as counting
        needs it (:class:`TaskSummary`), in no particular order: read from its columns (no
        request or history decoded), :data:`_DECODE_SLICE` rows at a time, in one read
        transaction. Read it through before the store closes.

        Raises:
            StoreError: the store cannot be read.
        """
        imported = IMPORTED_NOTE + " "
        states = _STATES
        try:
            cursor = self._db.execute(_SUMMARIES, (since, until))
            while rows := cursor.fetchmany(_DECODE_SLICE):
                for local_id, created_at, state, price, charged, mode, prompt, whole, note in rows:
                    yield TaskSummary(
                        local_id,
                        float(created_at),
                        states[state],
                        _price(price),
                        bool(charged),
                        _input_text(mode, whole, "mode", "fast"),
                        _input_text(prompt, whole, "prompt", ""),
                        note is not None and note.startswith(imported),
                    )
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def distinct_prompts(
        self, normal: Callable[[str], str], until: float = math.inf
    ) -> Iterator[tuple[str, str, float, int, str]]:
        """Every distinct prompt of the tasks created before ``until`` (unix seconds; hidden
        ones too), grouped by sqlite: its normal form (``normal(prompt)``; prompts with the
        same one are one prompt, an empty one is none), its text as last used, when it was
        last used, how many tasks used it, the local id of the newest; oldest last use
        first, :data:`_DECODE_SLICE` rows at a time. Read it through before the store
        closes.

        Raises:
            StoreError: the store cannot be read.
        """
        # (bytes: a prompt may hold a lone surrogate, which is no UTF-8 text)
        self._db.create_function(
            "veo_prompt",
            2,
            lambda field, whole: _input_text(field, whole, "prompt", "").encode(
                "utf-8", "surrogatepass"
            ),
            deterministic=True,
        )
        self._db.create_function(
            "veo_normal",
            1,
            lambda prompt: normal(_field_text(prompt)).encode("utf-8", "surrogatepass"),
            deterministic=True,
        )
        try:
            cursor = self._db.execute(_DISTINCT_PROMPTS, (until,))
            while rows := cursor.fetchmany(_DECODE_SLICE):
                for key, prompt, last_used, uses, local_id in rows:
                    yield _field_text(key), _field_text(prompt), last_used, uses, local_id
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def load_since(self, since: float) -> list[TaskRecord]:
        """Every task created since ``since`` (unix seconds), oldest first."""
        rows = self._read(
            _SELECT + " WHERE t.created_at >= ? ORDER BY t.created_at, t.rowid", (since,)
        )
        return [_record(row) for row in rows]

    def naming(self, keys: Collection[str]) -> list[str]:
        """The local ids of the tasks (hidden ones too) that list a file whose
        :func:`file_key` is one of ``keys``, oldest first: those that may name the same
        files (what a removal must keep). For a few keys sqlite first narrows the rows to
        those holding one of them as the JSON spells it, or any ``\\u`` escape (another
        writer may spell a letter that way); more are looked for in every task's files.

        Raises:
            StoreError: the store cannot be read.
        """
        if not keys:
            return []
        sql = "SELECT local_id, files FROM tasks WHERE files != '[]'"
        spelled: list[str] = []
        # (a key holding another, "clip.mp4" and "clip", is found where that one is; a
        # removal of many files, Clean up's say, reads every row without comparing them)
        few = len(keys) <= 4 * _NAMING_LOOKED_UP_MOST
        shortest = [k for k in keys if not any(o != k and o in k for o in keys)] if few else []
        if few and len(shortest) <= _NAMING_LOOKED_UP_MOST:
            spelled = sorted(
                {
                    text
                    for key in shortest
                    for ascii_only in (False, True)
                    if _bindable(text := json.dumps(key, ensure_ascii=ascii_only)[1:-1])
                }
            )
            looks = ["instr(files, '\\u') > 0", *("instr(files, ?) > 0" for _ in spelled)]
            sql += " AND (" + " OR ".join(looks) + ")"
        found = []
        try:
            cursor = self._db.execute(sql + " ORDER BY created_at, rowid", spelled)
            while rows := cursor.fetchmany(_DECODE_SLICE):
                for local_id, files in rows:
                    listed = _json_or_none(files)
                    if isinstance(listed, list) and any(
                        isinstance(name, str) and file_key(name) in keys for name in listed
                    ):
                        found.append(str(local_id))
        except sqlite3.Error as error:
            raise self._failure(error) from error
        return found

    def ids_in_states_or_hidden(self, states: Collection[str]) -> list[str]:
        """The local ids of the tasks in one of ``states`` (their values), or hidden, oldest
        first: those Clean up may choose (see :func:`veo_desktop.core.cleanup.cleanup_plan`).

        Raises:
            StoreError: the store cannot be read.
        """
        marks = ", ".join("?" for _ in states) or "NULL"
        rows = self._read(
            f"SELECT local_id FROM tasks WHERE state IN ({marks}) OR hidden = 1 "
            "ORDER BY created_at, rowid",
            list(states),
        )
        return [str(row[0]) for row in rows]

    def file_names(self) -> set[str]:
        """Every file name a task lists (hidden ones too; a damaged list names none).

        Raises:
            StoreError: the store cannot be read.
        """
        names: set[str] = set()
        try:
            cursor = self._db.execute("SELECT files FROM tasks WHERE files != '[]'")
            while rows := cursor.fetchmany(_DECODE_SLICE):
                for (files,) in rows:
                    listed = _json_or_none(files)
                    if isinstance(listed, list):
                        names.update(name for name in listed if isinstance(name, str))
        except sqlite3.Error as error:
            raise self._failure(error) from error
        return names

    def ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        """Up to ``limit`` local ids that start with ``prefix`` (local ids are lower case)."""
        rows = self._read(
            "SELECT local_id FROM tasks WHERE substr(local_id, 1, ?) = ? LIMIT ?",
            (len(prefix), prefix.lower(), limit),
        )
        return [str(row[0]) for row in rows]

    def count(self, *, hidden: bool | None = None) -> int:
        """How many tasks there are (``hidden``: only those hidden, or not hidden)."""
        if hidden is None:
            return int(self._read("SELECT count(*) FROM tasks")[0][0])
        return int(self._read("SELECT count(*) FROM tasks WHERE hidden = ?", (int(hidden),))[0][0])

    def find_by_apixo_id(self, apixo_task_id: str) -> TaskRecord | None:
        rows = self._read(
            _SELECT + " WHERE t.apixo_task_id = ? ORDER BY t.created_at LIMIT 1",
            (apixo_task_id,),
        )
        return _record(rows[0]) if rows else None

    # -- writing -------------------------------------------------------------------------

    def insert(self, record: TaskRecord, *, durable: bool = True) -> None:
        """Write a new task and its history so far, in one (durable) transaction."""
        with self.transaction(durable=durable):
            self._db.execute(_INSERT, _values(record))
            self._db.executemany(
                "INSERT INTO task_events (local_id, at, state, note) VALUES (?, ?, ?, ?)",
                _events(record.local_id, record.history),
            )

    def update(
        self,
        record: TaskRecord,
        *,
        new_events: Sequence[StateChange] = (),
        durable: bool = False,
    ) -> None:
        """Write every field of ``record`` and append ``new_events``, in one transaction.

        Raises:
            KeyError: no task has this local id.
        """
        values = _values(record)
        with self.transaction(durable=durable):
            cursor = self._db.execute(_UPDATE, values)
            if cursor.rowcount != 1:
                raise KeyError(record.local_id)
            if new_events:
                self._db.executemany(
                    "INSERT INTO task_events (local_id, at, state, note) VALUES (?, ?, ?, ?)",
                    _events(record.local_id, new_events),
                )

    # -- downloads -----------------------------------------------------------------------

    def plan_downloads(self, local_id: str, planned: Sequence[PlannedDownload]) -> None:
        """Remember which file each result URL goes to (kept if already planned)."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO downloads (local_id, idx, url, path) VALUES (?, ?, ?, ?)",
                [(local_id, p.index, p.url, str(p.path)) for p in planned],
            )

    def planned_downloads(self, local_id: str) -> list[PlannedDownload]:
        rows = self._read(
            "SELECT idx, url, path FROM downloads WHERE local_id = ? ORDER BY idx", (local_id,)
        )
        return [PlannedDownload(int(i), str(u), Path(p)) for i, u, p in rows]

    def planned_paths(self) -> set[str]:
        """Every file path any task plans to download to (to keep names unique)."""
        return {str(row[0]) for row in self._read("SELECT path FROM downloads")}

    # -- small values ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Remember a small value (never a secret: it is redacted and escaped on its way)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, safe(value, TEXT_LIMIT)),
            )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside (as it was before, after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _checkpoint(path: Path) -> None:
    try:
        db = sqlite3.connect(path, timeout=10.0)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()
    except sqlite3.Error as error:
        log.warning("task store %s: checkpoint failed: %s", path, error)


# -- telling failures apart ---------------------------------------------------------------------

_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_AUTH = 23
_SQLITE_NOTADB = 26
_DAMAGE = frozenset({_SQLITE_CORRUPT, _SQLITE_NOTADB})
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
#: What the probe of a failing store writes (one page of sqlite's shared-memory file).
_PROBE_BYTES = 32 * 1024


def _primary(error: sqlite3.Error) -> int | None:
    """sqlite's primary result code (the low byte of the extended one), if it gave one."""
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _code_name(error: sqlite3.Error) -> str:
    return str(getattr(error, "sqlite_errorname", None) or type(error).__name__)


def _where(path: Path) -> str:
    return printable(str(path.parent))


def _full(path: Path) -> StoreFullError:
    return StoreFullError(
        f"Disk full: free some space in {_where(path)}; nothing was lost. "
        f"The task store {printable(path.name)} could not save the latest change.",
        path,
    )


def _read_only(path: Path, what: str) -> StoreReadOnlyError:
    return StoreReadOnlyError(
        f"The task store {printable(str(path))} cannot be written: {what} is read-only. "
        f"Make {_where(path)} writable (or choose another data folder) and try again; "
        "nothing was lost.",
        path,
    )


def _permission(path: Path) -> StorePermissionError:
    return StorePermissionError(
        f"No permission to write the task store in {_where(path)}. Give your user write "
        "permission there (or choose another data folder) and try again; nothing was lost.",
        path,
    )


def _os_error(path: Path, error: OSError) -> StoreError:
    """The :class:`StoreError` for an operating-system failure around the store."""
    if error.errno in _FULL_ERRNOS:
        return _full(path)
    if error.errno == errno.EROFS:
        return _read_only(path, "the disk")
    if error.errno in _PERMISSION_ERRNOS:
        return _permission(path)
    reason = printable(error.strerror or str(error), 300)
    return StoreDiskError(
        f"Could not use the task store {printable(str(path))}: {reason}. Check the disk "
        "and try again; nothing was deleted.",
        path,
    )


def _diagnose(path: Path) -> StoreError | None:
    """Why sqlite could not open or write ``path``: what the system says on trying.

    Opens the file for writing, then creates and removes a probe file beside it (sqlite
    creates its ``-wal`` and ``-shm`` files there). None: both worked.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        pass
    except OSError as error:
        if error.errno == errno.EPERM or (error.errno == errno.EACCES and not _writable_mode(path)):
            return _read_only(path, "the file")  # no write bits, or chattr +i
        return _os_error(path, error)
    else:
        os.close(fd)
    probe = path.with_name(f".{path.name}.probe-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            # A full disk still takes an empty file (inodes are left): write a page, as
            # sqlite must to grow its -wal and -shm files.
            os.write(fd, b"\0" * _PROBE_BYTES)
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
    except OSError as error:
        return _os_error(path, error)
    return None


def _writable_mode(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o222)
    except OSError:
        return True


def _sqlite_error(path: Path, error: sqlite3.Error) -> StoreError:
    """The :class:`StoreError` for an sqlite failure, by its result code."""
    code = _primary(error)
    if code == _SQLITE_FULL:
        return _full(path)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusyError(
            f"The task store {printable(str(path))} is in use by another program (another "
            "copy of Veo Desktop, a backup or sync tool). Close it and try again; nothing "
            "was lost.",
            path,
        )
    if code in (_SQLITE_PERM, _SQLITE_AUTH):
        return _permission(path)
    if code in (_SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_IOERR):
        cause = _diagnose(path)
        if cause is not None:
            return cause
        if code == _SQLITE_READONLY:
            return _read_only(path, "the file")
    if code in _DAMAGE:
        return _damage_error(path, error)
    return StoreDiskError(
        f"Could not use the task store {printable(str(path))}: {safe(str(error), 300)} "
        f"({_code_name(error)}). Check the disk and try again; nothing was deleted.",
        path,
    )


def _damage_error(path: Path, error: sqlite3.Error) -> StoreError:
    """sqlite reported damage on opening: prove it with an integrity check, keep a copy."""
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
        try:
            rows = db.execute("PRAGMA integrity_check(20)").fetchall()
        finally:
            db.close()
    except sqlite3.Error as check_error:
        if _primary(check_error) not in _DAMAGE:
            return _sqlite_error(path, check_error)
        finding = f"{_code_name(check_error)}: {check_error}"
        not_a_database = _primary(check_error) == _SQLITE_NOTADB
    else:
        if [tuple(row) for row in rows] == [("ok",)]:
            return StoreDiskError(
                f"sqlite reported damage in the task store {printable(str(path))} "
                f"({_code_name(error)}) but its integrity check passed. Try again; if it "
                "keeps happening, check the disk. Nothing was deleted.",
                path,
            )
        finding = "; ".join(str(row[0]) for row in rows[:3])
        not_a_database = False
    return _corrupt(path, finding, not_a_database=not_a_database)


def _corrupt(path: Path, finding: str, *, not_a_database: bool) -> StoreCorruptError:
    shown = printable(str(path))
    if not_a_database:
        what = f"The file {shown} is not a Veo Desktop task store (not an sqlite database)."
    else:
        what = (
            f"The task store {shown} is damaged: sqlite's integrity check failed "
            f"({safe(finding, 300)})."
        )
    try:
        backup = _keep_copy(path)
    except OSError as error:
        log.warning("task store %s: could not keep a copy: %s", path, error)
        reason = printable(error.strerror or str(error), 200)
        return StoreCorruptError(
            f"{what} A copy could not be kept beside it ({reason}): copy {shown} somewhere "
            "safe first (it still holds your task ids); then, to start a new store, quit "
            "Veo Desktop and move it away. Your videos are not affected.",
            path,
        )
    log.warning("task store %s is damaged (%s); a copy was kept at %s", path, finding, backup)
    return StoreCorruptError(
        f"{what} A copy was kept at {printable(str(backup))}. To start a new store, quit "
        f"Veo Desktop and move {shown} away (with any {printable(path.name)}-wal beside "
        "it); the copy still holds your task ids for recovery. Your videos are not affected.",
        path,
        backup,
    )


def _keep_copy(path: Path) -> Path:
    """Copy the store (and its WAL, which may hold the last commits) beside it.

    Raises:
        OSError: the copy could not be made (a partial copy is removed).
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        suffix = "" if attempt == 1 else f"-{attempt}"
        backup = path.with_name(f"{path.stem}.damaged-{stamp}{suffix}{path.suffix}")
        if not backup.exists():
            break
    else:
        raise FileExistsError(errno.EEXIST, "too many copies already", str(backup))
    made: list[Path] = []
    try:
        for source, target in (
            (path, backup),
            (path.with_name(path.name + "-wal"), backup.with_name(backup.name + "-wal")),
        ):
            if source.exists():
                made.append(target)
                shutil.copyfile(source, target)
    except OSError:
        for target in made:
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    return backup


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"The task store {path} was written by a newer version of Veo Desktop "
            f"(schema {version}; this version knows {SCHEMA_VERSION}). Update Veo Desktop.",
            path,
        )
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current > number:
                db.execute("COMMIT")
                continue
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        log.info("task store %s migrated to schema %d", path, number + 1)
    if version < SCHEMA_VERSION:
        # Each migration rewrote the schema's pages into the WAL: fold them into the file
        # once, so a small disk is not filled by copies of the same pages.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(value: str | None, limit: int = TEXT_LIMIT) -> str | None:
    """Free text on its way into the database: no secret, no control character, bounded."""
    return None if value is None else safe(value, limit)


def _events(local_id: str, changes: Sequence[StateChange]) -> list[tuple[Any, ...]]:
    return [(local_id, c.at, c.state.value, _text(c.note)) for c in changes]


def _values(r: TaskRecord) -> tuple[Any, ...]:
    return (
        r.local_id,
        r.model,
        _dump(dict(r.request)),
        r.state.value,
        r.created_at,
        r.updated_at,
        r.apixo_task_id,
        r.parent_id,
        r.api_create_time,
        r.api_complete_time,
        r.api_cost_time,
        _text(r.fail_code, CODE_LIMIT),
        _text(r.fail_message),
        _dump(list(r.result_urls)),
        _dump(list(r.files)),
        str(r.price),
        _text(r.note),
        1 if r.hidden else 0,
        None if r.balance_before is None else str(r.balance_before),
        r.results_at,
        r.resubmit_of,
        r.resubmitted_as,
        None if r.reject_reason is None else r.reject_reason.value,
    )


#: The prices read so far, by their text: a library has a few prices, so its records share
#: their Decimals (immutable) rather than hold one each.
_PRICES: dict[str, Decimal] = {}


def _price(text: str) -> Decimal:
    price = _PRICES.get(text)
    if price is None:
        price = _decimal(text) or Decimal("0")
        if len(_PRICES) < 1000:
            _PRICES[text] = price
    return price


def _decimal(value: str | bytes | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bytes):  # (left by another program)
        value = value.decode("ascii", "replace")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


_STATES = {state.value: state for state in TaskState}
_REASONS = {reason.value: reason for reason in RejectReason}


def _reason(value: str | None) -> RejectReason | None:
    """The stored reason (one a newer version wrote and this one does not know: None,
    which decides as a refusal: nothing is sent again on its account)."""
    return None if value is None else _REASONS.get(value)


_decode = json.JSONDecoder().decode
#: The C scanner behind ``json.loads``, without its Python wrappers (two regex matches and
#: two calls per text): the store decodes several texts per task when it loads.
# (typeshed names the scanner's own class as its argument; a decoder is what it takes)
_scan = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def file_key(name: str) -> str:
    """The last part of the file ``name`` as ``Path`` tidies it (a trailing slash, a ``.``
    dropped), after its last slash or backslash on every system: what
    :meth:`TaskStore.naming` compares (always a part of ``name``: an empty name's is
    empty, not ``Path``'s ".")."""
    last = name.rpartition("/")[2].rpartition("\\")[2]
    if last and last != ".":  # (what ``Path`` leaves as it is: most names, quickly)
        return last
    if not name:
        return ""
    return str(PurePath(name)).rpartition("/")[2].rpartition("\\")[2]


def _bindable(text: str) -> bool:
    """Whether sqlite can take ``text`` as a parameter (a lone surrogate is no UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json(text: str) -> Any:
    """``json.loads(text)`` for the texts the store writes (compact, no padding), faster;
    any other text goes through ``json.loads``' own checks (and its errors)."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _decode(text)
    return value if end == len(text) else _decode(text)


#: Short texts that many tasks repeat (a request's mode, generation type, aspect ratio...,
#: model names, failure codes and messages, history notes), each held once by every record
#: read: a string is immutable, so records can share it. Bounded: a library of unusual
#: values keeps the first ones and holds its own copies of the rest.
_SHARED: dict[str, str] = {}
_SHARED_MOST = 4096
_SHARED_LONGEST = 400
#: The request's values that take a few values only (the API's choices, a person's usual
#: watermark), outside ``input`` and inside it: never the prompt, the image URLs or the
#: source task's id, which are each task's own.
_REQUEST_CHOICES = ("request_type", "provider", "callback_url")
_INPUT_CHOICES = ("mode", "generationType", "aspect_ratio", "watermark")


def _shared(text: str) -> str:
    """``text``, or an equal string read before (see :data:`_SHARED`). A column that holds
    no text (bytes or a number, left by another program) is read as text
    (:func:`_column_text`)."""
    found = _SHARED.get(text)
    if found is not None:
        return found
    if type(text) is not str:
        return _column_text(text)
    if len(_SHARED) < _SHARED_MOST and len(text) <= _SHARED_LONGEST:
        _SHARED[text] = text
    return text


def _column_text(value: object) -> str:
    """A text column's value that is not text, as text: bytes decoded as UTF-8 (as
    :func:`_field_text` reads them), a number written out."""
    if isinstance(value, bytes):
        return _field_text(value)
    return str(value)


def _requests(rows: Sequence[Sequence[Any]], *, well_formed: bool) -> list[Any]:
    """The rows' ``request`` texts, decoded in one pass over the texts joined into one list:
    the keys ("input", "prompt"...) are then one string per pass, not one per task (40 MB at
    100,000 tasks). Joined, a malformed text could shift its neighbours, so this is done
    only when sqlite found every text ``well_formed``; else one by one. The values of
    :data:`_REQUEST_CHOICES` and :data:`_INPUT_CHOICES` are then shared among the tasks."""
    texts = [row[2] for row in rows]
    requests: list[Any] = []
    if texts and well_formed:
        try:
            joined = _scan("[" + ",".join(texts) + "]", 0)[0]
        except (TypeError, RecursionError):  # (a BLOB sqlite reads as JSON, or nested
            joined = []  # deeper than Python reads: one by one)
        if len(joined) == len(texts):
            requests = joined
    if len(requests) != len(texts):
        requests = [_json_or_none(text) for text in texts]
    for index, request in enumerate(requests):
        if type(request) is not dict:
            requests[index] = _damaged_request(rows[index][0])
    _share_choices(requests)
    return requests


def _input_text(field: bytes | None, whole: str | bytes | None, name: str, default: str) -> str:
    """A field of a request's input, as a record reads it: from sqlite's reading of it
    (``field``, :data:`_FIELD`), or from the ``whole`` request when sqlite's reading is cut
    short (:func:`_whole`); ``default`` when there is none."""
    if whole is not None:
        request = _json_or_none(whole)
        data = request.get("input") if type(request) is dict else None
        return str(data.get(name, default)) if type(data) is dict else default
    return default if field is None else _field_text(field)


def _field_text(field: bytes | None) -> str:
    """A request field read by :data:`_FIELD` as Python reads it: its text (a lone surrogate
    kept as Python's JSON decoder keeps it; anything else undecodable replaced)."""
    if field is None:
        return ""
    try:
        return field.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return field.decode("utf-8", "replace")


def _json_or_none(text: object) -> Any:
    """:func:`_json` of ``text``; None for a text that is not JSON, or no text at all."""
    try:
        return _json(text)  # type: ignore[arg-type]
    except (ValueError, TypeError, RecursionError):
        return None


def _damaged_request(local_id: object) -> dict[str, Any]:
    """The request of a task whose stored one is damaged (not a JSON object: a bad write,
    another program): an empty one. The task is still loaded, its ids, state, price and
    files intact (nothing paid for is lost), without its settings."""
    log.warning(
        "task %s: its stored settings are damaged; it is loaded without them",
        safe(str(local_id), 64),
    )
    return {}


def _share_choices(requests: list[Any]) -> None:
    """Replace, in the freshly decoded ``requests`` (no one else holds them yet), each
    string of :data:`_REQUEST_CHOICES` and :data:`_INPUT_CHOICES` by its shared copy."""
    for request in requests:
        if type(request) is not dict:
            continue
        _share_values(request, _REQUEST_CHOICES)
        data = request.get("input")
        if type(data) is dict:
            _share_values(data, _INPUT_CHOICES)


def _share_values(values: dict[str, Any], keys: Sequence[str]) -> None:
    """Replace each string of ``values`` under ``keys`` by its shared copy."""
    shared = _SHARED
    for key in keys:
        value = values.get(key)
        if type(value) is str:
            found = shared.get(value)
            if found is not None:
                values[key] = found
            else:
                _shared(value)


def _list(text: str) -> tuple[Any, ...]:
    """A stored list of strings (result URLs, files) as a tuple, as ``json.loads`` reads it.
    Without a backslash, a JSON string holds no quote, so a compact list splits on its
    quotes exactly; anything else (padding, escapes, other values) goes to the decoder."""
    if text == "[]":
        return ()
    if type(text) is not str:
        return _damaged_list()
    if (
        len(text) > 3
        and text[:2] == '["'
        and text[-2:] == '"]'
        and "\\" not in text
        and text.isprintable()  # a control character is an error for json.loads
    ):
        inner = text[2:-2]
        if '"' not in inner:
            return (inner,)
        items = inner.split('","')
        if text.count('"') == 2 * len(items):
            return tuple(items)
    value = _json_or_none(text)
    return tuple(value) if type(value) is list else _damaged_list()


def _damaged_list() -> tuple[Any, ...]:
    """A task's stored list (result URLs, files) that is damaged, as no list at all."""
    log.warning("a task's stored list of result URLs or files is damaged; read as empty")
    return ()


class _NewChange:
    """A :class:`StateChange` while the store fills it: the same slots, writable. Filled, it
    becomes a StateChange (Python lets an object change to a class of the same layout).
    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, twice as
    slow: 100 ms more for the 300,000 history entries of 100,000 tasks."""

    __slots__ = StateChange.__slots__


class _NewRecord:
    """A :class:`TaskRecord` while :func:`_build` fills it (see :class:`_NewChange`): 190 ms
    less than ``TaskRecord(...)`` at 100,000 tasks."""

    __slots__ = TaskRecord.__slots__


_new = object.__new__


def _change(at: Any, state: str, note: Any) -> StateChange:
    """A history entry from its stored values (its note shared: see :data:`_SHARED`)."""
    change: Any = _new(_NewChange)
    change.at = float(at)
    change.state = _STATES[state]
    change.note = None if note is None else _shared(note)  # (text: see _NOTE)
    change.__class__ = StateChange
    return cast(StateChange, change)


def _histories(rows: Iterable[Sequence[Any]]) -> dict[str, tuple[StateChange, ...]]:
    """Every task's history from rows of :data:`_HISTORIES` (in order), by local id (each
    entry as :func:`_change` builds it, inlined: this runs once per entry of the library)."""
    states = _STATES
    new = _new
    grouped: dict[str, list[StateChange]] = {}
    for local_id, at, state, note in rows:
        change: Any = new(_NewChange)
        change.at = float(at)
        change.state = states[state]
        change.note = None if note is None else _shared(note)  # (text: see _NOTE)
        change.__class__ = StateChange
        entries = grouped.get(local_id)
        if entries is None:
            grouped[local_id] = [change]
        else:
            entries.append(change)
    return {local_id: tuple(entries) for local_id, entries in grouped.items()}


def _record(row: Sequence[Any]) -> TaskRecord:
    """Build a record from a row of :data:`_SELECT` (its history as JSON, last)."""
    events = row[-1]
    history = tuple([_change(at, s, n) for at, s, n in _json(events)] if events else ())
    (request,) = _requests((row,), well_formed=False)
    return _build(row, history, request)


def _build(row: Sequence[Any], history: tuple[StateChange, ...], request: Any) -> TaskRecord:
    """Build a record from the :data:`_COLUMNS` of a row, its history and its request
    decoded (the hot path of loading a store: every field is set here, as a
    :class:`_NewRecord`'s slot; a test reads each field of records loaded)."""
    (
        local_id,
        model,
        _request_text,
        state,
        created_at,
        updated_at,
        apixo_task_id,
        parent_id,
        api_create_time,
        api_complete_time,
        api_cost_time,
        fail_code,
        fail_message,
        result_urls,
        files,
        price,
        note,
        hidden,
        balance_before,
        results_at,
        resubmit_of,
        resubmitted_as,
        reject_reason,
    ) = row[:_WIDTH]
    created_at = float(created_at)
    updated_at = float(updated_at)
    if history:
        # A task is created at its first history entry and most often last changed at its
        # last: the record then holds those entries' floats rather than two more of its own.
        at = history[0].at
        if at == created_at and at:  # (not 0.0, which equals -0.0)
            created_at = at
        at = history[-1].at
        if at == updated_at and at:
            updated_at = at
    record: Any = _new(_NewRecord)
    record.local_id = local_id
    record.model = _shared(model)
    record.request = request
    record.state = _STATES[state]
    record.created_at = created_at
    record.updated_at = updated_at
    record.apixo_task_id = apixo_task_id
    record.parent_id = parent_id
    record.api_create_time = api_create_time
    record.api_complete_time = api_complete_time
    record.api_cost_time = api_cost_time
    record.fail_code = fail_code if fail_code is None else _shared(fail_code)
    record.fail_message = fail_message if fail_message is None else _shared(fail_message)
    record.result_urls = _list(result_urls)
    record.files = _list(files)
    record.price = _price(price)
    record.note = note if note is None or type(note) is str else _column_text(note)
    record.hidden = bool(hidden)
    record.history = history
    record.balance_before = _decimal(balance_before)
    record.results_at = results_at
    record.resubmit_of = resubmit_of
    record.resubmitted_as = resubmitted_as
    record.reject_reason = _reason(reject_reason)
    record.__class__ = TaskRecord
    return cast(TaskRecord, record)


_WIDTH = len(_COLUMNS)
