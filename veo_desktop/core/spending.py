"""What the videos cost: today, this session, and an optional daily cap that asks first.

The figures come from our own store (APIXO lists no tasks): a task APIXO accepted
(it has an APIXO task id) cost its price. Tasks whose answer was lost (``uncertain``) or
that are being sent may have cost it: they are reported apart, and the cap counts them,
because a cap that lets money slip through is no cap.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from veo_desktop.core.history import TaskSource, records_of
from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.records import TaskRecord
from veo_desktop.core.settings import CAP_KEY, Settings, parse_cap

__all__ = [
    "CAP_SETTING",
    "ZERO",
    "Spend",
    "SpendingCap",
    "cap_from_settings",
    "day_start",
    "parse_cap",
    "spend_between",
    "spend_this_session",
    "spend_today",
    "store_cap",
]

#: The key under which the cap is kept in the settings file.
CAP_SETTING = CAP_KEY
_MAYBE = frozenset({TaskState.SUBMITTING, TaskState.UNCERTAIN})
ZERO = Decimal("0")


@dataclass(frozen=True)
class Spend:
    """Money spent in a period.

    Attributes:
        charged: tasks APIXO accepted.
        maybe: tasks whose submission may have been taken (uncertain, or being sent).
        count: how many accepted tasks.
    """

    charged: Decimal = ZERO
    maybe: Decimal = ZERO
    count: int = 0

    @property
    def at_most(self) -> Decimal:
        """The most this period may have cost."""
        return self.charged + self.maybe

    def text(self) -> str:
        """``$3.40`` or ``$3.40 (+$1.50 uncertain)``."""
        base = f"${self.charged:.2f}"
        return f"{base} (+${self.maybe:.2f} uncertain)" if self.maybe else base


def day_start(now: float) -> float:
    """Local midnight before ``now`` (unix seconds)."""
    day = dt.datetime.fromtimestamp(now).date()
    return dt.datetime.combine(day, dt.time()).timestamp()


def spend_between(records: Iterable[TaskRecord], since: float, until: float | None = None) -> Spend:
    """What tasks created in ``[since, until)`` cost (hidden ones too)."""
    charged = maybe = ZERO
    count = 0
    for record in records:
        if record.created_at < since or (until is not None and record.created_at >= until):
            continue
        if record.charged:
            charged += record.price
            count += 1
        elif record.state in _MAYBE:
            maybe += record.price
    return Spend(charged, maybe, count)


def spend_today(source: TaskSource, *, now: float | None = None) -> Spend:
    """What was spent since local midnight (``now`` defaults to the clock)."""
    moment = time.time() if now is None else now
    return spend_between(records_of(source), day_start(moment))


def spend_this_session(source: TaskSource, session_start: float) -> Spend:
    """What was spent since ``session_start`` (when the window or command started)."""
    return spend_between(records_of(source), session_start)


def cap_from_settings(settings: Settings | Mapping[str, Any]) -> Decimal | None:
    """The daily cap the person set (None: no cap).

    Args:
        settings: the settings in effect; or, as older callers pass it, a mapping such as
            ``Settings.extra`` holding the cap under :data:`CAP_SETTING`.
    """
    if isinstance(settings, Settings):
        return settings.spending_cap()
    return parse_cap(settings.get(CAP_SETTING))


def store_cap(settings: Settings | MutableMapping[str, Any], cap: Decimal | None) -> None:
    """Set the daily cap (None removes it).

    Args:
        settings: the settings to change (:attr:`Settings.daily_spending_cap`, and any copy
            older code left in ``extra`` is dropped); or a mapping such as ``Settings.extra``,
            where older callers kept it (``Settings`` reads it from there too).
        cap: the cap in dollars, kept in whole cents.
    """
    amount = None if cap is None else parse_cap(cap)
    if isinstance(settings, Settings):
        settings.daily_spending_cap = amount
        settings.extra.pop(CAP_SETTING, None)
    elif amount is None:
        settings.pop(CAP_SETTING, None)
    else:
        settings[CAP_SETTING] = str(amount)


class SpendingCap:
    """An optional daily cap: a submission that would pass it asks first.

    Args:
        daily: the cap in USD per local day (None: no cap).
        source: where the day's spending is read from (engine, store or records).
        clock: returns now (unix seconds).
    """

    def __init__(
        self,
        daily: Decimal | None,
        source: TaskSource,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.daily = daily
        self._source = source
        self._clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        source: TaskSource,
        *,
        clock: Callable[[], float] = time.time,
    ) -> SpendingCap:
        """The cap the person set in Settings (:attr:`Settings.daily_spending_cap`)."""
        return cls(settings.spending_cap(), source, clock=clock)

    def spent_today(self) -> Spend:
        return spend_today(self._source, now=self._clock())

    def remaining(self) -> Decimal | None:
        """What can still be spent today without asking (None without a cap)."""
        if self.daily is None:
            return None
        return max(ZERO, self.daily - self.spent_today().at_most)

    def check(self, price: Decimal) -> str | None:
        """None when ``price`` fits under the cap; else the question to ask the person."""
        if self.daily is None:
            return None
        spent = self.spent_today()
        after = spent.at_most + price
        if after <= self.daily:
            return None
        so_far = f"${spent.at_most:.2f}"
        if spent.maybe:
            so_far += f", including ${spent.maybe:.2f} that may have been charged"
        return (
            f"This costs ${price:.2f} and would bring today's spending to ${after:.2f}, "
            f"over your daily cap of ${self.daily:.2f} (spent today: {so_far}). "
            "Submit anyway?"
        )
