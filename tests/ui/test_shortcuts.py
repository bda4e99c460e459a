"""The keyboard workflow: one shortcut table drives the window's keys and Help ▸ Keyboard
shortcuts; real key presses generate, move between tasks and play or pause the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.paths import AppPaths
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.compose.submission import SubmitState
from veo_desktop.ui.help_menu import build_help_menu
from veo_desktop.ui.shortcuts import AREAS, SHORTCUTS, shortcut
from veo_desktop.ui.window import menus
from veo_desktop.ui.window.main_window import MainWindow

PLAYING = QMediaPlayer.PlaybackState.PlayingState


def _keys(action: QAction) -> list[str]:
    return [sequence.toString() for sequence in action.shortcuts()]


def _press(qtbot: Any, window: MainWindow, name: str) -> None:
    """Press the table's first key for ``name`` where the focus is."""
    sequence = shortcut(name).sequences()[0]
    combo = sequence[0]
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, combo.key(), combo.keyboardModifiers())


def _started(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> MainWindow:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1280, 800)
    window.show()
    wait_started(qtbot, window)
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _generate(window: MainWindow, qtbot: Any, prompt: str) -> None:
    compose = window.compose_panel
    assert compose is not None
    compose.prompt_edit.setPlainText(prompt)
    compose.prompt_edit.setFocus()
    qtbot.waitUntil(compose.prompt_edit.hasFocus)
    qtbot.waitUntil(window.generate_action.isEnabled)
    # Generate rests a moment after each submission.
    qtbot.waitUntil(lambda: compose.submission.state is SubmitState.IDLE, timeout=10_000)
    rows = window.task_panel.model.rowCount()  # type: ignore[union-attr]
    _press(qtbot, window, "generate")
    qtbot.waitUntil(lambda: window.task_panel.model.rowCount() == rows + 1)  # type: ignore[union-attr]


def test_every_window_action_takes_its_keys_from_the_table(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = _started(make_window, sim, tmp_path, qtbot)
    for spec in menus.ACTIONS:
        if spec.shortcut is not None:
            action = getattr(window, spec.attr)
            assert action.shortcuts() == shortcut(spec.shortcut).sequences(), spec.attr
    by_name = {
        "previous_task": window.keyboard.previous_task,
        "next_task": window.keyboard.next_task,
        "reuse": window.keyboard.reuse,
        "extend": window.keyboard.extend,
        "compare": window.keyboard.compare,
        "play_pause": window.keyboard.play_pause,
    }
    for name, action in by_name.items():
        assert action in window.actions()
        assert action.shortcuts() == shortcut(name).sequences(), name
    panel = window.task_panel
    assert panel is not None
    assert panel.task_actions.remove.shortcuts() == shortcut("remove_task").sequences()
    assert panel.task_actions.copy_task_id.shortcuts() == shortcut("copy_task_id").sequences()
    preview = window.preview_panel
    assert preview is not None
    assert preview.saver.save_action.shortcuts() == shortcut("save_video").sequences()
    # The preview's own keys (while it has the focus) are the table's.
    focused = {
        sequence.toString()
        for action in preview.actions()
        if action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
        for sequence in action.shortcuts()
    }
    listed = {
        sequence.toString()
        for entry in SHORTCUTS
        if entry.area == "Preview (when it has the focus)"
        for sequence in entry.sequences()
    }
    assert focused == listed
    # No key does two things.
    everywhere = [s.toString() for e in SHORTCUTS for s in e.sequences()]
    assert len(everywhere) == len(set(everywhere)), everywhere


def test_generate_then_move_between_tasks_and_play_pause_with_keys(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = _started(make_window, sim, tmp_path, qtbot)
    _generate(window, qtbot, "a kite over the dunes")
    _generate(window, qtbot, "a lighthouse at dusk")
    panel = window.task_panel
    assert panel is not None

    def succeeded() -> None:
        tasks = [panel.model.task_at(row) for row in range(panel.model.rowCount())]
        assert all(t is not None and t.state == TaskState.SUCCEEDED for t in tasks)

    qtbot.waitUntil(succeeded, timeout=30_000)
    window.compose_panel.prompt_edit.setFocus()  # type: ignore[union-attr]
    qtbot.waitUntil(window.compose_panel.prompt_edit.hasFocus)  # type: ignore[union-attr]
    first = panel.current_task()
    assert first is not None
    _press(qtbot, window, "next_task")
    second = panel.current_task()
    assert second is not None and second.local_id != first.local_id
    _press(qtbot, window, "previous_task")
    back = panel.current_task()
    assert back is not None and back.local_id == first.local_id
    # The focus stayed in the prompt, and the prompt got no text from the keys.
    assert window.compose_panel.prompt_edit.hasFocus()  # type: ignore[union-attr]

    preview = window.preview_panel
    assert preview is not None
    qtbot.waitUntil(lambda: preview.source is not None, timeout=20_000)
    qtbot.waitUntil(lambda: preview.player.playbackState() == PLAYING, timeout=20_000)
    _press(qtbot, window, "play_pause")
    qtbot.waitUntil(lambda: preview.player.playbackState() != PLAYING)
    _press(qtbot, window, "play_pause")
    qtbot.waitUntil(lambda: preview.player.playbackState() == PLAYING)


def test_reuse_by_key_fills_the_prompt_with_the_selected_task(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = _started(make_window, sim, tmp_path, qtbot)
    _generate(window, qtbot, "a red balloon rising")
    compose = window.compose_panel
    assert compose is not None
    compose.prompt_edit.setPlainText("something else")
    compose.prompt_edit.setFocus()
    qtbot.waitUntil(compose.prompt_edit.hasFocus)
    panel = window.task_panel
    assert panel is not None
    qtbot.waitUntil(panel.task_actions.reuse.isEnabled)
    _press(qtbot, window, "reuse")
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == "a red balloon rising")


def _dialog(qtbot: Any, paths: AppPaths) -> tuple[QMainWindow, QDialog]:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu(build_help_menu(window, paths))
    action = window.findChild(QAction, "keyboardShortcutsAction")
    assert action is not None
    assert action.text() == "&Keyboard shortcuts"
    action.trigger()
    dialog = window.findChild(QDialog, "shortcutsDialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return window, dialog


def test_help_lists_exactly_the_table(qtbot: Any, tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "data").ensure()
    _window, dialog = _dialog(qtbot, paths)
    label = dialog.findChild(QLabel, "shortcutsList")
    assert label is not None
    document = QTextDocument()
    document.setHtml(label.text())
    doc_text = document.toPlainText()
    rows = [line for line in doc_text.splitlines() if line.strip()]
    expected: list[str] = []
    for area in AREAS:
        expected.append(area)
        for entry in SHORTCUTS:
            if entry.area == area:
                expected += [entry.text, entry.native_text()]
    assert rows == expected
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_shortcuts_dialog_screenshot(
    qtbot: Any, tmp_path: Path, themed: Callable[[bool], None], dark: bool
) -> None:
    themed(dark)
    paths = AppPaths.resolve(tmp_path / "data").ensure()
    _window, dialog = _dialog(qtbot, paths)
    label = dialog.findChild(QLabel, "shortcutsList")
    assert label is not None
    # Every row is shown whole, and the dialog fits a 1024x640 screen (title bar included).
    assert label.width() >= label.sizeHint().width()
    assert label.height() >= label.sizeHint().height()
    assert dialog.height() <= 580 and dialog.width() <= 1000
    check_and_save(dialog, tmp_path, f"shortcuts-dialog-{'dark' if dark else 'light'}")
    dialog.close()
