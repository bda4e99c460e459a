""" "Generate missing shots" asks through the one money policy: the plan's exact total, past the
daily cap a warning and "Generate anyway", and no way to send what the balance does not cover.
Real session on the simulator; the dialog is answered through its buttons and signals.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import running_session, submits
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.spending import SpendingCap
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.ui.session import Session
from veo_desktop.ui.storyboard.generate import GenerateDialog


@pytest.fixture(name="session")
def session_fixture(sim: Any, tmp_path: Path, arun: Any) -> Iterator[Session]:
    with running_session(sim, tmp_path / "data", arun) as opened:
        yield opened


def _board(session: Session) -> str:
    service = session.runtime.storyboards
    board = service.create("Cap test")
    service.add_shot(board.id, GenerationRequest(prompt="A quiet harbour at dawn"))
    service.add_shot(
        board.id,
        GenerationRequest(prompt="Boats leave the harbour", mode="quality"),
        start=ShotStart.CONTINUE,
    )
    return board.id


def test_the_dialog_shows_the_plan_and_the_cap_and_sends_nothing_on_cancel(
    session: Session, sim: Any, qtbot: Any, arun: Any
) -> None:
    board_id = _board(session)
    arun(session.controller.refresh_balance())
    plan = session.runtime.storyboards.plan(board_id)
    cap = SpendingCap(Decimal("1.00"), session.controller)
    dialog = GenerateDialog(session.controller, plan, cap)
    qtbot.addWidget(dialog)
    answers: list[object] = []
    dialog.confirmed.connect(lambda total, over: answers.append((total, over)))
    dialog.declined.connect(lambda: answers.append("declined"))
    dialog.open()
    qtbot.waitUntil(dialog.isVisible)
    # $0.20 now, $1.50 once shot 1 is ready: $1.70, past the $1.00 cap.
    assert plan.total == Decimal("1.70")
    assert dialog.plan_label.text().split("<br>") == [
        "Shot 1: $0.20, sent now",
        "Shot 2: $1.50, sent once shot 1 is ready",
    ]
    assert dialog.accept_button.text() == "Generate anyway \u2013 $1.70"
    assert dialog.cap_label.isVisible() and "$1.00" in dialog.cap_label.text()
    assert dialog.balance_label.text() == "Balance: $100.00 \u2192 $98.30 after."
    dialog.reject()
    assert answers == ["declined"]
    assert submits(sim) == []


def test_a_balance_that_does_not_cover_the_plan_cannot_be_confirmed(
    session: Session, sim: Any, qtbot: Any, arun: Any
) -> None:
    board_id = _board(session)
    sim.balance = 1.0
    arun(session.controller.refresh_balance())
    dialog = GenerateDialog(session.controller, session.runtime.storyboards.plan(board_id), None)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.accept_button.text() == "Generate \u2013 $1.70"
    assert not dialog.accept_button.isEnabled()
    assert "does not cover $1.70" in dialog.balance_label.text()
    assert not dialog.cap_label.isVisible()
    dialog.reject()
    assert submits(sim) == []
