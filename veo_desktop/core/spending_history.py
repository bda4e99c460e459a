"""Spending over time, per day or per week, split by mode and by certainty (no Qt).

The Spending view charts it and exports it as CSV. Like the status bar's figures
(:mod:`veo_desktop.core.spending`) it comes from this app's own records (APIXO lists no
tasks): a task APIXO accepted cost its price and is counted under its mode (``fast`` or
``quality``, extends too); a task whose answer was lost, or that is being sent, may have
cost it and is counted apart as ``uncertain``, whatever its mode. Hidden tasks (removed,
dismissed) count: they were paid for. Imported videos do not: they were made elsewhere.

Days are local calendar days (a task belongs to the day its submission was made, in the
computer's time zone); weeks are ISO weeks, Monday to Sunday, named by their Monday.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from veo_desktop.api.models import Mode
from veo_desktop.core.spending import ZERO
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import TaskRecord, is_imported

__all__ = [
    "CSV_HEADER",
    "Period",
    "PeriodSpend",
    "SpendFigures",
    "by_week",
    "csv_text",
    "local_day",
    "period_start",
    "periods",
    "range_start",
    "spend_figures",
    "spend_history",
    "totals",
    "write_csv",
]

#: The CSV's columns (one row per day).
CSV_HEADER = ("date", "fast", "quality", "uncertain", "total")
_MAYBE = frozenset({TaskState.SUBMITTING, TaskState.UNCERTAIN})


class Period(StrEnum):
    """How spending is grouped."""

    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class PeriodSpend:
    """What one day or week cost.

    Attributes:
        start: the day, or the Monday of the week.
        period: a day or a week.
        fast: accepted fast-mode tasks.
        quality: accepted quality-mode tasks.
        uncertain: tasks that may have been charged (lost answers, being sent), any mode.
        count: how many accepted tasks.
        uncertain_count: how many tasks may have been charged.
    """

    start: dt.date
    period: Period = Period.DAY
    fast: Decimal = ZERO
    quality: Decimal = ZERO
    uncertain: Decimal = ZERO
    count: int = 0
    uncertain_count: int = 0

    @property
    def charged(self) -> Decimal:
        """What APIXO surely charged (fast and quality)."""
        return self.fast + self.quality

    @property
    def total(self) -> Decimal:
        """The most it may have cost (charged and uncertain)."""
        return self.charged + self.uncertain

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return self.start + dt.timedelta(days=7 if self.period is Period.WEEK else 1)

    def add(self, other: PeriodSpend) -> PeriodSpend:
        """This period's figures plus ``other``'s (kept: this one's start and period)."""
        return PeriodSpend(
            self.start,
            self.period,
            self.fast + other.fast,
            self.quality + other.quality,
            self.uncertain + other.uncertain,
            self.count + other.count,
            self.uncertain_count + other.uncertain_count,
        )


def local_day(moment: float) -> dt.date:
    """The local calendar day of a unix time."""
    return dt.datetime.fromtimestamp(moment).date()


def period_start(day: dt.date, period: Period) -> dt.date:
    """The first day of the period holding ``day`` (weeks start on Monday)."""
    return day - dt.timedelta(days=day.weekday()) if period is Period.WEEK else day


def periods(first: dt.date, last: dt.date, period: Period) -> list[dt.date]:
    """The starts of every period from the one holding ``first`` to the one holding ``last``."""
    step = dt.timedelta(days=7 if period is Period.WEEK else 1)
    start, end = period_start(first, period), period_start(last, period)
    starts = []
    while start <= end:
        starts.append(start)
        start += step
    return starts


#: A whole record, or what counting needs of one.
Counted = TaskRecord | TaskSummary


def _mode(record: Counted) -> str:
    """``record.mode``, read straight from a stored request (a plain dict) when it is one:
    the property's checks are most of the time at 100,000 tasks."""
    if type(record) is TaskRecord:
        data = record.request.get("input")
        if type(data) is dict:
            return str(data.get("mode", Mode.FAST))
    return record.mode


def _imported(record: Counted) -> bool:
    return record.imported if isinstance(record, TaskSummary) else is_imported(record)


def spend_history(
    records: Iterable[Counted],
    *,
    first: dt.date,
    last: dt.date,
    period: Period = Period.DAY,
) -> list[PeriodSpend]:
    """Every day (or week) from ``first`` to ``last``, oldest first, empty ones included.

    Args:
        records: every task (hidden ones too: they were paid for).
        first: the first day shown (a week view starts on that week's Monday).
        last: the last day shown, usually today (its week, in a week view).
        period: per day or per week.
    """
    starts = periods(first, last, period)
    if not starts:
        return []
    # Where each period begins (local midnight, so a day may have 23 or 25 hours): a record
    # finds its period by bisection, without a date conversion each.
    step = dt.timedelta(days=7 if period is Period.WEEK else 1)
    edges = [dt.datetime.combine(start, dt.time()).timestamp() for start in starts]
    until = dt.datetime.combine(starts[-1] + step, dt.time()).timestamp()
    sums = [[ZERO, ZERO, ZERO] for _ in starts]
    counts = [[0, 0] for _ in starts]
    for record in records:
        moment = record.created_at
        if not edges[0] <= moment < until:
            continue
        if record.charged:
            column = 1 if _mode(record) == Mode.QUALITY else 0
        elif record.state in _MAYBE:
            column = 2
        else:
            continue  # refused before APIXO took it: it cost nothing
        if _imported(record):
            continue  # made elsewhere: not spent from this app
        index = bisect.bisect_right(edges, moment) - 1
        sums[index][column] += record.price
        counts[index][1 if column == 2 else 0] += 1
    return [
        PeriodSpend(start, period, *sums[index], *counts[index])  # type: ignore[arg-type]
        for index, start in enumerate(starts)
    ]


def by_week(days: Sequence[PeriodSpend]) -> list[PeriodSpend]:
    """Day rows summed into the weeks that hold them, oldest first."""
    weeks: dict[dt.date, PeriodSpend] = {}
    for day in days:
        monday = period_start(day.start, Period.WEEK)
        week = weeks.get(monday) or PeriodSpend(monday, Period.WEEK)
        weeks[monday] = week.add(day)
    return list(weeks.values())


@dataclass(frozen=True)
class SpendFigures:
    """What a range of days cost, as a chart shows it and as its CSV lists it.

    Attributes:
        rows: every period (day or week) holding a day of the range, oldest first.
        days: every day of the range, oldest first.
    """

    rows: list[PeriodSpend]
    days: list[PeriodSpend]

    def add(self, other: SpendFigures) -> SpendFigures:
        """These figures plus ``other``'s, counted over the same range (other tasks)."""
        return SpendFigures(
            [mine.add(theirs) for mine, theirs in zip(self.rows, other.rows, strict=True)],
            [mine.add(theirs) for mine, theirs in zip(self.days, other.days, strict=True)],
        )


def range_start(first: dt.date, period: Period) -> float:
    """The moment (unix seconds) the first period shown for ``first`` begins: the tasks a
    :func:`spend_figures` counts were created at or after it."""
    return dt.datetime.combine(period_start(first, period), dt.time()).timestamp()


def spend_figures(
    records: Iterable[Counted],
    *,
    first: dt.date,
    last: dt.date,
    period: Period = Period.DAY,
) -> SpendFigures:
    """:func:`spend_history` of the periods from ``first`` to ``last``, and of their days from
    ``first`` to ``last``, in one pass over ``records`` (an iterator will do)."""
    start = period_start(first, period)
    end = last if period is Period.DAY else period_start(last, period) + dt.timedelta(days=6)
    every_day = spend_history(records, first=start, last=end, period=Period.DAY)
    days = [day for day in every_day if first <= day.start <= last]
    return SpendFigures(every_day if period is Period.DAY else by_week(every_day), days)


def totals(rows: Sequence[PeriodSpend]) -> PeriodSpend:
    """The sum of ``rows`` (a day-long period starting at the first row; today if empty)."""
    total = PeriodSpend(rows[0].start if rows else dt.date.today())
    for row in rows:
        total = total.add(row)
    return total


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def csv_text(rows: Sequence[PeriodSpend]) -> str:
    """``rows`` as CSV: a header, then ``date,fast,quality,uncertain,total`` per row (ISO
    dates, dollars with two decimals, ``total`` = all three)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            (
                row.start.isoformat(),
                _amount(row.fast),
                _amount(row.quality),
                _amount(row.uncertain),
                _amount(row.total),
            )
        )
    return out.getvalue()


def write_csv(rows: Sequence[PeriodSpend], path: Path) -> Path:
    """Write :func:`csv_text` to ``path`` (UTF-8); returns ``path``.

    Raises:
        OSError: the file could not be written.
    """
    partial = path.with_name(path.name + ".part")
    partial.write_text(csv_text(rows), encoding="utf-8", newline="")
    partial.replace(path)
    return path
