"""The Spending tab in the real window: a placeholder until it is first shown, then the view
with the session's cap, library and thumbnails; closing the window stops it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.ui.spending.view import SpendingView
from veo_desktop.ui.window.main_window import MainWindow


def test_the_spending_tab_is_built_when_first_shown(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    workspace = window.workspace
    assert workspace is not None
    window.show()
    wait_started(qtbot, window)
    placeholder = workspace.findChild(QWidget, "spendingPlaceholder")
    assert placeholder is not None and workspace.spending_view is None
    index = workspace.middle.indexOf(placeholder)
    assert workspace.middle.tabText(index) == "&Spending"
    workspace.middle.setCurrentIndex(index)  # the person clicks the tab
    view = workspace.spending_view
    assert isinstance(view, SpendingView) and workspace.middle.currentWidget() is view
    assert (
        workspace.middle.indexOf(placeholder) == -1
        and workspace.middle.tabText(index) == "&Spending"
    )
    assert view.disk is not None
    qtbot.waitUntil(lambda: view.disk is not None and view.disk.use is not None, timeout=10_000)
    assert view.disk.size_label.text() == view.disk.use.text()
    assert view.totals_label.text().startswith("Last 14 days: $0.00 on 0 videos")
    workspace.show_tasks()
    workspace.show_spending()
    assert workspace.middle.currentWidget() is view and workspace.build_spending() is view
