"""The one question asked before anything paid is sent.

Every paid action of the window (Generate, Retry, Resolve's Submit again, Draft to final,
Extend, a stopped batch's Send the rest, Variations) takes one path: the controller's
:meth:`~veo_desktop.ui.controller.EngineController.confirm_payment` asks
:class:`~veo_desktop.core.spending.MoneyPolicy` for a
:class:`~veo_desktop.core.spending.Confirmation` (price, balance, daily cap). :func:`pay`
hands it to :func:`ask_to_pay`, which sends at once when nothing needs asking, and
otherwise opens a :class:`PaymentQuestion` (window-modal ``open()``, never ``exec()``: a
nested event loop inside a coroutine breaks qasync) and sends only on its confirming
button. The actions that always ask (retry, draft to final) show the same confirmation in
their own dialog, and the variations dialog is itself a question: it shows the
confirmation's texts in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap

if TYPE_CHECKING:
    from veo_desktop.ui.controller import EngineController

#: The confirming button's object name per kind (tests and accessibility find it by name).
_BUTTON_NAMES = {
    PaidKind.RETRY: "confirmRetryButton",
    PaidKind.DRAFT_TO_FINAL: "confirmDraftToFinalButton",
}
_OVER_CAP_BUTTON = "confirmOverCapButton"


class PaymentQuestion(QMessageBox):
    """A question before a paid action: its price, the daily cap, the balance.

    Emits exactly one of :attr:`confirmed` or :attr:`declined` when it closes, however it
    closes (a button, Escape, the window's close button, the window closing).

    Args:
        confirmation: what the money policy decided.
        parent: the widget it is window-modal to.
        details: what is bought, in words (the prompt, the settings); shown first.
        name: the object name (tests find the question by it).
    """

    confirmed = Signal()
    declined = Signal()

    def __init__(
        self,
        confirmation: Confirmation,
        parent: QWidget | None,
        *,
        details: str | None = None,
        name: str = "paymentQuestion",
    ) -> None:
        super().__init__(parent)
        self.confirmation = confirmation
        self.setObjectName(name)
        self.setWindowTitle(confirmation.title)
        self.setIcon(QMessageBox.Icon.Warning if confirmation.warns else QMessageBox.Icon.Question)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(confirmation.text)
        # Past the cap, the cap comes first: it is why this question is a warning.
        parts = []
        if confirmation.cap_apart and confirmation.cap_text is not None:
            parts.append(confirmation.cap_text)
        if details:
            parts.append(details)
        if confirmation.balance_text is not None:
            parts.append(confirmation.balance_text)
        self.setInformativeText("\n\n".join(parts))
        kind = confirmation.action.kind
        self.accept_button = self.addButton(
            confirmation.accept_label, QMessageBox.ButtonRole.AcceptRole
        )
        self.accept_button.setObjectName(_BUTTON_NAMES.get(kind, _OVER_CAP_BUTTON))
        self.accept_button.setAccessibleName(confirmation.accept_label)
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(cancel)
        self.setEscapeButton(cancel)
        self._answered = False
        self.finished.connect(self._on_finished)

    def _on_finished(self, _result: int) -> None:
        if self._answered:
            return
        self._answered = True
        if self.clickedButton() is self.accept_button:
            self.confirmed.emit()
        else:
            self.declined.emit()


def ask_to_pay(
    confirmation: Confirmation,
    parent: QWidget | None,
    on_confirmed: Callable[[], object],
    *,
    on_declined: Callable[[], object] | None = None,
    details: str | None = None,
    name: str = "paymentQuestion",
) -> PaymentQuestion | None:
    """Send now when nothing needs asking; else ask first (non-blocking).

    Returns:
        The open question (it deletes itself once answered), or None when ``on_confirmed``
        already ran.
    """
    if not confirmation.must_ask:
        on_confirmed()
        return None
    box = PaymentQuestion(confirmation, parent, details=details, name=name)
    box.confirmed.connect(on_confirmed)
    if on_declined is not None:
        box.declined.connect(on_declined)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def pay(
    controller: EngineController,
    action: PaidAction,
    parent: QWidget | None,
    on_confirmed: Callable[[], object],
    *,
    cap: SpendingCap | None = None,
    on_declined: Callable[[], object] | None = None,
    details: str | None = None,
    name: str = "paymentQuestion",
) -> PaymentQuestion | None:
    """The path of every paid action: the money policy's confirmation of ``action``
    (under ``cap`` and the controller's last balance), then :func:`ask_to_pay`.

    Returns:
        The open question, or None when ``on_confirmed`` already ran (nothing to ask).
    """
    confirmation = controller.confirm_payment(action, cap)
    return ask_to_pay(
        confirmation, parent, on_confirmed, on_declined=on_declined, details=details, name=name
    )
