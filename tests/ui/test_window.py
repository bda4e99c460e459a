"""The main window: welcome, demo, sessions, menus, status bar, accessibility, clean quit."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.fixtures.qt import settle_controller
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import AppPaths
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.compose.image_slot import ImageSlot
from veo_desktop.ui.settings.dialog import SettingsChange
from veo_desktop.ui.window.main_window import MainWindow
from veo_desktop.ui.window_parts import DEMO_BANNER_TEXT


def test_without_a_key_the_welcome_panel_offers_key_and_demo(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.key_button.text() == "Enter API key"
    assert window.welcome.demo_button.text() == "Try the demo"
    assert not window.welcome.key_button.isEnabled()
    assert not window.banner.isVisible()
    assert not window.generate_action.isEnabled()
    assert window.session is None
    assert window.status.api_item.label.text() == "Not connected"


def test_entering_a_key_opens_the_workspace(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    qtbot.keyClicks(window.welcome.key_edit, SIM_API_KEY)
    window.welcome.key_button.click()
    wait_started(qtbot, window)
    assert window.compose_panel is not None
    assert window.stack.currentWidget() is window.workspace
    qtbot.waitUntil(lambda: window.status.balance_label.text() == "Balance $100.00")
    assert window.status.api_item.label.text() == "API OK"


def test_a_rejected_key_is_shown_in_the_status_bar(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key="wrong-key", data_dir=tmp_path / "data")
    window.show()
    qtbot.waitUntil(lambda: window.status.api_item.label.text() == "API unreachable")
    assert "does not accept the API key" in window.status.api_item.label.toolTip()
    assert window.status.balance_label.text() == "Balance unknown"


def test_demo_mode_shows_its_banner_and_uses_the_simulator(
    make_window: Callable[..., MainWindow], tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(
        base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path / "data"
    )
    window.show()
    window.welcome.demo_button.click()
    wait_started(qtbot, window, timeout=30_000)
    assert window.is_demo
    assert window.banner.isVisible()
    assert window.banner.label.text() == DEMO_BANNER_TEXT == "Demo: simulated API, no charges"
    session = window.session
    assert session is not None and session.simulator is not None
    assert session.base_url == session.simulator.base_url
    assert session.uploader.can_upload
    assert session.paths.data_dir == AppPaths.resolve(tmp_path / "data").data_dir / "demo"
    qtbot.waitUntil(lambda: window.status.balance_label.text() == "Balance $100.00")


def test_no_key_at_start_opens_the_demo_with_the_welcome_sheet_on_top(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    """What ``veo-desktop`` does with no key anywhere: a working demo, and the two choices."""
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    window.start_demo_with_welcome()
    sheet = window.welcome_sheet
    assert sheet is not None and sheet.isVisible()
    assert sheet.windowModality() == Qt.WindowModality.WindowModal
    assert sheet.findChild(QAbstractButton, "tryDemoButton") is not None
    assert sheet.findChild(QAbstractButton, "enterKeyButton") is not None
    wait_started(qtbot, window, timeout=30_000)
    assert window.is_demo and window.banner.isVisible()

    demo_button = sheet.findChild(QAbstractButton, "tryDemoButton")
    assert demo_button is not None
    demo_button.click()
    qtbot.waitUntil(lambda: window.welcome_sheet is None)
    assert window.is_demo, "choosing the demo keeps the demo open"


def test_the_demo_banner_leads_to_a_real_key(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    window.start_demo()
    wait_started(qtbot, window, timeout=30_000)
    window.banner.use_key_button.click()
    sheet = window.welcome_sheet
    assert sheet is not None
    key_edit = sheet.findChild(QLineEdit, "welcomeKeyEdit")
    key_button = sheet.findChild(QAbstractButton, "enterKeyButton")
    assert key_edit is not None and key_button is not None
    qtbot.keyClicks(key_edit, SIM_API_KEY)
    with qtbot.waitSignal(window.session_started, timeout=30_000):
        key_button.click()
    assert not window.is_demo
    assert not window.banner.isVisible()
    assert window.session is not None and window.session.base_url == sim.base_url
    assert window.welcome_sheet is None


def test_a_second_window_on_the_same_data_folder_says_so(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    first = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, first)
    second = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")

    def refused() -> None:
        # The message page is also the stack's first page while a window starts (empty).
        assert second.stack.currentWidget() is second.message_page
        assert second.message_page.title.text() == "Veo Desktop is already open"

    qtbot.waitUntil(refused)
    assert second.session is None


def test_menus_carry_the_shortcuts(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    shortcuts = {
        action.objectName(): [s.toString() for s in action.shortcuts()]
        for action in window.actions()
    }
    assert "Ctrl+Return" in shortcuts["generateAction"]
    assert "Ctrl+Enter" in shortcuts["generateAction"]
    assert shortcuts["quitAction"] == ["Ctrl+Q"]
    assert "F5" in shortcuts["refreshBalanceAction"]
    assert shortcuts["newPromptAction"] == [QKeySequence(QKeySequence.StandardKey.New).toString()]
    assert shortcuts["settingsAction"]
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Prompts", "&Task", "Story&board", "&Help"]
    window.task_menu.aboutToShow.emit()
    assert [a.objectName() for a in window.task_menu.actions() if a.objectName()]


def test_generate_action_and_status_bar_follow_the_work(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.show()
    wait_started(qtbot, window)
    compose = window.compose_panel
    assert compose is not None
    assert not window.generate_action.isEnabled()
    compose.prompt_edit.setPlainText("a kite over the dunes")
    assert window.generate_action.isEnabled()
    active_texts: list[str] = []
    label = window.status.active_item.label
    window.session.controller.task_changed.connect(  # type: ignore[union-attr]
        lambda _t: active_texts.append(label.text())
    )
    compose.prompt_edit.setFocus()
    qtbot.keyClick(compose.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.status.spend_item.label.text() == "Today $0.20")
    qtbot.waitUntil(lambda: label.text() == "No active tasks", timeout=20_000)
    assert "1 active" in active_texts
    window.new_prompt_action.trigger()
    assert compose.prompt_edit.toPlainText() == ""
    window.undo_action.trigger()
    assert compose.prompt_edit.toPlainText() == "a kite over the dunes"


def test_a_finished_task_notifies_while_the_window_is_in_the_background(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    assert not window.isActiveWindow()
    session = window.session
    notifier = window.host.notifier
    assert session is not None and notifier is not None
    posted: list[tuple[str, str]] = []
    notifier.notification_posted.connect(lambda title, text: posted.append((title, text)))
    job = session.controller.run(
        session.controller.submit(GenerationRequest(prompt="a heron #sensitive")), name="submit"
    )
    qtbot.waitUntil(job.done)
    record = job.result()
    assert record is not None
    qtbot.waitUntil(
        lambda: session.controller.get(record.local_id).state is TaskState.FAILED, timeout=20_000
    )
    qtbot.waitUntil(lambda: len(posted) == 1, timeout=10_000)
    assert "heron" in posted[0][1]

    window.settings_flow.on_settings_dialog_settings_accepted(
        SettingsChange(
            settings=dataclasses.replace(window.settings, notifications=False), new_key=None
        )
    )
    qtbot.waitUntil(lambda: not notifier.enabled)
    job = session.controller.run(
        session.controller.submit(GenerationRequest(prompt="quiet")), name="submit"
    )
    qtbot.waitUntil(job.done)
    quiet = job.result()
    assert quiet is not None
    qtbot.waitUntil(
        lambda: session.controller.get(quiet.local_id).state is TaskState.SUCCEEDED,
        timeout=20_000,
    )
    settle_controller(arun, session.controller)
    notifier.flush()  # what the coalescing pause still holds comes out now
    assert len(posted) == 1
    assert window.session is session  # turning notifications off needs no new session


def test_every_control_of_compose_welcome_and_status_has_a_name_and_description(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    assert window.compose_panel is not None
    missing = []
    for root in (window.compose_panel, window.welcome):
        for kind in (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, ImageSlot):
            for widget in root.findChildren(kind):
                assert isinstance(widget, QWidget)
                if isinstance(widget.parent(), QComboBox | QLineEdit):
                    continue  # Qt's own parts of a combo box or a line edit
                if not widget.accessibleName() or not widget.accessibleDescription():
                    missing.append(f"{type(widget).__name__}({widget.objectName()!r})")
    assert not missing
    for name in (
        "balanceLabel",
        "apiStatusLabel",
        "activeTasksLabel",
        "spendTodayLabel",
        "spendSessionLabel",
    ):
        label = window.findChild(QWidget, name)
        assert label is not None and label.accessibleName()


def test_the_creative_actions_are_in_the_menus(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    assert not window.prompts_menu.isEnabled() and not window.restore_action.isEnabled()
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    wait_started(qtbot, window)
    assert window.prompts_menu.isEnabled() and window.restore_action.isEnabled()
    shortcuts = {a.objectName(): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["showTasksAction"] == "Ctrl+1"
    assert shortcuts["showHistoryAction"] == "Ctrl+2"
    assert shortcuts["showSpendingAction"] == "Ctrl+4"
    assert (
        shortcuts["restoreSettingsAction"] == QKeySequence(QKeySequence.StandardKey.Open).toString()
    )
    names = [a.objectName() for a in window.prompts_menu.actions() if not a.isSeparator()]
    assert names == ["showHistoryAction", "saveTemplateAction", "", "manageTemplatesAction"]
    window.use_template_menu.aboutToShow.emit()
    (empty,) = window.use_template_menu.actions()
    assert empty.text() == "No saved prompts yet" and not empty.isEnabled()
    window.task_menu.aboutToShow.emit()
    in_task_menu = {a.objectName() for a in window.task_menu.actions()}
    assert {
        "extendAction",
        "draftToFinalAction",
        "compareAction",
        "useFirstFrameAction",
        "useLastFrameAction",
    } <= in_task_menu
    workspace = window.workspace
    assert workspace is not None
    assert [workspace.middle.tabText(i) for i in range(2)] == ["&Tasks", "&Prompts"]
    window.show_history_action.trigger()
    assert workspace.middle.currentWidget() is window.history_panel
    # View ▸ Spending builds the Spending tab (on first show) and brings it forward.
    window.show_spending_action.trigger()
    assert workspace.middle.currentWidget() is workspace.spending_view
    assert workspace.middle.tabText(workspace.middle.currentIndex()) == "&Spending"
    window.show_tasks_action.trigger()
    assert workspace.middle.currentWidget() is window.task_panel
    preview = window.preview_panel
    assert preview is not None
    button = preview.frame_button
    assert button.accessibleName() == "Use frame" and button.accessibleDescription()
    assert not button.isEnabled()  # nothing previewed yet


def test_closing_keeps_the_window_size_for_next_time(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(980, 611)  # the offscreen screen is small: restoring clamps to it
    window.show()
    wait_started(qtbot, window)
    close_window(window, arun)
    saved = json.loads(AppPaths.resolve(tmp_path / "data").settings_path.read_text())
    assert saved["window"]["geometry"]
    again = make_window(
        base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data", fast=False
    )
    assert again.height() == 611


def test_run_gui_starts_the_demo_and_quits_cleanly_on_sigint(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("APIXO_API_KEY", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from veo_desktop.ui.main import run_gui; "
            "raise SystemExit(run_gui(sys.argv[1:]))",
            "--demo",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log = AppPaths.resolve(tmp_path / "data").log_dir / "veo-desktop.log"
    deadline = time.monotonic() + 60
    try:
        while "session started (demo)" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None, process.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the window did not come up"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    text = log.read_text()
    assert "session closed" in text
    assert "Traceback" not in text
