"""TaskPanel with the real engine: rows follow tasks, search, filter, clock, selection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.tasks.columns import STATE_ROLE, Column, StateFilter
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.thumbnails import ThumbnailCache

engine_env = tasks_support.engine_env


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[TaskPanel]:
    thumbnails = ThumbnailCache(engine_env.cache / "thumbnails")
    widget = TaskPanel(engine_env.controller, thumbnails=thumbnails)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    yield widget
    widget.shutdown()
    thumbnails.close()


def states_shown(panel: TaskPanel) -> list[str]:
    proxy = panel.proxy
    return [proxy.index(row, 0).data(STATE_ROLE) for row in range(proxy.rowCount())]


def test_a_submitted_task_goes_through_its_states_in_the_list(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    seen: list[str] = []
    panel.model.dataChanged.connect(
        lambda top, *_: seen.append(panel.model.index(top.row(), 0).data(STATE_ROLE))
    )
    task = engine_env.submit()
    assert panel.view.objectName() == "taskView"
    qtbot.waitUntil(lambda: states_shown(panel) == ["succeeded"], timeout=15_000)
    assert "downloading" in seen
    assert panel.view.model().index(0, 0).data(Qt.ItemDataRole.UserRole + 1) == "succeeded"
    # The first frame arrives as the thumbnail, made off the GUI thread and cached on disk.
    qtbot.waitUntil(
        lambda: (
            panel.model.index(0, Column.THUMBNAIL).data(Qt.ItemDataRole.DecorationRole) is not None
        ),
        timeout=10_000,
    )
    assert list((engine_env.cache / "thumbnails").glob("*.png"))
    assert panel.count_label.text() == "1 task"
    assert engine_env.engine.get(task.local_id).files


def test_the_search_box_and_state_filter_narrow_the_list(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    done = engine_env.finished("A red fox in the snow")
    failed = engine_env.submit("A storm over the sea #sensitive")
    engine_env.wait_state(failed.local_id, TaskState.FAILED)
    qtbot.keyClicks(panel.search, "FOX")
    assert states_shown(panel) == ["succeeded"]
    panel.search.clear()
    panel.set_state_filter(StateFilter.FAILED)
    assert states_shown(panel) == ["failed"]
    panel.set_state_filter(StateFilter.FINISHED)
    assert states_shown(panel) == ["succeeded"]
    qtbot.keyClicks(panel.search, "storm")
    assert states_shown(panel) == []
    assert panel.view.empty_text == "No finished tasks match \u201cstorm\u201d."
    assert panel.count_label.text() == "0 of 2"
    assert panel.select_task(failed.local_id)  # clears the filters that hide it
    assert panel.current_task() is not None
    assert panel.current_task().local_id == failed.local_id  # type: ignore[union-attr]
    assert done.local_id != failed.local_id


def test_the_clock_ticks_only_while_a_running_task_is_on_show(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    assert not panel.clock_timer.isActive()
    engine_env.sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.5, times=2))
    task = engine_env.submit()
    qtbot.waitUntil(panel.clock_timer.isActive, timeout=2000)
    panel.set_state_filter(StateFilter.FINISHED)
    assert not panel.clock_timer.isActive()
    panel.set_state_filter(StateFilter.ALL)
    assert panel.clock_timer.isActive()
    panel.hide()
    assert not panel.clock_timer.isActive()
    panel.show()
    engine_env.wait_state(task.local_id, TaskState.SUCCEEDED)
    assert not panel.clock_timer.isActive()


def test_selection_drives_current_task_changed(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    emitted: list[Any] = []
    panel.current_task_changed.connect(emitted.append)
    engine_env.sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.4, times=1))
    task = engine_env.submit()
    panel.select_task(task.local_id)
    assert emitted[-1].local_id == task.local_id
    # The selected task's own changes reach the preview too (it finishes and plays).
    qtbot.waitUntil(
        lambda: emitted[-1].state == TaskState.SUCCEEDED and bool(emitted[-1].files),
        timeout=15_000,
    )
    panel.view.clearSelection()
    panel.view.setCurrentIndex(panel.proxy.index(-1, -1))
    assert emitted[-1] is None


def test_actions_follow_the_selected_tasks_state(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    done = engine_env.finished()
    failed = engine_env.submit("Waves #sensitive")
    engine_env.wait_state(failed.local_id, TaskState.FAILED)
    actions = panel.task_actions
    panel.select_task(done.local_id)
    assert actions.preview.isEnabled() and actions.save_as.isEnabled()
    assert actions.copy_result_url.isEnabled() and actions.remove.isEnabled()
    assert not actions.retry.isEnabled() and not actions.resolve.isEnabled()
    panel.select_task(failed.local_id)
    assert actions.retry.isEnabled()
    assert actions.retry.text() == "Retry ($0.20)\u2026"
    assert not actions.save_as.isEnabled() and not actions.preview.isEnabled()
    menu = panel.context_menu()
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names == [
        "previewAction",
        "saveAsAction",
        "showInFolderAction",
        "compareAction",
        "copyTaskIdAction",
        "copyResultUrlAction",
        "reuseAction",
        "extendAction",
        "draftToFinalAction",
        "retryAction",
        "resolveAction",
        "addToStoryboardAction",
        "editLabelsAction",
        "removeAction",
    ]
    menu.close()


def test_a_selected_running_task_cannot_be_removed(engine_env: EngineEnv, panel: TaskPanel) -> None:
    engine_env.sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.5, times=1))
    task = engine_env.submit()
    panel.select_task(task.local_id)
    assert not panel.task_actions.remove.isEnabled()
    assert "finished" in panel.task_actions.remove.toolTip()


def test_thumbnails_of_missing_files_fall_back_quietly(tmp_path: Path, qtbot: Any) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    try:
        assert cache.get(str(tmp_path / "missing.mp4")) is None
        not_video = tmp_path / "notes.mp4"
        not_video.write_text("not a video")
        assert cache.get(str(not_video)) is None
        qtbot.waitUntil(lambda: cache.failed(str(not_video)), timeout=5000)
        qtbot.waitUntil(lambda: cache.failed(str(tmp_path / "missing.mp4")), timeout=5000)
    finally:
        cache.close()


def test_the_panel_leaks_no_top_level_widgets(engine_env: EngineEnv, qtbot: Any) -> None:
    before = set(QApplication.topLevelWidgets())
    panel = TaskPanel(engine_env.controller)
    panel.show()
    done = engine_env.finished()
    panel.select_task(done.local_id)
    panel.task_actions.remove.trigger()
    menu = panel.context_menu()
    menu.popup(panel.mapToGlobal(panel.rect().center()))
    menu.close()
    panel.shutdown()
    panel.close()
    panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w not in before]
    assert leaked == []
