"""Disk use and Clean up on real files and a real sqlite store, through the real engine's
remove: it frees exactly what it said, and never a video of a task that stays."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from tests.fixtures.core import EngineKit
from tests.storage.test_store import make_record
from tests.ui.spending.seed import library_records
from veo_desktop.core.cleanup import (
    DiskUse,
    FreePlan,
    carry_out,
    cleanup_plan,
    disk_use,
    folder_size,
    removal_plan,
    size_text,
    task_files,
)
from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.core.spending import spend_between
from veo_desktop.records.lifecycle import TaskState


def test_sizes_read_for_people() -> None:
    assert [size_text(n) for n in (0, 1, 999, 1000, 41_400_000, 2_345_000_000)] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "1.0 KB",
        "41 MB",
        "2.3 GB",
    ]
    use = DiskUse(videos=2_200_000_000, thumbnails=12_000_000, frames=3_100_000)
    assert use.text() == "Library: 2.2 GB"
    assert use.detail() == "Videos 2.2 GB, thumbnails 12 MB, frames cache 3.1 MB"
    words = FreePlan(("a", "b"), (), 2).question()
    assert words == "Remove 2 tasks from the list? No files are deleted."


def test_clean_up_frees_exactly_what_it_said(engine_kit: EngineKit, tmp_path: Path) -> None:
    today = dt.date.today()
    library = library_records(engine_kit.library, today)
    store = engine_kit.store()
    for record in library.records:
        store.insert(record)
    kept_files = task_files(library.kept)
    removed_files = task_files(library.removed)
    assert len(kept_files) == 2 and len(removed_files) == 2

    async def scenario() -> None:
        engine = engine_kit.engine(store=store)
        await engine.start(resume=False)
        before = spend_between(engine.tasks(include_hidden=True), 0)
        records = engine.tasks(include_hidden=True)
        plan = cleanup_plan(records, now=time.time())
        # The failed task of ten days ago leaves the list with its partial download and
        # sidecar; today's failure stays; the dismissed one left nothing.
        assert plan.tasks == (library.old_failed.local_id,)
        broken = Path(library.old_failed.files[0])
        assert {path for path, _ in plan.files} == {
            broken.with_name("broken.mp4.part"),
            sidecar_path(broken),
        }
        assert plan.bytes == 50_000 + sidecar_path(broken).stat().st_size
        assert plan.question() == f"Remove 1 task and {size_text(plan.bytes)} of files?"
        measured = disk_use(engine_kit.library, None, None)
        freed = carry_out(plan, lambda local_id: engine.remove(local_id, delete_files=False))
        assert (freed.tasks, freed.bytes, freed.failures) == (1, plan.bytes, ())
        assert freed.text() == f"Removed 1 task and freed {size_text(plan.bytes)}."
        assert folder_size(engine_kit.library) == measured.videos - plan.bytes
        assert engine.get(library.old_failed.local_id).hidden
        assert not engine.get(library.new_failed.local_id).hidden
        assert all(path.exists() for path in kept_files + removed_files)
        # Spending history keeps every task.
        assert spend_between(engine.tasks(include_hidden=True), 0) == before

        # Asked to, the videos of tasks removed earlier go too; a listed task's never.
        everything = engine.tasks(include_hidden=True)
        wider = cleanup_plan(everything, now=time.time(), removed_videos=True)
        assert wider.tasks == () and {p for p, _ in wider.files} == set(removed_files)
        assert wider.question() == f"Delete {size_text(wider.bytes)} of videos?"
        again = carry_out(wider, lambda local_id: engine.remove(local_id, delete_files=False))
        assert again.bytes == sum(size for _, size in wider.files)
        assert not any(path.exists() for path in removed_files)
        assert all(path.exists() for path in kept_files)
        assert cleanup_plan(engine.tasks(include_hidden=True), now=time.time()).empty

        # Remove says what it frees before; the engine deletes exactly that.
        kept = engine.get(library.kept.local_id)
        plan = removal_plan([kept], engine.tasks(include_hidden=True), delete_files=True)
        assert {p for p, _ in plan.files} == set(kept_files)
        assert plan.question() == f"Remove 1 task and {size_text(plan.bytes)} of videos?"
        assert removal_plan([kept], [], delete_files=False).files == ()
        engine.remove(kept.local_id, delete_files=True)
        assert not any(path.exists() for path in kept_files)

    engine_kit.run(scenario)


def test_a_file_a_staying_task_names_is_never_planned(tmp_path: Path) -> None:
    library = library_records(tmp_path / "videos", dt.date.today())
    # A failed task naming the kept task's video (a damaged record): the video stays.
    twin = library.old_failed.evolve(files=library.kept.files)
    plan = cleanup_plan([library.kept, twin], now=time.time())
    assert plan.tasks == (twin.local_id,) and plan.files == ()
    assert folder_size(tmp_path / "missing") == 0 and folder_size(None) == 0


def test_the_tasks_clean_up_is_told_to_keep_stay_with_their_files(tmp_path: Path) -> None:
    library = library_records(tmp_path / "videos", dt.date.today())
    # A storyboard's take removed from the list earlier, and an old failed one it keeps too.
    keep = {library.removed.local_id, library.old_failed.local_id}
    plan = cleanup_plan(library.records, now=time.time(), removed_videos=True, keep=keep)
    assert plan.tasks == () and plan.files == ()
    wider = cleanup_plan(library.records, now=time.time(), removed_videos=True)
    assert Path(library.removed.files[0]) in {path for path, _size in wider.files}


def test_a_task_that_cannot_be_removed_keeps_its_files(tmp_path: Path) -> None:
    """The plan is made when the question is asked; a task that cannot leave the list when
    it is carried out (it became active again meanwhile) keeps its video and sidecar, and
    the other tasks' files still go."""
    staying, leaving = tmp_path / "staying.mp4", tmp_path / "leaving.mp4"
    for video in (staying, leaving):
        video.write_bytes(b"v" * 1000)
        sidecar_path(video).write_text("{}", encoding="utf-8")
    busy = make_record("busy", state=TaskState.SUCCEEDED, files=(str(staying),))
    done = make_record("done", state=TaskState.SUCCEEDED, files=(str(leaving),))
    plan = removal_plan([busy, done], [], delete_files=True)
    assert {path for path, _size in plan.files} == {
        staying,
        sidecar_path(staying),
        leaving,
        sidecar_path(leaving),
    }

    def remove(local_id: str) -> None:
        if local_id == busy.local_id:
            raise ValueError("This task is still running.")

    freed = carry_out(plan, remove)
    assert staying.exists() and sidecar_path(staying).exists()
    assert not leaving.exists() and not sidecar_path(leaving).exists()
    assert freed.tasks == 1 and freed.bytes == 1002
    assert freed.failures == ("This task is still running.",)
