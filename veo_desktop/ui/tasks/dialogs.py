"""The task list's questions: retry and draft-to-final (with the price), resolve an uncertain
task, remove.

Every dialog is opened with ``open()`` (window-modal, non-blocking) and answers through
signals: a nested ``exec()`` inside the asyncio loop would break qasync.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.engine import redownload_problem
from veo_desktop.core.spending import Confirmation, money
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable_block
from veo_desktop.ui import style
from veo_desktop.ui.money import PaymentQuestion
from veo_desktop.ui.tasks import format as fmt

_PROMPT_EXCERPT = 160


def prompt_excerpt(task: TaskRecord) -> str:
    text = fmt.short_prompt(task)
    return text if len(text) <= _PROMPT_EXCERPT else text[: _PROMPT_EXCERPT - 1] + "\u2026"


def _describe(task: TaskRecord) -> str:
    return f"{fmt.kind_label(task)} \u00b7 {fmt.mode_label(task)} \u00b7 {fmt.aspect_label(task)}"


def retry_details(task: TaskRecord, confirmation: Confirmation) -> str:
    """What retrying ``task`` buys, in words (the question's details)."""
    price = money(confirmation.total)
    state = fmt.STATE_LABELS.get(task.state, str(task.state)).lower()
    reason = fmt.detail_line(task)
    text = (
        f"\u201c{prompt_excerpt(task)}\u201d\n{_describe(task)}\n\n"
        f"It {'was ' + state if state != 'failed' else 'failed'}"
        f"{': ' + reason if reason else '.'}\n"
        f"A new task is created and APIXO charges {price} when it accepts it. "
        "The old task stays in the list."
    )
    if redownload_problem(task) is None:
        text += (
            "\n\nIts video was made and paid for: \u201cDownload again\u201d fetches it "
            "at no cost while APIXO keeps it."
        )
    return text


def retry_dialog(parent: QWidget, task: TaskRecord, confirmation: Confirmation) -> PaymentQuestion:
    """Ask before submitting a failed or rejected task's request again (it costs money)."""
    return PaymentQuestion(
        confirmation, parent, details=retry_details(task, confirmation), name="retryDialog"
    )


def draft_to_final_dialog(
    parent: QWidget,
    task: TaskRecord,
    request: GenerationRequest,
    note: str | None,
    confirmation: Confirmation,
) -> PaymentQuestion:
    """Ask before making a fast draft again in quality mode (it costs the quality price).

    ``note`` warns when the final cannot match the draft (no seed); the confirmation says
    the price, the daily cap (a warning when this would pass it) and the balance.
    """
    price = money(confirmation.total)
    seed = "a random seed" if request.seed is None else f"seed {request.seed}"
    details = (
        f"\u201c{prompt_excerpt(task)}\u201d\n"
        f"{fmt.kind_label(task)} \u00b7 {fmt.aspect_label(task)} \u00b7 {seed}\n\n"
        f"The same prompt and settings are sent as a new quality task; APIXO charges {price} "
        "when it accepts it. The draft stays in the list."
    )
    if note:
        details += f"\n\n{note}"
    return PaymentQuestion(confirmation, parent, details=details, name="draftToFinalDialog")


def remove_dialog(parent: QWidget, task: TaskRecord, video: Path | None) -> QMessageBox:
    """Ask before removing a task from the list, offering to delete its video file too."""
    box = QMessageBox(parent)
    box.setObjectName("removeDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Remove from the list")
    box.setText("Remove this task from the list?")
    details = f"\u201c{prompt_excerpt(task)}\u201d"
    if video is not None:
        details += (
            f"\n\nThe video stays in {video.parent} unless you delete it too. "
            "Spending history keeps the task either way."
        )
    box.setInformativeText(details)
    if video is not None:
        check = QCheckBox(f"Also delete the video file ({video.name})", box)
        check.setObjectName("deleteFileCheck")
        check.setAccessibleName("Also delete the video file")
        box.setCheckBox(check)
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    remove.setObjectName("confirmRemoveButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


class ResolveDialog(QDialog):
    """What to do with a submission whose answer was lost: check, submit again, or dismiss.

    Nothing is sent to APIXO's paid endpoint unless the person presses "Submit again",
    whose label carries the price.
    """

    check_requested = Signal()
    resubmit_requested = Signal()
    dismiss_requested = Signal()

    def __init__(self, task: TaskRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resolveDialog")
        self.setWindowTitle("Resolve an uncertain submission")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.local_id = task.local_id
        price = fmt.money_text(task.price)

        heading = QLabel("APIXO may or may not have taken this video.")
        heading.setFont(style.scaled_font(heading, 1.15, bold=True))
        heading.setWordWrap(True)
        prompt = QLabel(f"\u201c{html.escape(prompt_excerpt(task))}\u201d<br>{_describe(task)}")
        prompt.setWordWrap(True)
        style.follow_hint_color(prompt)
        body = QLabel(
            "The answer to the submission was lost after the request was sent, so the app "
            f"cannot tell whether APIXO accepted it (and charged {price}). It was not sent "
            "again.<br><br>"
            "<b>Check again</b> asks APIXO what it can tell. "
            f"<b>Submit again</b> sends a new request and costs {price} more if the first one "
            "was accepted too. <b>Dismiss</b> hides it without sending anything."
        )
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.RichText)
        self.answer = QLabel()
        self.answer.setObjectName("resolveAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.setFrameShape(QLabel.Shape.StyledPanel)
        self.answer.setMargin(8)
        self.answer.hide()

        self.check_button = QPushButton("Check again")
        self.check_button.setObjectName("checkAgainButton")
        self.check_button.setToolTip("Ask APIXO what it can tell (free)")
        self.resubmit_button = QPushButton(f"Submit again \u2013 {price}")
        self.resubmit_button.setObjectName("resubmitButton")
        self.resubmit_button.setToolTip(f"Send the same request as a new task ({price})")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setObjectName("dismissButton")
        self.dismiss_button.setToolTip("Hide it from the list without sending anything")
        buttons = QDialogButtonBox()
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.resubmit_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.dismiss_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("closeResolveButton")
        buttons.rejected.connect(self.reject)
        self.check_button.clicked.connect(self.check_requested)
        self.resubmit_button.clicked.connect(self.resubmit_requested)
        self.dismiss_button.clicked.connect(self.dismiss_requested)
        self.check_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(prompt)
        layout.addWidget(body)
        layout.addWidget(self.answer)
        row = QHBoxLayout()
        row.addWidget(buttons)
        layout.addLayout(row)
        self.setMinimumWidth(460)
        for widget in (self.check_button, self.resubmit_button, self.dismiss_button):
            widget.setAccessibleName(widget.text())
            widget.setAccessibleDescription(widget.toolTip())

    def set_busy(self, busy: bool, message: str = "") -> None:
        """Disable the choices while a check or a submission is under way."""
        for button in (self.check_button, self.resubmit_button, self.dismiss_button):
            button.setEnabled(not busy)
        if message:
            self.show_answer(message)

    def show_answer(self, text: str) -> None:
        self.answer.setText(printable_block(text, 4000))
        self.answer.show()
        self.adjustSize()
