"""Import: a folder of Veo videos (sidecars, recipes inside, duplicates, junk) joins a library
held by the real engine and sqlite store, twice without duplicates."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.core import test_sidecar
from tests.fixtures.core import EngineKit
from tests.fixtures.mp4 import encoded_clip
from veo_desktop.core import library_import
from veo_desktop.core.library_import import import_folder, import_folder_async
from veo_desktop.core.sidecar import read_sidecar, restore, sidecar_path
from veo_desktop.film.recipe import export_copy, read_recipe
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord, is_imported
from veo_desktop.storage.store import TaskStore

REQUEST = test_sidecar.REQUEST
#: A generation and an extend of it, downloaded by the real engine (once per module).
made = test_sidecar.made


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder(made: Any, tmp_path: Path) -> Path:
    """What another machine hands over: a video with its sidecar, a renamed copy carrying its
    recipe (no sidecar), a byte copy of the first, a plain clip, a broken file, other files."""
    first, second, _, _ = made
    folder = tmp_path / "from laptop"
    (folder / "nested").mkdir(parents=True)
    video = Path(first.files[0])
    shutil.copyfile(video, folder / video.name)
    shutil.copyfile(sidecar_path(video), folder / sidecar_path(video).name)
    export_copy(second, Path(second.files[0]), folder / "nested" / "the boat, later.mp4")
    shutil.copyfile(video, folder / "nested" / "same bytes.mp4")
    encoded_clip(folder / "holiday.mp4", frames=2, width=32, height=32)
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    (folder / "notes.txt").write_text("not a video")
    return folder


def test_a_folder_joins_the_library_once(made: Any, folder: Path, tmp_path: Path) -> None:
    first, second, _, _ = made
    kit = EngineKit(base_url="http://127.0.0.1:9/api/v1", api_key="k", root=tmp_path / "data")
    source_hashes = {p: sha(p) for p in folder.rglob("*") if p.is_file()}

    async def scenario() -> tuple[Any, Any, list[TaskRecord]]:
        engine = kit.engine()
        await engine.start(resume=False)
        seen: list[TaskRecord] = []
        engine.subscribe(seen.append)
        once = await import_folder_async(
            folder,
            library_dir=engine.library_dir,
            known=engine.tasks(include_hidden=True),
            add=engine.add_finished,
            embedded=read_recipe,
        )
        assert [r.local_id for r in seen] == [r.local_id for r in once.added]
        assert engine.spend(0) == 0  # paid elsewhere: not this app's spending, nor its cap's
        twice = await import_folder_async(
            folder,
            library_dir=engine.library_dir,
            known=engine.tasks(include_hidden=True),
            add=engine.add_finished,
            embedded=read_recipe,
        )
        return once, twice, engine.tasks()

    try:
        once, twice, tasks = kit.run(scenario)
        reopened = kit.store().load_all()
    finally:
        kit.close_stores()

    by_apixo = {r.apixo_task_id: r for r in once.added}
    assert set(by_apixo) == {first.apixo_task_id, second.apixo_task_id}
    reasons = {s.path.name: s.reason for s in once.skipped}
    assert reasons["same bytes.mp4"] == "already in the library (the same file)."
    assert reasons["holiday.mp4"].startswith("no settings")
    assert reasons["broken.mp4"].startswith("not a complete video")
    assert "notes.txt" not in reasons and len(once.skipped) == 3
    assert once.summary() == (
        "Imported 2 videos from from laptop; skipped 1 already in the library and 2 that "
        "could not be imported."
    )
    # Twice: nothing new, both reported as already there.
    assert twice.added == [] and len(twice.duplicates) == 3
    assert twice.summary().startswith("Imported 0 videos from from laptop; skipped 3 already")
    assert sorted(r.local_id for r in tasks) == sorted(r.local_id for r in reopened)
    assert len(reopened) == 2

    for record in reopened:
        original = first if record.apixo_task_id == first.apixo_task_id else second
        assert record.state is TaskState.SUCCEEDED and record.local_id == original.local_id
        assert record.request_model == original.request_model
        assert record.price == original.price and record.model == original.model
        assert abs(record.created_at - original.created_at) < 1
        assert is_imported(record) and not is_imported(original)
        video = Path(record.files[0])
        assert video.parent == kit.library and video.is_file()
        assert read_sidecar(sidecar_path(video))["apixo_task_id"] == original.apixo_task_id
        assert restore(video).request == original.request_model
    # The extend still points at the generation it continues.
    imported_second = next(r for r in reopened if r.apixo_task_id == second.apixo_task_id)
    assert imported_second.parent_id == first.local_id
    # The library's copy of the video with a sidecar is the file, byte for byte; the folder
    # handed over is untouched.
    imported_first = next(r for r in reopened if r.apixo_task_id == first.apixo_task_id)
    assert sha(Path(imported_first.files[0])) == sha(Path(first.files[0]))
    assert {p: sha(p) for p in folder.rglob("*") if p.is_file()} == source_hashes


def test_the_command_lines_way_store_and_a_refused_record(folder: Path, tmp_path: Path) -> None:
    library = tmp_path / "videos"
    with TaskStore.open(tmp_path / "tasks.sqlite3") as store:
        result = import_folder(
            folder,
            library_dir=library,
            known=store.load_all(),
            add=store.insert,
            embedded=read_recipe,
        )
        assert len(result.added) == 2 and len(store.load_all()) == 2

        def refuse(record: TaskRecord) -> None:
            raise ValueError("This task is already in the list.")

        other = tmp_path / "other library"
        again = import_folder(folder, library_dir=other, known=(), add=refuse, embedded=read_recipe)
    assert again.added == []
    assert sum("could not be added to the task list" in s.reason for s in again.skipped) == 2
    assert [p for p in other.iterdir()] == []  # the copies of refused records are removed


def test_the_record_book_refuses_a_second_copy(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    kit = EngineKit(base_url="http://127.0.0.1:9/api/v1", api_key="k", root=tmp_path / "data")

    async def scenario() -> None:
        engine = kit.engine()
        await engine.start(resume=False)
        engine.add_finished(first)
        with pytest.raises(ValueError, match="already in the list"):
            engine.add_finished(first.evolve(local_id="b" * 32))
        with pytest.raises(ValueError, match="finished task"):
            engine.add_finished(first.evolve(local_id="c" * 32, state=TaskState.FAILED))
        await asyncio.sleep(0)

    try:
        kit.run(scenario)
    finally:
        kit.close_stores()


@pytest.mark.parametrize("failing", ["_copy", "write_sidecar"])
def test_a_disk_that_fills_part_way_leaves_nothing_in_the_library(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    real = getattr(library_import, failing)
    calls: list[object] = []

    def fills(*args: Any) -> None:
        calls.append(args)
        if len(calls) == 2:  # the first video is in; the disk is full for the second
            raise OSError(errno.ENOSPC, "No space left on device")
        real(*args)

    monkeypatch.setattr(library_import, failing, fills)
    library = tmp_path / "videos"
    added: list[TaskRecord] = []
    with pytest.raises(OSError, match="No space left"):
        import_folder(folder, library_dir=library, known=(), add=added.append, embedded=read_recipe)
    assert len(calls) == 2 and added == []
    assert [p for p in library.rglob("*")] == []  # no copy, sidecar or partial file stays
