"""Every task action, against the simulator: what the person gets, and what it costs.

Paid actions (retry, resubmit) are counted in the simulator's request log: nothing may
reach the paid endpoint before the person's explicit choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QFileDialog, QLabel, QMessageBox, QPushButton

from tests.fixtures.qt import settle_controller
from tests.fixtures.recipe import assert_carries_recipe
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.tasks.dialogs import ResolveDialog
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.tasks.shelved import ShelvedRow

engine_env = tasks_support.engine_env


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[TaskPanel]:
    widget = TaskPanel(engine_env.controller)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    yield widget
    widget.shutdown()


def select(panel: TaskPanel, task: TaskRecord) -> None:
    assert panel.select_task(task.local_id)


def button(dialog: Any, name: str) -> QPushButton:
    found = dialog.findChild(QPushButton, name)
    assert found is not None, f"no button {name}"
    return found


def uncertain(engine_env: EngineEnv, prompt: str = "A storm at sea") -> TaskRecord:
    engine_env.sim.add_fault(
        Fault(endpoint="submit", kind="http_error", status=502, accept_first=True)
    )
    result = engine_env.arun(engine_env.controller.submit(GenerationRequest(prompt=prompt)))
    assert result is None
    [task] = [t for t in engine_env.controller.tasks() if t.state == TaskState.UNCERTAIN]
    return task


def test_copy_task_id_and_result_url(engine_env: EngineEnv, panel: TaskPanel) -> None:
    task = engine_env.finished()
    select(panel, task)
    panel.task_actions.copy_task_id.trigger()
    assert QGuiApplication.clipboard().text() == task.apixo_task_id
    panel.task_actions.copy_result_url.trigger()
    assert QGuiApplication.clipboard().text() == task.result_urls[0]
    assert task.result_urls[0].startswith("http://127.0.0.1")


def test_save_as_asks_where_then_copies_the_video_with_its_recipe(
    engine_env: EngineEnv, panel: TaskPanel, tmp_path: Path, qtbot: Any
) -> None:
    task = engine_env.finished("A red fox in the snow")
    select(panel, task)
    panel.task_actions.save_as.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert dialog.selectedFiles()[0].endswith("a-red-fox-in-the-snow.mp4")
    dialog.reject()
    target = tmp_path / "my fox.mp4"
    saved: list[Any] = []
    panel.task_actions.saved.connect(lambda *args: saved.append(args))
    job = panel.task_actions.save_to(task.local_id, target)
    qtbot.waitUntil(job.done, timeout=5000)
    assert_carries_recipe(target, Path(task.files[0]), task)
    assert saved == [(task.local_id, target)]


def test_show_in_folder_reveals_the_video(engine_env: EngineEnv, panel: TaskPanel) -> None:
    task = engine_env.finished()
    revealed: list[Path] = []
    panel.task_actions.reveal = lambda path: revealed.append(path) or True
    select(panel, task)
    panel.task_actions.show_in_folder.trigger()
    assert revealed == [Path(task.files[0])]


def test_reuse_settings_hands_the_task_to_the_composer(
    engine_env: EngineEnv, panel: TaskPanel
) -> None:
    task = engine_env.finished("Reuse me", mode="quality", aspect_ratio="9:16")
    wanted: list[TaskRecord] = []
    panel.reuse_requested.connect(wanted.append)
    select(panel, task)
    panel.task_actions.reuse.trigger()
    assert [t.local_id for t in wanted] == [task.local_id]
    request = wanted[0].request_model
    assert (request.prompt, request.mode, request.aspect_ratio) == ("Reuse me", "quality", "9:16")


def test_no_action_takes_a_row_whose_task_could_not_be_read(
    engine_env: EngineEnv, panel: TaskPanel
) -> None:
    """A shelved row whose task the store failed to read shows a stand-in (its prompt
    case-folded, its settings unknown): Reuse, Retry, Extend and the rest stay off."""
    task = engine_env.finished("Reuse me", mode="quality", aspect_ratio="9:16")
    row = ShelvedRow.of(task)
    assert row is not None
    stand_in = row.stand_in()
    panel.task_actions.update(task)
    assert panel.task_actions.reuse.isEnabled()
    panel.task_actions.update(stand_in)
    actions = panel.task_actions
    for action in (actions.reuse, actions.retry, actions.extend, actions.remove, actions.preview):
        assert not action.isEnabled(), action.objectName()


def test_preview_action_and_double_click_show_the_task(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    task = engine_env.finished()
    shown: list[Any] = []
    panel.current_task_changed.connect(shown.append)
    select(panel, task)
    shown.clear()
    panel.task_actions.preview.trigger()
    assert [t.local_id for t in shown] == [task.local_id]
    index = panel.proxy.mapFromSource(panel.model.index_of(task.local_id))
    panel.view.activated.emit(index)
    assert len(shown) == 2


def test_retry_shows_the_price_and_posts_only_after_confirmation(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    failed = engine_env.submit("Two knights duel #sensitive", mode="quality")
    engine_env.wait_state(failed.local_id, TaskState.FAILED)
    posts = engine_env.posts()
    select(panel, failed)
    panel.task_actions.retry.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    assert "$1.50" in box.text()
    assert "$1.50" in button(box, "confirmRetryButton").text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    settle_controller(engine_env.arun, engine_env.controller)
    assert engine_env.posts() == posts
    assert len(engine_env.controller.tasks()) == 1

    panel.task_actions.retry.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    button(box, "confirmRetryButton").click()
    qtbot.waitUntil(lambda: engine_env.posts() == posts + 1, timeout=5000)
    qtbot.waitUntil(lambda: len(engine_env.controller.tasks()) == 2, timeout=5000)
    retried = next(t for t in engine_env.controller.tasks() if t.local_id != failed.local_id)
    assert retried.resubmit_of == failed.local_id
    assert retried.prompt == failed.prompt and retried.mode == "quality"


def test_remove_hides_the_row_and_keeps_the_file_unless_asked(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    keep = engine_env.finished("Keep my file")
    drop = engine_env.finished("Delete my file")
    for task, delete in ((keep, False), (drop, True)):
        select(panel, task)
        panel.task_actions.remove.trigger()
        box = panel.task_actions.dialog
        assert isinstance(box, QMessageBox)
        check = box.checkBox()
        assert isinstance(check, QCheckBox)
        assert Path(task.files[0]).name in check.text()
        check.setChecked(delete)
        button(box, "confirmRemoveButton").click()
        qtbot.waitUntil(lambda t=task: panel.model.row_of(t.local_id) is None, timeout=3000)
    assert Path(keep.files[0]).exists()
    assert not Path(drop.files[0]).exists()
    assert not Path(drop.files[0] + ".json").exists()
    assert engine_env.controller.tasks() == []
    assert all(t.hidden for t in engine_env.engine.tasks(include_hidden=True))


def test_cancelling_remove_changes_nothing(engine_env: EngineEnv, panel: TaskPanel) -> None:
    task = engine_env.finished()
    select(panel, task)
    panel.task_actions.remove.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert panel.model.row_of(task.local_id) is not None
    assert Path(task.files[0]).exists()


def test_resolve_check_again_explains_without_posting(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    task = uncertain(engine_env)
    posts = engine_env.posts()
    select(panel, task)
    assert panel.task_actions.resolve.isEnabled()
    panel.task_actions.resolve.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, ResolveDialog)
    assert "$0.20" in dialog.resubmit_button.text()
    dialog.check_button.click()
    answer = dialog.findChild(QLabel, "resolveAnswer")
    assert answer is not None
    qtbot.waitUntil(lambda: "balance" in answer.text().lower(), timeout=5000)
    # The simulator took it (accept_first), so the balance fell by its price.
    assert "most likely took" in answer.text()
    assert engine_env.posts() == posts
    button(dialog, "closeResolveButton").click()
    assert engine_env.engine.get(task.local_id).state == TaskState.UNCERTAIN
    assert engine_env.posts() == posts


def test_resolve_dismiss_hides_it_without_posting(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    task = uncertain(engine_env)
    posts = engine_env.posts()
    select(panel, task)
    panel.task_actions.resolve.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, ResolveDialog)
    dialog.dismiss_button.click()
    qtbot.waitUntil(lambda: panel.model.row_of(task.local_id) is None, timeout=3000)
    assert engine_env.engine.get(task.local_id).hidden
    settle_controller(engine_env.arun, engine_env.controller)
    assert engine_env.posts() == posts


def test_resolve_resubmit_posts_once_with_the_price_shown(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    task = uncertain(engine_env)
    posts = engine_env.posts()
    select(panel, task)
    panel.task_actions.resolve.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, ResolveDialog)
    assert dialog.resubmit_button.text() == "Submit again \u2013 $0.20"
    dialog.resubmit_button.click()
    qtbot.waitUntil(lambda: engine_env.posts() == posts + 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.task_actions.dialog is None, timeout=5000)
    fresh = [t for t in engine_env.controller.tasks() if t.resubmit_of == task.local_id]
    assert len(fresh) == 1
    assert engine_env.engine.get(task.local_id).hidden
    settle_controller(engine_env.arun, engine_env.controller)
    assert engine_env.posts() == posts + 1
