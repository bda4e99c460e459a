"""A copy saved from the task list ("Save as…") is confirmed in the window's status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.window.main_window import MainWindow


def test_a_copy_saved_from_the_task_list_is_confirmed_in_the_status_bar(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    task = arun(session.controller.submit(GenerationRequest(prompt="A red fox in the snow")))
    assert task is not None

    def downloaded() -> None:
        record = session.controller.get(task.local_id)
        assert record.state is TaskState.SUCCEEDED and record.files

    qtbot.waitUntil(downloaded, timeout=20_000)
    target = tmp_path / "my fox.mp4"
    job = panel.task_actions.save_to(task.local_id, target)
    qtbot.waitUntil(job.done, timeout=5000)
    assert target.exists()
    assert window.status.currentMessage() == f"Saved to {target}"
