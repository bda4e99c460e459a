"""The gallery over a large library's shelved rows paints what their tasks say, whatever
happened to the store or the list meanwhile.

Real parts: a real store, the task model with shelved rows read from it, the filter proxy and
the gallery view, painted offscreen; what each tile paints is caught at the delegate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.tasks_support import make_record
from veo_desktop.api.models import ExtendRequest, Model
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.library.scrub import ScrubStrips
from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.shelved import ShelvedRow
from veo_desktop.ui.thumbnails import ThumbnailCache

NOW = 1_800_000_000.0


class Shelf:
    """Tasks in a real store, every one listed shelved, a gallery over them; the store can
    be made to fail its reads."""

    def __init__(self, records: list[TaskRecord], folder: Path, qtbot: Any) -> None:
        self.store = TaskStore.open(folder / "tasks.sqlite3")
        for record in records:
            self.store.insert(record)
        self.failing = False
        self.model = TaskTableModel(clock=lambda: NOW)
        self.model.set_reader(
            peek=lambda local_id: None if self.failing else self.store.get(local_id),
            peek_many=lambda ids: (
                {} if self.failing else {r.local_id: r for r in self.store.load_among(ids)}
            ),
            get=self.store.get,
            find_id=lambda ref: getattr(self.store.find_by_apixo_id(ref), "local_id", None),
        )
        rows = [ShelvedRow.of(record) for record in records]
        self.model.set_tasks([], [row for row in rows if row is not None])
        self.proxy = TaskFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.view = GalleryView(ThumbnailCache(None), ScrubStrips(None))
        self.view.setModel(self.proxy)
        qtbot.addWidget(self.view)
        self.view.resize(900, 700)
        self.view.show()
        qtbot.waitUntil(lambda: len(self.painted()) == len(records))  # (laid out)

    def painted(self) -> dict[str, tuple[str, str]]:
        """Paint the gallery: the two lines each tile shows, by task."""
        lines: dict[str, tuple[str, str]] = {}
        delegate = self.view.tile_delegate
        paint = delegate.paint_tile

        def caught(
            painter: Any, rect: Any, task: TaskRecord, shown: Any, row: int, *a: Any, **k: Any
        ) -> None:
            assert self.proxy.index(row, 0).data(LOCAL_ID_ROLE) == task.local_id
            lines[task.local_id] = shown
            paint(painter, rect, task, shown, row, *a, **k)

        delegate.paint_tile = caught  # type: ignore[method-assign]
        try:
            self.view.viewport().repaint()
        finally:
            delegate.paint_tile = paint  # type: ignore[method-assign]
        return lines

    def close(self) -> None:
        self.view.tile_delegate.strips.close()
        self.view.tile_delegate.thumbnails.close()
        self.store.close()


@pytest.fixture
def shelf_of(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    made: list[Shelf] = []

    def make(records: list[TaskRecord]) -> Shelf:
        made.append(Shelf(records, tmp_path, qtbot))
        return made[-1]

    yield make
    for shelf in made:
        shelf.close()


def video(number: int, **changes: Any) -> TaskRecord:
    return make_record(
        number,
        created_at=NOW - number * 60,
        prompt=changes.pop("prompt", f"Shot {number} Of A Fox"),
        files=(f"/videos/{number}.mp4",),
        **changes,
    )


def take(number: int, seed: int, created: float) -> TaskRecord:
    """A take of one variations run ("A Fox At Dawn", fast), by its seed."""
    record = make_record(number, created_at=created, prompt="A Fox At Dawn")
    request = dict(record.request)
    request["input"] = dict(record.input, seed=seed)
    return record.evolve(request=request, files=(f"/videos/{number}.mp4",))


def test_a_tile_read_while_the_store_failed_shows_its_task_once_it_can_be_read(
    shelf_of: Any,
) -> None:
    """While the store fails, a shelved tile says what its row knows (its prompt folded);
    once the list is filled again and the store reads, the tile shows the task itself."""
    records = [video(n) for n in range(6)]
    shelf = shelf_of(records)
    shelf.failing = True
    shelf.model.set_tasks([], [])  # (the list filled again: the records read so far go)
    assert shelf.painted()[records[0].local_id][0] == "shot 0 of a fox"
    shelf.failing = False
    shelf.model.set_tasks([], [])  # (the list filled again: its shelved rows kept)
    assert shelf.painted()[records[0].local_id][0] == "Shot 0 Of A Fox"


def test_a_take_renumbered_while_the_gallery_waits_to_regroup_shows_its_new_number(
    shelf_of: Any,
) -> None:
    """A third take arrives while the gallery has a regrouping pending (a filter changed,
    say): the two older tiles say "of 3", not the "of 2" they painted before."""
    first, second = take(0, 0, NOW - 120), take(1, 1, NOW - 60)
    shelf = shelf_of([first, second])
    assert shelf.painted()[first.local_id][1].startswith("Take 1/2")
    shelf.view._invalidate()  # (a regrouping pending)
    third = take(2, 9, NOW)
    shelf.store.insert(third)
    shelf.model.upsert(third)
    lines = shelf.painted()
    assert lines[first.local_id][1].startswith("Take 1/3")
    assert lines[second.local_id][1].startswith("Take 2/3")


def test_a_shelved_video_read_for_its_new_extend_leaves_the_gallery_if_its_file_went(
    shelf_of: Any,
) -> None:
    """A shelved video whose record says it has no video any more (another program): when
    an extend names it, its record is read, and its tile goes at once."""
    records = [video(n) for n in range(5)]
    shelf = shelf_of(records)
    assert len(shelf.painted()) == 5
    source = records[2]
    shelf.store.update(source.evolve(files=()))
    extend = make_record(
        99,
        created_at=NOW + 5,
        parent_id=source.local_id,
        model=Model.EXTEND,
        request=ExtendRequest(task_id=str(source.apixo_task_id), prompt="More").to_payload(),
    )
    shelf.store.insert(extend)
    shelf.model.upsert(extend)
    assert source.local_id not in shelf.painted()
    assert shelf.view.shown_rows() == [
        shelf.proxy.mapFromSource(shelf.model.index_of(r.local_id)).row()
        for r in records
        if r is not source
    ]
