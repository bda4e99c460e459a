"""The task list's creative actions, with the real engine against the simulator.

Extend (enabled while APIXO holds the video, its window in the tooltip), Draft to final
(the price asked first), Compare (two finished videos selected, the current one still
previewed), extends shown under their source, and the offer to send the rest of a
stopped batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.batch import (
    BatchItem,
    BatchJournal,
    BatchRunner,
    journal_dir,
    journal_path,
)
from veo_desktop.core.spending import SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.compare import CompareWindow
from veo_desktop.ui.extend_dialog import ExtendDialog
from veo_desktop.ui.tasks.batch_offer import BatchOffer, stopped_batches, unsent_items
from veo_desktop.ui.tasks.columns import DEPTH_ROLE, EXTEND_MARK, Column
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.thumbnails import ThumbnailCache

engine_env = tasks_support.engine_env


class Clock:
    """Unix time that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cap_holder() -> dict[str, SpendingCap | None]:
    return {"cap": None}


@pytest.fixture
def panel(
    engine_env: EngineEnv, qtbot: Any, clock: Clock, cap_holder: dict[str, Any]
) -> Iterator[TaskPanel]:
    thumbnails = ThumbnailCache(engine_env.cache / "thumbnails")
    widget = TaskPanel(
        engine_env.controller,
        thumbnails=thumbnails,
        clock=clock,
        spending_cap=lambda: cap_holder["cap"],
    )
    qtbot.addWidget(widget)
    widget.resize(1000, 520)
    widget.show()
    yield widget
    widget.shutdown()
    thumbnails.close()


def prompts_shown(panel: TaskPanel) -> list[str]:
    proxy = panel.proxy
    return [
        str(proxy.index(row, Column.PROMPT).data(Qt.ItemDataRole.DisplayRole))
        for row in range(proxy.rowCount())
    ]


def extend(env: EngineEnv, source: TaskRecord, prompt: str) -> TaskRecord:
    request = ExtendRequest(task_id=str(source.apixo_task_id), prompt=prompt)
    record = env.arun(env.controller.submit_quietly(request))
    assert isinstance(record, TaskRecord)
    return record


def extend_posts(env: EngineEnv) -> list[Any]:
    return [r for r in env.sim.requests if r.endpoint == "extend_submit"]


def submit_posts(env: EngineEnv) -> list[Any]:
    return [r for r in env.sim.requests if r.endpoint == "submit"]


# -- lineage -----------------------------------------------------------------------------------


def test_extends_appear_under_their_source_in_both_orders(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    source = engine_env.finished("A lighthouse at dusk")
    other = engine_env.finished("A whale breaches")
    child = extend(engine_env, source, "The light turns on")
    grandchild_source = engine_env.wait_state(child.local_id, TaskState.SUCCEEDED)
    assert grandchild_source.is_extend
    qtbot.waitUntil(lambda: len(prompts_shown(panel)) == 3)
    # Newest first, but each extend right under the video it continues.
    assert prompts_shown(panel) == [
        "A whale breaches",
        "A lighthouse at dusk",
        f"{EXTEND_MARK}The light turns on",
    ]
    row = panel.model.row_of(child.local_id)
    assert row is not None
    index = panel.model.index(row, Column.PROMPT)
    assert index.data(DEPTH_ROLE) == 1
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == "Extension: The light turns on"
    assert "Extends \u201cA lighthouse at dusk\u201d" in index.data(Qt.ItemDataRole.ToolTipRole)
    panel.view.sortByColumn(Column.CREATED, Qt.SortOrder.AscendingOrder)
    assert prompts_shown(panel) == [
        "A lighthouse at dusk",
        f"{EXTEND_MARK}The light turns on",
        "A whale breaches",
    ]
    # Sorted by another column, an extend still says what it is.
    panel.view.sortByColumn(Column.PROMPT, Qt.SortOrder.AscendingOrder)
    assert f"{EXTEND_MARK}The light turns on" in prompts_shown(panel)
    assert other.local_id != child.local_id


def test_the_lineage_is_rebuilt_only_when_tasks_are_added(
    engine_env: EngineEnv, panel: TaskPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = engine_env.finished("A kite over the dunes")
    calls: list[int] = []
    original = panel.model._set_lineage

    def counting(tasks: list[TaskRecord]) -> set[str]:
        calls.append(len(tasks))
        return original(tasks)

    monkeypatch.setattr(panel.model, "_set_lineage", counting)
    plain = engine_env.finished("Another kite")  # a new generation: no rebuild at all
    assert calls == []
    child = extend(engine_env, source, "The kite string snaps")
    assert calls == [3]  # the extend was added: one rebuild
    engine_env.wait_state(child.local_id, TaskState.SUCCEEDED)  # state changes: none
    assert calls == [3]
    assert panel.model.depth_of(child.local_id) == 1
    assert panel.model.depth_of(plain.local_id) == 0


def test_removing_a_source_makes_its_extend_a_root(engine_env: EngineEnv, panel: TaskPanel) -> None:
    source = engine_env.finished("A red balloon")
    child = extend(engine_env, source, "It drifts away")
    assert panel.model.depth_of(child.local_id) == 1
    engine_env.controller.remove(source.local_id, delete_files=False)
    assert panel.model.depth_of(child.local_id) == 0
    assert prompts_shown(panel) == ["It drifts away"]


# -- extend ------------------------------------------------------------------------------------


def test_extend_is_offered_while_apixo_holds_the_video(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any, clock: Clock
) -> None:
    source = engine_env.finished("A lantern floats over a night lake")
    actions = panel.task_actions
    panel.select_task(source.local_id)
    assert actions.extend.isEnabled()
    assert "Extendable for 23 h" in actions.extend.toolTip()
    assert actions.extend in panel.toolbar.actions()
    assert actions.compare not in panel.toolbar.actions()  # a selection action: in menus
    menu = panel.context_menu()
    assert actions.extend in menu.actions() and actions.draft_to_final in menu.actions()
    menu.close()

    dialog = actions.on_extend_triggered()
    assert isinstance(dialog, ExtendDialog) and dialog is actions.extend_dialog
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    dialog.set_prompt("The lantern drifts into the clouds")
    with qtbot.waitSignal(panel.task_submitted, timeout=10_000) as made:
        dialog.extend_button.click()
    child = made.args[0]
    assert child.is_extend and child.parent_id == source.local_id
    assert panel.current_task() is not None
    assert panel.current_task().local_id == child.local_id  # type: ignore[union-attr]
    assert len(extend_posts(engine_env)) == 1
    # An extension cannot be extended; a finished video a day later neither.
    assert not actions.extend.isEnabled()
    assert "cannot be extended again" in actions.extend.toolTip()
    panel.select_task(source.local_id)
    clock.offset = 25 * 3600
    actions.on_refresh_timeout()
    assert not actions.extend.isEnabled()
    assert actions.extend.toolTip().startswith("No longer extendable: APIXO keeps a video")
    assert actions.on_extend_triggered() is None
    assert len(extend_posts(engine_env)) == 1


def test_an_unfinished_task_cannot_be_extended(engine_env: EngineEnv, panel: TaskPanel) -> None:
    engine_env.sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.5, times=1))
    task = engine_env.submit("Still cooking")
    panel.select_task(task.local_id)
    assert not panel.task_actions.extend.isEnabled()
    assert panel.task_actions.extend.toolTip() == "Only a finished video can be extended."


def test_after_a_taskid_error_the_action_says_apixo_no_longer_holds_it(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    source = engine_env.finished("Forgotten by APIXO")
    engine_env.sim.age_task(str(source.apixo_task_id), 25 * 3600)
    panel.select_task(source.local_id)
    dialog = panel.task_actions.on_extend_triggered()
    assert dialog is not None
    dialog.set_prompt("It should have worked")
    dialog.extend()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "APIXO cannot extend this video" in dialog.message.text()
    dialog.reject()
    panel.select_task(source.local_id)
    assert not panel.task_actions.extend.isEnabled()
    assert "APIXO said it no longer holds this video" in panel.task_actions.extend.toolTip()


# -- draft to final ----------------------------------------------------------------------------


def test_draft_to_final_asks_with_the_price_then_submits_quality(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    draft = engine_env.finished("A fox in fresh snow", seed=4242, aspect_ratio="9:16")
    actions = panel.task_actions
    panel.select_task(draft.local_id)
    assert actions.draft_to_final.isEnabled()
    assert actions.draft_to_final.text() == "Draft to final ($1.50)\u2026"
    actions.draft_to_final.trigger()
    box = actions.dialog
    assert isinstance(box, QMessageBox)
    assert box.text() == "Make this video again in quality mode for $1.50?"
    assert "seed 4242" in box.informativeText()
    assert "random seed" not in box.informativeText()
    # Cancel sends nothing.
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: actions.dialog is None)
    assert len(submit_posts(engine_env)) == 1
    actions.draft_to_final.trigger()
    box = actions.dialog
    assert isinstance(box, QMessageBox)
    confirm = box.findChild(QPushButton, "confirmDraftToFinalButton")
    assert confirm is not None and confirm.text() == "Make final \u2013 $1.50"
    with qtbot.waitSignal(panel.task_submitted, timeout=10_000) as made:
        confirm.click()
    final = made.args[0]
    assert final.mode == "quality" and final.prompt == draft.prompt
    assert final.parent_id is None
    post = submit_posts(engine_env)[-1]
    assert post.body["input"]["mode"] == "quality"
    assert post.body["input"]["seed"] == 4242
    assert post.body["input"]["aspect_ratio"] == "9:16"
    assert panel.current_task().local_id == final.local_id  # type: ignore[union-attr]
    # The final (quality) video cannot be made final again.
    engine_env.wait_state(final.local_id, TaskState.SUCCEEDED)
    assert not actions.draft_to_final.isEnabled()
    assert "already made in quality mode" in actions.draft_to_final.toolTip()


def test_draft_to_final_warns_without_a_seed_and_past_the_cap(
    engine_env: EngineEnv, panel: TaskPanel, cap_holder: dict[str, Any]
) -> None:
    draft = engine_env.finished("A kite at noon")  # no seed: the take will differ
    cap_holder["cap"] = SpendingCap(Decimal("1.00"), engine_env.engine)
    panel.select_task(draft.local_id)
    panel.task_actions.draft_to_final.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    info = box.informativeText()
    assert "random seed" in info and "different take" in info
    assert "over your daily cap of $1.00" in info
    assert box.icon() == QMessageBox.Icon.Warning
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(submit_posts(engine_env)) == 1


def test_a_refused_final_is_reported_not_lost(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    draft = engine_env.finished("A storm over the sea", seed=7)
    panel.select_task(draft.local_id)
    engine_env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    with qtbot.waitSignal(engine_env.controller.action_failed, timeout=10_000) as failed:
        job = panel.task_actions.submit_final(draft.local_id, _quality(draft))
        assert job is not None
        # A second click while it is under way sends nothing more.
        assert panel.task_actions.submit_final(draft.local_id, _quality(draft)) is None
    title, message = failed.args
    assert title == "Could not make the final version"
    assert "balance" in message.lower()
    assert len(submit_posts(engine_env)) == 2
    panel.findChild(QMessageBox, "actionFailedMessage").close()  # type: ignore[union-attr]


def _quality(task: TaskRecord) -> GenerationRequest:
    request = task.request_model
    assert isinstance(request, GenerationRequest)
    return request.replace(mode="quality")


# -- compare -----------------------------------------------------------------------------------


def test_compare_needs_two_finished_videos_and_keeps_the_preview_on_the_current(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    first = engine_env.finished("Take one: a paper boat")
    second = engine_env.finished("Take two: a paper boat", seed=9)
    engine_env.sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.6, times=1))
    running = engine_env.submit("Take three, still running")
    actions = panel.task_actions
    current: list[Any] = []
    panel.current_task_changed.connect(current.append)
    panel.select_task(first.local_id)
    assert not actions.compare.isEnabled()
    assert "Select two finished videos" in actions.compare.toolTip()
    # Ctrl+click the second: both selected, the clicked one is current (and previewed).
    index = panel.proxy.mapFromSource(panel.model.index_of(second.local_id))
    panel.view.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert {t.local_id for t in panel.selected_tasks()} == {first.local_id, second.local_id}
    assert current[-1].local_id == second.local_id
    assert actions.compare.isEnabled()
    # A right-click on a selected row keeps the pair selected.
    rect = panel.view.visualRect(panel.proxy.mapFromSource(panel.model.index_of(first.local_id)))
    panel.on_view_custom_context_menu_requested(rect.center())
    for menu in panel.findChildren(QMenu, "taskContextMenu"):
        menu.close()
    assert len(panel.selected_tasks()) == 2
    assert panel.current_task().local_id == first.local_id  # type: ignore[union-attr]

    window = actions.on_compare_triggered()
    assert isinstance(window, CompareWindow) and window.isVisible()
    left, right = window.tasks()
    assert (left.local_id, right.local_id) == (first.local_id, second.local_id)  # type: ignore[union-attr]
    window.close()
    qtbot.waitUntil(lambda: actions.compare_window is None)

    panel.select_tasks([first.local_id, running.local_id])
    assert len(panel.selected_tasks()) == 2
    assert not actions.compare.isEnabled()
    assert "need a finished, downloaded video" in actions.compare.toolTip()
    assert actions.on_compare_triggered() is None


# -- stopped batches ---------------------------------------------------------------------------


def stopped_batch(env: EngineEnv, prompts: list[str]) -> BatchJournal:
    """A batch that stopped on a low balance (402) after sending its first item."""
    items = [BatchItem(n + 1, GenerationRequest(prompt=p)) for n, p in enumerate(prompts)]
    path = journal_path(journal_dir(env.library.parent), items)
    broke: list[bool] = []

    def after_first(progress: Any) -> None:
        if progress.submitted == 1 and not broke:
            broke.append(True)
            env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402, times=-1))

    runner = BatchRunner(env.engine, items, concurrency=1, journal=path, on_progress=after_first)
    result = env.arun(runner.run())
    env.sim.clear_faults()
    assert len(result.submitted) == 1 and result.stopped
    return BatchJournal.load(path)


def test_a_stopped_batch_is_offered_and_resumed_without_repeats(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    prompts = ["Batch clip one", "Batch clip two", "Batch clip three"]
    journal = stopped_batch(engine_env, prompts)
    assert len(unsent_items(journal, engine_env.engine)) == 2
    found = engine_env.arun(stopped_batches(engine_env.engine, engine_env.library.parent))
    assert [j.path for j in found] == [journal.path]
    offer = BatchOffer(engine_env.controller, found[0])
    panel.add_notice(offer)
    assert offer.isVisible()
    assert "stopped with 2 of 3 items not sent ($0.40)" in offer.label.text()
    assert offer.resume_button.text() == "Send the rest \u2013 $0.40"
    sent_before = [p.body["input"]["prompt"] for p in submit_posts(engine_env)]
    assert offer.resume()
    assert offer.job is not None
    qtbot.waitUntil(offer.job.done, timeout=15_000)
    assert offer.label.text() == "3 of 3 submitted."
    sent = [p.body["input"]["prompt"] for p in submit_posts(engine_env)]
    assert sorted(set(sent)) == sorted(prompts)
    assert sent.count("Batch clip one") == sent_before.count("Batch clip one") == 1
    visible = [t for t in engine_env.engine.tasks() if t.prompt in prompts]
    assert sorted(t.prompt for t in visible) == sorted(prompts)
    assert all(t.charged for t in visible)
    assert engine_env.arun(stopped_batches(engine_env.engine, engine_env.library.parent)) == []
    offer.close_button.click()


def test_a_stopped_batch_can_be_let_go(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any, cap_holder: dict[str, Any]
) -> None:
    journal = stopped_batch(engine_env, ["Let go one", "Let go two"])
    posts = len(submit_posts(engine_env))
    cap_holder["cap"] = SpendingCap(Decimal("0.25"), engine_env.engine)
    offer = BatchOffer(
        engine_env.controller, journal, spending_cap=lambda: cap_holder["cap"], parent=panel
    )
    panel.add_notice(offer)
    # Past the cap it asks first; cancelling sends nothing.
    assert offer.resume()
    assert isinstance(offer.question, QMessageBox)
    assert "over your daily cap of $0.25" in offer.question.text()
    offer.question.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: offer.question is None)
    assert offer.job is None
    with qtbot.waitSignal(offer.finished, timeout=10_000):
        offer.dismiss_button.click()
    assert BatchJournal.load(Path(str(journal.path))).finished
    assert engine_env.arun(stopped_batches(engine_env.engine, engine_env.library.parent)) == []
    assert len(submit_posts(engine_env)) == posts
