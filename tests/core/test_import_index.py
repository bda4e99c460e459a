"""Import against a library of thousands of tasks (a real sqlite store and a real folder):
duplicates are found by index (ids, then size and digest), each known file stat-ed at most
once per import, and not at all for videos whose APIXO id tells them apart."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

from tests.fixtures.mp4 import encoded_clip
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.library_import import import_folder
from veo_desktop.core.sidecar import write_sidecar
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore

#: How many tasks the library holds.
LIBRARY_SIZE = 3_000


def record(number: int, video: Path, **changes: object) -> TaskRecord:
    request = GenerationRequest(prompt=f"Shot {number}: a lighthouse at dusk")
    made = time.time() - 86_400 + number
    task = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=request.to_payload(),
        state=TaskState.SUCCEEDED,
        created_at=made,
        updated_at=made,
        apixo_task_id=f"apixo-{number:06d}",
        price=request.price,
        history=(StateChange(made, TaskState.SUCCEEDED),),
        files=(str(video),),
    )
    return task.evolve(**changes) if changes else task


class CountingStat:
    """``os.stat``, counting the calls per path."""

    def __init__(self) -> None:
        self.calls: Counter[Path] = Counter()

    def __call__(self, path: Path) -> os.stat_result:
        self.calls[Path(path)] += 1
        return os.stat(path)


def handed_over(folder: Path, clip: Path, task: TaskRecord | None, name: str) -> Path:
    """``clip`` copied into ``folder`` as ``name``, with ``task``'s sidecar when given."""
    video = folder / name
    video.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, video)
    if task is not None:
        write_sidecar(task.evolve(files=(str(video),)), 0, video)
    return video


def test_duplicates_are_found_by_index_in_a_library_of_thousands(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    clip = {}
    for frames in range(2, 8):
        clip[frames] = clips / f"clip-{frames}.mp4"
        encoded_clip(clip[frames], frames=frames, width=32, height=32)
    library = tmp_path / "videos"
    library.mkdir()
    known: list[TaskRecord] = []
    for number in range(LIBRARY_SIZE):
        video = library / f"video-{number:05d}.mp4"
        video.write_bytes(b"not read: only its size matters %d" % number)
        known.append(record(number, video))
    # Two known tasks hold real clips: one without an APIXO id (imported long ago).
    shutil.copyfile(clip[2], library / "video-00007.mp4")
    known[7] = known[7].evolve(apixo_task_id=None)
    shutil.copyfile(clip[6], library / "video-00008.mp4")
    known[8] = known[8].evolve(apixo_task_id=None)

    folder = tmp_path / "from the laptop"
    handed_over(folder, clip[3], known[5].evolve(local_id="a" * 32), "a-same-apixo-task.mp4")
    handed_over(folder, clip[4], known[6].evolve(apixo_task_id=None), "b-same-local-task.mp4")
    handed_over(folder, clip[2], None, "c-same-bytes-no-settings.mp4")
    new = record(90_001, Path("x.mp4"), local_id="d" * 32, apixo_task_id="apixo-new")
    handed_over(folder, clip[5], new, "d-new.mp4")
    handed_over(folder, clip[5], None, "nested/e-the-new-one-again.mp4")
    renamed = record(90_002, Path("x.mp4"), apixo_task_id="apixo-other")
    handed_over(folder, clip[6], renamed, "f-bytes-of-an-id-less-task.mp4")

    store_path = tmp_path / "tasks.sqlite3"
    with TaskStore.open(store_path) as store:
        with store.transaction():
            for task in known:
                store.insert(task, durable=False)
        stat = CountingStat()
        result = import_folder(
            folder, library_dir=library, known=store.load_all(), add=store.insert, stat=stat
        )
        reasons = {s.path.name: s.reason for s in result.skipped}
        assert [r.apixo_task_id for r in result.added] == ["apixo-new"]
        assert reasons == {
            "a-same-apixo-task.mp4": "already in the library (the same APIXO task).",
            "b-same-local-task.mp4": "already in the library (the same task).",
            "c-same-bytes-no-settings.mp4": "already in the library (the same file).",
            "e-the-new-one-again.mp4": "already in the library (the same file).",
            "f-bytes-of-an-id-less-task.mp4": "already in the library (the same file).",
        }
        assert all(s.duplicate for s in result.skipped)
        assert store.count() == LIBRARY_SIZE + 1
        # Every known file stat-ed at most once (the old way: once per video looked at).
        assert max(stat.calls.values()) == 1
        assert sum(stat.calls.values()) <= LIBRARY_SIZE

        # Videos told apart by their APIXO ids: only the id-less tasks' files are stat-ed.
        only_ids = tmp_path / "only ids"
        handed_over(only_ids, clip[3], known[5].evolve(local_id="b" * 32), "same-task.mp4")
        other = record(90_003, Path("x.mp4"), apixo_task_id="apixo-third")
        handed_over(only_ids, clip[7], other, "third.mp4")
        stat = CountingStat()
        result = import_folder(
            only_ids, library_dir=library, known=store.load_all(), add=store.insert, stat=stat
        )
        assert [r.apixo_task_id for r in result.added] == ["apixo-third"]
        assert [s.path.name for s in result.duplicates] == ["same-task.mp4"]
        assert set(stat.calls) == {library / "video-00007.mp4", library / "video-00008.mp4"}
