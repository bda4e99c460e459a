"""Takes of one variations run tell themselves apart in the task list ("Take 2/4 · seed 17")."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.fixtures.contrast import assert_legible, measure
from tests.fixtures.screenshots import save_screenshot
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv, make_record
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.batch.variations import variation_requests
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.ui.tasks.columns import FOLD_ROLE, LOCAL_ID_ROLE, META_ROLE, TAKE_ROLE, Column
from veo_desktop.ui.tasks.delegate import fold_mark_rect
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.thumbnails import ThumbnailCache

PROMPT = "A lighthouse on a rocky coast at dusk, waves breaking below"


def take_records(request: GenerationRequest, n: int, start: float) -> list[TaskRecord]:
    """The records a variations run of ``n`` leaves: one request, seeds apart, sent in turn."""
    records = []
    for number, take in enumerate(variation_requests(request, n, seed_source=7)):
        at = start + number * 3
        records.append(
            TaskRecord(
                local_id=uuid.uuid4().hex,
                model="veo-3-1",
                request=take.to_payload(),
                state=TaskState.SUCCEEDED,
                created_at=at,
                updated_at=at,
                apixo_task_id=f"apixo-take-{number}",
                price=take.price,
                history=(StateChange(at, TaskState.SUCCEEDED),),
            )
        )
    return records


def text_of(model: TaskTableModel, local_id: str, role: int) -> str:
    return str(model.index_of(local_id, Column.PROMPT).data(role) or "")


def test_each_take_of_a_run_shows_its_number_and_seed(qapp: object) -> None:
    now = time.time()
    request = GenerationRequest(prompt=PROMPT, mode="fast", aspect_ratio="16:9", seed=4242)
    takes = take_records(request, 4, now - 100)
    seeds = [t.request_model.seed for t in takes]
    assert seeds[0] == 4242 and len(set(seeds)) == 4
    # The same prompt again an hour earlier, one take only, and a plain task: not takes.
    lone = take_records(request, 1, now - 3700)[0]
    plain = make_record(1, prompt=PROMPT)
    model = TaskTableModel()
    model.set_tasks([*takes, lone, plain])

    for number, (task, seed) in enumerate(zip(takes, seeds, strict=True), start=1):
        assert text_of(model, task.local_id, TAKE_ROLE) == f"Take {number}/4 \u00b7 seed {seed}"
        meta = text_of(model, task.local_id, META_ROLE)
        assert meta.startswith(f"Take {number}/4 \u00b7 seed {seed} \u00b7 Fast")
        spoken = text_of(model, task.local_id, Qt.ItemDataRole.AccessibleTextRole)
        assert spoken.endswith(f"Take {number}/4 \u00b7 seed {seed}")
        tip = text_of(model, task.local_id, Qt.ItemDataRole.ToolTipRole)
        assert f"Take {number}/4" in tip
    second, third = takes[1].local_id, takes[2].local_id
    assert text_of(model, second, TAKE_ROLE) != text_of(model, third, TAKE_ROLE)
    for other in (lone, plain):
        assert text_of(model, other.local_id, TAKE_ROLE) == ""
        assert not text_of(model, other.local_id, META_ROLE).startswith("Take")


def test_takes_arriving_one_by_one_renumber_the_run(qapp: object) -> None:
    request = GenerationRequest(prompt=PROMPT, mode="quality", aspect_ratio="9:16")
    takes = take_records(request, 3, time.time() - 50)
    model = TaskTableModel()
    model.set_tasks([takes[0]])
    assert text_of(model, takes[0].local_id, TAKE_ROLE) == ""
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, *_: changed.append(top.row()))
    model.upsert(takes[1])
    seed0, seed1, seed2 = (t.request_model.seed for t in takes)
    assert text_of(model, takes[0].local_id, TAKE_ROLE) == f"Take 1/2 \u00b7 seed {seed0}"
    assert model.row_of(takes[0].local_id) in changed
    model.upsert(takes[2])
    assert text_of(model, takes[1].local_id, TAKE_ROLE) == f"Take 2/3 \u00b7 seed {seed1}"
    assert text_of(model, takes[2].local_id, TAKE_ROLE) == f"Take 3/3 \u00b7 seed {seed2}"
    model.upsert(takes[1].evolve(hidden=True))
    assert text_of(model, takes[2].local_id, TAKE_ROLE) == f"Take 2/2 \u00b7 seed {seed2}"


def test_the_take_line_is_painted_under_the_prompt(qapp: object, tmp_path: Path) -> None:
    request = GenerationRequest(prompt=PROMPT, mode="fast", aspect_ratio="16:9", seed=17)
    takes = take_records(request, 2, time.time() - 50)
    plain = make_record(1, prompt="A harbour")
    model = TaskTableModel()
    model.set_tasks([*takes, plain])
    view = TaskView()
    view.setModel(model)
    view.resize(1600, 300)  # wide: every column shown, no summary line
    view.show()
    try:
        image = view.grab().toImage()
        save_screenshot(image, tmp_path, "tasks-takes-1600")
        rows = [model.row_of(t.local_id) for t in takes]
        prompt_x = view.columnViewportPosition(Column.PROMPT)
        width = view.columnWidth(Column.PROMPT)

        def colours(row: int | None, first: float, last: float) -> int:
            """How many colours the prompt cell of ``row`` has between two heights (0..1)."""
            assert row is not None
            top = view.rowViewportPosition(row) + view.viewport().y()
            height = view.rowHeight(row)
            return len(
                {
                    image.pixel(x + view.viewport().x(), y)
                    for x in range(prompt_x + 8, prompt_x + min(width, 200))
                    for y in range(top + int(height * first), top + int(height * last))
                }
            )

        # A take draws two lines, its prompt and the take under it; a short plain prompt is
        # one centred line, leaving the top and bottom of its cell empty.
        plain_row = model.row_of(plain.local_id)
        assert colours(plain_row, 0.05, 0.3) == 1
        assert colours(plain_row, 0.72, 0.95) == 1
        for row in rows:
            assert colours(row, 0.05, 0.3) > 3
            assert colours(row, 0.72, 0.95) > 3
    finally:
        view.close()


engine_env = tasks_support.engine_env


def test_takes_sent_to_the_simulator_are_numbered_in_the_panel(
    engine_env: EngineEnv, qtbot: Any
) -> None:
    thumbnails = ThumbnailCache(engine_env.cache / "thumbnails")
    panel = TaskPanel(engine_env.controller, thumbnails=thumbnails)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    try:
        request = GenerationRequest(prompt=PROMPT, mode="fast", aspect_ratio="16:9")
        sent = [
            engine_env.arun(engine_env.controller.submit(take))
            for take in variation_requests(request, 3, seed_source=11)
        ]
        assert all(task is not None for task in sent)
        seeds = [t.request_model.seed for t in sent if t is not None]
        model = panel.model

        def numbered() -> None:
            for number, (task, seed) in enumerate(zip(sent, seeds, strict=True), start=1):
                assert task is not None
                want = f"Take {number}/3 \u00b7 seed {seed}"
                assert text_of(model, task.local_id, TAKE_ROLE) == want

        qtbot.waitUntil(numbered, timeout=10_000)
    finally:
        panel.shutdown()
        thumbnails.close()


def folded_setup(qtbot: Any) -> tuple[TaskTableModel, TaskView, list[TaskRecord], TaskRecord]:
    """Four takes and a plain task in a real view over the real filter proxy."""
    from veo_desktop.ui.tasks.proxy import TaskFilterProxy

    request = GenerationRequest(prompt=PROMPT, mode="fast", aspect_ratio="16:9", seed=99)
    takes = take_records(request, 4, time.time() - 60)
    plain = make_record(1, prompt="A harbour at night")
    model = TaskTableModel()
    model.set_tasks([*takes, plain])
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    view = TaskView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(1200, 420)
    view.show()
    qtbot.waitExposed(view)
    return model, view, takes, plain


def shown_ids(view: TaskView) -> list[str]:
    model = view.model()
    return [str(model.index(r, Column.PROMPT).data(LOCAL_ID_ROLE)) for r in range(model.rowCount())]


def test_a_run_folds_under_its_first_take_by_click_and_opens_again(qtbot: Any) -> None:
    model, view, takes, plain = folded_setup(qtbot)
    head = takes[0].local_id
    assert len(shown_ids(view)) == 5
    assert model.index_of(head, Column.PROMPT).data(FOLD_ROLE) == 1
    assert model.index_of(takes[2].local_id, Column.PROMPT).data(FOLD_ROLE) == 0
    # A click on the first take's take line folds the others under it.
    index = view.model().index(shown_ids(view).index(head), Column.PROMPT)
    mark = fold_mark_rect(view.visualRect(index), index, view.font())
    assert not mark.isEmpty()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=mark.center())
    assert sorted(shown_ids(view)) == sorted([head, plain.local_id])
    seed = takes[0].request_model.seed
    assert text_of(model, head, TAKE_ROLE) == f"Take 1/4 \u00b7 seed {seed} \u00b7 3 more takes"
    assert model.index_of(head, Column.PROMPT).data(FOLD_ROLE) == 2
    # A fifth take of the folded run arrives folded; the count says so.
    late = take_records(GenerationRequest(prompt=PROMPT, mode="fast", aspect_ratio="16:9"), 1, 0)
    fifth = takes[3].evolve(
        local_id=late[0].local_id,
        apixo_task_id="apixo-take-late",
        created_at=takes[3].created_at + 3,
        request={**takes[3].request, "input": {**takes[3].request["input"], "seed": 5}},
    )
    model.upsert(fifth)
    assert sorted(shown_ids(view)) == sorted([head, plain.local_id])
    assert text_of(model, head, TAKE_ROLE).endswith("4 more takes")
    # A second click opens the run again, every take in its place.
    index = view.model().index(shown_ids(view).index(head), Column.PROMPT)
    mark = fold_mark_rect(view.visualRect(index), index, view.font())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=mark.center())
    assert len(shown_ids(view)) == 6
    # A click on the prompt itself (not the take line) only selects the row.
    prompt_point = view.visualRect(index).topLeft() + QPoint(12, 8)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=prompt_point)
    assert len(shown_ids(view)) == 6


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_left_folds_the_current_run_and_right_opens_it(
    qtbot: Any, tmp_path: Path, themed: Callable[[bool], None], dark: bool
) -> None:
    themed(dark)
    _model, view, takes, plain = folded_setup(qtbot)
    third = takes[2].local_id
    view.select_task(third)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Left)
    # Folding from any take of the run folds it and lands on its first take.
    assert sorted(shown_ids(view)) == sorted([takes[0].local_id, plain.local_id])
    assert view.currentIndex().data(LOCAL_ID_ROLE) == takes[0].local_id
    image = view.grab().toImage()
    save_screenshot(image, tmp_path, f"tasks-takes-folded-{'dark' if dark else 'light'}")
    # The rows the delegate draws are measured line by line, the take line too.
    rows = [m for m in measure(view, image) if m.widget == "TaskView#taskView"]
    assert sum(1 for m in rows if m.text.startswith(PROMPT[:30])) >= 2
    assert_legible(view, image, "folded takes")
    # The triangle is drawn where the take line starts (the row has ink there).
    index = view.currentIndex().siblingAtColumn(Column.PROMPT)
    mark = fold_mark_rect(view.visualRect(index), index, view.font())
    offset = view.viewport().pos()
    ink = {
        image.pixel(x + offset.x(), y + offset.y())
        for x in range(mark.left() + 2, mark.left() + mark.height())
        for y in range(mark.top() + 2, mark.bottom() - 1)
    }
    assert len(ink) > 2
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert len(shown_ids(view)) == 5
    # The keys Help lists do the same ("+" typed with Shift, as on most keyboards).
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert len(shown_ids(view)) == 2
    QTest.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ShiftModifier)
    assert len(shown_ids(view)) == 5
    # Left on a task that is no take moves on as a table does (nothing folds).
    view.select_task(plain.local_id)
    QTest.keyClick(view, Qt.Key.Key_Left)
    assert len(shown_ids(view)) == 5
