"""The task list's first page: the newest tasks at once, the older ones on fill_rest.

The window's workspace lists a first page with its first paint and the rest right after
(tests/benchmarks/test_gui_startup.py: 10,000 tasks); here the same with a page of two,
on the real engine and controller over the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.tasks.panel import TaskPanel

engine_env = tasks_support.engine_env

PanelFactory = Callable[..., TaskPanel]


@pytest.fixture
def make_panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[PanelFactory]:
    made: list[TaskPanel] = []

    def make(**kwargs: Any) -> TaskPanel:
        panel = TaskPanel(engine_env.controller, **kwargs)
        qtbot.addWidget(panel)
        panel.resize(900, 500)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()


@pytest.fixture
def five(engine_env: EngineEnv) -> list[TaskRecord]:
    """Five tasks, oldest first."""
    return [engine_env.submit(f"Task {number}: a lighthouse at dusk") for number in range(5)]


def listed(panel: TaskPanel) -> list[str]:
    proxy = panel.proxy
    return [proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(proxy.rowCount())]


def test_the_first_page_lists_the_newest_tasks_and_fill_rest_all_of_them(
    five: list[TaskRecord], make_panel: PanelFactory
) -> None:
    newest_first = [task.local_id for task in reversed(five)]
    panel = make_panel(first_page=2)
    assert listed(panel) == newest_first[:2]
    assert panel.count_label.text().startswith("5 tasks")  # and what waits below the page
    panel.fill_rest()
    assert listed(panel) == newest_first
    assert panel.count_label.text() == make_panel().count_label.text()
    panel.fill_rest()  # once
    assert listed(panel) == newest_first


def test_without_a_first_page_or_with_fewer_tasks_every_task_is_listed_at_once(
    five: list[TaskRecord], make_panel: PanelFactory
) -> None:
    newest_first = [task.local_id for task in reversed(five)]
    assert listed(make_panel()) == newest_first
    assert listed(make_panel(first_page=5)) == newest_first


def test_filling_the_rest_keeps_the_selection(
    five: list[TaskRecord], make_panel: PanelFactory
) -> None:
    panel = make_panel(first_page=2)
    panel.select_tasks([five[3].local_id, five[4].local_id])
    before = panel.current_task()
    assert before is not None
    assert before.local_id == five[3].local_id
    panel.fill_rest()
    assert len(listed(panel)) == 5
    after = panel.current_task()
    assert after is not None
    assert after.local_id == five[3].local_id
    assert {task.local_id for task in panel.selected_tasks()} == {
        five[3].local_id,
        five[4].local_id,
    }


def test_selecting_an_older_task_lists_the_rest_first(
    five: list[TaskRecord], make_panel: PanelFactory
) -> None:
    panel = make_panel(first_page=2)
    assert five[0].local_id not in listed(panel)
    assert panel.select_task(five[0].local_id)
    assert len(listed(panel)) == 5
    current = panel.current_task()
    assert current is not None
    assert current.local_id == five[0].local_id
