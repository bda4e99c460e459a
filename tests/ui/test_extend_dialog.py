"""ExtendDialog against the simulator: the window, the price, the cap, and TASKID_ERROR."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import save_screenshot
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.api.models import ExtendRequest
from veo_desktop.core.lineage import TASKID_ERROR_MESSAGE
from veo_desktop.core.spending import SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault
from veo_desktop.ui import style
from veo_desktop.ui.extend_dialog import ExtendDialog, open_extend_dialog

engine_env = tasks_support.engine_env
SIZES = ((1024, 640), (1600, 1000))


# -- shared helpers (the other dialog tests import these) -----------------------------------


def dialog_screenshot(dialog: QWidget, size: tuple[int, int], name: str, tmp_path: Path) -> QImage:
    """The dialog centred over a window-sized backdrop, as a person sees it; saved as PNG.

    Copies go to ``$VEO_SCREENSHOT_DIR`` when it is set.
    """
    width, height = size
    backdrop = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    window = dialog.palette().color(QPalette.ColorRole.Window)
    backdrop.fill(window.darker(115) if style.is_dark(dialog) else window.darker(108))
    for _ in range(3):  # nested layouts (a button box) settle over a few passes
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    picture = dialog.grab().toImage()
    painter = QPainter(backdrop)
    corner = QPoint((width - picture.width()) // 2, (height - picture.height()) // 2)
    painter.fillRect(
        corner.x() - 1,
        corner.y() - 1,
        picture.width() + 2,
        picture.height() + 2,
        QColor(0, 0, 0, 90),
    )
    painter.drawImage(corner, picture)
    painter.end()
    save_screenshot(backdrop, tmp_path, name)
    assert_legible(dialog, picture, name)
    return picture


def assert_fits(widget: QWidget) -> None:
    """Nothing in the dialog is cut: every visible label is as wide as it asks to be."""
    from PySide6.QtWidgets import QLabel

    for label in widget.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()) - 1, label.text()
        else:
            assert label.width() >= label.minimumSizeHint().width() - 1, label.text()


def assert_accessible(widget: QWidget) -> None:
    """Every control a person can use has a name a screen reader can say."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
    )

    kinds = (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
    )
    for child in widget.findChildren(QWidget):
        if not isinstance(child, kinds) or not child.isVisibleTo(widget):
            continue
        parent = child.parent()
        if child.inherits("QScrollBar") or any(
            parent is not None and parent.inherits(kind)
            for kind in ("QAbstractSpinBox", "QComboBox", "QLineEdit", "QTabBar")
        ):
            continue  # Qt's own parts of a control (a clear button, scroll arrows)
        text = child.text() if isinstance(child, QAbstractButton) else ""
        assert child.accessibleName() or text, f"{type(child).__name__} {child.objectName()}"


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def source(engine_env: EngineEnv) -> TaskRecord:
    engine_env.arun(engine_env.controller.refresh_balance())
    return engine_env.finished("A lantern floats up over a night lake", aspect_ratio="16:9")


def make_dialog(env: EngineEnv, qtbot: Any, source: TaskRecord, **kwargs: Any) -> ExtendDialog:
    dialog = ExtendDialog(env.controller, source, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def extend_posts(env: EngineEnv) -> list[Any]:
    return [r for r in env.sim.requests if r.endpoint == "extend_submit"]


# -- tests ---------------------------------------------------------------------------------


def test_extend_submits_veo_3_1_extend_with_the_source_id(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any
) -> None:
    dialog = make_dialog(engine_env, qtbot, source)
    assert dialog.window_label.text().startswith("Extendable for 23 h 5")
    assert not dialog.extend_button.isEnabled(), "no prompt yet"
    assert dialog.extend_button.text() == "Extend \u2013 $0.20"
    balance = engine_env.controller.balance
    assert dialog.cost_label.text() == f"$0.20 when APIXO accepts it \u00b7 balance ${balance:,.2f}"
    qtbot.keyClicks(dialog.prompt_edit, "The lantern drifts into the clouds")
    dialog.set_mode("quality")
    qtbot.keyClicks(dialog.seed_edit, "4242")
    qtbot.keyClicks(dialog.watermark_edit, "North")
    assert dialog.extend_button.text() == "Extend \u2013 $1.50"
    assert dialog.extend_button.isEnabled()
    assert dialog.current_request() == ExtendRequest(
        task_id=str(source.apixo_task_id),
        prompt="The lantern drifts into the clouds",
        mode="quality",
        seed=4242,
        watermark="North",
    )
    with qtbot.waitSignal(dialog.submitted, timeout=10_000) as made:
        qtbot.mouseClick(dialog.extend_button, Qt.MouseButton.LeftButton)
    child = made.args[0]
    assert isinstance(child, TaskRecord) and child.is_extend
    assert child.parent_id == source.local_id
    assert dialog.result() == QDialog.DialogCode.Accepted
    [post] = extend_posts(engine_env)
    assert post.body["input"] == {
        "taskId": source.apixo_task_id,
        "mode": "quality",
        "prompt": "The lantern drifts into the clouds",
        "seed": 4242,
        "watermark": "North",
    }
    done = engine_env.wait_state(child.local_id, TaskState.SUCCEEDED)
    assert done.files


def test_rules_are_checked_before_anything_is_sent(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any
) -> None:
    dialog = make_dialog(engine_env, qtbot, source)
    dialog.set_prompt("x" * 10_001)
    assert dialog.prompt_counter.text() == "10,001 / 10,000"
    assert "limit is 10,000" in dialog.prompt_message.text()
    assert not dialog.extend_button.isEnabled()
    dialog.set_prompt("A fine prompt")
    dialog.seed_edit.setText("9999999999")
    assert "seed must be a whole number" in dialog.seed_message.text()
    assert not dialog.extend()
    dialog.seed_edit.clear()
    assert dialog.extend_button.isEnabled()
    assert extend_posts(engine_env) == []


def test_past_the_24_hours_the_action_is_disabled(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any
) -> None:
    later = time.time() + 25 * 3600
    dialog = make_dialog(engine_env, qtbot, source, clock=lambda: later)
    dialog.set_prompt("Too late for this one")
    assert dialog.window_label.text().startswith("No longer extendable: APIXO keeps a video")
    assert not dialog.extend_button.isEnabled()
    assert not dialog.prompt_edit.isEnabled()
    assert not dialog.extend()
    assert extend_posts(engine_env) == []


@pytest.mark.parametrize("case", ["expired", "unknown"])
def test_taskid_error_becomes_a_clear_message(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any, case: str
) -> None:
    if case == "expired":
        engine_env.sim.age_task(str(source.apixo_task_id), 25 * 3600)
        target = source
    else:
        target = source.evolve(apixo_task_id="task_unknown_to_apixo")
    dialog = make_dialog(engine_env, qtbot, target)
    assert dialog.extend_button.isEnabled() is False
    dialog.set_prompt("It should have worked")
    assert dialog.extend_button.isEnabled()
    dialog.extend()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.message.text().startswith(TASKID_ERROR_MESSAGE)
    assert dialog.window_label.text() == (
        "No longer extendable: APIXO does not hold this video any more."
    )
    assert dialog.message.isVisible()
    assert not dialog.extend_button.isEnabled()
    assert not dialog.extend()
    assert len(extend_posts(engine_env)) == 1
    rejected = [r for r in engine_env.engine.tasks() if r.state is TaskState.REJECTED]
    assert len(rejected) == 1 and rejected[0].is_extend
    assert dialog.isVisible(), "the dialog stays open to explain"
    # APIXO's answer is remembered: the next dialog for this video knows at once.
    again = make_dialog(engine_env, qtbot, target)
    assert again.window_label.text() == (
        "No longer extendable: APIXO said it no longer holds this video."
    )
    assert not again.extend_button.isEnabled() and not again.window_open()


def test_the_spending_cap_asks_first(engine_env: EngineEnv, source: TaskRecord, qtbot: Any) -> None:
    cap = SpendingCap(Decimal("0.30"), engine_env.engine)  # $0.20 already spent today
    dialog = make_dialog(engine_env, qtbot, source, spending_cap=cap)
    dialog.set_prompt("Over the cap")
    assert dialog.extend()
    box = dialog.question
    assert isinstance(box, QMessageBox)
    assert "over your daily cap of $0.30" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: dialog.question is None)
    assert extend_posts(engine_env) == []
    assert dialog.extend()
    go = dialog.question.findChild(QWidget, "confirmOverCapButton")  # type: ignore[union-attr]
    with qtbot.waitSignal(dialog.submitted, timeout=10_000):
        go.click()  # type: ignore[union-attr]
    assert len(extend_posts(engine_env)) == 1


def test_open_extend_dialog_is_non_blocking(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    dialog = open_extend_dialog(engine_env.controller, source, parent=host)
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    with qtbot.waitSignal(dialog.finished):
        dialog.reject()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(
    engine_env: EngineEnv,
    source: TaskRecord,
    qtbot: Any,
    tmp_path: Path,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    dialog = make_dialog(engine_env, qtbot, source)
    dialog.set_prompt("The lantern drifts higher; the camera tilts up to the stars")
    dialog.seed_edit.setText("4242")
    assert_accessible(dialog)
    for size in SIZES:
        dialog_screenshot(dialog, size, f"extend-{size[0]}x{size[1]}-{theme}", tmp_path)
        assert_fits(dialog)
    later = make_dialog(engine_env, qtbot, source, clock=lambda: time.time() + 23.5 * 3600)
    later.set_prompt("Soon too late")
    dialog_screenshot(later, SIZES[0], f"extend-soon-1024x640-{theme}", tmp_path)
    assert later.window_label.tone.value == "warning"
    target = source.evolve(apixo_task_id="task_unknown_to_apixo")
    refused = make_dialog(engine_env, qtbot, target)
    refused.set_prompt("It should have worked")
    refused.extend()
    qtbot.waitUntil(lambda: not refused.busy, timeout=10_000)
    dialog_screenshot(refused, SIZES[1], f"extend-refused-1600x1000-{theme}", tmp_path)
    assert_fits(refused)


def test_its_errors_stay_in_the_dialog_and_never_reach_the_composer(
    engine_env: EngineEnv, source: TaskRecord, qtbot: Any
) -> None:
    heard: list[tuple[str, str]] = []
    engine_env.controller.submit_failed.connect(lambda *args: heard.append(args))
    engine_env.sim.add_fault(Fault(endpoint="extend_submit", kind="http_error", status=402))
    dialog = make_dialog(engine_env, qtbot, source)
    dialog.set_prompt("More than the balance allows")
    assert dialog.extend()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "balance" in dialog.message.text().lower()
    assert dialog.isVisible() and dialog.extend_button.isEnabled(), "it can be tried again"
    assert heard == []
    balances: list[object] = []
    engine_env.controller.balance_changed.connect(balances.append)
    with qtbot.waitSignal(dialog.submitted, timeout=10_000):
        dialog.extend()
    qtbot.waitUntil(lambda: bool(balances), timeout=10_000)  # refreshed after the charge
    assert heard == [] and len(extend_posts(engine_env)) == 2
