"""VariationsDialog: N x price and the balance first, then every take sent exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from tests.e2e.helpers import write_image
from tests.fixtures.qt import settle_controller
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from tests.ui.test_extend_dialog import (
    SIZES,
    assert_accessible,
    assert_fits,
    dialog_screenshot,
)
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.batch import (
    BatchItem,
    BatchJournal,
    BatchResult,
    ItemState,
    ItemStatus,
    unfinished_journals,
)
from veo_desktop.core.spending import SpendingCap
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault
from veo_desktop.ui.variations import VariationsDialog, open_variations, outcome

engine_env = tasks_support.engine_env

REQUEST = GenerationRequest(prompt="A paper plane loops over a rooftop garden", seed=42)


@pytest.fixture
def env(engine_env: EngineEnv) -> EngineEnv:
    engine_env.arun(engine_env.controller.refresh_balance())
    return engine_env


def make(env: EngineEnv, qtbot: Any, count: int = 3, **kwargs: Any) -> VariationsDialog:
    kwargs.setdefault("seed_source", 7)
    dialog = VariationsDialog(env.controller, kwargs.pop("request", REQUEST), count, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def seeds_sent(env: EngineEnv) -> list[int]:
    return [
        r.body["input"].get("seed")
        for r in env.sim.requests
        if r.endpoint == "submit" and isinstance(r.body, dict)
    ]


def test_the_question_shows_n_times_the_price_and_the_balance(env: EngineEnv, qtbot: Any) -> None:
    dialog = make(env, qtbot, 3)
    assert dialog.heading.text() == "Submit 3 variations?"
    assert dialog.cost_label.text() == "3 \u00d7 $0.20 = $0.60"
    assert dialog.balance_label.text() == "$100.00 \u2192 $99.40 after"
    assert dialog.confirm_button.text() == "Submit 3 \u2013 $0.60"
    seeds = [r.seed for r in dialog.requests()]
    assert seeds[0] == 42 and len(set(seeds)) == 3
    assert dialog.seeds_label.text().startswith("42 (yours), ")
    dialog.set_count(8)
    assert dialog.cost_label.text() == "8 \u00d7 $0.20 = $1.60"
    assert [r.seed for r in dialog.requests()][:3] == seeds, "changing N keeps the seeds shown"
    dialog.set_count(20)
    assert dialog.count == 8
    assert seeds_sent(env) == []


def test_confirming_sends_each_take_once_with_its_seed(
    env: EngineEnv, qtbot: Any, tmp_path: Path
) -> None:
    dialog = make(env, qtbot, 4, journal_dir=tmp_path / "batches")
    expected = [r.seed for r in dialog.requests()]
    with qtbot.waitSignal(dialog.submitted, timeout=15_000) as done:
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    made = done.args[0]
    assert len(made) == 4 and all(isinstance(t, TaskRecord) for t in made)
    assert sorted(t.request_model.seed for t in made) == sorted(expected)
    assert sorted(seeds_sent(env)) == sorted(expected)
    assert dialog.heading.text() == "4 variations submitted"
    assert dialog.progress_bar.value() == 4
    # Every variation went: the dialog closed itself (item 11), uncovering the new rows.
    assert dialog.close_button.text() == "Close"
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.stop_button.isVisible()
    [journal] = (tmp_path / "batches").glob("batch-*.json")
    assert BatchJournal.load(journal).finished
    assert unfinished_journals(tmp_path / "batches") == []


def test_rate_limits_slow_the_takes_but_none_is_lost_or_repeated(
    env: EngineEnv, qtbot: Any
) -> None:
    env.sim.add_fault(
        Fault(endpoint="submit", kind="http_error", status=429, retry_after=0.1, times=4)
    )
    dialog = make(env, qtbot, 5)
    expected = [r.seed for r in dialog.requests()]
    with qtbot.waitSignal(dialog.batch_finished, timeout=30_000) as done:
        dialog.confirm()
    result = done.args[0]
    assert result.complete
    made_seeds = Counter(info.request["input"].get("seed") for info in env.sim.tasks.values())
    assert made_seeds == Counter(expected)


def test_a_balance_too_low_is_said_and_nothing_is_sent(env: EngineEnv, qtbot: Any) -> None:
    env.sim.balance = 0.5
    env.arun(env.controller.refresh_balance())
    dialog = make(env, qtbot, 3)
    assert "does not cover 3 variations ($0.60)" in dialog.message.text()
    assert not dialog.confirm_button.isEnabled()
    assert not dialog.confirm()
    dialog.set_count(2)
    assert dialog.confirm_button.isEnabled()
    assert seeds_sent(env) == []


def test_passing_the_daily_cap_is_asked_in_the_dialog(env: EngineEnv, qtbot: Any) -> None:
    cap = SpendingCap(Decimal("0.70"), env.engine)
    dialog = make(env, qtbot, 3, spending_cap=cap)
    assert dialog.confirm_button.text() == "Submit 3 \u2013 $0.60"
    assert "daily cap" not in dialog.message.text()
    env.finished("Spend a little first")  # $0.20 today: 3 more takes would pass $0.70
    assert "over your daily cap of $0.70" in dialog.message.text()
    assert dialog.confirm_button.text() == "Submit anyway \u2013 $0.60"
    assert dialog.confirm_button.isEnabled()
    with qtbot.waitSignal(dialog.submitted, timeout=15_000):
        dialog.confirm()


def test_stop_sends_no_more_and_closing_waits_for_those_in_flight(
    env: EngineEnv, qtbot: Any
) -> None:
    env.sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.3, times=-1))
    dialog = make(env, qtbot, 5, concurrency=1)
    dialog.confirm()
    qtbot.waitUntil(lambda: len(seeds_sent(env)) == 1, timeout=10_000)
    dialog.reject()  # closing while sending: stop, hide, finish the take in flight
    assert not dialog.isVisible()
    with qtbot.waitSignal(dialog.batch_finished, timeout=10_000) as done:
        pass
    result = done.args[0]
    assert [s.state for s in result.items].count(ItemState.SUBMITTED) == 1
    assert result.stopped == "Stopped; the remaining variations were not sent."
    settle_controller(env.arun, env.controller)
    assert len(seeds_sent(env)) == 1


def test_open_variations_is_non_blocking(env: EngineEnv, qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    dialog = open_variations(env.controller, REQUEST, 2, parent=host)
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    with qtbot.waitSignal(dialog.finished):
        dialog.close_button.click()
    assert seeds_sent(env) == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(
    env: EngineEnv,
    qtbot: Any,
    tmp_path: Path,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    quality = REQUEST.replace(mode="quality")
    cap = SpendingCap(Decimal("5.00"), env.engine)
    dialog = make(env, qtbot, 4, request=quality, spending_cap=cap)
    assert_accessible(dialog)
    for size in SIZES:
        dialog_screenshot(dialog, size, f"variations-confirm-{size[0]}x{size[1]}-{theme}", tmp_path)
        assert_fits(dialog)
    # The end a person sees: the dialog closes when every variation went, so it is shown
    # with one refused (it stays open saying why).
    env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402, times=1))
    with qtbot.waitSignal(dialog.submitted, timeout=15_000):
        dialog.set_count(2)
        dialog.confirm()
    assert dialog.isVisible()
    dialog_screenshot(dialog, SIZES[0], f"variations-done-1024x640-{theme}", tmp_path)
    assert_fits(dialog)


# -- the images are checked again before any take is sent -------------------------------------


def frames(url: str) -> GenerationRequest:
    return GenerationRequest(
        prompt="The kite climbs over the dunes",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        image_urls=(url,),
        seed=5,
    )


def test_an_image_apixo_cannot_fetch_blocks_the_takes(
    env: EngineEnv, qtbot: Any, tmp_path: Path, image_server: Any
) -> None:
    png = write_image(tmp_path / "start.png").read_bytes()
    url = image_server.add("/start.png", body=png, content_type="image/png")
    failures: list[tuple[str, str]] = []
    env.controller.submit_failed.connect(lambda *args: failures.append(args))
    dialog = make(env, qtbot, 3, request=frames(url), journal_dir=tmp_path / "batches")
    assert dialog.cost_label.text() == "3 \u00d7 $0.20 = $0.60"
    assert dialog.balance_label.text() == "$100.00 \u2192 $99.40 after"
    image_server.add("/start.png", status=404, body=b"gone", content_type="text/plain")
    assert dialog.confirm()
    assert not dialog.confirm_button.isEnabled() and dialog.checking
    assert "Checking that APIXO can fetch the images" in dialog.message.text()
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)
    assert dialog.message.text() == (
        "First frame: The server answered 404: the image is not there. Nothing was sent. "
        "Fix the image in the composer, then generate again."
    )
    assert dialog.message.tone.value == "problem"
    assert dialog.heading.text() == "APIXO cannot fetch an image"
    assert not dialog.confirm_button.isEnabled()
    assert not dialog.confirm(), "blocked for good"
    assert dialog.runner is None and seeds_sent(env) == []
    assert not (tmp_path / "batches").exists() or not list((tmp_path / "batches").iterdir())
    assert failures == [], "the composer heard nothing"


def test_the_images_are_checked_then_every_take_is_sent(
    env: EngineEnv, qtbot: Any, tmp_path: Path, image_server: Any
) -> None:
    png = write_image(tmp_path / "start.png").read_bytes()
    url = image_server.add("/start.png", body=png, content_type="image/png")
    dialog = make(env, qtbot, 2, request=frames(url))
    checks_before = len(image_server.requests_for("/start.png"))
    with qtbot.waitSignal(dialog.submitted, timeout=15_000) as done:
        dialog.confirm()
    assert len(image_server.requests_for("/start.png")) > checks_before
    assert len(done.args[0]) == 2
    bodies = [r.body["input"] for r in env.sim.requests if r.endpoint == "submit"]
    assert [b["image_urls"] for b in bodies] == [[url], [url]]


def test_cancelling_while_the_images_are_checked_sends_nothing(
    env: EngineEnv, qtbot: Any, tmp_path: Path, image_server: Any
) -> None:
    png = write_image(tmp_path / "start.png").read_bytes()
    url = image_server.add("/start.png", body=png, content_type="image/png", delay=0.6)
    dialog = make(env, qtbot, 2, request=frames(url))
    assert dialog.confirm() and dialog.checking
    qtbot.waitUntil(lambda: bool(image_server.requests_for("/start.png")), timeout=5_000)
    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        dialog.close_button.click()  # while the image server is still answering
    qtbot.waitUntil(lambda: not dialog.checking, timeout=5_000)
    assert dialog.runner is None and seeds_sent(env) == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_blocked_screenshots(
    env: EngineEnv,
    qtbot: Any,
    tmp_path: Path,
    image_server: Any,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    url = image_server.add("/start.png", status=403, body=b"expired", content_type="text/xml")
    dialog = make(env, qtbot, 4, request=frames(url))
    dialog.confirm()
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)
    theme = "dark" if dark else "light"
    for size in SIZES:
        dialog_screenshot(dialog, size, f"variations-blocked-{size[0]}x{size[1]}-{theme}", tmp_path)
        assert_fits(dialog)
    assert_accessible(dialog)


# -- the heading once the batch ended (moved from tests/ui/test_extend_window.py) -------------


def test_the_outcome_names_each_take_that_did_not_go() -> None:
    def status(index: int, state: ItemState, message: str | None = None) -> ItemStatus:
        item = BatchItem(index, GenerationRequest(prompt="A fox", seed=100 + index))
        return ItemStatus(index, item, state, message=message)

    every = BatchResult((status(0, ItemState.SUBMITTED), status(1, ItemState.SUBMITTED)), None)
    assert outcome(every) == ("2 variations submitted", None)

    mixed = BatchResult(
        (
            status(0, ItemState.SUBMITTED),
            status(1, ItemState.REJECTED, "APIXO refused it (HTTP 402)."),
            status(2, ItemState.WAITING),
        ),
        "Stopped; the remaining variations were not sent.",
    )
    heading, problems = outcome(mixed)
    assert heading == "1 of 3 variations submitted"
    assert problems == (
        "Stopped; the remaining variations were not sent.\n"
        "Seed 101: rejected. APIXO refused it (HTTP 402)."
    )
