"""The task list model's parts on their own: extend placement, row order, tracking, and the
count and empty-list texts (no model, no view)."""

from __future__ import annotations

from tests.ui.tasks_support import make_record
from veo_desktop.api.models import ExtendRequest, Model
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.cells import TaskRow
from veo_desktop.ui.tasks.columns import Column, StateFilter, count_text, empty_text
from veo_desktop.ui.tasks.lineage_places import LineagePlaces
from veo_desktop.ui.tasks.row_index import id_key
from veo_desktop.ui.tasks.row_order import RowOrder
from veo_desktop.ui.tasks.tracking import TaskTracker


def extend_of(source: TaskRecord, number: int, created_at: float) -> TaskRecord:
    return make_record(
        number,
        created_at=created_at,
        parent_id=source.local_id,
        model=Model.EXTEND,
        request=ExtendRequest(task_id=str(source.apixo_task_id), prompt="More").to_payload(),
    )


def test_extends_are_placed_under_their_source_and_a_missing_source_adopts_them() -> None:
    source = make_record(1, created_at=100.0)
    child = extend_of(source, 2, 300.0)
    grandchild = extend_of(child, 3, 400.0)
    other = make_record(4, created_at=200.0)
    places = LineagePlaces()

    changed = places.rebuild([child, grandchild, other])  # the source is not in the list
    assert changed == {grandchild.local_id}  # the child is a root of its own: depth 0
    assert places.adopts(source) and places.links(source)
    assert not places.adopts(other) and not places.links(other)
    assert places.links(extend_of(other, 5, 500.0))  # any extend changes the lineage

    changed = places.rebuild([source, child, grandchild, other])
    assert changed == {child.local_id, grandchild.local_id}
    assert places.depth_of(child.local_id) == 1 and places.depth_of(grandchild.local_id) == 2
    # (the root's id as the list keeps it: a uuid's 16 bytes)
    assert places.place_of(TaskRow(grandchild)) == (100.0, id_key(source.local_id), 2)
    assert places.place_of(TaskRow(other)) == (200.0, id_key(other.local_id), 0)
    assert places.parent_id_of(grandchild.local_id) == child.local_id
    assert places.has_children(source.local_id) and not places.has_children(other.local_id)

    places.forget(grandchild.local_id)
    assert places.depth_of(grandchild.local_id) == 0


def test_rows_sorted_by_creation_keep_each_source_above_its_extends_either_way() -> None:
    source = make_record(1, created_at=100.0)
    child = extend_of(source, 2, 300.0)
    other = make_record(3, created_at=200.0)
    places = LineagePlaces()
    places.rebuild([source, child, other])
    order = RowOrder(places)
    rows = [TaskRow(t) for t in (other, child, source)]

    order.sort(rows)  # newest first: the newer root, then the older one with its extend
    assert [r.task for r in rows] == [other, source, child]
    assert order.is_sorted(rows)
    assert not order.change(Column.CREATED, descending=True)  # already so
    assert order.change(Column.CREATED, descending=False)
    assert not order.is_sorted(rows)
    order.sort(rows)
    assert [r.task for r in rows] == [source, child, other]

    newest = TaskRow(make_record(4, created_at=50.0))
    assert order.position_for(rows, order.key(newest)) == 0  # the oldest goes first


def test_the_tracker_follows_clocks_activity_progress_and_videos() -> None:
    tracker = TaskTracker()
    running = make_record(1, state=TaskState.PROCESSING)
    done = make_record(2, files=("/videos/a.mp4",))
    tracker.reset([running, done])
    assert tracker.ticking == {running.local_id} and tracker.active == {running.local_id}
    assert tracker.video_owner == {"/videos/a.mp4": done.local_id}

    downloading = running.evolve(state=TaskState.DOWNLOADING)
    assert tracker.track(downloading, running) is None
    tracker.set_progress(running.local_id, 5, -1)
    assert tracker.progress[running.local_id] == (5, None)  # a negative total is unknown
    assert running.local_id not in tracker.ticking and running.local_id in tracker.active

    finished = downloading.evolve(state=TaskState.SUCCEEDED, files=("/videos/b.mp4",))
    assert tracker.track(finished, downloading) is None
    assert running.local_id not in tracker.progress and not tracker.active
    redone = done.evolve(files=("/videos/c.mp4",))
    assert tracker.track(redone, done) == "/videos/a.mp4"  # its old thumbnail can go
    assert tracker.video_owner == {
        "/videos/b.mp4": running.local_id,
        "/videos/c.mp4": done.local_id,
    }

    tracker.forget(redone.local_id, "/videos/c.mp4")
    assert tracker.video_owner == {"/videos/b.mp4": running.local_id}
    tracker.forget(done.local_id, "/videos/b.mp4")  # (another task's video: kept)
    assert tracker.video_owner == {"/videos/b.mp4": running.local_id}
    tracker.own(redone)  # (a shelved row read to be shown)
    assert tracker.video_owner["/videos/c.mp4"] == redone.local_id


def test_the_count_line_and_the_empty_list_text() -> None:
    assert count_text(1, 1, 0) == "1 task"
    assert count_text(1200, 1200, 2) == "1,200 tasks \u00b7 2 running"
    assert count_text(12, 3, 0) == "3 of 12"
    assert empty_text(0, 0, "", StateFilter.ALL).startswith("No videos yet.")
    assert empty_text(5, 0, "fox", StateFilter.ALL) == "No tasks match \u201cfox\u201d."
    assert empty_text(5, 0, "fox", StateFilter.FAILED) == "No failed tasks match \u201cfox\u201d."
    assert empty_text(5, 0, "", StateFilter.ACTIVE) == "No active tasks."
    assert empty_text(5, 2, "fox", StateFilter.ALL) == ""
