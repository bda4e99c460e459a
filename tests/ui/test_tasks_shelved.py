"""A large library's older pages are listed as shelved rows (a few facts, the record read
from the store when shown): the list must show exactly what it shows with every record
held. By hypothesis, over any tasks: the same rows in the same order by every column, the
same texts in every cell, the same extends under the same sources, the same takes, and the
same rows for any search or filter; and the gallery over them shows the same videos in the
same order under the same headers, grouped any way, before and after the tasks change."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from tests.ui.tasks_support import make_record, read_shelved_from
from veo_desktop.api.models import ExtendRequest, Model
from veo_desktop.records.library import Labels, LibraryQuery
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.library.scrub import ScrubStrips
from veo_desktop.ui.tasks.columns import (
    DEPTH_ROLE,
    DETAIL_ROLE,
    FOLD_ROLE,
    LOCAL_ID_ROLE,
    META_ROLE,
    TAKE_ROLE,
    Column,
)
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.shelved import UNREAD_NOTE, ShelvedRow, can_shelve, is_stand_in
from veo_desktop.ui.thumbnails import ThumbnailCache

NOW = 1_800_000_000.0
_ROLES = (
    int(Qt.ItemDataRole.DisplayRole),
    int(Qt.ItemDataRole.ToolTipRole),
    int(Qt.ItemDataRole.AccessibleTextRole),
    DETAIL_ROLE,
    META_ROLE,
    DEPTH_ROLE,
    TAKE_ROLE,
    FOLD_ROLE,
)

_task = st.fixed_dictionaries(
    {
        "prompt": st.sampled_from(["A fox at dawn", "a fox at dawn", "Straße bei Nacht", "x"]),
        "mode": st.sampled_from(["fast", "quality"]),
        "seed": st.one_of(
            st.none(), st.integers(0, 3), st.integers(2**40, 2**40 + 2), st.just("2"), st.just(True)
        ),
        "at": st.sampled_from([0.0, 60.0, 120.0, 120.0, 5000.0]),
        "state": st.sampled_from(
            [TaskState.SUCCEEDED, TaskState.SUCCEEDED, TaskState.FAILED, TaskState.PENDING]
        ),
        "extends": st.one_of(st.none(), st.integers(0, 40)),
        "named": st.sampled_from(["uuid", "uuid", "uuid", "short", "fifteen"]),
        "hot": st.booleans(),
    }
)

#: Tasks as a gallery groups them: mostly videos, takes of a few runs (equal prompts and
#: modes, seeds, sent minutes apart), over two days.
_video = st.fixed_dictionaries(
    {
        "prompt": st.sampled_from(["A fox at dawn", "Rain on glass"]),
        "mode": st.just("fast"),
        "seed": st.one_of(st.integers(0, 2), st.integers(0, 2), st.none()),
        "at": st.sampled_from([0.0, 300.0, 600.0, 900.0, 2000.0, 90_000.0]),
        "state": st.sampled_from([TaskState.SUCCEEDED] * 4 + [TaskState.FAILED]),
        "extends": st.none(),
        "named": st.sampled_from(["uuid", "uuid", "short"]),
        "hot": st.sampled_from([False, False, False, True]),
    }
)


def _records(specs: list[dict[str, Any]]) -> list[TaskRecord]:
    records: list[TaskRecord] = []
    for number, spec in enumerate(specs):
        local_id = {
            "uuid": uuid.uuid4().hex,
            "short": f"t{number}",
            "fifteen": f"{number:015d}",
        }[spec["named"]]
        created = NOW - 10_000 + spec["at"] + number % 3
        source = (
            None
            if spec["extends"] is None or not records
            else records[spec["extends"] % len(records)]
        )
        if source is not None and not source.is_extend:
            record = make_record(
                number,
                local_id=local_id,
                created_at=created,
                state=spec["state"],
                parent_id=source.local_id if number % 2 else None,  # (else by APIXO's id)
                model=Model.EXTEND,
                request=ExtendRequest(
                    task_id=str(source.apixo_task_id), prompt="More"
                ).to_payload(),
            )
        else:
            record = make_record(
                number,
                local_id=local_id,
                created_at=created,
                state=spec["state"],
                prompt=spec["prompt"],
                mode=spec["mode"],
            )
            if spec["seed"] is not None:
                request = dict(record.request)
                request["input"] = dict(record.input, seed=spec["seed"])
                record = record.evolve(request=request)
        if spec["state"] is TaskState.SUCCEEDED:
            record = record.evolve(files=(f"/videos/{number}.mp4",))
        records.append(record)
    return records


def _model(store: TaskStore) -> TaskTableModel:
    model = TaskTableModel(clock=lambda: NOW)
    read_shelved_from(model, store)
    return model


def _seen(proxy: TaskFilterProxy) -> list[tuple[Any, ...]]:
    """Every row as a person sees it: its id and what every cell says."""
    while not proxy.complete:  # (the filter looks through the rows in slices)
        proxy.on_timer_timeout()
    return [
        tuple(
            proxy.index(row, column).data(role)
            for column in range(len(Column))
            for role in (LOCAL_ID_ROLE, *_ROLES)
        )
        for row in range(proxy.rowCount())
    ]


def _board(local_id: str) -> str | None:
    """A storyboard for some tasks (grouping by storyboard)."""
    return None if ord(local_id[-1]) % 3 == 0 else f"Board {ord(local_id[-1]) % 2}"


def _gallery(proxy: TaskFilterProxy) -> GalleryView:
    """A gallery over ``proxy`` (not shown: it is worked out when asked)."""
    view = GalleryView(ThumbnailCache(None), ScrubStrips(None), storyboard_of=_board)
    view.setModel(proxy)
    return view


def _tiles(view: GalleryView) -> tuple[list[Any], list[str]]:
    """What the gallery shows: its videos in order and its section headers."""
    model = view.model()
    titles = view.section_titles()
    return [model.index(row, 0).data(LOCAL_ID_ROLE) for row in view.shown_rows()], titles


_QUERIES = [
    LibraryQuery(),
    LibraryQuery(words=("fox",)),
    LibraryQuery(words=("strasse",)),
    LibraryQuery(words=("stra\u00dfe", "nacht")),
    LibraryQuery(states=frozenset({TaskState.FAILED})),
    LibraryQuery(seed=2),
    LibraryQuery(seed=2**40 + 1),
]


#: What happens to listed tasks afterwards: (what, which task): one is renamed (its note and
#: files change), removed, extended anew (by its local id, or by APIXO's id only), or
#: taken again (a new take of its request, sent a minute later: a run forms or grows).
_changes = st.lists(
    st.tuples(
        st.sampled_from(["change", "remove", "extend", "extend by id", "take"]),
        st.integers(0, 40),
    ),
    max_size=4,
)


#: Tasks removed in the end (indexes into the tasks), many at once.
_gone = st.lists(st.integers(0, 40), max_size=12)


def _changed(records: list[TaskRecord], what: str, which: int) -> TaskRecord:
    task = records[which % len(records)]
    if what == "change":
        return task.evolve(note="Kept for the trailer", files=("/videos/kept.mp4",))
    if what == "remove":
        return task.evolve(hidden=True)
    if what == "take":
        request = dict(task.request)
        request["input"] = dict(task.input, seed=which + 100)
        return make_record(
            1000 + len(records),
            created_at=task.created_at + 60,
            request=request,
            files=(f"/videos/{1000 + len(records)}.mp4",),
        )
    return make_record(
        1000 + len(records),  # (a number, and an APIXO id, of its own)
        created_at=NOW,
        parent_id=task.local_id if what == "extend" else None,
        model=Model.EXTEND,
        request=ExtendRequest(task_id=str(task.apixo_task_id), prompt="Again").to_payload(),
    )


@pytest.mark.usefixtures("qapp")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_task, min_size=1, max_size=24),
    st.sampled_from(list(Column)),
    st.booleans(),
    _changes,
    st.sampled_from(list(Grouping)),
    _gone,
)
def test_shelved_rows_show_what_full_rows_show(
    specs: list[dict[str, Any]],
    column: Column,
    descending: bool,
    changes: list[tuple[str, int]],
    grouping: Grouping,
    gone: list[int],
) -> None:
    _compare(_records(specs), specs, column, descending, changes, grouping, gone)


@pytest.mark.usefixtures("qapp")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_video, min_size=2, max_size=24),
    st.sampled_from([Column.CREATED, Column.PROMPT]),
    st.booleans(),
    _changes,
    st.sampled_from(list(Grouping)),
    _gone,
)
def test_a_gallery_over_shelved_rows_shows_what_one_over_records_shows(
    specs: list[dict[str, Any]],
    column: Column,
    descending: bool,
    changes: list[tuple[str, int]],
    grouping: Grouping,
    gone: list[int],
) -> None:
    """Videos most of them takes of a few runs, over two days: grouped by day, by run
    (the runs' keys as shelved rows keep them, hashed) and by storyboard alike."""
    _compare(_records(specs), specs, column, descending, changes, grouping, gone)


def _compare(
    records: list[TaskRecord],
    specs: list[dict[str, Any]],
    column: Column,
    descending: bool,
    changes: list[tuple[str, int]],
    grouping: Grouping,
    gone: list[int],
) -> None:
    """The list and the gallery over ``records`` every one held, and over them split as
    the window splits them, show the same for every query and after every change; and
    after the tasks ``gone`` are removed, one by one from the first and at once from the
    other (``remove_hidden``, as the window removes many)."""
    with tempfile.TemporaryDirectory() as folder:
        store = TaskStore.open(Path(folder) / "tasks.sqlite3")
        galleries: list[GalleryView] = []
        try:
            for record in records:
                store.insert(record)
            full, shelved = _model(store), _model(store)
            full.set_tasks(records)
            # The window's split: what it holds whole, and pages of the rest shelved.
            held = [r for r, s in zip(records, specs, strict=True) if s["hot"] or not can_shelve(r)]
            pairs = [(r, ShelvedRow.of(r)) for r in records if r not in held]
            held += [r for r, row in pairs if row is None]
            rows = [row for _r, row in pairs if row is not None]
            # Two pages, as scrolling lists them: the first page's rows stay shelved.
            shelved.set_tasks(held, rows[: len(rows) // 2])
            shelved.set_tasks(held, rows[len(rows) // 2 :])
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            views = []
            for model in (full, shelved):
                model.sort(int(column), order)
                proxy = TaskFilterProxy()
                proxy.setSourceModel(model)
                views.append(proxy)
            galleries += [_gallery(proxy) for proxy in views]
            for gallery in galleries:
                gallery.set_grouping(grouping)
            for query in _QUERIES:
                for proxy in views:
                    proxy.set_query(query, {})
                assert _seen(views[1]) == _seen(views[0]), query
                assert _tiles(galleries[1]) == _tiles(galleries[0]), query
            for proxy in views:
                proxy.set_query(LibraryQuery(), {})
            _tiles(galleries[0]), _tiles(galleries[1])  # (laid out: changes move tiles in place)
            for what, which in changes:  # (as the engine reports them: the model upserts)
                task = _changed(records, what, which)
                if any(r.local_id == task.local_id for r in records):
                    store.update(task)
                else:
                    store.insert(task)
                records.append(task)
                for model in (full, shelved):
                    model.upsert(task)
                assert _seen(views[1]) == _seen(views[0]), (what, which)
                assert _tiles(galleries[1]) == _tiles(galleries[0]), (what, which)
            leaving = [records[n % len(records)].evolve(hidden=True) for n in gone]
            for task in leaving:
                store.update(task)
                full.upsert(task)
            shelved.remove_hidden(leaving)
            assert _seen(views[1]) == _seen(views[0]), ("removed", gone)
            assert _tiles(galleries[1]) == _tiles(galleries[0]), ("removed", gone)
            # Moved in place, as worked out from scratch.
            for gallery in galleries:
                moved = _tiles(gallery)
                gallery.set_grouping(Grouping.DAY if grouping != Grouping.DAY else Grouping.RUN)
                gallery.set_grouping(grouping)
                assert _tiles(gallery) == moved
        finally:
            for gallery in galleries:
                gallery.tile_delegate.strips.close()
                gallery.tile_delegate.thumbnails.close()
            store.close()


def test_a_shelved_rows_record_is_read_when_shown_and_a_selection_in_one_go(
    qapp: Any, tmp_path: Path
) -> None:
    """A search, a filter and a sort by any column read no record; showing a row reads its
    own; a selection of many reads them in one query; many shown at once are kept."""
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    records = [make_record(n, created_at=NOW - n, prompt=f"shot {n}") for n in range(300)]
    for record in records:
        store.insert(record)
    reads: list[int] = []
    model = TaskTableModel(clock=lambda: NOW)

    def peek(local_id: str) -> TaskRecord | None:
        reads.append(1)
        return store.get(local_id)

    def peek_many(ids: Any) -> dict[str, TaskRecord]:
        reads.append(len(ids))
        return {r.local_id: r for r in store.load_among(ids)}

    model.set_reader(peek=peek, peek_many=peek_many, get=store.get, find_id=lambda ref: None)
    rows = [ShelvedRow.of(r) for r in records]
    model.set_tasks([], [row for row in rows if row is not None])
    assert model.shelved_count == 300
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_query(LibraryQuery(words=("shot 29",)), {})
    assert _ids(proxy) == [records[29].local_id] + [records[n].local_id for n in range(290, 300)]
    model.sort(int(Column.PROMPT), Qt.SortOrder.AscendingOrder)
    model.sort(int(Column.PRICE), Qt.SortOrder.DescendingOrder)
    assert reads == []
    assert proxy.index(0, int(Column.PROMPT)).data() == "shot 29"
    assert reads == [1]
    picked = model.tasks_at(range(0, 300, 2))
    assert [t.local_id for t in picked] == [model.local_id_at(r) for r in range(0, 300, 2)]
    assert reads == [1, 150]  # (the row shown was read again: it is kept among the last)
    # Shown many at once (a tall gallery's 300 tiles, more than SHOWN_KEPT): read in one
    # query, and kept for the next paint.
    del reads[:]
    for _paint in range(3):
        shown = model.tasks_at(range(300), shown=True)
    assert [t.local_id for t in shown] == [model.local_id_at(r) for r in range(300)]
    assert len(reads) == 1 and reads[0] <= 300
    store.close()


def _ids(proxy: TaskFilterProxy) -> list[str]:
    while not proxy.complete:
        proxy.on_timer_timeout()
    return [proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(proxy.rowCount())]


def test_labels_filter_shelved_rows_as_full_ones(qapp: Any, tmp_path: Path) -> None:
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    records = [make_record(n, created_at=NOW - n) for n in range(5)]
    for record in records:
        store.insert(record)
    model = _model(store)
    model.set_tasks(records[:2], [row for r in records[2:] if (row := ShelvedRow.of(r))])
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    starred = {records[1].local_id: Labels(rating=4), records[3].local_id: Labels(rating=5)}
    proxy.set_query(LibraryQuery(min_rating=4), starred)
    assert sorted(_ids(proxy)) == sorted([records[1].local_id, records[3].local_id])
    store.close()


def test_a_shelved_task_removed_meanwhile_or_unreadable_is_not_shown_as_it_was(
    qapp: Any, qtbot: Any, tmp_path: Path
) -> None:
    """A page read while one of its tasks was removed does not bring it back; a row whose
    task another program removed goes when it is shown; one that cannot be read says so."""
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    records = [make_record(n, created_at=NOW - n, prompt=f"Shot {n}") for n in range(4)]
    for record in records:
        store.insert(record)
    model = _model(store)
    removed = records[1].evolve(hidden=True)  # (the window holds its removed version)
    rows = [row for r in records if (row := ShelvedRow.of(r))]
    model.set_tasks([records[0], removed], rows)
    listed = [model.local_id_at(row) for row in range(model.rowCount())]
    assert listed == [records[0].local_id, records[2].local_id, records[3].local_id]

    store.update(records[2].evolve(hidden=True))  # (another program)
    store._db.execute("DELETE FROM tasks WHERE local_id = ?", (records[3].local_id,))
    reads: list[str] = []
    model.set_reader(
        peek=lambda local_id: reads.append(local_id) or store.get(local_id),
        peek_many=lambda ids: {r.local_id: r for r in store.load_among(ids)},
        get=store.get,
        find_id=lambda _ref: None,
    )
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    for _ in range(3):  # (painted again and again: read once, until the list is filled)
        assert proxy.index(2, int(Column.STATE)).data(DETAIL_ROLE) == UNREAD_NOTE
    assert reads == [records[3].local_id]
    assert is_stand_in(model.task_at(2))
    proxy.index(1, int(Column.PROMPT)).data()  # (shown: read, found removed)
    proxy.index(1, int(Column.STATE)).data()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    assert model.row_of(records[2].local_id) is None
    store.close()


def test_an_extends_source_found_by_apixos_id_is_looked_up_once(qapp: Any, tmp_path: Path) -> None:
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    source = make_record(1, created_at=NOW - 100)
    extend = make_record(
        2,
        created_at=NOW,
        model=Model.EXTEND,
        request=ExtendRequest(task_id=str(source.apixo_task_id), prompt="More").to_payload(),
    )
    gone = make_record(
        3,
        created_at=NOW,
        model=Model.EXTEND,
        request=ExtendRequest(task_id="apixo-gone", prompt="More").to_payload(),
    )
    other = make_record(4, created_at=NOW - 200)
    for record in (source, extend, gone, other):
        store.insert(record)
    asked: list[str] = []

    def find_id(ref: str) -> str | None:
        asked.append(ref)
        found = store.find_by_apixo_id(ref)
        return None if found is None else found.local_id

    model = TaskTableModel(clock=lambda: NOW)
    model.set_reader(
        peek=store.get,
        peek_many=lambda ids: {r.local_id: r for r in store.load_among(ids)},
        get=store.get,
        find_id=find_id,
    )
    rows = [row for row in (ShelvedRow.of(source), ShelvedRow.of(other)) if row]
    for _ in range(3):  # (three pages listed)
        model.set_tasks([extend, gone], rows)
    assert model.shelved_count == 1  # (the source, warmed: its extend sits under it)
    assert model.row_of(extend.local_id) == model.row_of(source.local_id) + 1  # (under it)
    # What was found is kept; what was not, the reader keeps (RecordBook.find_id).
    assert asked.count(str(source.apixo_task_id)) == 1
    assert asked.count("apixo-gone") == 3
    store.close()
