"""TaskTableModel and TaskFilterProxy: rows, roles, incremental updates, filter and sort."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt

from tests.ui.tasks_support import make_record
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.tasks.columns import (
    DETAIL_ROLE,
    PROGRESS_ROLE,
    SORT_ROLE,
    STATE_ORDER,
    STATE_ROLE,
    TASK_ROLE,
    Column,
    StateFilter,
)
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy


class FakeClock:
    """Wall time the test moves by hand (the elapsed-time column reads it)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def display(model: Any, row: int, column: int) -> str:
    return str(model.index(row, column).data(Qt.ItemDataRole.DisplayRole))


def test_the_model_passes_qtmodeltester_while_rows_arrive_and_change(qtmodeltester: Any) -> None:
    model = TaskTableModel()
    model.set_tasks([make_record(i) for i in range(5)])
    qtmodeltester.check(model, force_py=True)
    running = make_record(10, state=TaskState.PROCESSING)
    model.upsert(running)
    model.upsert(running.evolve(state=TaskState.DOWNLOADING))
    model.set_progress(running.local_id, 500, 1000)
    model.upsert(running.evolve(state=TaskState.SUCCEEDED, files=("/nonexistent/x.mp4",)))
    model.upsert(make_record(1).evolve(hidden=True))  # unknown and hidden: no row
    model.upsert(model.task_at(2).evolve(hidden=True))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 5


def test_the_proxy_passes_qtmodeltester_while_filtered(qtmodeltester: Any) -> None:
    model = TaskTableModel()
    model.set_tasks(
        [make_record(i, state=TaskState.FAILED if i % 2 else TaskState.SUCCEEDED) for i in range(6)]
    )
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_state_filter(StateFilter.FAILED)
    qtmodeltester.check(proxy, force_py=True)
    model.upsert(make_record(7, state=TaskState.PENDING))
    proxy.set_search_text("number 3")
    qtmodeltester.check(proxy, force_py=True)


def test_column_zero_carries_the_lifecycle_state_name() -> None:
    model = TaskTableModel()
    states = [TaskState.SUCCEEDED, TaskState.PROCESSING, TaskState.UNCERTAIN]
    model.set_tasks([make_record(i, state=s) for i, s in enumerate(states)])
    names = [model.index(row, 0).data(Qt.ItemDataRole.UserRole + 1) for row in range(3)]
    assert names == ["uncertain", "processing", "succeeded"]  # newest first
    assert Qt.ItemDataRole.UserRole + 1 == STATE_ROLE


def test_a_change_repaints_only_its_own_row(qtbot: Any) -> None:
    model = TaskTableModel()
    records = [make_record(i, state=TaskState.PROCESSING) for i in range(50)]
    model.set_tasks(records)
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda top, bottom, *_: changed.append(
            (top.row(), bottom.row(), top.column(), bottom.column())
        )
    )
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    row = model.row_of(records[17].local_id)
    assert row is not None
    model.upsert(records[17].evolve(state=TaskState.DOWNLOADING))
    assert changed == [(row, row, 0, len(Column) - 1)]
    model.set_progress(records[17].local_id, 10, 100)
    assert changed[-1] == (row, row, Column.STATE, Column.STATE)
    assert resets == []


def test_new_tasks_are_inserted_in_place_without_a_reset() -> None:
    model = TaskTableModel()
    model.set_tasks([make_record(i) for i in range(3)])
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    fresh = make_record(3, state=TaskState.SUBMITTING)
    model.upsert(fresh)
    assert inserted == [(0, 0)]  # the newest goes on top
    assert model.row_of(fresh.local_id) == 0
    model.sort(Column.CREATED, Qt.SortOrder.AscendingOrder)
    newer = make_record(4, state=TaskState.SUBMITTING)
    model.upsert(newer)
    assert inserted[-1] == (4, 4)
    assert resets == []


def test_hiding_a_task_removes_its_row_and_keeps_the_index_right() -> None:
    model = TaskTableModel()
    records = [make_record(i) for i in range(6)]
    model.set_tasks(records)
    model.upsert(records[1].evolve(hidden=True))
    assert model.rowCount() == 5
    for record in records[2:]:
        row = model.row_of(record.local_id)
        assert row is not None
        assert model.task_at(row).local_id == record.local_id
    assert model.row_of(records[1].local_id) is None


def test_hidden_tasks_are_not_loaded() -> None:
    model = TaskTableModel()
    model.set_tasks([make_record(0), make_record(1, hidden=True)])
    assert model.rowCount() == 1


def test_the_columns_read_like_a_person_would_say_them() -> None:
    clock = FakeClock()
    model = TaskTableModel(clock=clock)
    task = make_record(
        0,
        state=TaskState.SUCCEEDED,
        prompt="A  lighthouse\nat dusk, waves crash",
        mode="quality",
        aspect_ratio="9:16",
        created_at=clock.now - 3600,
        api_cost_time=98_000,
    )
    model.set_tasks([task])
    assert display(model, 0, Column.PROMPT) == "A lighthouse at dusk, waves crash"
    assert display(model, 0, Column.TYPE) == "Text"
    assert display(model, 0, Column.MODE) == "Quality"
    assert display(model, 0, Column.ASPECT) == "9:16"
    assert display(model, 0, Column.PRICE) == "$1.50"
    assert display(model, 0, Column.STATE) == "Succeeded \u00b7 took 1:38"
    tooltip = model.index(0, Column.PROMPT).data(Qt.ItemDataRole.ToolTipRole)
    assert "A  lighthouse\nat dusk" in tooltip
    assert model.index(0, 0).data(TASK_ROLE) == task


def test_the_state_shows_elapsed_time_against_the_typical_minutes() -> None:
    clock = FakeClock()
    model = TaskTableModel(clock=clock)
    task = make_record(0, state=TaskState.PROCESSING, created_at=clock.now - 102)
    model.set_tasks([task])
    assert display(model, 0, Column.STATE) == "Processing \u00b7 1:42 of ~1\u20133 min"
    clock.now += 60
    assert display(model, 0, Column.STATE) == "Processing \u00b7 2:42 of ~1\u20133 min"
    model.upsert(task.evolve(note="Taking longer than usual"))
    assert display(model, 0, Column.STATE) == "Processing \u00b7 2:42"
    assert model.index(0, Column.STATE).data(DETAIL_ROLE) == "Taking longer than usual"


def test_download_progress_shows_as_a_fraction() -> None:
    model = TaskTableModel()
    task = make_record(0, state=TaskState.DOWNLOADING)
    model.set_tasks([task])
    model.set_progress(task.local_id, 250, 1000)
    assert display(model, 0, Column.STATE) == "Downloading \u00b7 25%"
    assert model.index(0, Column.STATE).data(PROGRESS_ROLE) == pytest.approx(0.25)
    model.set_progress(task.local_id, 3_500_000, None)
    assert display(model, 0, Column.STATE) == "Downloading \u00b7 3.5 MB"
    model.upsert(task.evolve(state=TaskState.SUCCEEDED))
    assert model.progress(task.local_id) is None


def test_failed_and_rejected_tasks_say_why_and_what_they_cost() -> None:
    model = TaskTableModel()
    failed = make_record(
        0,
        state=TaskState.FAILED,
        fail_code="SensitiveContent",
        fail_message="The prompt was flagged",
    )
    rejected = make_record(
        1,
        state=TaskState.REJECTED,
        apixo_task_id=None,
        fail_message="APIXO rejected the request (HTTP 400).",
    )
    uncertain = make_record(2, state=TaskState.UNCERTAIN, apixo_task_id=None)
    model.set_tasks([failed, rejected, uncertain])
    assert model.index_of(failed.local_id, Column.STATE).data(DETAIL_ROLE) == (
        "SensitiveContent: The prompt was flagged"
    )
    price = model.index_of(rejected.local_id, Column.PRICE)
    assert price.data() == "\u2014"
    assert "Not charged" in price.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index_of(uncertain.local_id, Column.PRICE).data() == "$0.20?"
    state = model.index_of(uncertain.local_id, Column.STATE).data()
    assert state == "Uncertain \u00b7 needs your check"


def test_refresh_clocks_touches_only_running_rows() -> None:
    model = TaskTableModel()
    records = [make_record(i, state=TaskState.SUCCEEDED) for i in range(10)]
    records[4] = records[4].evolve(state=TaskState.PENDING)
    records[7] = records[7].evolve(state=TaskState.PROCESSING)
    model.set_tasks(records)
    rows: list[int] = []
    model.dataChanged.connect(lambda top, *_: rows.append(top.row()))
    row_4, row_7 = model.row_of(records[4].local_id), model.row_of(records[7].local_id)
    model.refresh_clocks()
    assert sorted(rows) == sorted([row_4, row_7])
    rows.clear()
    model.refresh_clocks([records[7].local_id, records[0].local_id])
    assert rows == [row_7]
    assert model.active_count() == 2


def test_drag_out_carries_the_video_file_url(tmp_path: Path) -> None:
    video = tmp_path / "fox.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    model = TaskTableModel()
    with_file, without = make_record(0, files=(str(video),)), make_record(1)
    model.set_tasks([with_file, without])
    row = model.row_of(with_file.local_id)
    assert model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert not model.flags(model.index_of(without.local_id)) & Qt.ItemFlag.ItemIsDragEnabled
    data = model.mimeData([model.index(row, c) for c in range(len(Column))])
    assert [url.toLocalFile() for url in data.urls()] == [str(video)]
    assert model.mimeTypes() == ["text/uri-list"]


# -- proxy ----------------------------------------------------------------------------------


def proxy_prompts(proxy: TaskFilterProxy) -> list[str]:
    return [str(proxy.index(r, Column.PROMPT).data()) for r in range(proxy.rowCount())]


@pytest.fixture
def mixed() -> tuple[TaskTableModel, TaskFilterProxy]:
    model = TaskTableModel()
    base = 1_750_000_000.0
    model.set_tasks(
        [
            make_record(0, prompt="A red fox in snow", created_at=base + 1),
            make_record(
                1,
                prompt="Ocean waves at night",
                state=TaskState.PROCESSING,
                created_at=base + 2,
                mode="quality",
            ),
            make_record(
                2, prompt="A FOX cub sleeping", state=TaskState.FAILED, created_at=base + 3
            ),
            make_record(
                3,
                prompt="City lights",
                state=TaskState.UNCERTAIN,
                created_at=base + 4,
                apixo_task_id=None,
            ),
            make_record(
                4,
                prompt="Desert storm",
                state=TaskState.REJECTED,
                created_at=base + 5,
                apixo_task_id=None,
            ),
        ]
    )
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    return model, proxy


def test_the_newest_task_comes_first(mixed: tuple[TaskTableModel, TaskFilterProxy]) -> None:
    _, proxy = mixed
    assert proxy_prompts(proxy)[0] == "Desert storm"
    assert proxy_prompts(proxy)[-1] == "A red fox in snow"


def test_search_matches_every_word_in_any_case(
    mixed: tuple[TaskTableModel, TaskFilterProxy],
) -> None:
    _, proxy = mixed
    proxy.set_search_text("fox")
    assert sorted(proxy_prompts(proxy)) == ["A FOX cub sleeping", "A red fox in snow"]
    proxy.set_search_text("  SNOW  fox ")
    assert proxy_prompts(proxy) == ["A red fox in snow"]
    proxy.set_search_text("")
    assert proxy.rowCount() == 5


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (StateFilter.ALL, 5),
        (StateFilter.ACTIVE, 2),  # processing + uncertain (waits for a decision)
        (StateFilter.FINISHED, 1),
        (StateFilter.FAILED, 3),  # failed, rejected, uncertain
    ],
)
def test_the_state_filter(
    mixed: tuple[TaskTableModel, TaskFilterProxy], choice: StateFilter, expected: int
) -> None:
    _, proxy = mixed
    proxy.set_state_filter(choice)
    assert proxy.rowCount() == expected


def test_filters_follow_state_changes(mixed: tuple[TaskTableModel, TaskFilterProxy]) -> None:
    model, proxy = mixed
    proxy.set_state_filter(StateFilter.ACTIVE)
    running = next(t for t in model.tasks() if t.state == TaskState.PROCESSING)
    model.upsert(running.evolve(state=TaskState.SUCCEEDED))
    assert "Ocean waves at night" not in proxy_prompts(proxy)
    proxy.set_state_filter(StateFilter.FINISHED)
    assert "Ocean waves at night" in proxy_prompts(proxy)


def test_sorting_by_price_and_state_uses_numbers_and_attention_order(
    mixed: tuple[TaskTableModel, TaskFilterProxy],
) -> None:
    _, proxy = mixed
    proxy.sort(Column.PRICE, Qt.SortOrder.DescendingOrder)
    assert proxy_prompts(proxy)[0] == "Ocean waves at night"
    assert proxy.index(0, Column.PRICE).data(SORT_ROLE) == float(Decimal("1.50"))
    proxy.sort(Column.STATE, Qt.SortOrder.AscendingOrder)
    states = [proxy.index(r, 0).data(STATE_ROLE) for r in range(proxy.rowCount())]
    assert states[0] == "uncertain"
    assert states[-1] == "succeeded"


def test_an_invalid_index_has_no_data() -> None:
    model = TaskTableModel()
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0


def test_a_changed_task_moves_to_its_place_in_the_sort_order(qtmodeltester: Any) -> None:
    model = TaskTableModel()
    records = [make_record(i, state=TaskState.SUCCEEDED) for i in range(20)]
    model.set_tasks(records)
    model.sort(Column.STATE, Qt.SortOrder.AscendingOrder)
    moved: list[tuple[int, int]] = []
    model.rowsMoved.connect(lambda _p, start, _e, _d, dest: moved.append((start, dest)))
    before = model.row_of(records[5].local_id)
    model.upsert(records[5].evolve(state=TaskState.UNCERTAIN))  # needs attention: on top
    assert model.row_of(records[5].local_id) == 0
    assert moved and moved[0][0] == before
    for row in range(model.rowCount()):
        assert model.row_of(model.task_at(row).local_id) == row
    model.upsert(model.get(records[5].local_id).evolve(state=TaskState.SUCCEEDED))
    states = [model.task_at(r).state for r in range(model.rowCount())]
    assert states == sorted(states, key=lambda s: STATE_ORDER[s])
    qtmodeltester.check(model, force_py=True)


def test_sorting_keeps_the_selection_on_the_same_task() -> None:
    from PySide6.QtCore import QPersistentModelIndex

    model = TaskTableModel()
    records = [make_record(i, mode="quality" if i % 3 else "fast") for i in range(30)]
    model.set_tasks(records)
    kept = QPersistentModelIndex(model.index_of(records[7].local_id, Column.PROMPT))
    model.sort(Column.PRICE, Qt.SortOrder.AscendingOrder)
    assert model.task_at(kept.row()).local_id == records[7].local_id
    assert kept.column() == Column.PROMPT


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "change", "hide", "sort"]),
        st.integers(0, 40),  # which task (none for "add": a new one)
        st.integers(0, 30),  # its moment, or the column sorted by
        st.booleans(),  # descending, for "sort"
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_STEPS)
def test_every_row_is_found_where_it_is_whatever_came_and_went(
    qapp: Any, steps: list[tuple[str, int, int, bool]]
) -> None:
    """The model finds each task's row in O(1), counted from the bottom (a new task at the
    top moves no other); after any run of new, changed, hidden tasks and sorts, the row it
    gives for each task is the row that shows it."""
    model = TaskTableModel()
    tasks = {i: make_record(i, created_at=1000.0 + i) for i in range(10)}
    model.set_tasks(tasks.values())
    for step, (action, which, moment, descending) in enumerate(steps):
        if action == "add":
            tasks[100 + step] = make_record(100 + step, created_at=1000.0 + moment)
            model.upsert(tasks[100 + step])
        elif action == "sort":
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            model.sort(moment % model.columnCount(), order)
        elif tasks:
            number = sorted(tasks)[which % len(tasks)]
            if action == "hide":
                model.upsert(tasks.pop(number).evolve(hidden=True))
            else:
                tasks[number] = tasks[number].evolve(created_at=1000.0 + moment, note=str(moment))
                model.upsert(tasks[number])
        shown = [model.task_at(row).local_id for row in range(model.rowCount())]
        assert sorted(shown) == sorted(t.local_id for t in tasks.values())
        assert [model.row_of(local_id) for local_id in shown] == list(range(len(shown)))
