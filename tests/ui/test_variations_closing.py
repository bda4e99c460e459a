"""The Variations confirmation in the window (issue 14, item 11): real window, real simulator.

It used to stay open after sending, window-modal over the new rows, and said "takes" where the
composer's field says "Variations". Now it closes once every variation was sent, stays open
saying why when one was not, and speaks of "variations" in every text a person can read or
hear.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QWidget,
)

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.contrast import ratio
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.sim import Fault
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.variations import VariationsDialog
from veo_desktop.ui.window.main_window import MainWindow

PROMPT = "A lighthouse on a rocky coast at dusk, waves"


@pytest.fixture(autouse=True)
def app_theme(themed: Callable[[bool], None]) -> None:
    """The app's own light theme (as ui.main.make_application applies it)."""
    themed(False)


def started_window(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> tuple[MainWindow, ComposePanel]:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    wait_started(qtbot, window)
    panel = window.compose_panel
    assert panel is not None
    qtbot.waitUntil(lambda: "balance $100.00" in panel.cost_line.text(), timeout=10_000)
    return window, panel


def ask_for_three(panel: ComposePanel, qtbot: Any) -> VariationsDialog:
    panel.prompt_edit.setPlainText(PROMPT)
    panel.set_variations(3)
    assert panel.generate()
    qtbot.waitUntil(lambda: panel.variations_dialog is not None, timeout=10_000)
    dialog = panel.variations_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def submits(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.endpoint == "submit")


def texts_a_person_meets(dialog: QWidget) -> list[str]:
    """Every visible text of the dialog, and what a screen reader or a tooltip says."""
    found = [dialog.windowTitle(), dialog.accessibleName(), dialog.accessibleDescription()]
    for child in dialog.findChildren(QWidget):
        if isinstance(child, QLabel | QAbstractButton) and child.isVisible():
            found.append(child.text())
        found += [child.toolTip(), child.accessibleName(), child.accessibleDescription()]
    return [text.replace("&", "") for text in found if text]


def test_the_dialog_closes_once_every_variation_is_sent_uncovering_the_rows(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window, panel = started_window(make_window, sim, tmp_path, qtbot)
    dialog = ask_for_three(panel, qtbot)
    assert QApplication.activeModalWidget() is dialog
    check_and_save(window, tmp_path, "variations-asking-in-window")
    check_and_save(dialog, tmp_path, "variations-asking")

    with qtbot.waitSignal(dialog.finished, timeout=20_000) as closed:
        dialog.confirm_button.click()
    assert closed.args == [QDialog.DialogCode.Accepted.value]
    assert submits(sim) == 3
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert panel.variations_dialog is None
    assert QApplication.activeModalWidget() is None, "nothing modal covers the window"
    tasks = window.task_panel
    assert tasks is not None
    qtbot.waitUntil(lambda: tasks.proxy.rowCount() == 3, timeout=10_000)
    # The new rows are on screen, and no window of ours lies over them.
    view = tasks.view
    first, last = tasks.proxy.index(0, 0), tasks.proxy.index(2, 0)
    assert view.viewport().rect().contains(view.visualRect(first))
    assert view.viewport().rect().contains(view.visualRect(last))
    over = [
        w
        for w in QApplication.topLevelWidgets()
        if w is not window and w.isVisible() and not w.inherits("QMenu")
    ]
    assert over == []
    assert panel.generate_message.text().startswith("Submitted 3 ")
    check_and_save(window, tmp_path, "variations-sent-window")


def test_a_variation_not_sent_keeps_the_dialog_open_saying_why(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window, panel = started_window(make_window, sim, tmp_path, qtbot)
    dialog = ask_for_three(panel, qtbot)
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402, times=1))
    with qtbot.waitSignal(dialog.batch_finished, timeout=20_000) as ended:
        dialog.confirm_button.click()
    result = ended.args[0]
    sent = len(result.submitted)
    assert sent < 3
    # No wait: the dialog would close in the same call that emits batch_finished.
    assert dialog.isVisible() and panel.variations_dialog is dialog
    assert dialog.heading.text() == f"{sent} of 3 variations submitted"
    status = dialog.status_label
    assert status.isVisible() and status.tone.value == "warning"
    assert status.text().startswith("The APIXO balance is too low for this video (HTTP 402)")
    assert dialog.close_button.isVisible() and dialog.close_button.text() == "Close"
    check_and_save(window, tmp_path, "variations-refused-in-window")
    check_and_save(dialog, tmp_path, "variations-refused")
    assert not any("take" in text.lower() for text in texts_a_person_meets(dialog))
    with qtbot.waitSignal(dialog.finished):
        dialog.close_button.click()


def test_the_dialog_says_variations_as_the_form_does(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    _window, panel = started_window(make_window, sim, tmp_path, qtbot)
    form_word = panel.variations_label.text().replace("&", "")
    assert form_word == "Variations"
    dialog = ask_for_three(panel, qtbot)
    assert dialog.count_label.text().replace("&", "") == form_word
    assert dialog.count_label.buddy() is dialog.count_spin
    assert dialog.heading.text() == "Submit 3 variations?"
    assert dialog.count_spin.accessibleName() == "Number of variations"
    assert dialog.message.text().startswith("Each variation is a separate task")
    texts = texts_a_person_meets(dialog)
    assert [t for t in texts if "take" in t.lower()] == []
    assert dialog.stop_button.toolTip() == "Send no more variations (those being sent finish)"
    with qtbot.waitSignal(dialog.finished):
        dialog.close_button.click()
    assert submits(sim) == 0


@pytest.mark.parametrize("first", ["light", "dark"])
def test_the_request_line_follows_a_theme_switch(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    themed: Callable[[bool], None],
    first: str,
) -> None:
    themed(first == "dark")
    _window, panel = started_window(make_window, sim, tmp_path, qtbot)
    dialog = ask_for_three(panel, qtbot)
    check_and_save(dialog, tmp_path, f"variations-{first}")
    themed(first != "dark")  # the theme changes while the dialog is open
    background = QApplication.palette().color(QPalette.ColorRole.Window)
    qtbot.waitUntil(lambda: dialog.palette().color(QPalette.ColorRole.Window) == background)
    other = "dark" if first == "light" else "light"
    check_and_save(dialog, tmp_path, f"variations-{first}-then-{other}")
    # The kind/mode/aspect line is a coloured span in rich text (the pixel check reads the
    # label's main colour): its colour is measured against the new background here.
    span = re.search(r"color:(#[0-9a-fA-F]{6})", dialog.request_label.text())
    assert span is not None
    assert ratio(QColor(span.group(1)), background) >= 4.5, span.group(1)
    with qtbot.waitSignal(dialog.finished):
        dialog.close_button.click()
