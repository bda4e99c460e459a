"""Variations: N variations of one request with different seeds, after a confirmation.

The dialog shows N x price, the balance before and after, the seeds, and asks when the
daily spending cap would be passed. Once confirmed it checks the request's image URLs
again (through the controller's quiet path: an image APIXO cannot fetch blocks the
variations with a message, nothing is sent), then starts them as a batch through the
controller (:meth:`~veo_desktop.ui.controller.EngineController.start_batch`: a concurrency
limit, slowing down on 429, never losing or repeating one, resumable from its journal) and
shows the progress its :class:`~veo_desktop.ui.batches.BatchHandle` reports.

Once every variation was sent the dialog closes itself (the new rows are in the task list and
the composer says what was submitted); when one was refused, failed or stopped it stays open
with what went wrong. Its words are the form's: "variations", never "takes".

Opened with ``open()`` (window-modal, never ``exec()``); answers through signals.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import GenerationRequest, RequestInvalidError
from veo_desktop.core.batch import (
    MAX_VARIATIONS,
    MIN_VARIATIONS,
    BatchItem,
    BatchProgress,
    BatchResult,
    ItemState,
    journal_path,
    variation_requests,
)
from veo_desktop.core.spending import Confirmation, PaidAction, PaidKind, SpendingCap
from veo_desktop.ui import style
from veo_desktop.ui.batches import BatchHandle
from veo_desktop.ui.compose.widgets import MessageLabel, Tone, format_money
from veo_desktop.ui.controller import EngineController, blocked_images_message

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 2
CHECKING_TEXT = "Checking that APIXO can fetch the images\u2026"


def _describe(request: GenerationRequest) -> str:
    kinds = {
        "TEXT_2_VIDEO": "Text",
        "FIRST_AND_LAST_FRAMES_2_VIDEO": "Frames",
        "REFERENCE_2_VIDEO": "Reference",
    }
    return " \u00b7 ".join(
        [
            kinds.get(request.generation_type, request.generation_type),
            request.mode.capitalize(),
            request.aspect_ratio,
        ]
    )


class VariationsDialog(QDialog):
    """Confirm, then send, N variations of ``request``.

    Args:
        controller: the bridge to the engine (its balance; it sends the takes as a batch).
        request: the composed request (validated by the composer).
        count: how many takes to offer first (1-8; the person can change it).
        journal_dir: where the batch journal goes (so a crash never loses or repeats a
            take); None keeps it in memory.
        spending_cap: asks (in this dialog) when the takes would pass the daily cap.
        seed_source: where seeds come from (a seeded Random in tests).
        concurrency: submissions in flight at once.

    Signals:
        submitted: the takes APIXO accepted (a list of TaskRecord), once the batch ended.
        batch_finished: the :class:`BatchResult`.
    """

    submitted = Signal(list)
    batch_finished = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        request: GenerationRequest,
        count: int = 2,
        *,
        journal_dir: Path | None = None,
        spending_cap: SpendingCap | None = None,
        seed_source: random.Random | int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("variationsDialog")
        self.setWindowTitle("Variations")
        self.setAccessibleName("Variations")
        self.setAccessibleDescription("Submit several variations of the same request")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._request = request
        self._journal_dir = journal_dir
        self._cap = spending_cap
        self._concurrency = concurrency
        # Seeds are drawn once, so changing the count keeps the takes already listed.
        self._all = variation_requests(request, MAX_VARIATIONS, seed_source)
        self._runner: BatchHandle | None = None
        self._result: BatchResult | None = None
        self._close_when_done = False
        self._check: asyncio.Task[None] | None = None
        self._blocked: str | None = None
        self._build(max(MIN_VARIATIONS, min(MAX_VARIATIONS, count)))
        controller.balance_changed.connect(self.on_controller_balance_changed)
        controller.task_changed.connect(self.on_controller_task_changed)
        self._connected = True
        self._update()

    def _build(self, count: int) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("variationsHeading")
        self.heading.setFont(style.scaled_font(self.heading, 1.2, bold=True))
        self.request_label = QLabel(self._request_text())
        self.request_label.setObjectName("variationsRequest")
        self.request_label.setWordWrap(True)
        self.request_label.setTextFormat(Qt.TextFormat.RichText)
        self.request_label.setAccessibleName("Request")
        self.request_label.setAccessibleDescription(self._request.prompt[:500])

        self.count_spin = QSpinBox()
        self.count_spin.setObjectName("variationsCount")
        self.count_spin.setRange(MIN_VARIATIONS, MAX_VARIATIONS)
        self.count_spin.setValue(count)
        self.count_spin.setMaximumWidth(self.count_spin.sizeHint().width() + 24)
        self.count_spin.setAccessibleName("Number of variations")
        self.count_spin.setAccessibleDescription(
            "How many variations to make, each with its own seed"
        )
        self.cost_label = QLabel()
        self.cost_label.setObjectName("variationsCost")
        self.cost_label.setAccessibleName("Cost")
        self.balance_label = QLabel()
        self.balance_label.setObjectName("variationsBalance")
        self.balance_label.setAccessibleName("Balance")
        self.seeds_label = QLabel()
        self.seeds_label.setObjectName("variationsSeeds")
        self.seeds_label.setWordWrap(True)
        self.seeds_label.setAccessibleName("Seeds")
        self.seeds_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.count_label = QLabel("&Variations")
        self.count_label.setObjectName("variationsCountLabel")
        self.count_label.setBuddy(self.count_spin)
        # (a label with a mnemonic is measured a pixel short: its last letter was cut)
        metrics = self.count_label.fontMetrics()
        self.count_label.setMinimumWidth(
            self.count_label.sizeHint().width() + metrics.averageCharWidth()
        )
        form.addRow(self.count_label, self.count_spin)
        form.addRow("Cost", self.cost_label)
        form.addRow("Balance", self.balance_label)
        form.addRow("Seeds", self.seeds_label)

        self.message = MessageLabel(Tone.WARNING, small=False)
        self.message.setObjectName("variationsMessage")
        self.message.setAccessibleName("Message")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("variationsProgress")
        self.progress_bar.setAccessibleName("Progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.status_label = MessageLabel(Tone.HINT, small=False)
        self.status_label.setObjectName("variationsStatus")
        self.status_label.setAccessibleName("Status")

        self.buttons, self.close_button, self.stop_button, self.confirm_button = _buttons()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.request_label)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.close_button.setAutoDefault(False)
        self.confirm_button.setDefault(True)

        self.count_spin.valueChanged.connect(self.on_count_spin_value_changed)
        self.confirm_button.clicked.connect(self.on_confirm_button_clicked)
        self.stop_button.clicked.connect(self.on_stop_button_clicked)
        self.close_button.clicked.connect(self.reject)

    def _request_text(self) -> str:
        """The prompt, and its kind, mode and aspect in the theme's hint colour."""
        prompt = " ".join(self._request.prompt.split())
        if len(prompt) > 200:
            prompt = prompt[:199] + "\u2026"
        hint = style.hint_color(self).name()
        return (
            f"\u201c{html.escape(prompt)}\u201d<br><span style='color:{hint}'>"
            f"{html.escape(_describe(self._request))}</span>"
        )

    def changeEvent(self, event: QEvent) -> None:
        """Mix the request line's hint colour again when the theme changes."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(
            self, "request_label"
        ):
            self.request_label.setText(self._request_text())

    # -- state -----------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self.count_spin.value()

    def set_count(self, count: int) -> None:
        self.count_spin.setValue(count)
        self.count_spin.setMaximumWidth(self.count_spin.sizeHint().width() + 24)

    def requests(self) -> list[GenerationRequest]:
        """The takes that would be sent (same request, distinct seeds)."""
        return self._all[: self.count]

    def total(self) -> Decimal:
        return sum((r.price for r in self.requests()), Decimal("0"))

    @property
    def runner(self) -> BatchHandle | None:
        """The takes being sent (None before they are confirmed)."""
        return self._runner

    @property
    def batch_result(self) -> BatchResult | None:
        """What became of each take, once the batch ended."""
        return self._result

    @property
    def sending(self) -> bool:
        return self._runner is not None and self._runner.running

    @property
    def checking(self) -> bool:
        """Whether the image URLs are being checked (before anything is sent)."""
        return self._check is not None and not self._check.done()

    def problem(self) -> str | None:
        """Why the takes cannot be sent now (an image APIXO cannot fetch, a balance too
        low), or None."""
        if self._blocked is not None:
            return self._blocked
        balance = self._controller.balance
        if balance is not None and self.confirmation().short_of_balance:
            return (
                f"The balance ({format_money(balance)}) does not cover {self.count} variations "
                f"({format_money(self.total())}). Choose fewer, or add balance in the APIXO "
                "dashboard."
            )
        return None

    def confirmation(self) -> Confirmation:
        """What the money policy says about the takes chosen now (price, balance, cap)."""
        action = PaidAction(PaidKind.VARIATIONS, self._request.price, self.count)
        return self._controller.confirm_payment(action, self._cap)

    def cap_question(self) -> str | None:
        """The daily cap's question when the takes would pass it, else None."""
        return self.confirmation().question

    # -- confirming ------------------------------------------------------------------------

    @Slot(int)
    def on_count_spin_value_changed(self, _value: int) -> None:
        self._update()

    @Slot(object)
    def on_controller_balance_changed(self, _balance: Decimal | None) -> None:
        if self._runner is None:
            self._update()

    @Slot(object)
    def on_controller_task_changed(self, _task: object) -> None:
        """Spending changed (the cap's question may change)."""
        if self._runner is None and self._cap is not None:
            self._update()

    @Slot()
    def on_confirm_button_clicked(self) -> None:
        self.confirm()

    def confirm(self) -> bool:
        """Check the images again, then send the takes; False when they cannot be sent."""
        if self._runner is not None or self.checking or self.problem() is not None:
            return False
        if not self._request.image_urls:
            self._start()
            return True
        self.count_spin.setEnabled(False)
        self.confirm_button.setEnabled(False)
        self.message.show_message(CHECKING_TEXT, Tone.HINT)
        self._check = self._controller.run(self._check_images(), name="Checking the images")
        return True

    async def _check_images(self) -> None:
        try:
            await self._controller.check_images(self._request)
        except RequestInvalidError as error:
            self._blocked = (
                f"{blocked_images_message(self._request, error)} Fix the image in the "
                "composer, then generate again."
            )
            self._update()
            return
        self._start()

    def _start(self) -> None:
        requests = self.requests()
        items = [BatchItem(0, request) for request in requests]
        journal = journal_path(self._journal_dir, items) if self._journal_dir else None
        self._runner = self._controller.start_batch(
            items,
            concurrency=self._concurrency,
            journal=journal,
            source="Variations",
            name="Sending variations",
        )
        self._runner.progressed.connect(self._on_progress)
        self._runner.finished.connect(self._finish)
        self._runner.failed.connect(self._on_failed)
        self.count_spin.setEnabled(False)
        self.confirm_button.hide()
        self.close_button.hide()
        self.stop_button.show()
        self.progress_bar.setRange(0, len(items))
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.message.show_message(None)
        self.heading.setText(f"Sending {len(items)} variations\u2026")
        self.adjustSize()

    def _on_failed(self, error: BaseException) -> None:
        logger.warning("the variations batch could not be sent: %s", error)
        self.status_label.show_message(f"The variations could not be sent: {error}", Tone.PROBLEM)
        self._finish(None)

    def _finish(self, result: BatchResult | None) -> None:
        self._result = result
        self.stop_button.hide()
        self.close_button.setText("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.show()
        self.close_button.setDefault(True)
        if result is None:
            if self._close_when_done:
                self._disconnect()
                super().reject()
            return
        accepted = [
            self._controller.get(str(s.local_id))
            for s in result.items
            if s.state is ItemState.SUBMITTED
        ]
        heading, problems = outcome(result)
        self.heading.setText(heading)
        if problems is not None:
            self.status_label.show_message(problems, Tone.WARNING)
        else:
            self.status_label.show_message("Follow them in the task list.", Tone.OK)
        self.adjustSize()
        self._controller.run(self._controller.refresh_balance(), name="Refreshing the balance")
        self.batch_finished.emit(result)
        self.submitted.emit(accepted)
        if self._close_when_done:
            self._disconnect()
            super().reject()
        elif problems is None:
            # Every variation was sent: the new rows in the task list are what matters now
            # (the composer says what was submitted). Otherwise the dialog stays, saying why.
            self.accept()

    def _on_progress(self, progress: BatchProgress) -> None:
        self.progress_bar.setValue(progress.done)
        self.progress_bar.setFormat(f"{progress.done} of {progress.total}")
        text = progress.summary()
        if progress.sending:
            text += f" \u00b7 sending {progress.sending}"
        self.status_label.show_message(text, Tone.HINT)

    @Slot()
    def on_stop_button_clicked(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Send no more takes (those in flight finish, never cut mid-POST)."""
        if self._runner is not None:
            self._runner.cancel("Stopped; the remaining variations were not sent.")
            self.stop_button.setEnabled(False)

    def reject(self) -> None:
        """Cancel; while sending, stop sending more and close once those in flight end."""
        check = self._check
        if check is not None and not check.done() and check is not asyncio.current_task():
            check.cancel()  # nothing was sent yet
        if self.sending:
            self.stop()
            self._close_when_done = True
            self.hide()
            return
        self._disconnect()
        super().reject()

    def done(self, result: int) -> None:
        self._disconnect()
        super().done(result)

    def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self._controller.balance_changed.disconnect(self.on_controller_balance_changed)
            self._controller.task_changed.disconnect(self.on_controller_task_changed)

    # -- updates ---------------------------------------------------------------------------

    def _update(self) -> None:
        count = self.count
        total = self.total()
        price = self._request.price
        self.heading.setText(
            "APIXO cannot fetch an image"
            if self._blocked is not None
            else f"Submit {count} variation{'s' if count != 1 else ''}?"
        )
        self.cost_label.setText(f"{count} \u00d7 {format_money(price)} = {format_money(total)}")
        self.balance_label.setText(_balance_text(self._controller.balance, total))
        self.seeds_label.setText(_seeds_text(self.requests(), yours=self._request.seed is not None))
        problem = self.problem()
        confirmation = self.confirmation()
        label = confirmation.accept_label
        if problem is not None:
            self.message.show_message(problem, Tone.PROBLEM)
        elif self.checking:
            self.message.show_message(CHECKING_TEXT, Tone.HINT)
        elif confirmation.over_cap:
            self.message.show_message(confirmation.question, Tone.WARNING)
        else:
            self.message.show_message(
                "Each variation is a separate task with its own seed; APIXO charges each one "
                "when it accepts it.",
                Tone.HINT,
            )
        self.confirm_button.setText(label)
        self.confirm_button.setAccessibleName(label)
        self.confirm_button.setEnabled(problem is None and not self.checking)
        self.adjustSize()


def outcome(result: BatchResult) -> tuple[str, str | None]:
    """The heading once the batch ended, and what went wrong (None when every take went)."""
    sent = len(result.submitted)
    heading = (
        f"{sent} of {len(result.items)} variations submitted"
        if sent != len(result.items)
        else f"{sent} variation{'s' if sent != 1 else ''} submitted"
    )
    lines = [result.stopped] if result.stopped else []
    for status in result.items:
        if status.state in (ItemState.SUBMITTED, ItemState.WAITING):
            continue
        seed = status.item.request.seed
        lines.append(f"Seed {seed}: {status.state.value}. {status.message or ''}".strip())
    return heading, "\n".join(lines) if lines else None


def _balance_text(balance: Decimal | None, total: Decimal) -> str:
    if balance is None:
        return "unknown (APIXO did not say)"
    return f"{format_money(balance)} \u2192 {format_money(balance - total)} after"


def _seeds_text(requests: list[GenerationRequest], *, yours: bool) -> str:
    """The takes' seeds; the first is marked when the person chose it."""
    marks = [" (yours)" if index == 0 and yours else "" for index in range(len(requests))]
    return ", ".join(f"{r.seed}{mark}" for r, mark in zip(requests, marks, strict=True))


def _buttons() -> tuple[QDialogButtonBox, QPushButton, QPushButton, QPushButton]:
    """The button box and its Cancel/Close, Stop and confirming buttons (Stop hidden)."""
    confirm = QPushButton()
    confirm.setObjectName("confirmVariationsButton")
    stop = QPushButton("Stop")
    stop.setObjectName("stopVariationsButton")
    stop.setToolTip("Send no more variations (those being sent finish)")
    stop.setAccessibleName("Stop")
    stop.setAccessibleDescription(stop.toolTip())
    close = QPushButton("Cancel")
    close.setObjectName("closeVariationsButton")
    close.setAccessibleName("Cancel")
    box = QDialogButtonBox()
    box.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
    box.addButton(stop, QDialogButtonBox.ButtonRole.ActionRole)
    box.addButton(confirm, QDialogButtonBox.ButtonRole.AcceptRole)
    stop.hide()  # (adding a button to the box shows it)
    return box, close, stop, confirm


def open_variations(
    controller: EngineController,
    request: GenerationRequest,
    count: int,
    *,
    journal_dir: Path | None = None,
    spending_cap: SpendingCap | None = None,
    parent: QWidget | None = None,
) -> VariationsDialog:
    """Open the confirmation (non-blocking; deletes itself when closed)."""
    dialog = VariationsDialog(
        controller,
        request,
        count,
        journal_dir=journal_dir,
        spending_cap=spending_cap,
        parent=parent,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
