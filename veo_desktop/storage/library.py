"""The library in the task store: ratings, favourites, tags, personal notes, prompt search
and saved searches (the rows of schema 5).

:class:`LibraryRows` is a part of :class:`~veo_desktop.storage.store.TaskStore` (one of its
base classes), on the store's own connection and transactions. Prompts are indexed by an
FTS5 table (``task_text``, trigram tokens) that triggers on ``tasks`` keep in step with every
insert, prompt change and delete, whoever writes the row. A word of a search matches any
part of a prompt, in any case, whatever characters it holds: it is passed as a bound
``LIKE`` pattern (its ``%``, ``_`` and ``\\`` escaped), never as FTS5 query syntax, so
quotes, ``*``, ``NEAR`` or ``-`` are searched for as written. sqlite's ``LIKE`` folds ASCII
letters only, so a word with letters beyond ASCII is looked for in every prompt case-folded
by Python (:func:`folded_has`, a scan: "über" finds "Über").

Where this Python's sqlite has no FTS5 (or no trigram tokenizer, before sqlite 3.34), some
Linux distributions' builds, schema 5 makes ``task_text`` a plain table instead
(:func:`plain_prompt_index`), kept in step by the same triggers and searched by the same
``LIKE``, by a scan of every prompt: slower, and said in words (:data:`NO_FTS5_TEXT`) in
the log when the table is made and at a store's first search, never a traceback. A library
whose FTS5 index was made elsewhere gets the plain table in its place when such a Python
opens it (:func:`replace_unusable_index`), rebuilt from the tasks' prompts.

The personal note is the ``user_note`` column: ``tasks.note`` is the engine's status note.
Edits of many tasks (:meth:`LibraryRows.edit_labels`) are one transaction.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from veo_desktop.api.models import Model
from veo_desktop.records.library import (
    KIND_TYPES,
    NOTE_LIMIT,
    Kind,
    LabelChange,
    Labels,
    LibraryQuery,
    SavedSearch,
    day_end,
    day_start,
    format_query,
    normalize_tag,
    parse_query,
)
from veo_desktop.safe_text import safe

log = logging.getLogger(__name__)

#: What the log says when the prompt index is a plain table (made so, or first searched).
NO_FTS5_TEXT = (
    "This Python's sqlite has no full-text search (FTS5 with trigram tokens); "
    "searching prompts falls back to a slower scan of every prompt."
)
#: How many ids one ``IN (...)`` of an edit names (sqlite's default limit is 32,766).
_CHUNK = 500
#: The longest saved search name kept.
SEARCH_NAME_LIMIT = 80
_EXTEND = str(Model.EXTEND)


class LibraryRows:
    """The library methods of the task store (see the module's docstring)."""

    if TYPE_CHECKING:
        _db: sqlite3.Connection

        def transaction(self, *, durable: bool = False) -> AbstractContextManager[None]: ...

        def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]: ...

    #: Whether the prompt index is FTS5 (looked up once); whether the scan was told.
    _fts5: bool | None = None
    _said_no_fts5 = False

    # -- search -------------------------------------------------------------------------------

    def search(
        self, query: LibraryQuery, *, include_hidden: bool = False, before: float = math.inf
    ) -> list[str]:
        """The local ids of the tasks ``query`` finds (created before ``before``, unix
        seconds), oldest first."""
        if query.words and not self.full_text_search() and not self._said_no_fts5:
            self._said_no_fts5 = True
            log.warning(NO_FTS5_TEXT)
        where, parameters = query_sql(query)
        if not include_hidden:
            where.append("t.hidden = 0")
        if before != math.inf:
            where.append("t.created_at < ?")
            parameters = [*parameters, before]
        sql = "SELECT t.local_id FROM tasks AS t"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [
            str(row[0]) for row in self._read(sql + " ORDER BY t.created_at, t.rowid", parameters)
        ]

    def full_text_search(self) -> bool:
        """Whether the prompts are indexed by FTS5 (else searched by a scan)."""
        if self._fts5 is None:
            rows = self._read("SELECT sql FROM sqlite_master WHERE name = 'task_text'")
            self._fts5 = bool(rows) and "fts5" in str(rows[0][0]).lower()
        return self._fts5

    def matches(self, query: LibraryQuery, local_id: str) -> bool:
        """Whether ``query`` finds the task ``local_id`` (hidden or not)."""
        where, parameters = query_sql(query)
        where.append("t.local_id = ?")
        sql = "SELECT 1 FROM tasks AS t WHERE " + " AND ".join(where)
        return bool(self._read(sql, [*parameters, local_id]))

    # -- labels -------------------------------------------------------------------------------

    def labels(self, local_ids: Iterable[str] | None = None) -> dict[str, Labels]:
        """The labels of these tasks (None: of every task that has any), by local id.

        A task without any (no rating, tag or note, not a favourite) is left out.
        """
        sql = (
            "SELECT t.local_id, t.rating, t.favourite, t.user_note, "
            "(SELECT json_group_array(g.tag) FROM task_tags AS g WHERE g.local_id = t.local_id) "
            "FROM tasks AS t WHERE (t.rating > 0 OR t.favourite = 1 OR t.user_note IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM task_tags AS g WHERE g.local_id = t.local_id))"
        )
        rows: list[Any] = []
        if local_ids is None:
            rows = self._read(sql)
        else:
            ids = list(dict.fromkeys(local_ids))
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows.extend(self._read(f"{sql} AND t.local_id IN ({marks})", chunk))
        return {str(row[0]): _labels(row) for row in rows}

    def tag_counts(self) -> list[tuple[str, int]]:
        """Every tag in use and on how many tasks, most used first."""
        rows = self._read(
            "SELECT tag, count(*) FROM task_tags GROUP BY tag ORDER BY count(*) DESC, tag"
        )
        return [(str(tag), int(count)) for tag, count in rows]

    def edit_labels(self, local_ids: Sequence[str], change: LabelChange) -> int:
        """Apply ``change`` to every task of ``local_ids``, in one transaction.

        Returns:
            how many of the tasks exist (the others are skipped).
        """
        ids = list(dict.fromkeys(local_ids))
        columns: list[str] = []
        values: list[Any] = []
        if change.rating is not None:
            columns.append("rating = ?")
            values.append(change.rating)
        if change.favourite is not None:
            columns.append("favourite = ?")
            values.append(1 if change.favourite else 0)
        if change.note is not None:
            columns.append("user_note = ?")
            note = safe(change.note, NOTE_LIMIT).strip()
            values.append(note or None)
        found = 0
        with self.transaction():
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" for _ in chunk)
                existing = [
                    str(row[0])
                    for row in self._db.execute(
                        f"SELECT local_id FROM tasks WHERE local_id IN ({marks})", chunk
                    )
                ]
                found += len(existing)
                if columns:
                    self._db.execute(
                        f"UPDATE tasks SET {', '.join(columns)} WHERE local_id IN ({marks})",
                        [*values, *chunk],
                    )
                for tag in change.remove_tags:
                    self._db.execute(
                        f"DELETE FROM task_tags WHERE tag = ? AND local_id IN ({marks})",
                        [tag, *chunk],
                    )
                self._db.executemany(
                    "INSERT OR IGNORE INTO task_tags (local_id, tag) VALUES (?, ?)",
                    [(local_id, tag) for local_id in existing for tag in change.add_tags],
                )
        return found

    # -- saved searches -------------------------------------------------------------------------

    def saved_searches(self) -> list[SavedSearch]:
        """The saved searches, by name."""
        rows = self._read("SELECT name, query FROM saved_searches ORDER BY name COLLATE NOCASE")
        return [SavedSearch(str(name), parse_query(str(text))) for name, text in rows]

    def save_search(self, name: str, query: LibraryQuery) -> SavedSearch:
        """Keep ``query`` under ``name`` (replacing a search of that name, in any case).

        Raises:
            ValueError: the name has no visible character.
        """
        cleaned = safe(" ".join(name.split()), SEARCH_NAME_LIMIT)
        if not cleaned:
            raise ValueError("A saved search needs a name.")
        with self.transaction():
            self._db.execute(
                "INSERT INTO saved_searches (name, query, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET name = excluded.name, query = excluded.query",
                (cleaned, format_query(query), time.time()),
            )
        return SavedSearch(cleaned, query)

    def delete_search(self, name: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM saved_searches WHERE name = ?", (name,))


def full_text_search_available(db: sqlite3.Connection) -> bool:
    """Whether this sqlite can make the FTS5 prompt index (trigram tokens: sqlite 3.34+)."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x, tokenize='trigram')")
        db.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.DatabaseError as error:
        log.info("no FTS5 prompt index: %s", error)
        return False
    return True


def plain_prompt_index(db: sqlite3.Connection, prompt_of: str) -> None:
    """Schema 5's ``task_text`` where sqlite has no FTS5: a plain table of the same columns,
    filled and kept in step by triggers like the FTS5 one (``prompt_of``: the prompt of a
    ``{row}`` of ``tasks``, as SQL)."""
    log.warning(NO_FTS5_TEXT)
    db.execute("CREATE TABLE task_text (local_id TEXT PRIMARY KEY, prompt TEXT NOT NULL)")
    fill_prompt_index(
        db,
        prompt_of,
        forget="DELETE FROM task_text WHERE local_id = old.local_id;",
        insert="INSERT OR REPLACE INTO task_text",
    )


#: The shadow tables FTS5 keeps beside ``task_text`` (ordinary tables to sqlite).
_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")


def replace_unusable_index(db: sqlite3.Connection, prompt_of: str) -> bool:
    """Make an FTS5 ``task_text`` that this sqlite cannot use (a library made where sqlite
    has FTS5, opened where it has not) a plain table, as :func:`plain_prompt_index` makes it.

    Without the module sqlite can neither search nor drop the FTS5 table, and every insert
    into ``tasks`` fails in its trigger. The index holds nothing of its own (every prompt is
    in ``tasks``), so it is rebuilt from the tasks: its triggers are dropped, its schema row
    deleted (``writable_schema``: the one way to remove a table whose module is missing),
    its shadow tables dropped, and the plain table filled, in one transaction; nothing else
    is touched. Said in the log in words. Call it outside a transaction.

    Returns:
        Whether the index was replaced.

    Raises:
        sqlite3.Error: it could not be (another program holds the lock, the disk is full):
            nothing was changed; the store's open says why in words.
    """
    sql = _index_sql(db)
    if sql is None or "fts5" not in sql.lower() or full_text_search_available(db):
        return False
    file = next((str(row[2]) for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    db.execute("BEGIN IMMEDIATE")
    try:
        sql = _index_sql(db)  # another program may have replaced it while we waited
        if sql is None or "fts5" not in sql.lower():
            db.execute("ROLLBACK")
            return False
        for trigger in ("task_text_insert", "task_text_delete", "task_text_update"):
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        version = int(db.execute("PRAGMA schema_version").fetchone()[0])
        db.execute("PRAGMA writable_schema = ON")
        try:
            db.execute("DELETE FROM sqlite_master WHERE type = 'table' AND name = 'task_text'")
        finally:
            db.execute("PRAGMA writable_schema = OFF")
        db.execute(f"PRAGMA schema_version = {version + 1}")  # this and every connection reread it
        for shadow in _FTS5_SHADOWS:
            db.execute(f"DROP TABLE IF EXISTS task_text_{shadow}")
        plain_prompt_index(db, prompt_of)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    log.warning(
        "The prompt index of %s was made with full-text search (FTS5), which this "
        "Python's sqlite lacks: it was rebuilt as a plain table from the tasks' prompts "
        "(no task, label or storyboard changed).",
        file or "the task store",
    )
    return True


def _index_sql(db: sqlite3.Connection) -> str | None:
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'task_text'"
    ).fetchone()
    return None if row is None else str(row[0])


def fill_prompt_index(db: sqlite3.Connection, prompt_of: str, *, forget: str, insert: str) -> None:
    """Fill a new ``task_text`` with every task's prompt and make the triggers that keep it
    in step with ``tasks`` (FTS5 or plain: ``forget`` deletes ``old``'s entry, ``insert``
    starts the statement that adds ``new``'s; ``prompt_of`` as for :func:`plain_prompt_index`)."""
    db.execute(
        "INSERT INTO task_text (local_id, prompt) SELECT t.local_id, "
        + prompt_of.format(row="t")
        + " FROM tasks AS t"
    )
    remember = f"{insert} (local_id, prompt) VALUES (new.local_id, {prompt_of.format(row='new')});"
    db.execute(f"CREATE TRIGGER task_text_insert AFTER INSERT ON tasks BEGIN {remember} END")
    db.execute(f"CREATE TRIGGER task_text_delete AFTER DELETE ON tasks BEGIN {forget} END")
    db.execute(
        "CREATE TRIGGER task_text_update AFTER UPDATE OF local_id, request ON tasks "
        "WHEN old.local_id IS NOT new.local_id OR "
        + prompt_of.format(row="old")
        + " IS NOT "
        + prompt_of.format(row="new")
        + f" BEGIN {forget} {remember} END"
    )


class _Sql:
    """JSON paths of the request fields the filters read."""

    mode = "coalesce(json_extract(t.request, '$.input.mode'), 'fast')"
    kind = "json_extract(t.request, '$.input.generationType')"
    aspect = "json_extract(t.request, '$.input.aspect_ratio')"
    seed = "json_extract(t.request, '$.input.seed')"


def query_sql(query: LibraryQuery) -> tuple[list[str], list[Any]]:
    """The WHERE terms (on ``tasks AS t``) and their parameters for ``query``."""
    where: list[str] = []
    parameters: list[Any] = []
    if query.words:
        terms = []
        # (with one word beyond ASCII every prompt is read anyway: every word is then
        # folded as the list folds it, "strasse" finding "Straße" beside "über")
        folded = not all(word.isascii() for word in query.words)
        for word in query.words:
            if not folded:
                terms.append("x.prompt LIKE ? ESCAPE '\\'")
                parameters.append(f"%{_escape_like(word)}%")
            else:
                terms.append(f"{FOLDED_HAS}(CAST(x.prompt AS BLOB), ?)")
                parameters.append(word.casefold())
        where.append(
            f"t.local_id IN (SELECT x.local_id FROM task_text AS x WHERE {' AND '.join(terms)})"
        )
    for tag in sorted(query.tags):
        where.append("t.local_id IN (SELECT local_id FROM task_tags WHERE tag = ?)")
        parameters.append(tag)
    if query.min_rating is not None:
        where.append("t.rating >= ?")
        parameters.append(query.min_rating)
    if query.favourite:
        where.append("t.favourite = 1")
    _one_of(where, parameters, "t.state", [s.value for s in query.states])
    _one_of(where, parameters, _Sql.mode, [m.value for m in query.modes])
    _one_of(where, parameters, _Sql.aspect, [a.value for a in query.aspects])
    if query.kinds:
        terms = []
        types = [str(KIND_TYPES[k]) for k in query.kinds if k != Kind.EXTEND]
        if types:
            marks = ", ".join("?" for _ in types)
            terms.append(f"(t.model != ? AND {_Sql.kind} IN ({marks}))")
            parameters.extend([_EXTEND, *types])
        if Kind.EXTEND in query.kinds:
            terms.append("t.model = ?")
            parameters.append(_EXTEND)
        where.append("(" + " OR ".join(terms) + ")")
    if query.seed is not None:
        where.append(f"{_Sql.seed} = ?")
        parameters.append(query.seed)
    if query.since is not None:
        where.append("t.created_at >= ?")
        parameters.append(day_start(query.since))
    if query.until is not None:
        where.append("t.created_at < ?")
        parameters.append(day_end(query.until))
    return where, parameters


def _one_of(where: list[str], parameters: list[Any], expression: str, values: list[str]) -> None:
    if values:
        where.append(f"{expression} IN ({', '.join('?' for _ in values)})")
        parameters.extend(values)


#: The SQL function a search word with letters beyond ASCII is found by (sqlite's ``LIKE``
#: folds ASCII letters only: "über" must find "Über"); every connection of the store has it.
FOLDED_HAS = "veo_folded_has"


def folded_has(prompt: bytes | None, word: str) -> bool:
    """Whether ``word`` (case-folded) is in ``prompt`` (its UTF-8, as sqlite holds it)
    case-folded, as the window's search decides (:func:`~veo_desktop.records.library.matcher`).
    A lone surrogate, which is no UTF-8, is read as Python's JSON decoder keeps it."""
    if prompt is None:
        return False
    try:
        text = prompt.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        text = prompt.decode("utf-8", "replace")
    return word in text.casefold()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _labels(row: Sequence[Any]) -> Labels:
    tags = json.loads(row[4]) if row[4] else []
    return Labels(
        rating=int(row[1]),
        favourite=bool(row[2]),
        tags=frozenset(normalize_tag(str(t)) for t in tags),
        note=None if row[3] is None else str(row[3]),
    )
