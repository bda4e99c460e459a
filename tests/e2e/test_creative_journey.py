"""The creative workflow through the real window, against the simulator over loopback.

Continue a scene from the preview's last frame (it lands in the composer's first-frame
slot as a picture of the video's size, hosted and sent); extend a video from the Task
menu and see it under its source; reuse prompts from the history and saved prompts; drop
a saved video to restore its settings; the spend today and this session; a batch stopped
by a low balance offered at the next start and sent without repeats. Then screenshots of
each new state, light and dark, at 1024x640 and 1600x1000.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    running_session,
    screenshot_window,
    wait_started,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.batch import BatchItem, BatchRunner, journal_dir, journal_path
from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.core.templates import Template
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault
from veo_desktop.ui.compose.image_slot import SlotState
from veo_desktop.ui.tasks.batch_offer import BatchOffer
from veo_desktop.ui.tasks.columns import EXTEND_MARK, Column
from veo_desktop.ui.template_dialog import TemplateEditorDialog, TemplateFillDialog
from veo_desktop.ui.window.main_window import MainWindow


def open_window(
    make_window: Callable[..., MainWindow], sim: Any, root: Path, qtbot: Any
) -> MainWindow:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=root)
    window.resize(1280, 800)
    window.show()
    wait_started(qtbot, window)
    return window


def finished(
    window: MainWindow, qtbot: Any, request: GenerationRequest | ExtendRequest
) -> TaskRecord:
    session = window.session
    assert session is not None
    controller = session.controller
    job = controller.run(controller.submit(request), name="submit")
    qtbot.waitUntil(job.done, timeout=10_000)
    task = job.result()
    assert task is not None

    def done() -> None:
        assert session.engine.get(task.local_id).state is TaskState.SUCCEEDED

    qtbot.waitUntil(done, timeout=20_000)
    return session.engine.get(task.local_id)


def prompts_shown(window: MainWindow) -> list[str]:
    panel = window.task_panel
    assert panel is not None
    return [
        str(panel.proxy.index(row, Column.PROMPT).data(Qt.ItemDataRole.DisplayRole))
        for row in range(panel.proxy.rowCount())
    ]


def dispatch_drop(widget: QWidget, path: Path) -> bool:
    """A drop delivered the way Qt delivers a real one (through the application, so event
    filters see it); True when it was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = widget.rect().center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def task_menu_action(window: MainWindow, name: str) -> Any:
    window.task_menu.aboutToShow.emit()
    for action in window.task_menu.actions():
        if action.objectName() == name:
            return action
    raise AssertionError(f"{name} is not in the Task menu")


# -- chaining shots ----------------------------------------------------------------------------


def test_the_last_frame_continues_the_scene_in_the_first_frame_slot(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = open_window(make_window, sim, tmp_path / "data", qtbot)
    task = finished(window, qtbot, GenerationRequest(prompt="A paper boat drifts away"))
    panel, preview, compose = window.task_panel, window.preview_panel, window.compose_panel
    assert panel is not None and preview is not None and compose is not None
    panel.select_task(task.local_id)
    qtbot.waitUntil(lambda: preview.surface.frames_received > 2, timeout=10_000)
    use = task_menu_action(window, "useFirstFrameAction")
    assert use.isEnabled()
    use.trigger()
    slot = compose.first_slot
    qtbot.waitUntil(lambda: slot.state is SlotState.READY, timeout=15_000)
    assert str(compose.type_selector.currentData()) == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    image = slot.image
    assert image is not None
    assert (image.preview.width, image.preview.height) == (640, 360)
    assert "first frame slot" in window.status.currentMessage()
    # The hosted picture is what APIXO fetches: the video's last frame, at its size.
    hosted = QImage.fromData(httpx.get(image.url).content)
    assert (hosted.width(), hosted.height()) == (640, 360)
    compose.prompt_edit.setPlainText("The boat sails into the sunset")
    qtbot.waitUntil(lambda: compose.is_valid, timeout=10_000)
    session = window.session
    assert session is not None
    window.generate_action.trigger()
    qtbot.waitUntil(lambda: len(session.engine.tasks()) == 2, timeout=10_000)
    newest = session.engine.tasks()[-1]
    assert newest.input["generationType"] == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    assert newest.input["image_urls"] == [image.url]


# -- extend, history, templates -----------------------------------------------------------------


def test_extend_from_the_task_menu_and_reuse_prompts(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = open_window(make_window, sim, tmp_path / "data", qtbot)
    source = finished(window, qtbot, GenerationRequest(prompt="A lighthouse at dusk", seed=3))
    panel, compose, history = window.task_panel, window.compose_panel, window.history_panel
    assert panel is not None and compose is not None and history is not None
    panel.select_task(source.local_id)
    extend = task_menu_action(window, "extendAction")
    assert extend.isEnabled() and "Extendable for 23 h" in extend.toolTip()
    extend.trigger()
    dialog = panel.task_actions.extend_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_prompt("The beam sweeps over the waves")
    with qtbot.waitSignal(panel.task_submitted, timeout=10_000) as made:
        dialog.extend_button.click()
    child = made.args[0]
    assert child.parent_id == source.local_id
    assert prompts_shown(window) == [
        "A lighthouse at dusk",
        f"{EXTEND_MARK}The beam sweeps over the waves",
    ]
    assert "Extension submitted" in window.status.currentMessage()

    # The prompt history: a recent prompt replaces the composer's (one undo brings it back).
    compose.prompt_edit.setPlainText("my own words")
    window.show_history_action.trigger()
    assert window.workspace is not None
    assert window.workspace.middle.currentWidget() is history
    qtbot.waitUntil(lambda: len(history.recent_items()) == 2, timeout=5_000)
    assert history.select_recent("A lighthouse at dusk")
    history.use_button.click()
    assert compose.prompt_edit.toPlainText() == "A lighthouse at dusk"
    compose.prompt_edit.undo()
    assert compose.prompt_edit.toPlainText() == "my own words"
    # "Use all settings" of the extend opens the extend dialog, filled in.
    assert history.select_recent("The beam sweeps over the waves")
    history.reuse_button.click()
    again = window.extend_dialog
    assert again is not None and again.isVisible()
    assert again.prompt_edit.toPlainText() == "The beam sweeps over the waves"
    assert again.source.local_id == source.local_id
    again.reject()
    # ... and of the generation fills the composer.
    assert history.select_recent("A lighthouse at dusk")
    history.reuse_button.click()
    assert compose.current_request().seed == 3

    # Saved prompts: save the composer's prompt with a blank, then fill it from the menu.
    compose.prompt_edit.setPlainText("A {animal} at dawn")
    window.save_template_action.trigger()
    editor = history.dialog
    assert isinstance(editor, TemplateEditorDialog)
    assert editor.text_edit.toPlainText() == "A {{animal}} at dawn"  # braces kept as text
    editor.text_edit.setPlainText("A {animal} at dawn")
    editor.name_edit.setText("Dawn animal")
    assert editor.save()
    assert "Saved the prompt as \u201cDawn animal\u201d" in window.status.currentMessage()
    compose.prompt_edit.clear()
    window.use_template_menu.aboutToShow.emit()
    names = [a.text() for a in window.use_template_menu.actions()]
    assert names == ["Dawn animal"]
    window.use_template_menu.actions()[0].trigger()
    fill = history.dialog
    assert isinstance(fill, TemplateFillDialog)
    fill.set_value("animal", "red fox")
    assert fill.use()
    assert compose.prompt_edit.toPlainText() == "A red fox at dawn"
    window.manage_templates_action.trigger()
    assert history.tabs.currentIndex() == 1
    assert [t.name for t in history.saved_items()] == ["Dawn animal"]


# -- restoring settings from a file -------------------------------------------------------------


def test_dropping_a_saved_video_or_its_sidecar_restores_its_settings(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = open_window(make_window, sim, tmp_path / "data", qtbot)
    made = finished(
        window,
        qtbot,
        GenerationRequest(prompt="A whale breaches", mode="quality", aspect_ratio="9:16", seed=11),
    )
    compose = window.compose_panel
    assert compose is not None
    video = Path(made.files[0])
    compose.clear_form()
    assert drop(window, urls=[str(video)])
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == "A whale breaches", timeout=5_000)
    request = compose.current_request()
    assert (request.mode, request.aspect_ratio, request.seed) == ("quality", "9:16", 11)
    assert window.status.currentMessage() == f"Restored the settings of {video.name}."
    # Onto the prompt box (which takes text drops) the sidecar restores too, not a path.
    compose.clear_form()
    assert dispatch_drop(compose.prompt_edit.viewport(), sidecar_path(video))
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == "A whale breaches", timeout=5_000)
    # Something that is not ours says so in the status bar and changes nothing.
    junk = tmp_path / "holiday.mp4"
    junk.write_bytes(b"\0" * 2048)
    assert drop(window, urls=[str(junk)])
    qtbot.waitUntil(lambda: "No settings restored" in window.status.currentMessage(), timeout=5_000)
    assert compose.prompt_edit.toPlainText() == "A whale breaches"
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert not drop(window, urls=[str(notes)])


# -- spend --------------------------------------------------------------------------------------


def test_the_status_bar_shows_spend_today_and_this_session(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    window = open_window(make_window, sim, root, qtbot)
    finished(window, qtbot, GenerationRequest(prompt="Spend one"))
    qtbot.waitUntil(lambda: window.status.spend_item.label.text() == "Today $0.20")
    qtbot.waitUntil(lambda: window.status.session_item.label.text() == "Session $0.20")
    assert "1 video APIXO accepted" in window.status.spend_item.label.toolTip()
    session = window.session
    assert session is not None
    # A new session (the window reopened the workspace) starts its own count.
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    qtbot.waitUntil(lambda: window.session is not None and window.session is not session)
    wait_started(qtbot, window)
    qtbot.waitUntil(lambda: window.status.session_item.label.text() == "Session $0.00")
    assert window.status.spend_item.label.text() == "Today $0.20"


# -- a stopped batch ------------------------------------------------------------------------------


def stop_a_batch(sim: Any, root: Path, arun: Callable[..., Any], prompts: list[str]) -> Path:
    """Send a batch in a session that runs out of balance after the first item."""
    items = [BatchItem(n + 1, GenerationRequest(prompt=p)) for n, p in enumerate(prompts)]
    with running_session(sim, root, arun) as session:
        path = journal_path(journal_dir(session.paths.data_dir), items)
        broke: list[bool] = []

        def after_first(progress: Any) -> None:
            if progress.submitted == 1 and not broke:
                broke.append(True)
                sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402, times=-1))

        runner = BatchRunner(
            session.engine,
            items,
            concurrency=1,
            journal=path,
            source=str(root / "shots.csv"),
            on_progress=after_first,
        )
        result = arun(runner.run())
        assert len(result.submitted) == 1 and result.stopped
    sim.clear_faults()
    return path


def test_a_stopped_batch_is_offered_at_start_and_sent_without_repeats(
    make_window: Callable[..., MainWindow],
    sim: Any,
    qtbot: Any,
    tmp_path: Path,
    arun: Callable[..., Any],
) -> None:
    root = tmp_path / "data"
    prompts = ["Shot one", "Shot two", "Shot three"]
    stop_a_batch(sim, root, arun, prompts)
    window = open_window(make_window, sim, root, qtbot)
    qtbot.waitUntil(lambda: bool(window.batch_offers), timeout=10_000)
    (offer,) = window.batch_offers
    assert isinstance(offer, BatchOffer) and offer.isVisible()
    assert offer.label.text().startswith("Batch \u201cshots.csv\u201d stopped with 2 of 3 items")
    offer.resume_button.click()
    assert offer.job is not None
    qtbot.waitUntil(offer.job.done, timeout=15_000)
    assert offer.label.text() == "3 of 3 submitted."
    session = window.session
    assert session is not None
    # Each shot became exactly one task APIXO took (the POST it refused with 402 took none).
    taken = [t.prompt for t in session.engine.tasks(include_hidden=True) if t.charged]
    assert sorted(taken) == sorted(prompts)
    assert len(sim.created_task_ids) == len(prompts)


# -- screenshots ----------------------------------------------------------------------------------


def shoot(widget: QWidget, tmp_path: Path, name: str) -> Path:
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    path = save_screenshot(widget.grab(), tmp_path, name)
    assert_legible(widget, widget.grab(), name)
    return path


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", [(1024, 640), (1600, 1000)], ids=["1024x640", "1600x1000"])
def test_screenshots_of_the_creative_states(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    sim: Any,
    qtbot: Any,
    tmp_path: Path,
    arun: Callable[..., Any],
    size: tuple[int, int],
    dark: bool,
) -> None:
    root = tmp_path / "data"
    stop_a_batch(sim, root, arun, ["Wide shot of the harbour", "Close-up of the gulls"])
    window, tag = screenshot_window(
        make_window,
        themed,
        qtbot,
        size=size,
        dark=dark,
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        data_dir=root,
    )
    qtbot.waitUntil(lambda: bool(window.batch_offers), timeout=10_000)
    source = finished(
        window, qtbot, GenerationRequest(prompt="A lighthouse at dusk, waves crashing", seed=5)
    )
    finished(
        window,
        qtbot,
        ExtendRequest(task_id=str(source.apixo_task_id), prompt="The beam sweeps the sea"),
    )
    take = finished(
        window, qtbot, GenerationRequest(prompt="A lighthouse at dusk, waves crashing", seed=6)
    )
    panel, preview, compose = window.task_panel, window.preview_panel, window.compose_panel
    history, workspace = window.history_panel, window.workspace
    assert panel and preview and compose and history and workspace
    workspace.templates.put(Template("Dawn animal", "A {animal} at dawn, {lens} lens"))
    history.refresh()
    panel.select_tasks([take.local_id, source.local_id])
    qtbot.waitUntil(lambda: preview.surface.frames_received > 2, timeout=10_000)
    preview.player.pause()
    shoot(window, tmp_path, f"creative-tasks-{tag}")

    menu = panel.context_menu()
    menu.popup(panel.mapToGlobal(panel.rect().center()))
    shoot(menu, tmp_path, f"creative-task-menu-{tag}")
    menu.close()

    preview.frame_menu.popup(preview.mapToGlobal(preview.rect().center()))
    shoot(preview.frame_menu, tmp_path, f"creative-frame-menu-{tag}")
    preview.frame_menu.close()
    with qtbot.waitSignal(preview.frame_for_slot, timeout=10_000):
        preview.use_frame("first")
    qtbot.waitUntil(lambda: compose.first_slot.state is SlotState.READY, timeout=15_000)
    compose.prompt_edit.setPlainText("The keeper climbs the stairs")
    shoot(window, tmp_path, f"creative-frame-in-slot-{tag}")

    compare = panel.task_actions.on_compare_triggered()
    assert compare is not None
    compare.resize(*size)
    qtbot.waitUntil(lambda: all(s.frames_received > 0 for s in compare.surfaces), timeout=10_000)
    shoot(compare, tmp_path, f"creative-compare-{tag}")
    compare.close()

    panel.select_task(take.local_id)
    panel.task_actions.draft_to_final.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    shoot(box, tmp_path, f"creative-draft-to-final-{tag}")
    box.button(QMessageBox.StandardButton.Cancel).click()

    window.show_history_action.trigger()
    qtbot.waitUntil(lambda: len(history.recent_items()) >= 3, timeout=5_000)
    shoot(window, tmp_path, f"creative-prompts-{tag}")
    history.tabs.setCurrentIndex(1)
    history.use_saved("Dawn animal")
    fill = history.dialog
    assert isinstance(fill, TemplateFillDialog)
    fill.set_value("animal", "red fox")
    shoot(fill, tmp_path, f"creative-template-fill-{tag}")
    fill.reject()
    window.show_tasks_action.trigger()

    assert drop(window, urls=[str(take.files[0])])
    qtbot.waitUntil(lambda: "Restored the settings" in window.status.currentMessage())
    shoot(window.status, tmp_path, f"creative-status-{tag}")
    assert window.status.session_item.label.text() == "Session $0.60"
    assert Decimal("0") < Decimal(window.status.spend_item.label.text().split("$")[1])
    for menu in (window.prompts_menu, window.task_menu):
        menu.aboutToShow.emit()
        menu.popup(window.mapToGlobal(window.rect().center()))
        shoot(menu, tmp_path, f"creative-{menu.objectName() or 'menu'}-{tag}")
        menu.close()
    offer = window.batch_offers[0]
    assert offer.isVisible()
    go = offer.findChild(QPushButton, "batchResumeButton")
    assert go is not None and go.isVisible()
    go.click()
    assert offer.job is not None
    qtbot.waitUntil(offer.job.done, timeout=15_000)
    shoot(window, tmp_path, f"creative-batch-sent-{tag}")
