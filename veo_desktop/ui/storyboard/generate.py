""" "Generate missing shots": the price of exactly what would be sent, asked first.

:class:`GenerateDialog` lists the storyboard's plan (each shot: sent now, sent after the
shot it continues, ready, running, or why it cannot be made), the total, the balance before
and after, and the daily cap's verdict. Its texts and its confirming button are the one money
policy's (:meth:`~veo_desktop.ui.controller.EngineController.confirm_payment`, the question
:func:`veo_desktop.ui.money.pay` asks), so it reads like every other paid action; like the
variations dialog it is itself the question. Nothing is sent unless its confirming button is
pressed; Cancel, Escape or closing it sends nothing.

Opened with ``open()`` (window-modal, never ``exec()``); answers through signals.
"""

from __future__ import annotations

import html
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap, money
from veo_desktop.storyboard import Plan, ShotStatus
from veo_desktop.ui import style
from veo_desktop.ui.controller import EngineController

#: How each status reads in the plan (``{after}``: the shot it waits on).
STATUS_TEXTS: dict[ShotStatus, str] = {
    ShotStatus.SEND: "sent now",
    ShotStatus.SEND_AFTER: "sent once shot {after} is ready",
    ShotStatus.READY: "ready, not sent again",
    ShotStatus.RUNNING: "being made, not sent again",
    ShotStatus.UNCERTAIN: "sent, answer lost: resolve it in Tasks",
    ShotStatus.BLOCKED: "cannot be sent",
}


def plan_action(plan: Plan) -> PaidAction:
    """What the plan buys, for the money policy: one price per video when they share it."""
    prices = {plan.shots[index].price for index in plan.to_send}
    if len(prices) == 1:
        return PaidAction(PaidKind.GENERATE, prices.pop(), plan.count)
    return PaidAction(PaidKind.GENERATE, plan.total, 1)


def plan_lines(plan: Plan) -> list[str]:
    """One line per shot: "Shot 2: $0.40, sent once shot 1 is ready"."""
    lines = []
    for shot in plan.shots:
        status = STATUS_TEXTS[shot.status].format(
            after="?" if shot.waits_on is None else shot.waits_on + 1
        )
        if shot.status.to_send:
            status = f"{money(shot.price)}, {status}"
        if shot.message and shot.status in (ShotStatus.BLOCKED, ShotStatus.UNCERTAIN):
            status = f"{status}: {shot.message}"
        lines.append(f"Shot {shot.index + 1}: {status}")
    return lines


class GenerateDialog(QDialog):
    """Confirm sending the storyboard's missing shots (see the module docstring).

    Args:
        controller: the engine controller (its balance and the money policy).
        plan: what would be sent (the storyboard service's plan, made just now).
        cap: the daily spending cap in effect (None: none).

    Signals:
        confirmed: send them (the approved total, ``Decimal``; whether past the cap).
        declined: nothing is sent.
    """

    confirmed = Signal(object, bool)
    declined = Signal()

    def __init__(
        self,
        controller: EngineController,
        plan: Plan,
        cap: SpendingCap | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("generateShotsDialog")
        self.setWindowTitle("Generate missing shots")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.plan = plan
        self.confirmation: Confirmation | None = (
            controller.confirm_payment(plan_action(plan), cap) if plan.count else None
        )
        self._answered = False
        heading = QLabel(plan.summary())
        heading.setObjectName("generateShotsHeading")
        heading.setFont(style.scaled_font(heading, 1.15, bold=True))
        self.plan_label = QLabel(
            "<br>".join(html.escape(line) for line in plan_lines(plan)) or "No shots yet."
        )
        self.plan_label.setObjectName("generateShotsPlan")
        self.plan_label.setTextFormat(Qt.TextFormat.RichText)
        self.plan_label.setWordWrap(True)
        self.plan_label.setAccessibleName("Shots")
        self.total_label = QLabel(self._total_text())
        self.total_label.setObjectName("generateShotsTotal")
        self.total_label.setWordWrap(True)
        self.balance_label = QLabel()
        self.balance_label.setObjectName("generateShotsBalance")
        self.balance_label.setWordWrap(True)
        self.cap_label = QLabel()
        self.cap_label.setObjectName("generateShotsCap")
        self.cap_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = QPushButton(
            self.confirmation.accept_label if self.confirmation else "Generate"
        )
        self.accept_button.setObjectName("confirmGenerateShotsButton")
        buttons.addButton(self.accept_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelGenerateShotsButton")
        cancel.setDefault(True)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.total_label)
        layout.addWidget(self.cap_label)
        layout.addWidget(self.balance_label)
        layout.addWidget(buttons)
        self._show_money()
        self.accept_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.finished.connect(self.on_finished)
        self.setMinimumWidth(420)

    def _total_text(self) -> str:
        plan = self.plan
        if not plan.count:
            if plan.problems:
                return "Nothing can be sent until the shots above are fixed."
            return "Every shot has a take or is being made: nothing to send."
        videos = "1 video" if plan.count == 1 else f"{plan.count} videos"
        return f"Total: {money(plan.total)} for {videos}, billed when APIXO accepts each one."

    def _show_money(self) -> None:
        confirmation = self.confirmation
        if confirmation is None:
            self.accept_button.setEnabled(False)
            self.cap_label.hide()
            self.balance_label.hide()
            return
        if confirmation.over_cap and confirmation.cap_text:
            self.cap_label.setText(confirmation.cap_text)
            style.set_text_color(self.cap_label, style.warning_color(self))
        else:
            self.cap_label.hide()
        self.balance_label.setText(confirmation.balance_text or "")
        self.balance_label.setVisible(bool(confirmation.balance_text))
        if confirmation.short_of_balance:
            style.set_text_color(self.balance_label, style.problem_color(self))
            self.accept_button.setEnabled(False)

    def on_finished(self, result: int) -> None:
        if self._answered:
            return
        self._answered = True
        confirmation = self.confirmation
        if result == QDialog.DialogCode.Accepted and confirmation is not None:
            self.confirmed.emit(Decimal(confirmation.total), confirmation.over_cap)
        else:
            self.declined.emit()
