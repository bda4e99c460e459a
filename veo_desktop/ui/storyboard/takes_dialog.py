""" "More takes…" of one shot: how many, their price, the balance and the daily cap, asked first.

:class:`MoreTakesDialog` is the question only; once confirmed, the film bar sends the takes
through :meth:`~veo_desktop.ui.storyboard.controller.StoryboardController.more_takes` (the
storyboard service's :func:`~veo_desktop.storyboard.takes.generate_takes`: each take marked
on its shot, durably, before its POST, so a crash never sends one twice or loses one). Its
texts and its confirming button are the one money policy's
(:meth:`~veo_desktop.ui.controller.EngineController.confirm_payment`), as in the variations
dialog. Nothing is sent unless its confirming button is pressed.

Opened with ``open()`` (window-modal, never ``exec()``); answers through signals.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS
from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap, money
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.safe_text import printable
from veo_desktop.ui import style
from veo_desktop.ui.controller import EngineController


def _hint(start: ShotStart, number: int) -> str:
    """What each take is made from, and that each is paid."""
    if start is ShotStart.CONTINUE:
        made = (
            f"Each take starts from the last frame of shot {number - 1}'s chosen take, with "
            "the shot's settings and a seed of its own"
        )
    elif start is ShotStart.EXTEND:
        made = (
            f"Each take extends shot {number - 1}'s chosen take, with the shot's prompt and "
            "a seed of its own"
        )
    else:
        made = "Each take is the shot's settings with a seed of its own"
    return f"{made}; APIXO charges each one when it accepts it."


class MoreTakesDialog(QDialog):
    """Confirm sending ``count`` more takes of a shot (see the module docstring).

    Args:
        controller: the engine controller (its balance and the money policy).
        request: the shot's own settings (its price; the prompt shown).
        number: the shot's number in the film (1-based).
        count: how many takes to offer first (1-8; the person can change it).
        cap: the daily spending cap in effect (None: none).
        start: how the shot starts (a continued or extended shot's takes all start from the
            take the film uses for the shot before; the dialog says which).

    Signals:
        confirmed: send them (the number of takes, the approved total ``Decimal``, whether
            past the cap).
        declined: nothing is sent.
    """

    confirmed = Signal(int, object, bool)
    declined = Signal()

    def __init__(
        self,
        controller: EngineController,
        request: GenerationRequest,
        number: int,
        count: int,
        cap: SpendingCap | None,
        parent: QWidget | None = None,
        *,
        start: ShotStart = ShotStart.OWN,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("moreTakesDialog")
        self.setWindowTitle(f"More takes of shot {number}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._request = request
        self._number = number
        self._cap = cap
        self._answered = False
        self.heading = QLabel()
        self.heading.setObjectName("moreTakesHeading")
        self.heading.setFont(style.scaled_font(self.heading, 1.15, bold=True))
        prompt = QLabel(f"\u201c{printable(' '.join(request.prompt.split()), 200)}\u201d")
        prompt.setObjectName("moreTakesPrompt")
        prompt.setWordWrap(True)
        prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.count_spin = QSpinBox()
        self.count_spin.setObjectName("moreTakesCount")
        self.count_spin.setRange(MIN_VARIATIONS, MAX_VARIATIONS)
        self.count_spin.setValue(max(MIN_VARIATIONS, min(MAX_VARIATIONS, count)))
        self.count_spin.setAccessibleName("Number of takes")
        self.cost_label = QLabel()
        self.cost_label.setObjectName("moreTakesCost")
        self.balance_label = QLabel()
        self.balance_label.setObjectName("moreTakesBalance")
        self.balance_label.setWordWrap(True)
        self.cap_label = QLabel()
        self.cap_label.setObjectName("moreTakesCap")
        self.cap_label.setWordWrap(True)
        hint = QLabel(_hint(start, number))
        hint.setObjectName("moreTakesHint")
        hint.setWordWrap(True)
        style.follow_hint_color(hint)
        form = QFormLayout()
        count_label = QLabel("&Takes")
        count_label.setBuddy(self.count_spin)
        form.addRow(count_label, self.count_spin)
        form.addRow("Cost", self.cost_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = QPushButton()
        self.accept_button.setObjectName("confirmMoreTakesButton")
        buttons.addButton(self.accept_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelMoreTakesButton")
        cancel.setAutoDefault(False)
        self.accept_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(prompt)
        layout.addLayout(form)
        layout.addWidget(self.cap_label)
        layout.addWidget(self.balance_label)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.count_spin.valueChanged.connect(self.on_count_spin_value_changed)
        controller.balance_changed.connect(self.on_controller_balance_changed)
        self.accept_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.finished.connect(self.on_finished)
        self._update()

    @property
    def count(self) -> int:
        return self.count_spin.value()

    def set_count(self, count: int) -> None:
        self.count_spin.setValue(count)

    def confirmation(self) -> Confirmation:
        """The money policy's verdict on the takes chosen now (price, balance, cap)."""
        action = PaidAction(PaidKind.VARIATIONS, self._request.price, self.count)
        return self._controller.confirm_payment(action, self._cap)

    def on_count_spin_value_changed(self, _value: int) -> None:
        self._update()

    def on_controller_balance_changed(self, _balance: object) -> None:
        self._update()

    def _update(self) -> None:
        count, confirmation = self.count, self.confirmation()
        takes = "take" if count == 1 else "takes"
        self.heading.setText(f"Make {count} more {takes} of shot {self._number}?")
        self.cost_label.setText(
            f"{count} x {money(self._request.price)} = {money(confirmation.total)}"
        )
        self.accept_button.setText(confirmation.accept_label)
        if confirmation.over_cap and confirmation.cap_text:
            self.cap_label.setText(confirmation.cap_text)
            style.set_text_color(self.cap_label, style.warning_color(self))
            self.cap_label.show()
        else:
            self.cap_label.hide()
        # Unknown until APIXO answers (it is asked as the session starts): said, not hidden.
        self.balance_label.setText(confirmation.balance_text or "Balance: asking APIXO\u2026")
        short = confirmation.short_of_balance
        if short:
            style.set_text_color(self.balance_label, style.problem_color(self))
        else:
            self.balance_label.setPalette(QPalette())  # the inherited colours again
        self.accept_button.setEnabled(not short)

    def on_finished(self, result: int) -> None:
        if self._answered:
            return
        self._answered = True
        self._controller.balance_changed.disconnect(self.on_controller_balance_changed)
        confirmation = self.confirmation()
        if result == QDialog.DialogCode.Accepted and not confirmation.short_of_balance:
            self.confirmed.emit(self.count, Decimal(confirmation.total), confirmation.over_cap)
        else:
            self.declined.emit()
