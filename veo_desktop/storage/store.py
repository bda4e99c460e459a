"""The task store: one sqlite file (WAL), one row per task plus its history.

Every write is one transaction, so a SIGKILL at any moment leaves the file as it was before
or after a write, never between. Writes that money depends on (the row written before a
POST, APIXO's task id) are *durable* commits (``synchronous=FULL``: on disk, even across a
power cut, before the call returns); the frequent others (state changes, notes) use WAL's
``synchronous=NORMAL``, safe against a crash of the app, without an fsync on the event
loop's thread for every poll answer. Checkpoints (copying the WAL into the main file, with
its fsyncs) run in a thread of their own every :data:`CHECKPOINT_EVERY` commits, not inside
a commit on the caller's thread as sqlite would by default. The store never holds the API key:
it only ever receives records, whose fields come from the request body and APIXO's answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.records import StateChange, TaskRecord
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

#: Checkpoint the WAL into the main file, in a background thread, after this many commits.
CHECKPOINT_EVERY = 200

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
)
_SELECT = (
    "SELECT "
    + ", ".join(f"t.{c}" for c in _COLUMNS)
    + ", (SELECT json_group_array(json_array(printf('%!.17g', e.at), e.state, e.note)) FROM "
    "(SELECT at, state, note FROM task_events WHERE local_id = t.local_id ORDER BY id) AS e)"
    " FROM tasks AS t"
)
_INSERT = f"INSERT INTO tasks ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_UPDATE = "UPDATE tasks SET " + ", ".join(f"{c} = ?" for c in _COLUMNS[1:]) + " WHERE local_id = ?"


class StoreError(RuntimeError):
    """The task store cannot be opened or used; the message says why and what to do."""


@dataclass(frozen=True)
class PlannedDownload:
    """One result URL of a task and the file it is (being) downloaded to."""

    index: int
    url: str
    path: Path


class TaskStore:
    """All tasks, durably. Use :meth:`open`; call :meth:`close` when done.

    Not thread-safe: use it from the thread that opened it (the event loop's).
    """

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._depth = 0
        self._durable = False
        self._commits = 0
        self._checkpointer: threading.Thread | None = None

    @classmethod
    def open(cls, path: Path) -> TaskStore:
        """Open (or create) the store at ``path`` and bring its schema up to date.

        Raises:
            StoreError: the file is not a Veo Desktop store, is damaged, or was written by
                a newer version.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"Cannot open the task store {path}: {error}") from error
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("task store %s: journal mode is %s, not WAL", path, mode)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA wal_autocheckpoint = 0")  # see _checkpoint_soon
            db.execute("PRAGMA foreign_keys = ON")
            _migrate(db, path)
        except sqlite3.DatabaseError as error:
            db.close()
            raise StoreError(
                f"The task store {path} is damaged or not a Veo Desktop store ({error}). "
                "Move it away to start a new one; your videos are not affected."
            ) from error
        except StoreError:
            db.close()
            raise
        return cls(db, path)

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
            raise _write_error(self.path, error) from error
        self._depth = 1
        try:
            yield
        except BaseException as error:
            self._depth = 0
            self._durable = False
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise _write_error(self.path, error) from error
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
            raise _write_error(self.path, error) from error
        except OSError as error:
            raise StoreError(
                f"Could not make the task store {self.path} durable: {error.strerror or error}"
            ) from error

    # -- reading -------------------------------------------------------------------------

    def data_version(self) -> int:
        """A number that changes when another connection (another process) commits.

        Two readings on this store that are equal mean nothing was written meanwhile but
        through this store itself (sqlite's ``PRAGMA data_version``).
        """
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def load_all(self) -> list[TaskRecord]:
        """Every task with its history, oldest first, in one query."""
        rows = self._db.execute(_SELECT + " ORDER BY t.created_at, t.rowid").fetchall()
        return [_record(row) for row in rows]

    def get(self, local_id: str) -> TaskRecord | None:
        row = self._db.execute(_SELECT + " WHERE t.local_id = ?", (local_id,)).fetchone()
        return None if row is None else _record(row)

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM tasks").fetchone()[0])

    def find_by_apixo_id(self, apixo_task_id: str) -> TaskRecord | None:
        row = self._db.execute(
            _SELECT + " WHERE t.apixo_task_id = ? ORDER BY t.created_at LIMIT 1",
            (apixo_task_id,),
        ).fetchone()
        return None if row is None else _record(row)

    # -- writing -------------------------------------------------------------------------

    def insert(self, record: TaskRecord, *, durable: bool = True) -> None:
        """Write a new task and its history so far, in one (durable) transaction."""
        with self.transaction(durable=durable):
            self._db.execute(_INSERT, _values(record))
            self._db.executemany(
                "INSERT INTO task_events (local_id, at, state, note) VALUES (?, ?, ?, ?)",
                [(record.local_id, c.at, c.state.value, c.note) for c in record.history],
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
            cursor = self._db.execute(_UPDATE, (*values[1:], record.local_id))
            if cursor.rowcount != 1:
                raise KeyError(record.local_id)
            if new_events:
                self._db.executemany(
                    "INSERT INTO task_events (local_id, at, state, note) VALUES (?, ?, ?, ?)",
                    [(record.local_id, c.at, c.state.value, c.note) for c in new_events],
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
        rows = self._db.execute(
            "SELECT idx, url, path FROM downloads WHERE local_id = ? ORDER BY idx", (local_id,)
        ).fetchall()
        return [PlannedDownload(int(i), str(u), Path(p)) for i, u, p in rows]

    def planned_paths(self) -> set[str]:
        """Every file path any task plans to download to (to keep names unique)."""
        return {str(row[0]) for row in self._db.execute("SELECT path FROM downloads")}

    # -- small values ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Remember a small value (never a secret)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _checkpoint(path: Path) -> None:
    try:
        db = sqlite3.connect(path, timeout=10.0)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()
    except sqlite3.Error as error:
        log.warning("task store %s: checkpoint failed: %s", path, error)


def _write_error(path: Path, error: sqlite3.Error) -> StoreError:
    text = str(error)
    if "full" in text.lower():
        return StoreError(f"Disk full: the task store {path} cannot be written. Free some space.")
    return StoreError(f"Could not write the task store {path}: {text}")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The task store {path} was written by a newer version of Veo Desktop "
            f"(schema {version}; this version knows {SCHEMA_VERSION}). Update Veo Desktop."
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


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
        r.fail_code,
        r.fail_message,
        _dump(list(r.result_urls)),
        _dump(list(r.files)),
        str(r.price),
        r.note,
        1 if r.hidden else 0,
        None if r.balance_before is None else str(r.balance_before),
        r.results_at,
        r.resubmit_of,
        r.resubmitted_as,
    )


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


_STATES = {state.value: state for state in TaskState}
_decode = json.JSONDecoder().decode


def _list(text: str) -> tuple[Any, ...]:
    return () if text == "[]" else tuple(_decode(text))


def _record(row: Sequence[Any]) -> TaskRecord:
    """Build a record from a row of :data:`_SELECT` (the hot path of loading a store)."""
    (
        local_id,
        model,
        request,
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
        events,
    ) = row
    states = _STATES
    history = tuple(
        [StateChange(float(at), states[s], n) for at, s, n in _decode(events)] if events else ()
    )
    return TaskRecord(
        local_id,
        model,
        _decode(request),
        states[state],
        float(created_at),
        float(updated_at),
        apixo_task_id,
        parent_id,
        api_create_time,
        api_complete_time,
        api_cost_time,
        fail_code,
        fail_message,
        _list(result_urls),
        _list(files),
        _decimal(price) or Decimal("0"),
        note,
        bool(hidden),
        history,
        _decimal(balance_before),
        results_at,
        resubmit_of,
        resubmitted_as,
    )
