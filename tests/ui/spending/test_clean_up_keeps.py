"""Clean up never deletes a storyboard's take (also one removed from the list earlier), and
counts only the tasks that really left the list; on the real engine, store and storyboards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from tests.fixtures.mp4 import encoded_clip
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv, make_record
from veo_desktop.core.cleanup import FreePlan, size_text, task_files
from veo_desktop.core.settings import Settings
from veo_desktop.storyboard.service import StoryboardService
from veo_desktop.ui.spending.disk import DiskRow

engine_env = tasks_support.engine_env


async def no_frames(video: Path) -> str:
    raise AssertionError(f"no shot continues another here ({video})")


def test_clean_up_keeps_a_storyboards_take_removed_from_the_list(
    engine_env: EngineEnv, qtbot: Any
) -> None:
    engine_env.library.mkdir(parents=True, exist_ok=True)
    tasks = []
    for number, name in ((1, "take.mp4"), (2, "removed.mp4")):
        video = engine_env.library / name
        encoded_clip(video, frames=2, width=32, height=32)
        tasks.append(engine_env.engine.add_finished(make_record(number, files=(str(video),))))
    take, removed = tasks
    service = StoryboardService(
        engine=engine_env.engine, store=engine_env.store, settings=Settings(), frame_url=no_frames
    )
    board = service.create("Harbour film")
    assert take.apixo_task_id is not None
    service.add_task_shot(board.id, take.apixo_task_id)
    for task in tasks:  # both removed from the list earlier, their videos kept
        engine_env.controller.remove(task.local_id, delete_files=False)
    window = QWidget()
    qtbot.addWidget(window)
    disk = DiskRow(
        engine_env.controller,
        library=lambda: engine_env.library,
        storyboards=lambda: service,
        parent=window,
    )

    plain, wider = disk.plans()
    gone = task_files(engine_env.engine.get(removed.local_id))
    assert plain.empty
    assert {path for path, _size in wider.files} == set(gone)
    freed = disk.clean(wider)
    assert freed.text() == f"Removed 0 tasks and freed {size_text(wider.bytes)}."
    assert not any(path.exists() for path in gone)
    assert Path(take.files[0]).exists()
    assert service.take_file(service.boards()[0].shots[0]) == Path(take.files[0])

    # A task the controller could not remove (it reported why) is not counted as removed.
    failed = disk.clean(FreePlan(tasks=("no-such-task",), shown=1))
    assert failed.tasks == 0 and failed.text() == "Removed 0 tasks; no files were deleted."
    service.close()
