"""Spending per day and per week from real records in a real sqlite store: local-time day
boundaries (across a daylight-saving change), ISO weeks, uncertain amounts apart, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.spending import spend_between
from veo_desktop.core.spending_history import (
    CSV_HEADER,
    Period,
    PeriodSpend,
    csv_text,
    range_start,
    spend_figures,
    spend_history,
    totals,
    write_csv,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import IMPORTED_NOTE, StateChange, TaskRecord, is_imported
from veo_desktop.storage.store import TaskStore


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Berlin's: clocks go forward on Sunday 29 March 2026."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def at(day: int, hour: int, minute: int = 0) -> float:
    """A local time in March 2026 (unix seconds)."""
    return dt.datetime(2026, 3, day, hour, minute).timestamp()


def record(when: float, state: TaskState, *, mode: str = "fast", **changes: Any) -> TaskRecord:
    extend = changes.pop("extend", False)
    note = f"{IMPORTED_NOTE} /media/old-laptop" if changes.pop("imported", False) else None
    request = (
        ExtendRequest(task_id="task_source", prompt="more", mode=mode)
        if extend
        else GenerationRequest(prompt="spend", mode=mode)
    )
    charged = state not in (TaskState.UNCERTAIN, TaskState.REJECTED, TaskState.SUBMITTING)
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model=request.model,
        request=request.to_payload(),
        state=state,
        created_at=when,
        updated_at=when,
        apixo_task_id=uuid.uuid4().hex if charged else None,
        price=request.price,
        history=(StateChange(when, state, note),),
        **changes,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TaskStore]:
    with TaskStore.open(tmp_path / "tasks.sqlite3") as opened:
        for row in (
            record(at(23, 9), TaskState.SUCCEEDED),  # Monday of week 13
            record(at(27, 23, 59), TaskState.SUCCEEDED, mode="quality"),  # Friday, late
            record(at(28, 0, 1), TaskState.SUCCEEDED),  # Saturday, just after midnight
            record(at(28, 10), TaskState.FAILED, mode="quality"),  # failed, still charged
            record(at(28, 11), TaskState.SUCCEEDED, hidden=True),  # removed: still paid
            record(at(28, 12), TaskState.UNCERTAIN, mode="quality"),  # may have been charged
            record(at(28, 13), TaskState.REJECTED, mode="quality"),  # never charged
            record(at(29, 1), TaskState.SUCCEEDED, extend=True),  # before the clocks change
            record(at(29, 23, 30), TaskState.SUBMITTING),  # being sent: may be charged
            record(at(30, 0, 30), TaskState.SUCCEEDED, mode="quality"),  # Monday, week 14
            record(at(28, 9), TaskState.SUCCEEDED, imported=True),  # made elsewhere: not spent
        ):
            opened.insert(row)
        yield opened


def test_days_are_local_calendar_days_with_every_day_listed(store: TaskStore) -> None:
    rows = spend_history(store.load_all(), first=dt.date(2026, 3, 26), last=dt.date(2026, 3, 30))
    assert [row.start.day for row in rows] == [26, 27, 28, 29, 30]
    figures = [(row.fast, row.quality, row.uncertain) for row in rows]
    assert figures == [
        (Decimal("0"), Decimal("0"), Decimal("0")),
        (Decimal("0"), Decimal("1.50"), Decimal("0")),
        (Decimal("0.40"), Decimal("1.50"), Decimal("1.50")),
        (Decimal("0.20"), Decimal("0"), Decimal("0.20")),
        (Decimal("0"), Decimal("1.50"), Decimal("0")),
    ]
    saturday = rows[2]
    assert (saturday.count, saturday.uncertain_count) == (3, 1)
    assert saturday.charged == Decimal("1.90") and saturday.total == Decimal("3.40")
    # The same figures as the status bar's "today", day by day (the 29th has 23 hours).
    for row in rows:
        since = dt.datetime.combine(row.start, dt.time()).timestamp()
        until = dt.datetime.combine(row.end, dt.time()).timestamp()
        mine = [r for r in store.load_all() if not is_imported(r)]
        spend = spend_between(mine, since, until)
        assert (spend.charged, spend.maybe, spend.count) == (
            row.charged,
            row.uncertain,
            row.count,
        )


def test_weeks_run_monday_to_sunday(store: TaskStore) -> None:
    rows = spend_history(
        store.load_all(), first=dt.date(2026, 3, 25), last=dt.date(2026, 3, 31), period=Period.WEEK
    )
    assert [row.start for row in rows] == [dt.date(2026, 3, 23), dt.date(2026, 3, 30)]
    first, second = rows
    assert (first.fast, first.quality, first.uncertain) == (
        Decimal("0.80"),
        Decimal("3.00"),
        Decimal("1.70"),
    )
    assert first.end == dt.date(2026, 3, 30) and first.count == 6
    assert (second.fast, second.quality, second.uncertain) == (
        Decimal("0"),
        Decimal("1.50"),
        Decimal("0"),
    )
    whole = totals(rows)
    assert whole.total == Decimal("7.00") and whole.count == 7 and whole.uncertain_count == 2


def test_records_outside_the_range_are_left_out(store: TaskStore) -> None:
    rows = spend_history(store.load_all(), first=dt.date(2026, 3, 29), last=dt.date(2026, 3, 29))
    assert len(rows) == 1 and rows[0].total == Decimal("0.40")
    assert spend_history([], first=dt.date(2026, 3, 2), last=dt.date(2026, 3, 1)) == []
    assert totals([]).total == Decimal("0")


def test_csv_has_one_row_per_day(store: TaskStore, tmp_path: Path) -> None:
    rows = spend_history(store.load_all(), first=dt.date(2026, 3, 27), last=dt.date(2026, 3, 29))
    text = csv_text(rows)
    assert text == (
        "date,fast,quality,uncertain,total\n"
        "2026-03-27,0.00,1.50,0.00,1.50\n"
        "2026-03-28,0.40,1.50,1.50,3.40\n"
        "2026-03-29,0.20,0.00,0.20,0.40\n"
    )
    path = write_csv(rows, tmp_path / "spending.csv")
    parsed = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(parsed[0]) == CSV_HEADER and len(parsed) == 4
    assert not list(tmp_path.glob("*.part"))
    assert PeriodSpend(dt.date(2026, 3, 1), Period.WEEK).end == dt.date(2026, 3, 8)


def test_the_status_bar_and_the_cap_leave_imported_videos_out_as_the_chart_does() -> None:
    """An imported video was paid for elsewhere: today's spend and the daily cap (both
    ``spend_between``) must agree with the chart, which leaves it out."""
    from veo_desktop.core.spending import spend_between

    mine = record(at(10, 9), TaskState.SUCCEEDED, mode="quality")
    imported = record(at(10, 10), TaskState.SUCCEEDED, mode="quality", imported=True)
    spend = spend_between([mine, imported], at(10, 0), at(11, 0))
    assert spend.charged == mine.price and spend.count == 1


_STATES = [TaskState.SUCCEEDED, TaskState.FAILED, TaskState.UNCERTAIN, TaskState.REJECTED]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tasks=st.lists(
        st.tuples(
            st.integers(1, 31),
            st.integers(0, 23),
            st.sampled_from(_STATES),
            st.sampled_from(["fast", "quality"]),
        ),
        max_size=40,
    ),
    first=st.integers(1, 31),
    days=st.integers(0, 30),
)
def test_figures_in_one_pass_are_the_day_and_week_histories(
    tasks: list[tuple[int, int, TaskState, str]], first: int, days: int
) -> None:
    """Whatever the tasks and range (across the change to summer time), one pass over an
    iterator gives the weeks' rows and the days' rows each history gives on its own."""
    records = [record(at(day, hour), state, mode=mode) for day, hour, state, mode in tasks]
    start = dt.date(2026, 3, first)
    last = min(start + dt.timedelta(days=days), dt.date(2026, 3, 31))
    for period in Period:
        figures = spend_figures(iter(records), first=start, last=last, period=period)
        assert figures.rows == spend_history(records, first=start, last=last, period=period)
        assert figures.days == spend_history(records, first=start, last=last)
        split = [r for r in records if r.created_at < at(15, 12)]
        rest = [r for r in records if r.created_at >= at(15, 12)]
        parts = spend_figures(split, first=start, last=last, period=period).add(
            spend_figures(rest, first=start, last=last, period=period)
        )
        assert parts == figures
        counted = [r for r in records if r.created_at >= range_start(start, period)]
        assert spend_figures(counted, first=start, last=last, period=period) == figures
