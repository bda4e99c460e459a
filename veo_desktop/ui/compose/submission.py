"""What happens after Generate: one explicit state instead of a handful of flags.

A single take is sent at once, or after "Generate anyway" when the money policy says it
would pass the daily spending cap (through the one money path every paid action takes,
:func:`veo_desktop.ui.money.pay`). More than one take (variations) has its images checked once,
then opens the variations confirmation, which sends them. After a take is accepted Generate
rests a moment, so a double click sends one task.

::

    IDLE ──Generate──► ASKING_TO_PAY ──yes──► SENDING ──accepted──► RESTING ──1.2 s──► IDLE
      │                      └──no──► IDLE       └──refused──► IDLE
      └──Generate (variations, with images)──► CHECKING_IMAGES ──► IDLE (+ confirmation)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from veo_desktop.api.models import GenerationRequest, RequestInvalidError
from veo_desktop.core.spending import PaidAction, PaidKind
from veo_desktop.ui.compose.form import ComposeForm, format_money, slot_for_field
from veo_desktop.ui.compose.slot_model import SlotModel
from veo_desktop.ui.compose.tone import Tone
from veo_desktop.ui.money import PaymentQuestion, pay
from veo_desktop.ui.variations import VariationsDialog, open_variations

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.controller import EngineController

#: After a submission is accepted, Generate rests this long (a double click sends one task).
SUBMIT_COOLDOWN_MS = 1200


class SubmitState(Enum):
    """Where a submission is; Generate works only in :attr:`IDLE`."""

    IDLE = "idle"
    #: The images of a variations batch are checked once before the confirmation opens.
    CHECKING_IMAGES = "checking images"
    #: The money policy's question (past the daily cap) is open.
    ASKING_TO_PAY = "asking to pay"
    #: The task is on its way to APIXO.
    SENDING = "sending"
    #: APIXO accepted it; Generate rests for :data:`SUBMIT_COOLDOWN_MS`.
    RESTING = "resting"


class SubmissionFlow(QObject):
    """Sends what the form describes, asking first when the money policy says so.

    Args:
        controller: the bridge to the task engine.
        form: the composer's form (the request, whether it is valid, the image slots).
        owner: the composer (the cap question opens over it, the variations confirmation
            over its window).
        spending_cap: the daily cap in effect, asked at each Generate.
        journal_dir: where a variations batch keeps its journal.

    Signals:
        state_changed: the :class:`SubmitState` changed (or was confirmed after a step).
        said: what to show under Generate: (text or None, Tone or None: as it was).
        accepted: APIXO accepted the single take (its TaskRecord).
        takes_accepted: a variations batch ended with these takes accepted (TaskRecords).
    """

    state_changed = Signal(object)
    said = Signal(object, object)
    accepted = Signal(object)
    takes_accepted = Signal(list)

    def __init__(
        self,
        controller: EngineController,
        form: ComposeForm,
        owner: QWidget,
        *,
        spending_cap: Callable[[], SpendingCap | None],
        journal_dir: Callable[[], Path | None],
    ) -> None:
        super().__init__(owner)
        self._controller = controller
        self._form = form
        self._owner = owner
        self._spending_cap = spending_cap
        self._journal_dir = journal_dir
        self._state = SubmitState.IDLE
        #: The question asked when Generate would pass the daily cap (None when none is open).
        self.cap_question: PaymentQuestion | None = None
        #: The variations confirmation opened last (None once it closed).
        self.variations_dialog: VariationsDialog | None = None
        self._sent: list[tuple[SlotModel, str]] = []
        self._submit_job: asyncio.Task[None] | None = None
        self._check_job: asyncio.Task[None] | None = None
        self._cooldown = QTimer(self)
        self._cooldown.setSingleShot(True)
        self._cooldown.setInterval(SUBMIT_COOLDOWN_MS)
        self._cooldown.timeout.connect(self.on_cooldown_timeout)
        controller.submit_failed.connect(self.on_controller_submit_failed)

    @property
    def state(self) -> SubmitState:
        return self._state

    @property
    def working(self) -> bool:
        """Whether images are being checked or a task sent."""
        return self._state in (SubmitState.CHECKING_IMAGES, SubmitState.SENDING)

    def generate(self) -> bool:
        """Act on Generate when the form is valid and nothing is under way; True when it
        went ahead."""
        form = self._form
        if not form.valid or self._state is not SubmitState.IDLE:
            return False
        request = form.request
        if request.problems():
            return False
        count = form.variations
        if count > 1:
            dialog = self.variations_dialog
            if dialog is not None and dialog.isVisible():
                dialog.raise_()
                dialog.activateWindow()
                return False
            self._check_then_confirm(request, count)
            return True
        self._ask_to_pay(request)
        return True

    def cancel(self) -> None:
        """Stop a check under way and close the cap question (the window is closing)."""
        if self._check_job is not None and not self._check_job.done():
            self._check_job.cancel()
        if self.cap_question is not None:
            self.cap_question.reject()

    async def wait_submitted(self) -> None:
        """Wait for a submission under way."""
        if self._submit_job is not None:
            await asyncio.shield(self._submit_job)

    # -- slots ----------------------------------------------------------------------------

    def on_cooldown_timeout(self) -> None:
        self._enter(SubmitState.IDLE)

    def on_controller_submit_failed(self, field: str, message: str) -> None:
        """APIXO or the check before sending refused ``field``: show it where it belongs."""
        slot = slot_for_field(field, self._sent)
        if slot is not None:
            slot.show_submit_problem(message)
        else:
            self._form.set_server_problem(field, message)

    def on_variations_dialog_submitted(self, records: list[TaskRecord]) -> None:
        if not records:
            return
        total = sum((record.price for record in records), Decimal("0"))
        self.said.emit(
            f"Submitted {len(records)} variation{'s' if len(records) != 1 else ''} "
            f"({format_money(total)}). Follow them in the task list.",
            Tone.OK,
        )
        self.takes_accepted.emit(records)

    def on_variations_dialog_finished(self, _result: int) -> None:
        if self.sender() is self.variations_dialog:
            self.variations_dialog = None

    # -- internals --------------------------------------------------------------------------

    def _enter(self, state: SubmitState) -> None:
        self._state = state
        self.state_changed.emit(state)

    def _ask_to_pay(self, request: GenerationRequest) -> None:
        """Send ``request``, asking first when the money policy says so (past the daily
        cap); nothing is sent unless confirmed."""
        action = PaidAction(PaidKind.GENERATE, request.price)
        cap = self._spending_cap()

        def confirmed() -> None:
            self._question_closed()
            form = self._form
            if request != form.request or not form.valid or self.working:
                self.said.emit(
                    "The form changed while asking; nothing was sent. Press Generate again.",
                    Tone.HINT,
                )
            else:
                self._send(request)

        def declined() -> None:
            self._question_closed()
            self.said.emit("Nothing was sent.", Tone.HINT)

        box = pay(
            self._controller,
            action,
            self._owner,
            confirmed,
            cap=cap,
            on_declined=declined,
            name="composeCapQuestion",
        )
        if box is not None:
            self.cap_question = box
            self._enter(SubmitState.ASKING_TO_PAY)

    def _question_closed(self) -> None:
        self.cap_question = None
        if self._state is SubmitState.ASKING_TO_PAY:
            self._state = SubmitState.IDLE
        self.state_changed.emit(self._state)

    def _send(self, request: GenerationRequest) -> None:
        self._form.clear_server_problem()
        self._sent = self._form.image_sources()
        self.said.emit("Submitting…", Tone.HINT)
        self._enter(SubmitState.SENDING)
        self._submit_job = self._controller.run(self._submit(request), name="compose: submit")

    async def _submit(self, request: GenerationRequest) -> None:
        try:
            record = await self._controller.submit(request)
        finally:
            self._state = SubmitState.IDLE
        if record is None:
            self.said.emit(None, None)
            self._enter(SubmitState.IDLE)
            return
        self._state = SubmitState.RESTING
        self._cooldown.start()
        self.said.emit(
            f"Submitted ({format_money(request.price)}). Follow it in the task list.", Tone.OK
        )
        self._enter(SubmitState.RESTING)
        self.accepted.emit(record)

    def _check_then_confirm(self, request: GenerationRequest, count: int) -> None:
        """Check the images once (as a submit would), then open the variations confirmation."""
        self._form.clear_server_problem()
        self._sent = self._form.image_sources()
        if not request.image_urls:
            self._open_variations(request, count)
            return
        self.said.emit("Checking the images…", Tone.HINT)
        self._enter(SubmitState.CHECKING_IMAGES)
        self._check_job = self._controller.run(
            self._check_images(request, count), name="compose: check the images"
        )

    async def _check_images(self, request: GenerationRequest, count: int) -> None:
        try:
            await self._controller.check_images(request)
        except RequestInvalidError as error:
            self._state = SubmitState.IDLE
            self.said.emit(None, None)
            for problem in error.problems:
                self.on_controller_submit_failed(problem.field, problem.message)
            self._enter(SubmitState.IDLE)
            return
        except asyncio.CancelledError:
            self._state = SubmitState.IDLE
            raise
        self._state = SubmitState.IDLE
        self.said.emit(None, None)
        self._enter(SubmitState.IDLE)
        self._open_variations(request, count)

    def _open_variations(self, request: GenerationRequest, count: int) -> None:
        dialog = open_variations(
            self._controller,
            request,
            count,
            journal_dir=self._journal_dir(),
            spending_cap=self._spending_cap(),
            parent=self._owner.window(),
        )
        dialog.submitted.connect(self.on_variations_dialog_submitted)
        dialog.finished.connect(self.on_variations_dialog_finished)
        self.variations_dialog = dialog
