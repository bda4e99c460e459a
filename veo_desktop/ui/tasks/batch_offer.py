"""A notice above the task list: a batch stopped before every item was sent; resume it?

A batch (a file sent from the command line, or variations from the composer) keeps a
journal; when the app or the command was stopped part-way, the journal is left
unfinished. At start-up the window offers, without blocking anything, to send the items
that never got a task ("Send the rest - $0.60") or to let them go ("Don't send"). Resuming
goes through the money policy, then the controller's
:meth:`~veo_desktop.ui.controller.EngineController.resume_batch`, whose
:class:`~veo_desktop.ui.batches.BatchHandle` reports the progress: nothing already sent is
sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.batch import (
    BatchBusyError,
    BatchItem,
    BatchJournal,
    BatchJournalError,
    BatchProgress,
    BatchResult,
    journal_dir,
    total_price,
    unfinished_journals,
    unsent_indexes,
)
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.spending import PaidAction, PaidKind, SpendingCap
from veo_desktop.ui import style
from veo_desktop.ui.batches import BatchHandle
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.money import PaymentQuestion, pay

logger = logging.getLogger(__name__)

#: At most this many stopped batches are offered at once (the newest).
MAX_OFFERS = 3


def unsent_items(journal: BatchJournal, source: EngineController | TaskEngine) -> list[BatchItem]:
    """The items of ``journal`` that resuming would send (see :func:`unsent_indexes`).

    ``source``: the session's controller (a window), or an engine (the command line, tests).
    """
    return [journal.items[index] for index in unsent_indexes(journal, source)]


def batch_name(journal: BatchJournal) -> str:
    """How a person knows the batch: its file's name, or "Variations"."""
    source = journal.source or "A batch"
    return Path(source).name if ("/" in source or "\\" in source) else source


async def stopped_batches(
    source: EngineController | TaskEngine, data_dir: Path
) -> list[BatchJournal]:
    """Unfinished batch journals with something left to send (newest first)."""
    journals = await asyncio.to_thread(unfinished_journals, journal_dir(data_dir))
    return [j for j in journals if unsent_items(j, source)][:MAX_OFFERS]


class BatchOffer(QFrame):
    """A stopped batch: what is left and its price, "Send the rest" and "Don't send"; then
    its progress and outcome.

    Args:
        controller: the session's controller (it resumes the batch and sends it).
        journal: the stopped batch.
        spending_cap: returns the daily cap in effect (asked about before sending).

    Signals:
        finished: the batch ended (a :class:`BatchResult`), or None when it was let go.
    """

    finished = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        journal: BatchJournal,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchOffer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Stopped batch")
        self._controller = controller
        self._journal = journal
        self._spending_cap = spending_cap or (lambda: None)
        self._unsent = controller.unsent_items(journal)
        self._price = total_price(self._unsent)
        self._handle: BatchHandle | None = None
        #: The batch being sent (tests wait on it); None before "Send the rest".
        self.job: asyncio.Task[BatchResult | None] | None = None
        #: The spending cap's question, while it is asked.
        self.question: PaymentQuestion | None = None

        self.label = QLabel(self)
        self.label.setObjectName("batchOfferLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.resume_button = QPushButton(f"Send the rest \u2013 ${self._price:.2f}", self)
        self.resume_button.setObjectName("batchResumeButton")
        self.resume_button.setToolTip(
            "Send the items that never got a task; nothing already sent is sent again"
        )
        self.resume_button.setAccessibleName(self.resume_button.text())
        self.resume_button.setAccessibleDescription(self.resume_button.toolTip())
        self.dismiss_button = QPushButton("Don't send", self)
        self.dismiss_button.setObjectName("batchDismissButton")
        self.dismiss_button.setToolTip(
            "Let the unsent items go (running the same batch file again still sends them)"
        )
        self.dismiss_button.setAccessibleDescription(self.dismiss_button.toolTip())
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("batchOfferCloseButton")
        self.close_button.hide()
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addStretch(1)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.resume_button.clicked.connect(self.on_resume_button_clicked)
        self.dismiss_button.clicked.connect(self.on_dismiss_button_clicked)
        self.close_button.clicked.connect(self.close_offer)
        self._recolor()
        self._say_offer()

    # -- state -----------------------------------------------------------------------------

    @property
    def journal(self) -> BatchJournal:
        return self._journal

    @property
    def unsent(self) -> int:
        return len(self._unsent)

    @property
    def price(self) -> Decimal:
        return self._price

    def _say_offer(self) -> None:
        total = len(self._journal.items)
        name = batch_name(self._journal)
        noun = "takes" if name == "Variations" else "items"
        who = "Variations" if name == "Variations" else f"Batch \u201c{name}\u201d"
        self.label.setText(
            f"{who} stopped with {self.unsent} of {total} {noun} not sent "
            f"(${self._price:.2f}). Nothing already sent is sent again."
        )
        self.label.setToolTip(str(self._journal.source or ""))
        self.setAccessibleDescription(self.label.text())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._recolor()

    def _recolor(self) -> None:
        accent = style.accent_color(self)
        self.setStyleSheet(
            f"QFrame#batchOffer {{ border: 1px solid {accent.name()}; border-radius: 4px; }}"
        )

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    def on_resume_button_clicked(self) -> None:
        self.resume()

    def resume(self) -> bool:
        """Send the rest (asking first past the daily cap); False when already sending."""
        if self.job is not None or self.question is not None:
            return False

        def confirmed() -> None:
            self.question = None
            self._start()

        def declined() -> None:
            self.question = None

        self.question = pay(
            self._controller,
            PaidAction(PaidKind.BATCH, self._price),
            self,
            confirmed,
            cap=self._spending_cap(),
            on_declined=declined,
            name="batchCapQuestion",
        )
        return True

    def _start(self) -> None:
        path = self._journal.path
        if path is None:
            return
        try:
            handle = self._controller.resume_batch(path)
        except (BatchJournalError, ValueError) as error:
            self._show_end(f"The batch cannot be resumed: {error}", problem=True)
            return
        self._handle = handle
        handle.progressed.connect(self._on_progress)
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self._on_failed)
        self.resume_button.setEnabled(False)
        self.dismiss_button.setEnabled(False)
        self.label.setText("Sending the rest of the batch\u2026")
        self.job = handle.job

    def _on_failed(self, error: BaseException) -> None:
        if isinstance(error, BatchBusyError):
            self._show_end(str(error), problem=True)
        else:
            self._show_end(f"The batch could not be sent: {error}", problem=True)

    def _on_finished(self, result: BatchResult) -> None:
        problems = len(result.items) - len(result.submitted)
        text = f"{len(result.submitted)} of {len(result.items)} submitted."
        if result.stopped:
            text += f" {result.stopped}"
        elif problems:
            text += f" {problems} need a look in the list (uncertain or refused)."
        self._show_end(text, problem=bool(result.stopped or problems))
        self.finished.emit(result)

    def _on_progress(self, progress: BatchProgress) -> None:
        self.label.setText(f"Sending the rest of the batch: {progress.summary()}")

    def _show_end(self, text: str, *, problem: bool) -> None:
        self.label.setText(text)
        style.set_text_color(
            self.label, style.problem_color(self) if problem else style.hint_color(self)
        )
        self.resume_button.hide()
        self.dismiss_button.hide()
        self.close_button.show()

    @Slot()
    def on_dismiss_button_clicked(self) -> None:
        self._controller.run(self.dismiss(), name="Letting a batch go")

    async def dismiss(self) -> None:
        """Mark the batch finished (it is not offered again) and close the notice."""
        try:
            await asyncio.to_thread(self._journal.finish)
        except OSError as error:
            logger.warning("could not mark the batch journal finished: %s", error)
        self.finished.emit(None)
        self.close_offer()

    @Slot()
    def close_offer(self) -> None:
        self.hide()
        self.deleteLater()

    def shutdown(self) -> None:
        """Stop sending more (the window closes); submissions in flight finish."""
        if self._handle is not None:
            self._handle.cancel()
