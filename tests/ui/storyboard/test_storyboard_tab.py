"""The Storyboard tab in the real window on the simulator: shots added from the composer and
from a finished task, reordered by keyboard, a take picked, "Generate missing shots" priced
and cancelled (nothing sent), then sent; the film rendered with progress, and a render
cancelled (no film left). Screenshots at both sizes, light and dark, with legible text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QPushButton

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    submits,
    wait_started,
)
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.storyboard.generate import GenerateDialog
from veo_desktop.ui.storyboard.panel import StoryboardPanel
from veo_desktop.ui.storyboard.takes_dialog import MoreTakesDialog
from veo_desktop.ui.storyboard.trim_dialog import TrimDialog
from veo_desktop.ui.window.main_window import MainWindow

FOX = "A red fox runs through fresh snow"
LIGHTHOUSE = "A lighthouse at dawn, waves breaking below"


def _window(make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any) -> Any:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    wait_started(qtbot, window)
    return window


def _finished(window: MainWindow, arun: Any, qtbot: Any, prompt: str, **fields: Any) -> TaskRecord:
    session = window.session
    assert session is not None
    task = arun(session.controller.submit(GenerationRequest(prompt=prompt, **fields)))
    assert task is not None

    def done() -> None:
        record = session.controller.get(task.local_id)
        assert record.state is TaskState.SUCCEEDED and record.files

    qtbot.waitUntil(done, timeout=20_000)
    return session.controller.get(task.local_id)


def _panel(window: MainWindow) -> StoryboardPanel:
    assert window.workspace is not None
    return window.workspace.storyboard.panel


def _save_as(qtbot: Any, dialog: Any, target: Path) -> None:
    assert isinstance(dialog, QFileDialog) and dialog.objectName() == "renderFilmDialog"
    qtbot.waitUntil(dialog.isVisible)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None
    name.setText(str(target))
    qtbot.keyClick(name, Qt.Key.Key_Return)


def test_storyboard_journey(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    window = _window(make_window, sim, tmp_path, qtbot)
    workspace, session = window.workspace, window.session
    assert workspace is not None and session is not None
    fox = _finished(window, arun, qtbot, FOX)
    sent = len(submits(sim))

    # From the composer: the prompt and its settings become a shot; nothing is sent.
    workspace.compose_panel.prompt_edit.setPlainText(LIGHTHOUSE)
    menu = window.storyboard_menu
    menu.add_prompt_action.trigger()
    panel = _panel(window)
    assert workspace.middle.currentWidget() is panel
    assert [c.prompt for c in panel.model.cards] == [LIGHTHOUSE]
    assert panel.model.cards[0].state == "Not generated"
    assert panel.picker.combo.currentText() == "My film"
    assert len(submits(sim)) == sent

    # Generate's context menu adds the form as it is too (Ctrl+Shift+B is the menu's key).
    workspace.compose_panel.storyboard_action.trigger()
    assert [c.prompt for c in panel.model.cards] == [LIGHTHOUSE, LIGHTHOUSE]
    panel.remove_shot()
    assert menu.add_prompt_action.shortcut().toString() == "Ctrl+Shift+B"

    # From a finished task: its context action adds it after the selected shot, ready.
    workspace.show_tasks()
    assert workspace.task_panel.select_task(fox.local_id)
    add = workspace.task_panel.task_actions.add_to_storyboard
    assert add.isEnabled()
    add.trigger()
    assert workspace.middle.currentWidget() is panel
    cards = panel.model.cards
    assert [c.prompt for c in cards] == [LIGHTHOUSE, FOX]
    assert cards[1].state == "Ready" and cards[1].video == Path(fox.files[0])
    assert panel.shot_list.currentIndex().row() == 1

    # Reorder by keyboard: Alt+Shift+Up moves the selected shot earlier, and it is kept.
    panel.shot_list.setFocus()
    qtbot.waitUntil(panel.shot_list.hasFocus)
    alt_shift = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(panel.shot_list, Qt.Key.Key_Up, alt_shift)
    board = panel.controller.board(panel.picker.current_id)
    assert board.shots[0].chosen == fox.local_id
    assert [c.prompt for c in panel.model.cards] == [FOX, LIGHTHOUSE]
    assert panel.shot_list.currentIndex().row() == 0
    # A drop in the list moves the row as the list view's internal drag does (moveRow).
    assert panel.model.moveRow(QModelIndex(), 0, QModelIndex(), 2)
    stored = panel.controller.board(board.id).shots
    assert [s.chosen for s in stored] == [None, fox.local_id]
    assert panel.shot_list.currentIndex().row() == 1
    qtbot.keyClick(panel.shot_list, Qt.Key.Key_Up, alt_shift)
    assert [c.prompt for c in panel.model.cards] == [FOX, LIGHTHOUSE]
    # Ctrl+D duplicates the selected shot after it; Delete removes it again.
    panel.select_row(1)
    qtbot.keyClick(panel.shot_list, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [c.prompt for c in panel.model.cards] == [FOX, LIGHTHOUSE, LIGHTHOUSE]
    assert panel.shot_list.currentIndex().row() == 2
    qtbot.keyClick(panel.shot_list, Qt.Key.Key_Delete)
    assert [c.prompt for c in panel.model.cards] == [FOX, LIGHTHOUSE]

    # Generate missing shots: the price of exactly the one unsent shot; Cancel sends nothing.
    panel.film_bar.generate_button.click()
    dialog = panel.film_bar.dialog
    assert isinstance(dialog, GenerateDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.plan.count == 1
    assert dialog.accept_button.text() == "Generate \u2013 $0.20"
    assert "Shot 2: $0.20, sent now" in dialog.plan_label.text()
    assert "Shot 1: ready" in dialog.plan_label.text()
    assert dialog.total_label.text().startswith("Total: $0.20 for 1 video")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.film_bar.message.text() == "Nothing was sent.")
    assert len(submits(sim)) == sent

    # Confirmed, the shot is sent once and its take comes back on the card.
    panel.film_bar.generate_button.click()
    dialog = panel.film_bar.dialog
    assert isinstance(dialog, GenerateDialog)
    qtbot.waitUntil(dialog.isVisible)
    dialog.accept_button.click()
    qtbot.waitUntil(
        lambda: [c.state for c in panel.model.cards] == ["Ready", "Ready"], timeout=20_000
    )
    qtbot.waitUntil(lambda: not panel.film_bar.generating)
    assert len(submits(sim)) == sent + 1
    assert submits(sim)[-1].body["input"]["prompt"] == LIGHTHOUSE

    # More takes: takes of shot 2's settings, priced and confirmed in their dialog, come
    # back as takes; one is picked in the details and the pick is kept.
    panel.select_row(1)
    assert panel.details.more_button.isEnabled()
    panel.details.more_button.click()
    more = panel.film_bar.dialog
    assert isinstance(more, MoreTakesDialog)
    qtbot.waitUntil(more.isVisible)
    more.set_count(1)
    confirm = more.findChild(QPushButton, "confirmMoreTakesButton")
    assert confirm is not None and confirm.text().endswith("$0.20")
    confirm.click()
    qtbot.waitUntil(lambda: len(submits(sim)) == sent + 2, timeout=10_000)
    qtbot.waitUntil(lambda: len(panel.controller.board(board.id).shots[1].takes) == 2)
    other = panel.controller.board(board.id).shots[1].takes[1]
    qtbot.waitUntil(lambda: "Take 2 \u00b7 seed" in panel.details.take_list.item(1).text())
    qtbot.waitUntil(
        lambda: panel.details.take_list.item(1).text().endswith("Succeeded"), timeout=20_000
    )
    panel.details.select_take(other)
    assert panel.details.choose_button.isEnabled()
    panel.details.choose_button.click()
    assert panel.controller.board(board.id).shots[1].chosen == other
    assert panel.model.cards[1].take == "Take 2 of 2"
    assert panel.details.compare_button.isEnabled() is False
    panel.details.take_list.selectAll()
    assert panel.details.compare_button.isEnabled()
    panel.details.compare_button.click()
    compare = panel.film_bar.compare_window
    assert compare is not None and compare.tasks()[1] is not None
    compare.close()

    # Trim on the chosen take's own player: OK keeps the in and out points.
    panel.details.trim_button.click()
    trim = panel.film_bar.dialog
    assert isinstance(trim, TrimDialog) and trim.windowTitle() == "Trim shot 2"
    qtbot.waitUntil(trim.ok_button.isEnabled, timeout=10_000)
    trim.editor.on_range_bar_in_moved(12)
    trim.ok_button.click()
    kept = panel.controller.board(board.id).shots[1].trim
    assert kept is not None and kept[0] == pytest.approx(0.5)
    assert panel.details.trim_label.text().startswith("0.50 s to ")

    # Render: a save dialog, the progress bar with Cancel while it runs, the film announced.
    film = tmp_path / "film.mp4"
    seen: list[bool] = []
    panel.film_bar.render_flow.progress.connect(
        lambda _f: seen.append(panel.film_bar.cancel_button.isVisible())
    )
    panel.film_bar.render_button.click()
    _save_as(qtbot, panel.film_bar.render_flow.dialog, film)
    qtbot.waitUntil(lambda: film.is_file(), timeout=30_000)
    qtbot.waitUntil(lambda: isinstance(panel.film_bar.render_flow.dialog, QMessageBox))
    announced = panel.film_bar.render_flow.dialog
    assert announced is not None and announced.objectName() == "filmRenderedMessage"
    assert seen and all(seen)
    assert not panel.film_bar.progress.isVisible()
    play = announced.findChild(QPushButton, "playFilmButton")
    assert play is not None
    play.click()
    player = panel.film_bar.film_window
    assert player is not None and player.isVisible()
    qtbot.waitUntil(lambda: player.player.duration_ms > 0, timeout=10_000)
    player.close()

    # A shot of another shape: the refusal says why and offers to letterbox.
    portrait = _finished(window, arun, qtbot, "A tall waterfall", aspect_ratio="9:16")
    panel.select_row(1)
    workspace.storyboard.add_task(portrait)
    boxed = tmp_path / "boxed.mp4"
    panel.film_bar.render_button.click()
    _save_as(qtbot, panel.film_bar.render_flow.dialog, boxed)
    qtbot.waitUntil(lambda: isinstance(panel.film_bar.render_flow.dialog, QMessageBox))
    question = panel.film_bar.render_flow.dialog
    assert isinstance(question, QMessageBox) and question.objectName() == "letterboxQuestion"
    assert "aspect" in question.text().lower() and "shot 3" in question.text()
    assert not boxed.exists()
    letterbox = question.findChild(QPushButton, "letterboxButton")
    assert letterbox is not None
    letterbox.click()
    qtbot.waitUntil(lambda: boxed.is_file(), timeout=30_000)
    assert panel.controller.board(board.id).letterbox
    qtbot.waitUntil(lambda: isinstance(panel.film_bar.render_flow.dialog, QMessageBox))
    panel.film_bar.render_flow.dialog.reject()

    # Cancel a render under way: nothing is left of that film.
    second = tmp_path / "second.mp4"
    flow = panel.film_bar.render_flow
    flow.progress.connect(lambda _f: panel.film_bar.cancel_button.click())
    panel.film_bar.render_button.click()
    _save_as(qtbot, flow.dialog, second)
    qtbot.waitUntil(lambda: panel.film_bar.message.text().startswith("Render cancelled"))
    assert not second.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

    # From the prompt history: the prompt with its last settings, unsent.
    history = workspace.history_panel
    history.refresh_recent()
    assert history.select_recent("A tall waterfall")
    history.storyboard_action.trigger()
    last = panel.model.cards[-1]
    assert last.prompt == "A tall waterfall" and last.state == "Not generated"
    request = panel.controller.board(board.id).shots[-1].request
    assert request is not None and request.aspect_ratio == "9:16"

    # Export as JSON and import it again: a second storyboard with the same shots.
    exported = tmp_path / "film.storyboard.json"
    assert panel.files.export_to(board.id, exported)
    count = len(panel.controller.board(board.id).shots)
    imported = panel.files.import_from(exported)
    assert imported is not None and imported.id != board.id
    assert len(imported.shots) == count
    assert panel.picker.current_id == imported.id
    assert panel.model.rowCount() == count

    # How the film is cut: the crossfade and the letterbox, from the storyboards menu.
    picker = panel.picker
    picker.select(board.id)
    picker.on_menu_about_to_show()
    assert picker.letterbox_action.isChecked()
    fade = picker.ask_crossfade()
    assert fade is not None
    fade.setIntValue(6)
    fade.accept()
    assert panel.controller.board(board.id).crossfade_frames == 6
    picker.letterbox_action.setChecked(False)
    assert not panel.controller.board(board.id).letterbox

    # Several storyboards: new, rename, duplicate, delete (the videos stay in Tasks).
    named = picker.ask_new()
    named.setTextValue("Second cut")
    named.accept()
    assert picker.combo.currentText() == "Second cut" and panel.model.rowCount() == 0
    assert panel.empty_label.isVisible()
    renamed = picker.ask_rename()
    assert renamed is not None
    renamed.setTextValue("Rough cut")
    renamed.accept()
    assert picker.combo.currentText() == "Rough cut"
    copy = picker.duplicate()
    assert copy is not None and picker.current_id == copy.id
    boards = picker.combo.count()
    question = picker.ask_delete()
    assert question is not None
    confirm = question.findChild(QPushButton, "confirmDeleteStoryboardButton")
    assert confirm is not None
    confirm.click()
    assert picker.combo.count() == boards - 1
    assert len(session.controller.tasks()) >= 3


SIZES = [(1024, 640), (1600, 1000)]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_storyboard_screenshots(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
    dark: bool,
) -> None:
    themed(dark)
    window = _window(make_window, sim, tmp_path, qtbot)
    workspace = window.workspace
    assert workspace is not None
    fox = _finished(window, arun, qtbot, FOX)
    workspace.storyboard.add_task(fox)
    panel = _panel(window)
    panel.add_request(GenerationRequest(prompt=LIGHTHOUSE, aspect_ratio="9:16"))
    panel.select_row(0)
    thumbnails = workspace.thumbnails
    qtbot.waitUntil(lambda: thumbnails.get(fox.files[0]) is not None, timeout=10_000)
    for width, height in SIZES:
        window.resize(width, height)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        qtbot.waitUntil(lambda w=width: window.width() == w)
        tag = f"{width}x{height}-{'dark' if dark else 'light'}"
        check_and_save(window, tmp_path, f"storyboard-{tag}")
        assert panel.film_bar.render_button.isVisible()
        assert panel.shot_list.visualRect(panel.model.index(1)).bottom() > 0


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home of the test's own: the save dialogs start there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


def test_a_store_that_cannot_be_written_is_said_in_words_not_a_crash(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: Any,
) -> None:
    from veo_desktop.core.errors import StoreFullError

    window = _window(make_window, sim, tmp_path, qtbot)
    panel = _panel(window)
    session = window.session
    assert session is not None
    store = session.runtime.store

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise StoreFullError("Disk full: free some space in the data folder; nothing was lost.")

    # The disk fills: the next write of a storyboard fails in the store itself.
    monkeypatch.setattr(store, "save_storyboard", full)
    assert panel.add_request(GenerationRequest(prompt=FOX)) is None
    # The person is told why, in words, in the tab's own message box.
    box = window.findChild(QMessageBox, "storyboardProblem")
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert "could not be saved" in box.text() and "Disk full" in box.text()
    box.close()
