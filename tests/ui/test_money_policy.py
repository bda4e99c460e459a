"""Every paid path of the window goes through one money policy, and none passes the daily
cap unasked (issue 12, #15).

Each test sets a cap that the action would pass (after spending something today), triggers
the path through the real widgets against the simulator, and counts the paid POSTs: none
while the question is open, none after Cancel, exactly the takes confirmed after confirming.
"Nothing happened" is checked once the controller and the engine are idle.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

from tests.e2e.helpers import running_session, submits
from tests.fixtures.qt import settle_controller
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from tests.ui.test_tasks_actions import uncertain
from tests.ui.test_tasks_creative import stopped_batch
from veo_desktop.core.spending import (
    MoneyPolicy,
    PaidAction,
    PaidKind,
    SpendingCap,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.extend_dialog import ExtendDialog
from veo_desktop.ui.money import PaymentQuestion
from veo_desktop.ui.session import Session
from veo_desktop.ui.tasks.batch_offer import BatchOffer
from veo_desktop.ui.tasks.dialogs import ResolveDialog
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.variations import VariationsDialog

engine_env = tasks_support.engine_env


class Cap:
    """The cap a widget asks for at each paid action (the test sets it)."""

    def __init__(self) -> None:
        self.cap: SpendingCap | None = None

    def __call__(self) -> SpendingCap | None:
        return self.cap


@pytest.fixture
def cap() -> Cap:
    return Cap()


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any, cap: Cap) -> Iterator[TaskPanel]:
    widget = TaskPanel(engine_env.controller, spending_cap=cap)
    qtbot.addWidget(widget)
    widget.resize(1000, 520)
    widget.show()
    yield widget
    widget.shutdown()


def idle(env: EngineEnv) -> None:
    """Wait until nothing the window started is running and the engine is settled."""
    settle_controller(env.arun, env.controller)


def cancel(box: QMessageBox) -> None:
    button = box.button(QMessageBox.StandardButton.Cancel)
    assert button is not None
    button.click()


def accept_button(box: QMessageBox, name: str) -> QPushButton:
    button = box.findChild(QPushButton, name)
    assert button is not None, name
    return button


# -- the policy ------------------------------------------------------------------------------


def test_one_policy_words_every_paid_action(engine_env: EngineEnv) -> None:
    engine_env.finished("Spend twenty cents first")
    cap = SpendingCap(Decimal("0.30"), engine_env.engine)
    policy = MoneyPolicy(cap, balance=Decimal("10"))
    retry = policy.decide(PaidAction(PaidKind.RETRY, Decimal("0.20")))
    assert retry.must_ask and retry.over_cap and retry.warns
    assert retry.text == "Submit this request again for $0.20?"
    assert retry.accept_label == "Submit again anyway \u2013 $0.20"
    assert retry.cap_text == (
        "This costs $0.20 and would bring today's spending to $0.40, over your daily cap "
        "of $0.30 (spent today: $0.20)."
    )
    assert retry.balance_text == "Balance: $10.00 \u2192 $9.80 after."
    takes = policy.decide(PaidAction(PaidKind.VARIATIONS, Decimal("0.20"), 3))
    assert takes.total == Decimal("0.60") and takes.accept_label == "Submit anyway \u2013 $0.60"
    assert takes.question == f"{takes.cap_text} Submit anyway?"
    fits = MoneyPolicy(SpendingCap(Decimal("5"), engine_env.engine)).decide(
        PaidAction(PaidKind.RESUBMIT, Decimal("0.20"))
    )
    assert not fits.must_ask and not fits.over_cap and fits.question is None
    assert fits.accept_label == "Submit again \u2013 $0.20"
    short = MoneyPolicy(None, balance=Decimal("0.10")).decide(
        PaidAction(PaidKind.EXTEND, Decimal("0.20"))
    )
    assert short.short_of_balance and short.warns and not short.must_ask


# -- the task list's paid actions ------------------------------------------------------------


def test_retry_past_the_cap_warns_and_posts_only_after_confirming(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    failed = engine_env.submit("Two knights duel #sensitive")  # $0.20, charged, then failed
    engine_env.wait_state(failed.local_id, TaskState.FAILED)
    cap.cap = SpendingCap(Decimal("0.30"), engine_env.engine)
    idle(engine_env)
    posts = engine_env.posts()
    assert panel.select_task(failed.local_id)
    panel.task_actions.retry.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "Submit this request again for $0.20?"
    assert "over your daily cap of $0.30 (spent today: $0.20)" in box.informativeText()
    assert box.icon() == QMessageBox.Icon.Warning
    assert isinstance(box, PaymentQuestion)
    idle(engine_env)
    assert engine_env.posts() == posts, "nothing is sent while the question is open"
    cancel(box)
    idle(engine_env)
    assert engine_env.posts() == posts
    assert len(engine_env.controller.tasks()) == 1

    panel.task_actions.retry.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, PaymentQuestion)
    accept_button(box, "confirmRetryButton").click()
    qtbot.waitUntil(lambda: len(engine_env.controller.tasks()) == 2, timeout=10_000)
    idle(engine_env)
    assert engine_env.posts() == posts + 1


def test_resolve_submit_again_asks_past_the_cap_before_posting(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    task = uncertain(engine_env)  # $0.20 that may have been charged
    cap.cap = SpendingCap(Decimal("0.30"), engine_env.engine)
    idle(engine_env)
    posts = engine_env.posts()
    assert panel.select_task(task.local_id)
    panel.task_actions.resolve.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, ResolveDialog)
    dialog.resubmit_button.click()
    idle(engine_env)
    assert engine_env.posts() == posts, "nothing is sent before the cap's question is answered"
    box = panel.task_actions.payment_question
    assert isinstance(box, PaymentQuestion) and box.isVisible()
    assert "over your daily cap of $0.30" in box.text()
    assert "including $0.20 that may have been charged" in box.text()
    assert accept_button(box, "confirmOverCapButton").text() == "Submit again anyway \u2013 $0.20"
    assert not dialog.resubmit_button.isEnabled(), "one question at a time"
    cancel(box)
    qtbot.waitUntil(lambda: panel.task_actions.payment_question is None)
    idle(engine_env)
    assert engine_env.posts() == posts
    assert dialog.answer.text() == "Nothing was sent."
    assert dialog.resubmit_button.isEnabled()
    assert engine_env.engine.get(task.local_id).state == TaskState.UNCERTAIN

    dialog.resubmit_button.click()
    box = panel.task_actions.payment_question
    assert isinstance(box, PaymentQuestion)
    accept_button(box, "confirmOverCapButton").click()
    qtbot.waitUntil(lambda: panel.task_actions.dialog is None, timeout=10_000)
    idle(engine_env)
    assert engine_env.posts() == posts + 1


def test_resolve_submit_again_within_the_cap_sends_at_once(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    task = uncertain(engine_env)
    cap.cap = SpendingCap(Decimal("5.00"), engine_env.engine)
    posts = engine_env.posts()
    assert panel.select_task(task.local_id)
    panel.task_actions.resolve.trigger()
    dialog = panel.task_actions.dialog
    assert isinstance(dialog, ResolveDialog)
    dialog.resubmit_button.click()
    assert panel.task_actions.payment_question is None
    qtbot.waitUntil(lambda: panel.task_actions.dialog is None, timeout=10_000)
    idle(engine_env)
    assert engine_env.posts() == posts + 1


def test_draft_to_final_past_the_cap_posts_only_after_confirming(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    draft = engine_env.finished("A kite at noon", seed=11)
    cap.cap = SpendingCap(Decimal("1.00"), engine_env.engine)  # $0.20 + $1.50 passes it
    idle(engine_env)
    posts = engine_env.posts()
    assert panel.select_task(draft.local_id)
    panel.task_actions.draft_to_final.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, PaymentQuestion)
    assert box.icon() == QMessageBox.Icon.Warning
    assert "over your daily cap of $1.00" in box.informativeText()
    # The statement, never the cap's own question glued into another question.
    assert "Submit anyway?" not in box.informativeText()
    idle(engine_env)
    assert engine_env.posts() == posts
    cancel(box)
    idle(engine_env)
    assert engine_env.posts() == posts

    panel.task_actions.draft_to_final.trigger()
    box = panel.task_actions.dialog
    assert isinstance(box, PaymentQuestion)
    with qtbot.waitSignal(panel.task_submitted, timeout=10_000):
        accept_button(box, "confirmDraftToFinalButton").click()
    idle(engine_env)
    assert engine_env.posts() == posts + 1


def test_extend_from_the_task_list_asks_past_the_cap(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    source = engine_env.finished("A lantern floats up over a night lake")
    cap.cap = SpendingCap(Decimal("0.30"), engine_env.engine)
    idle(engine_env)
    posts = engine_env.posts()
    assert panel.select_task(source.local_id)
    dialog = panel.task_actions.on_extend_triggered()
    assert isinstance(dialog, ExtendDialog)
    dialog.set_prompt("The lantern drifts out of sight")
    assert dialog.extend()
    box = dialog.question
    assert isinstance(box, PaymentQuestion)
    assert "over your daily cap of $0.30" in box.text()
    idle(engine_env)
    assert engine_env.posts() == posts
    cancel(box)
    qtbot.waitUntil(lambda: dialog.question is None)
    idle(engine_env)
    assert engine_env.posts() == posts

    assert dialog.extend()
    assert dialog.question is not None
    with qtbot.waitSignal(dialog.submitted, timeout=10_000):
        accept_button(dialog.question, "confirmOverCapButton").click()
    idle(engine_env)
    assert engine_env.posts() == posts + 1


def test_a_stopped_batch_asks_past_the_cap_then_sends_the_rest(
    engine_env: EngineEnv, panel: TaskPanel, cap: Cap, qtbot: Any
) -> None:
    journal = stopped_batch(engine_env, ["Capped one", "Capped two", "Capped three"])
    cap.cap = SpendingCap(Decimal("0.30"), engine_env.engine)  # $0.20 spent, $0.40 left
    idle(engine_env)
    posts = engine_env.posts()
    offer = BatchOffer(engine_env.controller, journal, spending_cap=cap, parent=panel)
    panel.add_notice(offer)
    assert offer.resume()
    box = offer.question
    assert isinstance(box, PaymentQuestion)
    assert "over your daily cap of $0.30" in box.text()
    assert accept_button(box, "confirmOverCapButton").text() == "Send anyway \u2013 $0.40"
    idle(engine_env)
    assert engine_env.posts() == posts
    cancel(box)
    qtbot.waitUntil(lambda: offer.question is None)
    idle(engine_env)
    assert engine_env.posts() == posts and offer.job is None

    assert offer.resume()
    assert offer.question is not None
    accept_button(offer.question, "confirmOverCapButton").click()
    qtbot.waitUntil(lambda: offer.job is not None and offer.job.done(), timeout=15_000)
    idle(engine_env)
    assert engine_env.posts() == posts + 2


def test_variations_past_the_cap_send_only_after_confirming(
    engine_env: EngineEnv, cap: Cap, qtbot: Any
) -> None:
    from veo_desktop.api.models import GenerationRequest

    engine_env.arun(engine_env.controller.refresh_balance())
    engine_env.finished("Spend a little first")
    idle(engine_env)
    posts = engine_env.posts()
    request = GenerationRequest(prompt="A paper plane loops over a garden", seed=3)
    dialog = VariationsDialog(
        engine_env.controller,
        request,
        3,
        spending_cap=SpendingCap(Decimal("0.50"), engine_env.engine),
        seed_source=5,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert "over your daily cap of $0.50" in dialog.message.text()
    assert dialog.confirm_button.text() == "Submit anyway \u2013 $0.60"
    idle(engine_env)
    assert engine_env.posts() == posts
    dialog.close_button.click()
    idle(engine_env)
    assert engine_env.posts() == posts

    again = VariationsDialog(
        engine_env.controller,
        request,
        3,
        spending_cap=SpendingCap(Decimal("0.50"), engine_env.engine),
        seed_source=5,
    )
    qtbot.addWidget(again)
    again.show()
    with qtbot.waitSignal(again.submitted, timeout=15_000):
        again.confirm_button.click()
    idle(engine_env)
    assert engine_env.posts() == posts + 3


# -- the composer's Generate -----------------------------------------------------------------


@pytest.fixture
def compose(sim: Any, tmp_path: Path, arun: Any, qtbot: Any, cap: Cap) -> Iterator[ComposePanel]:
    with running_session(sim, tmp_path / "data", arun) as session:
        widget = ComposePanel(
            session.controller, session.uploader, spending_cap=cap, journal_dir=tmp_path / "b"
        )
        qtbot.addWidget(widget)
        widget.show()
        widget.session = session  # type: ignore[attr-defined]
        yield widget
        widget.cancel()


def test_generate_past_the_cap_posts_only_after_confirming(
    compose: ComposePanel, cap: Cap, sim: Any, qtbot: Any
) -> None:
    session: Session = compose.session  # type: ignore[attr-defined]
    compose.prompt_edit.setPlainText("A hummingbird at a feeder")
    with qtbot.waitSignal(compose.submitted, timeout=10_000):
        assert compose.generate()  # no cap yet: sent at once
    qtbot.waitUntil(compose.generate_button.isEnabled, timeout=10_000)
    cap.cap = SpendingCap(Decimal("0.30"), session.engine)
    assert compose.generate()
    box = compose.cap_question
    assert isinstance(box, PaymentQuestion)
    assert "(spent today: $0.20)" in box.text()
    assert len(submits(sim)) == 1
    cancel(box)
    qtbot.waitUntil(lambda: compose.cap_question is None)
    assert compose.generate_message.text() == "Nothing was sent."
    assert len(submits(sim)) == 1
    assert compose.generate()
    assert compose.cap_question is not None
    with qtbot.waitSignal(compose.submitted, timeout=10_000):
        accept_button(compose.cap_question, "confirmOverCapButton").click()
    assert len(submits(sim)) == 2
