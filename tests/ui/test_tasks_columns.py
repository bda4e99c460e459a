"""The task list's columns in a real window: the prompt takes the spare width, the others
fit their content, and a header the person resized or reordered survives a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from tests.ui.tasks_support import make_record
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.window.main_window import MainWindow


def open_tasks(
    make_window: Callable[..., MainWindow], sim: Any, data_dir: Path, qtbot: Any, **kw: Any
) -> tuple[MainWindow, TaskView]:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data_dir, **kw)
    window.show()
    wait_started(qtbot, window)
    workspace = window.workspace
    assert workspace is not None
    panel = workspace.task_panel
    workspace.middle.setCurrentWidget(panel)
    for number in range(4):
        panel.model.upsert(make_record(number))
    return window, panel.view


@pytest.mark.parametrize("size", [(1600, 1000), (1024, 640)], ids=["1600", "1024"])
def test_the_prompt_column_takes_the_spare_width(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    size: tuple[int, int],
) -> None:
    window, view = open_tasks(make_window, sim, tmp_path / "data", qtbot)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])

    def laid_out() -> None:
        # The stretching prompt column fills what the others leave: the fit has run.
        shown = sum(view.columnWidth(c) for c in Column if not view.isColumnHidden(c))
        assert shown == view.viewport().width()

    qtbot.waitUntil(laid_out)
    available = view.viewport().width()
    prompt = view.columnWidth(Column.PROMPT)
    others = {
        Column(c).name: view.columnWidth(c)
        for c in Column
        if c != Column.PROMPT and not view.isColumnHidden(c)
    }
    save_screenshot(view.grab().toImage(), tmp_path, f"tasks-columns-{size[0]}x{size[1]}")
    assert prompt >= 0.4 * available, (prompt, available, others)
    assert all(prompt > width for width in others.values()), (prompt, others)


def test_resized_and_reordered_columns_survive_a_restart(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    data_dir = tmp_path / "data"
    window, view = open_tasks(make_window, sim, data_dir, qtbot)
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600)
    header = view.horizontalHeader()
    assert header.sectionsMovable()
    # Created goes first after the thumbnail; Price gets wider by hand.
    header.moveSection(header.visualIndex(Column.CREATED), 1)
    header.resizeSection(Column.PRICE, 90)
    assert header.visualIndex(Column.CREATED) == 1
    close_window(window, arun)

    again, view = open_tasks(make_window, sim, data_dir, qtbot, fast=False)
    again.resize(1600, 1000)
    qtbot.waitUntil(lambda: again.width() == 1600)
    header = view.horizontalHeader()
    assert header.visualIndex(Column.CREATED) == 1
    assert header.visualIndex(Column.PROMPT) == 2
    assert view.column_state()["widths"][Column.PRICE] == 90
    if not view.isColumnHidden(Column.PRICE):
        assert view.columnWidth(Column.PRICE) == 90
    # The prompt still takes the spare width.
    assert view.columnWidth(Column.PROMPT) >= 0.4 * view.viewport().width()


def test_columns_are_chosen_from_the_header_menu_and_remembered(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    """Issue 14: columns can be chosen (and that is remembered across a restart)."""
    data_dir = tmp_path / "data"
    window, view = open_tasks(make_window, sim, data_dir, qtbot)
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600)
    qtbot.waitUntil(lambda: not view.isColumnHidden(Column.PRICE))
    menu = view.column_menu()
    names = [action.text() for action in menu.actions()]
    assert names == ["Thumbnail", "Type", "Mode", "Aspect", "Price", "Created"]
    assert "Prompt" not in names and "State" not in names, "those always show"
    price = next(action for action in menu.actions() if action.text() == "Price")
    assert price.isChecked()
    price.trigger()
    assert view.isColumnHidden(Column.PRICE)
    assert view.columnWidth(Column.PROMPT) >= 0.4 * view.viewport().width()
    menu.deleteLater()
    close_window(window, arun)

    again, view = open_tasks(make_window, sim, data_dir, qtbot, fast=False)
    again.resize(1600, 1000)
    qtbot.waitUntil(lambda: again.width() == 1600)
    assert view.isColumnHidden(Column.PRICE)
    menu = view.column_menu()
    price = next(action for action in menu.actions() if action.text() == "Price")
    assert not price.isChecked()
    price.trigger()  # and back
    assert not view.isColumnHidden(Column.PRICE)
    menu.deleteLater()
