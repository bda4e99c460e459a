"""Remove says what it frees before (following the "Also delete" box) and after (the status
bar's message), on real simulated videos in a real store."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv, make_record
from veo_desktop.core.cleanup import size_text, task_files
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.status_bar import StatusBar
from veo_desktop.ui.tasks.panel import TaskPanel

engine_env = tasks_support.engine_env


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[TaskPanel]:
    widget = TaskPanel(engine_env.controller)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    yield widget
    widget.shutdown()


def test_remove_says_what_it_frees_before_and_after(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    sent = [
        engine_env.submit(prompt)
        for prompt in ("A paper boat drifts down a gutter", "Fireflies at dusk", "Keep this one")
    ]
    first, second, kept = (engine_env.wait_state(t.local_id, TaskState.SUCCEEDED) for t in sent)
    files = task_files(first) + task_files(second)
    size = sum(path.stat().st_size for path in files)
    status = StatusBar()
    qtbot.addWidget(status)
    status.attach(engine_env.controller)

    panel.select_tasks([first.local_id, second.local_id])
    panel.task_actions.remove.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    assert box.text() == "Remove 2 tasks from the list? No files are deleted."
    check = box.checkBox()
    assert check is not None and check.text() == f"Also delete their videos ({size_text(size)})"
    check.setChecked(True)
    assert box.text() == f"Remove 2 tasks and {size_text(size)} of videos?"
    with qtbot.waitSignal(engine_env.controller.action_done) as said:
        next(
            b for b in box.findChildren(QPushButton) if b.objectName() == "confirmRemoveButton"
        ).click()
    assert said.args == [f"Removed 2 tasks and freed {size_text(size)}."]
    assert status.currentMessage() == said.args[0]
    assert not any(path.exists() for path in files)
    assert all(path.exists() for path in task_files(kept))
    assert [t.local_id for t in engine_env.controller.tasks()] == [kept.local_id]

    # One task, its file named; kept on disk when the box stays unticked.
    panel.select_task(kept.local_id)
    panel.task_actions.remove.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox) and box.checkBox() is not None
    video = Path(kept.files[0])
    assert box.checkBox().text() == (
        f"Also delete the video file ({video.name}, "
        f"{size_text(sum(p.stat().st_size for p in task_files(kept)))})"
    )
    with qtbot.waitSignal(engine_env.controller.action_done) as said:
        next(
            b for b in box.findChildren(QPushButton) if b.objectName() == "confirmRemoveButton"
        ).click()
    assert said.args == ["Removed 1 task; no files were deleted."]
    assert video.exists()
    status.detach()


def test_remove_with_its_videos_keeps_a_file_a_kept_task_names(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    kept = engine_env.finished("A lighthouse in the fog")
    shared = Path(kept.files[0])
    kept_files = task_files(kept)  # the video and its sidecar
    own = shared.with_name("own-copy.mp4")
    shutil.copyfile(shared, own)
    sharing = engine_env.engine.add_finished(
        make_record(7, files=(str(shared), str(own)), local_id="sharing-task")
    )
    qtbot.waitUntil(lambda: panel.model.get(sharing.local_id) is not None, timeout=5_000)
    panel.select_tasks([sharing.local_id])
    panel.task_actions.remove.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    check = box.checkBox()
    size = own.stat().st_size
    assert check is not None and check.text() == f"Also delete its videos ({size_text(size)})"
    check.setChecked(True)
    assert box.text() == f"Remove 1 task and {size_text(size)} of videos?"
    with qtbot.waitSignal(engine_env.controller.action_done) as said:
        next(
            b for b in box.findChildren(QPushButton) if b.objectName() == "confirmRemoveButton"
        ).click()
    assert said.args == [f"Removed 1 task and freed {size_text(size)}."]
    assert not own.exists()
    assert shared in kept_files and all(path.exists() for path in kept_files)
    assert engine_env.controller.get(sharing.local_id).hidden
