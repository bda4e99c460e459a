"""What the videos cost: today, this session, an optional daily cap that asks first, and
the one money policy every paid action goes through.

The figures come from our own store (APIXO lists no tasks): a task APIXO accepted
(it has an APIXO task id) cost its price. Tasks whose answer was lost (``uncertain``) or
that are being sent may have cost it: they are reported apart, and the cap counts them,
because a cap that lets money slip through is no cap.

:class:`MoneyPolicy` decides, for a :class:`PaidAction` (what is bought, how many, at what
price), the :class:`Confirmation` a person sees first: the texts, whether it passes the
daily cap, what the balance says, and whether a question must be asked at all. The window
and the command line both ask it; neither words the cap question itself. The cap's verdict
is a value, :class:`CapCheck` (``over``, the figures; its sentence only for showing), so
callers decide from ``Confirmation.over_cap``, never from whether a text is there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from veo_desktop.core.history import TaskSource, records_since
from veo_desktop.core.settings import CAP_KEY, Settings, parse_cap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord, is_imported

__all__ = [
    "ALWAYS_ASK",
    "CAP_SETTING",
    "OVER_CAP_TITLE",
    "ZERO",
    "CapCheck",
    "Confirmation",
    "MoneyPolicy",
    "PaidAction",
    "PaidKind",
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
    """What tasks created in ``[since, until)`` cost (hidden ones too; imported ones were
    paid elsewhere and are left out)."""
    charged = maybe = ZERO
    count = 0
    for record in records:
        if record.created_at < since or (until is not None and record.created_at >= until):
            continue
        if is_imported(record):
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
    since = day_start(moment)
    return spend_between(records_since(source, since), since)


def spend_this_session(source: TaskSource, session_start: float) -> Spend:
    """What was spent since ``session_start`` (when the window or command started)."""
    return spend_between(records_since(source, session_start), session_start)


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

    def check(self, total: Decimal) -> CapCheck:
        """What the cap says about spending ``total`` now (today's spending is read only
        when there is a cap)."""
        if self.daily is None:
            return CapCheck(total)
        return CapCheck(total, self.daily, self.spent_today())


@dataclass(frozen=True)
class CapCheck:
    """The daily cap's verdict on spending ``total`` now: a value callers decide from.

    Attributes:
        total: what the action costs.
        daily: the cap (None: no cap).
        spent: what today cost so far (None without a cap).
    """

    total: Decimal
    daily: Decimal | None = None
    spent: Spend | None = None

    @property
    def over(self) -> bool:
        """Whether spending ``total`` would bring today past the cap (reaching it is fine)."""
        return self.after is not None and self.daily is not None and self.after > self.daily

    @property
    def after(self) -> Decimal | None:
        """The most today would have cost once ``total`` is spent (None without a cap)."""
        return None if self.spent is None else self.spent.at_most + self.total

    @property
    def text(self) -> str | None:
        """The statement about the cap when it would be passed, else None."""
        if not self.over or self.spent is None or self.daily is None:
            return None
        spent = self.spent
        so_far = money(spent.at_most)
        if spent.maybe:
            so_far += f", including {money(spent.maybe)} that may have been charged"
        return (
            f"This costs {money(self.total)} and would bring today's spending to "
            f"{money(spent.at_most + self.total)}, over your daily cap of {money(self.daily)} "
            f"(spent today: {so_far})."
        )

    @property
    def question(self) -> str | None:
        """:attr:`text` followed by "Submit anyway?" when the cap would be passed."""
        text = self.text
        return None if text is None else f"{text} Submit anyway?"


class PaidKind(StrEnum):
    """The paid actions a person can take (each one creates tasks APIXO charges for)."""

    GENERATE = "generate"
    VARIATIONS = "variations"
    RETRY = "retry"
    RESUBMIT = "resubmit"
    DRAFT_TO_FINAL = "draft_to_final"
    EXTEND = "extend"
    BATCH = "batch"
    STORYBOARD = "storyboard"


#: Kinds that always ask (their trigger does not show the price being paid).
ALWAYS_ASK = frozenset({PaidKind.RETRY, PaidKind.DRAFT_TO_FINAL})
#: The title of the question asked past the daily cap.
OVER_CAP_TITLE = "Over your daily spending cap"

#: The confirming button's words: (within the cap, past the cap).
_VERBS: dict[PaidKind, tuple[str, str]] = {
    PaidKind.GENERATE: ("Generate", "Generate anyway"),
    PaidKind.VARIATIONS: ("Submit {count}", "Submit anyway"),
    PaidKind.RETRY: ("Submit again", "Submit again anyway"),
    PaidKind.RESUBMIT: ("Submit again", "Submit again anyway"),
    PaidKind.DRAFT_TO_FINAL: ("Make final", "Make final anyway"),
    PaidKind.EXTEND: ("Extend", "Extend anyway"),
    PaidKind.BATCH: ("Send the rest", "Send anyway"),
    PaidKind.STORYBOARD: ("Generate the shots", "Generate anyway"),
}
#: The title and question of kinds that always ask (``{price}``: the total).
_ASKED: dict[PaidKind, tuple[str, str]] = {
    PaidKind.RETRY: ("Submit again", "Submit this request again for {price}?"),
    PaidKind.DRAFT_TO_FINAL: (
        "Draft to final",
        "Make this video again in quality mode for {price}?",
    ),
}


def money(amount: Decimal) -> str:
    """Dollars as every confirmation shows them: ``$1,234.50``."""
    return f"${amount:,.2f}"


@dataclass(frozen=True)
class PaidAction:
    """What a person is about to buy.

    Attributes:
        kind: which action.
        price: the price of one task.
        count: how many tasks it creates.
    """

    kind: PaidKind
    price: Decimal
    count: int = 1

    @property
    def total(self) -> Decimal:
        return self.price * self.count


@dataclass(frozen=True)
class Confirmation:
    """What a person sees before a paid action, decided by :class:`MoneyPolicy`.

    Attributes:
        action: what is bought.
        balance: the balance last read from APIXO (None: unknown).
        cap_check: the daily cap's verdict on the total (decide from ``over_cap``).
        must_ask: whether a question must be answered before anything is sent.
        title: the question's window title.
        text: the question (past the cap on a kind that does not always ask: the cap's).
        accept_label: the confirming button, with the total.
        balance_text: the balance before and after, or that it does not cover the total.
    """

    action: PaidAction
    balance: Decimal | None
    cap_check: CapCheck
    must_ask: bool
    title: str
    text: str
    accept_label: str
    balance_text: str | None

    @property
    def over_cap(self) -> bool:
        """Whether the action would bring today's spending past the cap."""
        return self.cap_check.over

    @property
    def cap(self) -> Decimal | None:
        """The daily cap (None: no cap)."""
        return self.cap_check.daily

    @property
    def spent(self) -> Spend | None:
        """What today cost so far (None without a cap)."""
        return self.cap_check.spent

    @property
    def cap_text(self) -> str | None:
        """The statement about the cap when it is passed, else None (words to show; decide
        from :attr:`over_cap`)."""
        return self.cap_check.text

    @property
    def question(self) -> str | None:
        """``cap_text`` followed by "Submit anyway?" when the cap is passed."""
        return self.cap_check.question

    @property
    def cap_apart(self) -> bool:
        """Whether the cap statement stands apart from :attr:`text` (a kind that always
        asks has its own question; the others ask the cap's)."""
        return self.over_cap and self.action.kind in ALWAYS_ASK

    @property
    def total(self) -> Decimal:
        return self.action.total

    @property
    def short_of_balance(self) -> bool:
        """Whether the known balance does not cover the total (APIXO would refuse it)."""
        return self.balance is not None and self.balance < self.total

    @property
    def warns(self) -> bool:
        """Whether the question is a warning (past the cap, or the balance short)."""
        return self.over_cap or self.short_of_balance


class MoneyPolicy:
    """Decides every paid action's confirmation: the price, the balance, the daily cap.

    Args:
        cap: the daily cap in effect (None: no cap).
        balance: the balance last read from APIXO (None: unknown).
    """

    def __init__(self, cap: SpendingCap | None = None, *, balance: Decimal | None = None) -> None:
        self._cap = cap
        self._balance = balance

    def decide(self, action: PaidAction) -> Confirmation:
        """The confirmation of ``action`` (nothing paid is sent unless it is confirmed when
        :attr:`Confirmation.must_ask` is true)."""
        total = action.total
        check = self._cap.check(total) if self._cap is not None else CapCheck(total)
        over = check.over
        plain, anyway = _VERBS[action.kind]
        verb = (anyway if over else plain).format(count=action.count)
        question = check.question
        if action.kind in ALWAYS_ASK:
            title, text = _ASKED[action.kind]
            text = text.format(price=money(total))
        elif question is not None:
            title, text = OVER_CAP_TITLE, question
        else:
            title, text = "Confirm", f"Submit this for {money(total)}?"
        return Confirmation(
            action=action,
            balance=self._balance,
            cap_check=check,
            must_ask=over or action.kind in ALWAYS_ASK,
            title=title,
            text=text,
            accept_label=f"{verb} \u2013 {money(total)}",
            balance_text=self._balance_text(total),
        )

    def _balance_text(self, total: Decimal) -> str | None:
        balance = self._balance
        if balance is None:
            return None
        if balance < total:
            return (
                f"The balance ({money(balance)}) does not cover {money(total)}: APIXO would "
                "refuse it. Add balance in the APIXO dashboard."
            )
        return f"Balance: {money(balance)} \u2192 {money(balance - total)} after."
