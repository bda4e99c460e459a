"""Spending from our own store: today, this session, and a daily cap that asks first."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core import settings as settings_module
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import (
    CAP_SETTING,
    CapCheck,
    MoneyPolicy,
    PaidAction,
    PaidKind,
    Spend,
    SpendingCap,
    cap_from_settings,
    day_start,
    parse_cap,
    spend_between,
    spend_this_session,
    spend_today,
    store_cap,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore

NOON = dt.datetime(2026, 3, 14, 12, 0).timestamp()


def record(at: float, state: TaskState, *, mode: str = "fast", **changes: Any) -> TaskRecord:
    request = GenerationRequest(prompt="spend", mode=mode)
    charged = state not in (TaskState.UNCERTAIN, TaskState.REJECTED, TaskState.SUBMITTING)
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=request.to_payload(),
        state=state,
        created_at=at,
        updated_at=at,
        apixo_task_id=changes.pop("apixo_task_id", uuid.uuid4().hex if charged else None),
        price=request.price,
        history=(StateChange(at, state),),
        **changes,
    )


@pytest.fixture
def day(task_store: TaskStore) -> TaskStore:
    rows = [
        record(NOON - 13 * 3600, TaskState.SUCCEEDED, mode="quality"),  # yesterday 23:00
        record(NOON - 11 * 3600, TaskState.SUCCEEDED),  # today 01:00
        record(NOON - 3600, TaskState.FAILED, mode="quality"),  # failed, still charged
        record(NOON - 1800, TaskState.SUCCEEDED, hidden=True),  # removed from the list
        record(NOON - 600, TaskState.UNCERTAIN, mode="quality"),  # may have been charged
        record(NOON - 300, TaskState.REJECTED, mode="quality"),  # never charged
        record(NOON - 60, TaskState.PENDING),
    ]
    for row in rows:
        task_store.insert(row)
    return task_store


def test_today_counts_charged_tasks_since_local_midnight(day: TaskStore) -> None:
    assert day_start(NOON) == dt.datetime(2026, 3, 14).timestamp()
    spent = spend_today(day, now=NOON)
    assert spent == Spend(charged=Decimal("2.10"), maybe=Decimal("1.50"), count=4)
    assert spent.at_most == Decimal("3.60")
    assert spent.text() == "$2.10 (+$1.50 uncertain)"
    assert Spend(Decimal("0.40")).text() == "$0.40"
    session = spend_this_session(day, NOON - 1800)
    assert session.charged == Decimal("0.40") and session.count == 2
    assert spend_between(day.load_all(), NOON - 14 * 3600, NOON - 12 * 3600).charged == Decimal(
        "1.50"
    )


def test_the_cap_asks_before_passing_it(day: TaskStore) -> None:
    assert SpendingCap(None, day, clock=lambda: NOON).check(Decimal("100")).question is None
    cap = SpendingCap(Decimal("5.00"), day, clock=lambda: NOON)
    assert cap.remaining() == Decimal("1.40")
    assert cap.check(Decimal("0.20")).question is None
    assert cap.check(Decimal("1.40")).question is None  # reaching the cap exactly is fine
    question = cap.check(Decimal("1.50")).question
    assert question == (
        "This costs $1.50 and would bring today's spending to $5.10, over your daily cap of "
        "$5.00 (spent today: $3.60, including $1.50 that may have been charged). Submit anyway?"
    )
    tomorrow = SpendingCap(Decimal("5.00"), day, clock=lambda: NOON + 24 * 3600)
    assert tomorrow.check(Decimal("1.50")).question is None
    assert (
        SpendingCap(Decimal("0"), day, clock=lambda: NOON + 86400).check(Decimal("0.20")).question
    )


def test_the_cap_check_is_a_value_callers_decide_from(day: TaskStore) -> None:
    """The verdict is data (over or not, the figures); the sentence is only for showing."""
    unlimited = SpendingCap(None, day, clock=lambda: NOON).check(Decimal("100"))
    assert unlimited == CapCheck(Decimal("100"))
    assert not unlimited.over and unlimited.after is None and unlimited.text is None
    cap = SpendingCap(Decimal("5.00"), day, clock=lambda: NOON)
    exact = cap.check(Decimal("1.40"))
    assert exact.daily == Decimal("5.00") and exact.spent == spend_today(day, now=NOON)
    assert exact.after == Decimal("5.00") and not exact.over and exact.text is None
    past = cap.check(Decimal("1.50"))
    assert past.over and past.after == Decimal("5.10")
    assert past.question == f"{past.text} Submit anyway?"
    assert past.text is not None and past.text.endswith("that may have been charged).")
    decided = MoneyPolicy(cap).decide(PaidAction(PaidKind.GENERATE, Decimal("1.50")))
    assert decided.cap_check == past and decided.over_cap and decided.must_ask
    assert decided.cap == Decimal("5.00") and decided.spent == past.spent
    assert decided.cap_text == past.text and decided.text == past.question
    none = MoneyPolicy().decide(PaidAction(PaidKind.GENERATE, Decimal("1.50")))
    assert none.cap_check == CapCheck(Decimal("1.50")) and not none.over_cap


@pytest.mark.parametrize(
    ("raw", "cap"),
    [
        ("20", Decimal("20.00")),
        ("$12.5", Decimal("12.50")),
        (" 1,000 ", Decimal("1000.00")),
        (7, Decimal("7.00")),
        (2.25, Decimal("2.25")),
        ("", None),
        ("lots", None),
        (-3, None),
        (True, None),
        (None, None),
        ("NaN", None),
        ("Infinity", None),
        ("1e999999", None),
        ("-0", Decimal("0.00")),
        ([], None),
    ],
)
def test_parse_cap(raw: object, cap: Decimal | None) -> None:
    assert parse_cap(raw) == cap


def test_the_cap_is_a_settings_field_saved_in_the_file(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    settings = settings_module.load(paths)
    assert settings.daily_spending_cap is None
    assert cap_from_settings(settings) is None
    store_cap(settings, Decimal("25"))
    assert settings.daily_spending_cap == Decimal("25.00")
    settings_module.save(settings, paths)
    saved = json.loads(paths.settings_path.read_text())
    assert saved["daily_spending_cap"] == "25.00"
    assert saved["version"] == settings_module.SETTINGS_VERSION == 2
    loaded = settings_module.load(paths)
    assert loaded.daily_spending_cap == Decimal("25.00")
    assert CAP_SETTING not in loaded.extra
    cap = SpendingCap.from_settings(loaded, [], clock=lambda: NOON)
    assert cap.daily == Decimal("25.00") and cap.remaining() == Decimal("25.00")

    store_cap(loaded, None)
    settings_module.save(loaded, paths)
    assert json.loads(paths.settings_path.read_text())["daily_spending_cap"] is None
    again = settings_module.load(paths)
    assert again.daily_spending_cap is None
    assert SpendingCap.from_settings(again, []).check(Decimal("1000")).question is None


def test_a_version_1_file_keeps_its_cap(tmp_path: Path) -> None:
    """Version 1 kept the cap among the unknown keys (``extra``); it becomes the field."""
    paths = AppPaths.resolve(tmp_path / "data")
    paths.settings_path.parent.mkdir(parents=True)
    paths.settings_path.write_text(
        json.dumps({"version": 1, "daily_spending_cap": "12.5", "window": {"geometry": "x"}})
    )
    loaded = settings_module.load(paths)
    assert loaded.daily_spending_cap == Decimal("12.50")
    assert loaded.extra == {"window": {"geometry": "x"}}
    assert SpendingCap.from_settings(loaded, []).daily == Decimal("12.50")
    settings_module.save(loaded, paths)
    saved = json.loads(paths.settings_path.read_text())
    assert saved["version"] == 2 and saved["daily_spending_cap"] == "12.50"
    assert saved["window"] == {"geometry": "x"}


def test_a_cap_older_code_put_in_extra_still_counts_and_is_saved(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    settings = Settings()
    store_cap(settings.extra, Decimal("7"))  # the mapping form older callers use
    assert settings.extra[CAP_SETTING] == "7.00"
    assert cap_from_settings(settings) == Decimal("7.00")
    assert cap_from_settings(settings.extra) == Decimal("7.00")
    assert SpendingCap.from_settings(settings, []).daily == Decimal("7.00")
    settings_module.save(settings, paths)
    loaded = settings_module.load(paths)
    assert loaded.daily_spending_cap == Decimal("7.00") and CAP_SETTING not in loaded.extra
    store_cap(settings, Decimal("9"))  # the field wins, and the old copy goes
    assert CAP_SETTING not in settings.extra and cap_from_settings(settings) == Decimal("9.00")
    store_cap(settings.extra, None)
    assert cap_from_settings(settings.extra) is None


@pytest.mark.parametrize("raw", ["lots", -5, "1e999999", True, [3]])
def test_an_unusable_cap_in_the_file_means_no_cap(tmp_path: Path, raw: object) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    paths.settings_path.parent.mkdir(parents=True)
    paths.settings_path.write_text(json.dumps({"daily_spending_cap": raw, "notifications": False}))
    loaded = settings_module.load(paths)
    assert loaded.daily_spending_cap is None
    assert loaded.notifications is False, "the rest of the file is still read"
    assert CAP_SETTING not in loaded.extra


def test_a_session_against_the_simulator(engine_kit: EngineKit, sim: Any) -> None:
    start = time.time()

    async def scenario() -> Any:
        engine = engine_kit.engine()
        await engine.start(resume=False)
        await engine.submit(GenerationRequest(prompt="session one"))
        await engine.submit(GenerationRequest(prompt="session two", mode="quality"))
        return engine

    engine = engine_kit.run(scenario)
    session = spend_this_session(engine, start)
    assert session == Spend(charged=Decimal("1.70"), count=2)
    assert session.charged == engine.spend(start)
    assert spend_today(engine).charged >= Decimal("1.70")
    assert Decimal(str(100.0 - sim.balance)).quantize(Decimal("0.01")) == session.charged
