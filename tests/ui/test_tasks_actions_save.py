"""The task list's "Save as…" on a fresh account (issue 14, item 2): real window, real dialog.

The task list had its own "Save as" dialog with the preview's old bug: it handed Qt's file
dialog ``<home>/Videos/<name>`` while ``~/Videos`` did not exist, so the dialog opened in the
current folder and Enter saved to ``<cwd>/<home>/Videos/…``, failing with "[Errno 2] … .part".
A copy that worked was not confirmed. These tests start in another current folder with an
empty home, press Enter on the suggested name, and check the file, the folders and what the
person reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.files import suggested_name
from veo_desktop.ui.window.main_window import MainWindow

PROMPT = "A lighthouse on a rocky coast at dusk, waves"


@pytest.fixture(autouse=True)
def app_theme(themed: Callable[[bool], None]) -> None:
    """The app's own light theme (as ui.main.make_application applies it)."""
    themed(False)


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home folder (no Videos), and a current folder somewhere else."""
    home = tmp_path / "home" / "newcomer"
    home.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(elsewhere)
    return home


def window_with_a_video(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any, arun: Any
) -> tuple[MainWindow, TaskRecord]:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    wait_started(qtbot, window)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    task = arun(session.controller.submit(GenerationRequest(prompt=PROMPT)))
    assert task is not None

    def downloaded() -> None:
        record = session.controller.get(task.local_id)
        assert record.state is TaskState.SUCCEEDED and record.files

    qtbot.waitUntil(downloaded, timeout=20_000)
    assert panel.select_task(task.local_id)
    return window, session.controller.get(task.local_id)


def open_save_dialog(window: MainWindow, qtbot: Any) -> QFileDialog:
    panel = window.task_panel
    assert panel is not None
    panel.task_actions.save_as.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, QFileDialog) and dialog.objectName() == "saveVideoDialog"
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_save_as_from_the_task_list_saves_in_home_and_says_where(
    make_window: Callable[..., MainWindow],
    sim: Any,
    fresh_home: Path,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
) -> None:
    window, task = window_with_a_video(make_window, sim, tmp_path, qtbot, arun)
    assert not (fresh_home / "Videos").exists()
    dialog = open_save_dialog(window, qtbot)
    assert Path(dialog.directory().absolutePath()) == fresh_home
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None, "Qt's own dialog (the one used on Linux without a desktop theme)"
    assert name.text() == suggested_name(task)
    check_and_save(dialog, tmp_path, "task_list_save_as_dialog")

    QTest.keyClick(name, Qt.Key.Key_Return)
    target = fresh_home / suggested_name(task)
    qtbot.waitUntil(lambda: window.status.currentMessage() == f"Saved to {target}", timeout=10_000)
    assert_carries_recipe(target, Path(task.files[0]), task)
    # No Videos folder made, no partial file left, nothing written in the current folder.
    assert not (fresh_home / "Videos").exists()
    assert [p for p in tree(fresh_home) if p.endswith(".part")] == []
    assert tree(Path.cwd()) == []
    assert window.findChild(QMessageBox) is None
    check_and_save(window, tmp_path, "task_list_save_as_confirmation")


def test_a_failed_save_from_the_task_list_says_why_in_words(
    make_window: Callable[..., MainWindow],
    sim: Any,
    fresh_home: Path,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
) -> None:
    window, task = window_with_a_video(make_window, sim, tmp_path, qtbot, arun)
    panel = window.task_panel
    assert panel is not None
    missing = fresh_home / "Videos"
    job = panel.task_actions.save_to(task.local_id, missing / "dusk.mp4")

    def shown() -> None:
        box = window.findChild(QMessageBox, "actionFailedMessage")
        assert box is not None and box.isVisible()

    qtbot.waitUntil(shown, timeout=10_000)
    qtbot.waitUntil(job.done, timeout=5_000)
    assert job.result() is None
    box = window.findChild(QMessageBox, "actionFailedMessage")
    assert box is not None
    check_and_save(box, tmp_path, "task_list_save_failed")
    assert box.windowTitle() == "Could not save the video"
    assert box.text() == (
        f"The video was not saved as \u201cdusk.mp4\u201d in {missing}: that folder does not exist."
    )
    assert "Errno" not in box.text() and ".part" not in box.text()
    assert not missing.exists()
    assert not window.status.currentMessage().startswith("Saved to")
    box.close()
