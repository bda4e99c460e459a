"""A paid video whose download failed for good can be fetched again from the task list
(issue 12, #6): "Download again" where Retry is offered, the reason shown plainly, nothing
submitted or charged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from tests.fixtures.core import settle
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.core.spending import MoneyPolicy, PaidAction, PaidKind
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.panel import TaskPanel

engine_env = tasks_support.engine_env


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[TaskPanel]:
    widget = TaskPanel(engine_env.controller)
    qtbot.addWidget(widget)
    widget.resize(1000, 520)
    widget.show()
    yield widget
    widget.shutdown()


def download_failed(env: EngineEnv) -> str:
    """A task APIXO made (and charged) whose video answers 404 until the test says."""
    env.sim.add_fault(Fault(endpoint="media", kind="http_error", status=404, times=-1))
    task = env.submit("A paper boat on a puddle")
    failed = env.wait_state(task.local_id, TaskState.FAILED, timeout=30)
    assert failed.result_urls and not failed.files
    return task.local_id


def test_a_failed_download_is_offered_again_and_costs_nothing(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    local_id = download_failed(engine_env)
    posts = engine_env.posts()
    assert panel.select_task(local_id)
    actions = panel.task_actions
    # The reason reads plainly on the task, without the internal code.
    row = panel.model.row_of(local_id)
    assert row is not None
    detail = panel.model.index(row, Column.STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert "The video could not be downloaded" in detail
    assert "DownloadFailed" not in detail
    assert actions.download_again.isEnabled() and actions.download_again.isVisible()
    assert actions.download_again in actions.toolbar_actions
    menu = QMenu()
    actions.fill_menu(menu)
    assert actions.download_again in menu.actions()
    # Retry is offered too (it pays again): its question points at the free way.
    box = dialogs.retry_dialog(
        panel,
        engine_env.engine.get(local_id),
        MoneyPolicy().decide(PaidAction(PaidKind.RETRY, engine_env.engine.get(local_id).price)),
    )
    assert "Download again" in box.informativeText()
    box.deleteLater()

    engine_env.sim.clear_faults()
    actions.download_again.trigger()
    done = engine_env.wait_state(local_id, TaskState.SUCCEEDED, timeout=20)
    assert done.files
    assert not actions.download_again.isEnabled()
    assert not actions.download_again.isVisible(), "the toolbar shows it only where it applies"
    engine_env.arun(settle(engine_env.engine))
    assert engine_env.posts() == posts, "downloading again submits nothing"


def test_download_again_that_is_refused_says_why(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    done = engine_env.finished("Already downloaded")
    with qtbot.waitSignal(engine_env.controller.action_failed, timeout=5000) as failed:
        assert engine_env.controller.redownload(done.local_id) is None
    title, message = failed.args
    assert title == "Could not download again"
    assert "already downloaded" in message
    box = panel.findChild(QMessageBox, "actionFailedMessage")
    assert box is not None
    box.close()


def test_download_again_is_offered_exactly_where_the_engine_allows_it() -> None:
    """One rule (the engine's) for the window, the command line and the engine."""
    import time as _time

    from veo_desktop.api.models import GenerationRequest as _Request
    from veo_desktop.records.lifecycle import TaskState as _State
    from veo_desktop.records.task import TaskRecord as _Record
    from veo_desktop.ui.tasks.actions import can_download_again

    def task(state: _State, **fields: object) -> _Record:
        now = _time.time()
        return _Record(
            local_id="d" * 32,
            model="veo-3-1",
            request=_Request(prompt="one rule").to_payload(),
            state=state,
            created_at=now,
            updated_at=now,
            apixo_task_id="task_one_rule",
            **fields,  # type: ignore[arg-type]
        )

    urls = ("https://cdn.example/a.mp4", "https://cdn.example/b.mp4")
    assert can_download_again(task(_State.FAILED, fail_code="DownloadFailed", result_urls=urls))
    assert can_download_again(task(_State.SUCCEEDED, result_urls=urls, files=("/v/a.mp4",)))
    assert can_download_again(task(_State.EXPIRED, result_urls=urls))
    assert not can_download_again(
        task(_State.SUCCEEDED, result_urls=urls, files=("/v/a.mp4", "/v/b.mp4"))
    )
    assert not can_download_again(task(_State.FAILED, fail_code="SensitiveContent"))
    assert not can_download_again(task(_State.DOWNLOADING, result_urls=urls))
    assert not can_download_again(None)
