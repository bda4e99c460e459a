"""The store's schema, as a list of migrations: ``PRAGMA user_version`` is how many ran.

Never edit a migration that has shipped: add a new one. Each runs in its own transaction
together with the ``user_version`` bump, so a crash leaves the file at the old version or
the new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence

from veo_desktop.storage.library import (
    fill_prompt_index,
    full_text_search_available,
    plain_prompt_index,
    replace_unusable_index,
)

Migration = Callable[[sqlite3.Connection], None]


def _v1_tasks_and_events(db: sqlite3.Connection) -> None:
    """One row per task, and its history of state changes."""
    db.execute(
        """
        CREATE TABLE tasks (
            local_id          TEXT PRIMARY KEY,
            model             TEXT NOT NULL,
            request           TEXT NOT NULL,
            state             TEXT NOT NULL,
            created_at        REAL NOT NULL,
            updated_at        REAL NOT NULL,
            apixo_task_id     TEXT,
            parent_id         TEXT REFERENCES tasks(local_id) ON DELETE SET NULL,
            api_create_time   INTEGER,
            api_complete_time INTEGER,
            api_cost_time     INTEGER,
            fail_code         TEXT,
            fail_message      TEXT,
            result_urls       TEXT NOT NULL DEFAULT '[]',
            files             TEXT NOT NULL DEFAULT '[]',
            price             TEXT NOT NULL,
            note              TEXT,
            hidden            INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE task_events (
            id       INTEGER PRIMARY KEY,
            local_id TEXT NOT NULL REFERENCES tasks(local_id) ON DELETE CASCADE,
            at       REAL NOT NULL,
            state    TEXT NOT NULL,
            note     TEXT
        )
        """
    )
    db.execute("CREATE INDEX task_events_by_task ON task_events(local_id, id)")


def _v2_recovery_and_downloads(db: sqlite3.Connection) -> None:
    """What crash recovery needs: the balance before each POST, when results arrived,
    resubmission links, the planned download paths, and a small key/value table."""
    db.execute("ALTER TABLE tasks ADD COLUMN balance_before TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN results_at REAL")
    db.execute("ALTER TABLE tasks ADD COLUMN resubmit_of TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN resubmitted_as TEXT")
    db.execute(
        "UPDATE tasks SET results_at = updated_at WHERE result_urls != '[]' AND results_at IS NULL"
    )
    db.execute(
        "CREATE UNIQUE INDEX tasks_by_apixo_id ON tasks(model, apixo_task_id) "
        "WHERE apixo_task_id IS NOT NULL"
    )
    db.execute("CREATE INDEX tasks_by_created ON tasks(created_at)")
    db.execute(
        """
        CREATE TABLE downloads (
            local_id TEXT NOT NULL REFERENCES tasks(local_id) ON DELETE CASCADE,
            idx      INTEGER NOT NULL,
            url      TEXT NOT NULL,
            path     TEXT NOT NULL,
            PRIMARY KEY (local_id, idx)
        )
        """
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


#: ``fail_code`` texts the engine wrote for rejected rows before schema 3, and the reason
#: each one meant (anything else rejected was APIXO refusing the request itself). Frozen:
#: it describes rows already on disk, whatever the code calls its errors from now on.
V3_REASON_OF_CODE: Mapping[str, str] = {
    "HTTP 429": "rate_limited",
    "HTTP 503": "unavailable",
    "HTTP 402": "no_balance",
    "HTTP 401": "unauthorized",
    "HTTP 403": "forbidden",
    "ApixoConnectionError": "unreachable",
    "ApixoTimeoutError": "timed_out",
}
#: A rejected extend whose message holds APIXO's TASKID_ERROR (or the summary the app wrote
#: for it) was APIXO unable to extend its source.
V3_EXTEND_SOURCE_REASON = "extend_source"
V3_EXTEND_SOURCE_MARKS = ("TASKID_ERROR", "APIXO cannot extend that task")
#: The reasons of the other rejected rows: an error status, or a request never sent.
V3_STATUS_REASON = "refused"
V3_OTHER_REASON = "not_sent"


def _v3_reject_reason(db: sqlite3.Connection) -> None:
    """Why each rejected row was refused, as a value (``RejectReason``), in its own column,
    filled for the rows already there from the ``fail_code`` text they were written with."""
    db.execute("ALTER TABLE tasks ADD COLUMN reject_reason TEXT")
    db.executemany(
        "UPDATE tasks SET reject_reason = ? WHERE state = 'rejected' AND fail_code = ?",
        [(reason, code) for code, reason in V3_REASON_OF_CODE.items()],
    )
    db.executemany(
        "UPDATE tasks SET reject_reason = ? WHERE state = 'rejected' AND reject_reason IS NULL "
        "AND fail_code = 'HTTP 400' AND instr(fail_message, ?) > 0",
        [(V3_EXTEND_SOURCE_REASON, mark) for mark in V3_EXTEND_SOURCE_MARKS],
    )
    db.execute(
        "UPDATE tasks SET reject_reason = ? WHERE state = 'rejected' "
        "AND reject_reason IS NULL AND fail_code GLOB 'HTTP [0-9]*'",
        (V3_STATUS_REASON,),
    )
    db.execute(
        "UPDATE tasks SET reject_reason = ? WHERE state = 'rejected' AND reject_reason IS NULL",
        (V3_OTHER_REASON,),
    )


def _v4_storyboards(db: sqlite3.Connection) -> None:
    """Storyboards: named shot lists, their shots in order, and each shot's takes (tasks).

    A shot's ``sending`` column is set (durably) before one of its takes is sent and cleared
    when the take's task is linked, so a crash between the two is resolved on the next start
    without sending the shot twice (``veo_desktop.storage.storyboards``)."""
    db.execute(
        """
        CREATE TABLE storyboards (
            id               TEXT PRIMARY KEY,
            name             TEXT NOT NULL,
            crossfade_frames INTEGER NOT NULL DEFAULT 0,
            letterbox        INTEGER NOT NULL DEFAULT 0,
            created_at       REAL NOT NULL,
            updated_at       REAL NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE shots (
            id            TEXT PRIMARY KEY,
            storyboard_id TEXT NOT NULL REFERENCES storyboards(id) ON DELETE CASCADE,
            position      INTEGER NOT NULL,
            request       TEXT,
            start         TEXT NOT NULL DEFAULT 'own',
            chosen        TEXT,
            trim_in       REAL,
            trim_out      REAL,
            sending       TEXT
        )
        """
    )
    db.execute("CREATE INDEX shots_by_storyboard ON shots(storyboard_id, position)")
    db.execute(
        """
        CREATE TABLE takes (
            shot_id  TEXT NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            local_id TEXT NOT NULL,
            PRIMARY KEY (shot_id, local_id)
        )
        """
    )
    db.execute("CREATE INDEX takes_by_task ON takes(local_id)")


#: The prompt of a ``tasks`` row (``''`` when its request holds none), for the search index.
_PROMPT_OF = (
    "CASE WHEN json_valid({row}.request) "
    "THEN coalesce(json_extract({row}.request, '$.input.prompt'), '') ELSE '' END"
)


def _v5_library(db: sqlite3.Connection) -> None:
    """The library: a rating, a favourite mark and a personal note per task (``tasks.note``
    is the engine's status note), tags, saved searches, and an FTS5 index of the prompts
    (trigram tokens: any part of a word is found) that triggers keep in step, filled here
    for the rows already there (``veo_desktop.storage.library``)."""
    db.execute(
        "ALTER TABLE tasks ADD COLUMN rating INTEGER NOT NULL DEFAULT 0 "
        "CHECK (rating BETWEEN 0 AND 5)"
    )
    db.execute(
        "ALTER TABLE tasks ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0 "
        "CHECK (favourite IN (0, 1))"
    )
    db.execute("ALTER TABLE tasks ADD COLUMN user_note TEXT")
    db.execute("CREATE INDEX tasks_by_rating ON tasks(rating) WHERE rating > 0")
    db.execute("CREATE INDEX tasks_favourites ON tasks(favourite) WHERE favourite = 1")
    db.execute(
        """
        CREATE TABLE task_tags (
            local_id TEXT NOT NULL REFERENCES tasks(local_id) ON DELETE CASCADE,
            tag      TEXT NOT NULL,
            PRIMARY KEY (tag, local_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX task_tags_by_task ON task_tags(local_id)")
    db.execute(
        "CREATE TABLE saved_searches (name TEXT PRIMARY KEY COLLATE NOCASE, query TEXT NOT NULL, "
        "created_at REAL NOT NULL)"
    )
    if not full_text_search_available(db):  # some Python builds' sqlite: a slower scan
        plain_prompt_index(db, _PROMPT_OF)
        return
    # local_id is indexed too, so a trigger finds a task's entry by MATCH, not by a scan.
    db.execute("CREATE VIRTUAL TABLE task_text USING fts5(local_id, prompt, tokenize='trigram')")
    fill_prompt_index(
        db,
        _PROMPT_OF,
        forget=(
            "DELETE FROM task_text WHERE rowid IN (SELECT rowid FROM task_text "
            "WHERE task_text MATCH 'local_id:\"' || replace(old.local_id, '\"', '\"\"') || '\"' "
            "AND local_id = old.local_id);"
        ),
        insert="INSERT INTO task_text",
    )


def usable_prompt_index(db: sqlite3.Connection) -> bool:
    """After the migrations, at every open: an FTS5 prompt index this Python's sqlite cannot
    use (the library was made where sqlite has FTS5) becomes schema 5's plain table
    (:func:`veo_desktop.storage.library.replace_unusable_index`); whether it did."""
    return replace_unusable_index(db, _PROMPT_OF)


#: The states of tasks still under way or waiting for the person (``uncertain``), which
#: :data:`_v6_unfinished` indexes; ``TaskStore.load_recent`` asks for these very values.
UNFINISHED_STATES = ("submitting", "pending", "processing", "downloading", "uncertain")
UNFINISHED_SQL = "state IN (" + ", ".join(f"'{state}'" for state in UNFINISHED_STATES) + ")"


def _v6_unfinished(db: sqlite3.Connection) -> None:
    """An index of the unfinished tasks (a handful among thousands): a window loads them
    first (``TaskStore.load_recent``) without reading the whole table."""
    db.execute(f"CREATE INDEX tasks_unfinished ON tasks(state) WHERE {UNFINISHED_SQL}")


def _v7_apixo_ids(db: sqlite3.Connection) -> None:
    """An index of APIXO's task ids alone: an extend names its source by that id, and
    schema 2's index (by model, then id) cannot find it without a model (at 100,000 tasks
    a look-up scanned that index: about 6 ms)."""
    db.execute(
        "CREATE INDEX tasks_by_apixo_task ON tasks(apixo_task_id) WHERE apixo_task_id IS NOT NULL"
    )


MIGRATIONS: Sequence[Migration] = (
    _v1_tasks_and_events,
    _v2_recovery_and_downloads,
    _v3_reject_reason,
    _v4_storyboards,
    _v5_library,
    _v6_unfinished,
    _v7_apixo_ids,
)
SCHEMA_VERSION = len(MIGRATIONS)
