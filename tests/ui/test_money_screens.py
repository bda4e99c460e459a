"""What a person sees before paying past the cap, and while a paid id is not saved: light and
dark, every label legible (WCAG contrast at least 4.5:1, measured on the pixels)."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget

from tests.e2e.helpers import running_session
from tests.fixtures.contrast import assert_legible, label_contrast
from tests.fixtures.screenshots import save_screenshot
from tests.ui.tasks_support import make_record
from veo_desktop.core.journal import IdSafety
from veo_desktop.core.spending import MoneyPolicy, PaidAction, PaidKind, SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.controller import IdAtRisk
from veo_desktop.ui.money import PaymentQuestion
from veo_desktop.ui.tasks import dialogs
from veo_desktop.ui.workspace import Workspace

#: WCAG AA for normal text.
MIN_CONTRAST = 4.5


def illegible_labels(widget: QWidget) -> list[tuple[str, float]]:
    bad = []
    for label in widget.findChildren(QLabel):
        if label.isVisible() and label.text().strip() and label.pixmap().isNull():
            ratio = label_contrast(label)
            if ratio < MIN_CONTRAST:
                bad.append((label.text()[:60], round(ratio, 2)))
    return bad


def spent_today() -> list[Any]:
    """$1.70 charged today and $0.20 that may have been (an uncertain submission)."""
    now = time.time() - 120
    return [
        make_record(1, created_at=now, mode="quality"),
        make_record(2, created_at=now),
        make_record(3, created_at=now, state=TaskState.UNCERTAIN, apixo_task_id=None),
    ]


def open_question(qtbot: Any, box: PaymentQuestion) -> None:
    box.open()
    qtbot.waitExposed(box)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_cap_questions_read_well(
    qtbot: Any, themed: Callable[[bool], None], tmp_path: Path, dark: bool
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(1024, 640)
    host.show()
    cap = SpendingCap(Decimal("2.00"), spent_today())
    policy = MoneyPolicy(cap, balance=Decimal("12.40"))
    failed = make_record(
        4,
        state=TaskState.FAILED,
        mode="quality",
        fail_code="SensitiveContent",
        fail_message="Content violates safety policy, please adjust the prompt",
    )
    retry = dialogs.retry_dialog(
        host, failed, policy.decide(PaidAction(PaidKind.RETRY, failed.price))
    )
    resubmit = PaymentQuestion(
        policy.decide(PaidAction(PaidKind.RESUBMIT, Decimal("0.20"))),
        host,
        name="resubmitCapQuestion",
    )
    for name, box in (("retry", retry), ("resubmit", resubmit)):
        open_question(qtbot, box)
        save_screenshot(box.grab(), tmp_path, f"cap-question-{name}-{theme}")
        assert_legible(box, box.grab(), f"cap-question-{name}-{theme}")
        assert illegible_labels(box) == []
        box.reject()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_unsaved_id_notice_reads_well(
    sim: Any,
    arun: Any,
    qtbot: Any,
    themed: Callable[[bool], None],
    tmp_path: Path,
    dark: bool,
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    with running_session(sim, tmp_path / "data", arun) as session:
        workspace = Workspace(session)
        qtbot.addWidget(workspace)
        workspace.resize(1024, 640)
        workspace.show()
        notice = workspace.id_notice
        assert notice.isHidden(), "nothing at risk: no notice"
        workspace.show_history()  # the notice is above the tabs: seen on either
        for name, safety in (("unsaved", IdSafety.UNSAVED), ("journaled", IdSafety.JOURNALED)):
            notice.show_ids(
                (
                    IdAtRisk("a1", "task_7f3c9a2e41b8", safety, "A paper lantern over a harbour"),
                    IdAtRisk("a2", "task_0b5e8d6c2f19", safety, "Waves break on black sand"),
                )
            )
            qtbot.waitUntil(notice.isVisible)
            save_screenshot(workspace.grab(), tmp_path, f"unsaved-id-notice-{name}-{theme}")
            assert_legible(workspace, workspace.grab(), f"unsaved-id-notice-{name}-{theme}")
            assert illegible_labels(notice) == []
        workspace.task_panel.shutdown()
        workspace.compose_panel.cancel()
