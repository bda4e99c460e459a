"""The library in real sqlite files: schema 5's migration, the prompt index kept in step by
triggers, search with every filter, labels edited for many tasks at once, saved searches."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.records.library import (
    KEYS,
    LabelChange,
    Labels,
    LibraryQuery,
    QueryError,
    format_query,
    matcher,
    parse_query,
    query_problem,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from veo_desktop.storage.store import StoreError, TaskStore

PROMPTS = [
    'A red "fox" runs through snow',
    "blue 100% ocean_wave at dawn",
    "NEAR the * castle (AND) OR NOT",
    "Ünïcode café \u65e5\u672c drone shot",
    "it's a dog's life; back\\slash",
    "",
    "sunset over the city, slow motion",
    "FOX and fox and Fox",
    "\u00dcber die Stra\u00dfe",
]


def record(prompt: str, n: int, **changes: object) -> TaskRecord:
    request = GenerationRequest(prompt=prompt or "x", seed=n, mode="fast" if n % 2 else "quality")
    payload = request.to_payload()
    if not prompt:
        payload["input"]["prompt"] = ""
    made = TaskRecord(
        local_id=uuid.UUID(int=n + 1).hex,
        model="veo-3-1",
        request=payload,
        state=TaskState.SUCCEEDED,
        created_at=1_700_000_000.0 + n * 86_400,
        updated_at=1_700_000_000.0 + n * 86_400,
        price=Decimal("0.20"),
    )
    return made.evolve(**changes)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaskStore]:
    with TaskStore.open(tmp_path_factory.mktemp("library") / "tasks.sqlite3") as opened:
        for n, prompt in enumerate(PROMPTS):
            opened.insert(record(prompt, n), durable=False)
        yield opened


def ascii_fold(text: str) -> str:
    """sqlite's LIKE folds ASCII letters only."""
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in text)


def found_in(word: str, prompt: str, *, folded: bool) -> bool:
    """Words of ASCII letters only are found as sqlite's LIKE finds them; with one word of
    other letters, every word as Python's case folding finds it ("über" in "Über")."""
    if not folded:
        return ascii_fold(word) in ascii_fold(prompt)
    return word.casefold() in prompt.casefold()


def oracle(store: TaskStore, text: str) -> list[str]:
    words = parse_query(text).words
    folded = not all(word.isascii() for word in words)
    return [
        r.local_id
        for r in store.load_all()
        if all(found_in(w, r.prompt, folded=folded) for w in words)
    ]


@pytest.mark.parametrize("version", [3, 4])
def test_an_older_file_keeps_every_row_and_its_prompts_are_searchable(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"v{version}.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:version]:
        migration(db)
    db.execute(f"PRAGMA user_version = {version}")
    rows = [record(f"old prompt number {n}", n) for n in range(30)]
    with TaskStore.open(tmp_path / "scratch.sqlite3") as scratch:
        for r in rows:
            scratch.insert(r, durable=False)
    db.execute("ATTACH ? AS old", (str(tmp_path / "scratch.sqlite3"),))
    columns = [row[1] for row in db.execute("PRAGMA table_info(tasks)")]
    listed = ", ".join(columns)
    db.execute(f"INSERT INTO tasks ({listed}) SELECT {listed} FROM old.tasks")
    db.execute("INSERT INTO task_events SELECT * FROM old.task_events")
    db.execute("DETACH old")
    db.close()

    with TaskStore.open(path) as migrated:
        assert migrated.schema_version == SCHEMA_VERSION
        assert migrated.load_all() == rows
        assert migrated.search(parse_query('"number 2"')) == [rows[2].local_id] + [
            r.local_id for r in rows[20:30]
        ]
        assert migrated.search(LibraryQuery()) == [r.local_id for r in rows]
        assert migrated.labels() == {}


def test_the_index_follows_inserts_prompt_changes_and_deletes(tmp_path: Path) -> None:
    with TaskStore.open(tmp_path / "t.sqlite3") as s:
        first, second = record("a quiet harbour", 1), record("a loud market", 2)
        s.insert(first)
        s.insert(second)
        assert s.search(parse_query("harb")) == [first.local_id]
        changed = first.evolve(request=GenerationRequest(prompt="a windy pier").to_payload())
        s.update(changed)
        s.update(second.evolve(state=TaskState.FAILED))  # not the prompt: index untouched
        assert s.search(parse_query("harb")) == []
        assert s.search(parse_query("windy")) == [first.local_id]
        with s.transaction():
            s._db.execute("DELETE FROM tasks WHERE local_id = ?", (second.local_id,))
        assert s.search(parse_query("market")) == []
        assert s._read("SELECT local_id FROM task_text") == [(first.local_id,)]


QUIET = [HealthCheck.function_scoped_fixture]
#: Letters, FTS5 syntax, LIKE wildcards, quotes, a letter without case, and letters beyond
#: ASCII in both cases (sqlite's LIKE does not fold them; the store's search must).
SEARCH_ALPHABET = [
    *"abcfoxAFOXNEAR*\"()-+^:{}%_\\' .,;!",
    "\u65e5",
    "\u00e9",
    "\u00c9",
    "\u00fc",
    "\u00dc",
    "\u00ef",
]


@settings(max_examples=150, deadline=None, suppress_health_check=QUIET)
@given(
    st.text(
        alphabet=st.sampled_from(SEARCH_ALPHABET),
        max_size=14,
    )
)
def test_any_search_text_finds_what_a_plain_substring_search_finds(
    store: TaskStore, text: str
) -> None:
    query = parse_query(text)
    assert store.search(query) == oracle(store, text)
    # The window filters in memory with records.library.matcher: the same answer.
    match = matcher(query, store.labels())
    assert [r.local_id for r in store.load_all() if match(r, r.prompt.casefold())] == (
        store.search(query)
    )


@settings(max_examples=80, deadline=None, suppress_health_check=QUIET)
@given(st.text(max_size=30))
def test_no_text_makes_the_search_raise(store: TaskStore, text: str) -> None:
    query = parse_query(text)
    store.search(query)
    assert parse_query(format_query(query)) == query


#: Values that look like numbers or days to ``str.isdigit`` or a person but not to ``int``
#: or the calendar: superscripts, other scripts' digits, the first and last days there are.
ODD_VALUES = ["\u00b2", "1\u00b2", "\u0663", "\uff15", "0001-01-01", "9999-12-31", "1969-12-31"]
FILTER_TEXT = st.lists(
    st.tuples(
        st.sampled_from(["", *KEYS, "Rating", "x"]),
        st.one_of(
            st.sampled_from(ODD_VALUES),
            st.dates().map(dt.date.isoformat),
            st.text(
                alphabet=st.sampled_from([*'0123456789-:" ab', "\u00b2", "\u0663", "\uff15"]),
                max_size=8,
            ),
            st.text(max_size=6),
        ),
        st.sampled_from([" ", "", "\t"]),
    ),
    max_size=4,
).map(lambda parts: "".join(f"{k}:{v}{end}" if k else f"{v}{end}" for k, v, end in parts))


@settings(max_examples=200, deadline=None, suppress_health_check=QUIET)
@given(FILTER_TEXT)
def test_no_typed_filter_raises_anything_but_a_query_error(store: TaskStore, text: str) -> None:
    # What the search field does on every keystroke, and ``veo-desktop list --search``.
    query = parse_query(text)
    assert query_problem(text) is None or "searched for as text" in str(query_problem(text))
    match = matcher(query, store.labels())
    found = [r.local_id for r in store.load_all() if match(r, r.prompt.casefold())]
    assert found == store.search(query)
    for key in KEYS:
        for value in text.split(":"):
            with contextlib.suppress(QueryError):
                LibraryQuery().with_filter(key, value)


def test_odd_numbers_and_far_days_are_query_problems(store: TaskStore) -> None:
    assert parse_query("rating:\u00b2 seed:\u00b2").words == ("rating:\u00b2", "seed:\u00b2")
    assert "stars from 1 to 5" in str(query_problem("rating:\u00b2 "))
    assert "whole number" in str(query_problem("seed:\u00b2 "))
    for text in ("to:9999-12-31 ", "from:0001-01-01 ", "from:1969-12-31 "):
        assert "takes a day from 1971-01-01 to 9998-12-31" in str(query_problem(text)), text
    # A query built in code with such a day (not typed) still searches without raising.
    records = store.load_all()
    ids = [r.local_id for r in records]
    for query, expected in (
        (LibraryQuery(since=dt.date.min, until=dt.date.max), ids),
        (LibraryQuery(since=dt.date.max), []),
        (LibraryQuery(until=dt.date.min), []),
    ):
        match = matcher(query, {})
        assert [r.local_id for r in records if match(r, r.prompt.casefold())] == expected
        assert store.search(query) == expected


def test_a_search_with_a_word_beyond_ascii_folds_every_word_as_the_list_does(
    store: TaskStore,
) -> None:
    """With one word beyond ASCII the prompts are read by Python anyway: "strasse" then
    finds "Straße" ("ß" folds to "ss"), as the list's search does, where sqlite's LIKE,
    which folds ASCII letters only, would not."""
    street = next(r for r in store.load_all() if "Stra\u00dfe" in r.prompt)
    assert store.search(parse_query("\u00fcber strasse")) == [street.local_id]
    assert store.search(parse_query("STRASSE \u00dcBER")) == [street.local_id]
    assert store.search(parse_query("strasse")) == []  # (ASCII only: LIKE, the index)


def test_every_filter_narrows_the_search(store: TaskStore) -> None:
    records = store.load_all()
    ids = [r.local_id for r in records]
    assert store.search(parse_query("seed:3")) == [ids[3]]
    assert store.search(parse_query("mode:fast")) == ids[1::2]
    assert store.search(parse_query("mode:quality fox")) == [ids[0]]
    assert store.search(parse_query("type:text aspect:16:9 state:succeeded")) == ids
    assert store.search(parse_query("type:extend")) == []
    day = dt.datetime.fromtimestamp(1_700_000_000.0 + 2 * 86_400).date()
    assert store.search(parse_query(f"from:{day} to:{day + dt.timedelta(days=1)}")) == ids[2:4]
    for text in ("seed:3", "mode:fast fox", "type:text aspect:16:9", f"from:{day}", "type:extend"):
        query = parse_query(text)
        match = matcher(query, {})
        assert [r.local_id for r in records if match(r, r.prompt.casefold())] == store.search(
            query
        ), text


def test_labels_of_three_tasks_change_in_one_edit(tmp_path: Path) -> None:
    with TaskStore.open(tmp_path / "t.sqlite3") as s:
        tasks = [record(f"take {n}", n) for n in range(4)]
        for t in tasks:
            s.insert(t, durable=False)
        three = [t.local_id for t in tasks[:3]]
        change = LabelChange(
            rating=4, favourite=True, add_tags=frozenset({" Night  Sky"}), note="keep"
        )
        assert s.edit_labels([*three, "no-such-task"], change) == 3
        expected = Labels(4, True, frozenset({"night sky"}), "keep")
        assert s.labels() == dict.fromkeys(three, expected)
        assert s.search(parse_query('tag:"night sky" rating:4 is:favourite')) == three
        s.edit_labels(three[:1], LabelChange(remove_tags=frozenset({"night sky"}), note=""))
        assert s.labels([three[0]]) == {three[0]: Labels(4, True, frozenset(), None)}
        assert s.tag_counts() == [("night sky", 2)]
        # The engine's status note is not the person's note.
        s.update(tasks[1].evolve(note="Downloading"))
        assert s.labels([three[1]])[three[1]].note == "keep"
        with pytest.raises(StoreError, match="CHECK constraint"), s.transaction():
            s._db.execute("UPDATE tasks SET rating = 9")


def test_extend_and_saved_searches(tmp_path: Path) -> None:
    with TaskStore.open(tmp_path / "t.sqlite3") as s:
        source = record("a boat", 1)
        extend = record("", 2).evolve(
            model="veo-3-1-extend",
            request=ExtendRequest(task_id="abc", prompt="the boat sails on").to_payload(),
        )
        s.insert(source)
        s.insert(extend)
        assert s.search(parse_query("type:extend boat")) == [extend.local_id]
        assert s.search(parse_query("type:text boat")) == [source.local_id]
        s.save_search("  Boats ", parse_query("boat type:extend"))
        s.save_search("all", parse_query("boat"))
        assert [(x.name, format_query(x.query)) for x in s.saved_searches()] == [
            ("all", "boat"),
            ("Boats", "boat type:extend"),
        ]
        s.save_search("boats", parse_query("boat is:favourite"))  # the same name, any case
        s.delete_search("all")
        assert [(x.name, format_query(x.query)) for x in s.saved_searches()] == [
            ("boats", "boat is:favourite")
        ]
        with pytest.raises(ValueError, match="needs a name"):
            s.save_search(" \t", LibraryQuery())


def test_bad_labels_and_filters_say_what_would_do() -> None:
    with pytest.raises(QueryError, match="from 0 to 5"):
        LabelChange(rating=6)
    with pytest.raises(QueryError, match="visible character"):
        LabelChange(add_tags=frozenset({"\t"}))
    assert parse_query("rating:9 mode:slow").words == ("rating:9", "mode:slow")
    assert query_problem("fox mode:slow ") == (
        "mode: takes one of fast, quality. \u201cmode:slow\u201d is searched for as text."
    )
    assert query_problem("fox mode:slo") is None  # still being typed
    assert query_problem("fox mode:fast tag:x ") is None
    assert LibraryQuery().with_filter("tag", "Cats").tags == {"cats"}
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        LibraryQuery().with_filter("from", "yesterday")


def test_loading_many_labels_is_one_query_per_chunk(tmp_path: Path) -> None:
    with TaskStore.open(tmp_path / "t.sqlite3") as s:
        tasks = [record(f"p{n}", n) for n in range(1200)]
        with s.transaction():
            for t in tasks:
                s.insert(t, durable=False)
        ids = [t.local_id for t in tasks]
        started = time.perf_counter()
        assert s.edit_labels(ids, LabelChange(add_tags=frozenset({"bulk"}))) == 1200
        assert len(s.labels(ids)) == 1200
        assert time.perf_counter() - started < 5
