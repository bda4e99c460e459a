"""The composer in extend mode: continue a finished video with a new prompt.

It shows the source, how long APIXO still holds it (24 hours from completion), the price
and the balance; it checks the request before anything is sent and asks first when the
daily spending cap would be passed. APIXO's ``TASKID_ERROR`` (the source is unknown or
expired) becomes a plain explanation, and the Extend button is disabled after it.

Opened with ``open()`` (window-modal, never ``exec()``); answers through signals.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.errors import ApixoError, SubmissionUncertainError
from veo_desktop.api.models import (
    MAX_PROMPT_LENGTH,
    PRICES,
    ExtendRequest,
    Problem,
    RequestInvalidError,
)
from veo_desktop.core import lineage
from veo_desktop.core.spending import PaidAction, PaidKind, SpendingCap
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import (
    MessageLabel,
    Tone,
    add_mode_choices,
    seed_edit,
    seed_from_text,
    watermark_edit,
)
from veo_desktop.ui.controller import LOCAL_ERRORS, EngineController, is_extend_of
from veo_desktop.ui.money import PaymentQuestion, pay
from veo_desktop.ui.tasks import format as fmt

logger = logging.getLogger(__name__)

#: How often the "extendable for ..." line is refreshed while the dialog is open.
WINDOW_REFRESH_MS = 30_000
#: Below this, the remaining window is shown as a warning.
SOON_SECONDS = 2 * 3600


class ExtendDialog(QDialog):
    """Extend ``source`` (a succeeded ``veo-3-1`` task) with a new prompt.

    Args:
        controller: the bridge to the engine (the submission, the balance).
        source: the task to extend.
        spending_cap: asks first when the submission would pass the daily cap.
        clock: returns now (unix seconds); replaced in tests.

    Signals:
        submitted: the extend was accepted (the new TaskRecord); the dialog then closes.
    """

    submitted = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        source: TaskRecord,
        *,
        spending_cap: SpendingCap | None = None,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("extendDialog")
        self.setWindowTitle("Extend video")
        self.setAccessibleName("Extend video")
        self.setAccessibleDescription("Continue a finished video with a new prompt")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._window = ExtendWindow(source, controller.extends_of(source), clock)
        self._cap = spending_cap
        self._clock = clock
        self._busy = False
        #: The question being asked (tests answer it); None when none is open.
        self.question: PaymentQuestion | None = None
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(WINDOW_REFRESH_MS)
        self._timer.timeout.connect(self.on_timer_timeout)
        self._timer.start()
        controller.balance_changed.connect(self.on_controller_balance_changed)
        controller.task_changed.connect(self.on_controller_task_changed)
        self._connected = True
        self._update()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        source = self._window.source
        heading = QLabel("Continue this video")
        heading.setFont(style.scaled_font(heading, 1.2, bold=True))
        self.source_label = QLabel()
        self.source_label.setObjectName("extendSourceLabel")
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        excerpt = html.escape(_excerpt(source.prompt, 220))
        details = " \u00b7 ".join(
            [fmt.kind_label(source), fmt.mode_label(source), fmt.aspect_label(source)]
        )
        hint = style.hint_color(self).name()
        self.source_label.setText(
            f"\u201c{excerpt}\u201d<br><span style='color:{hint}'>{html.escape(details)}</span>"
        )
        self.source_label.setToolTip(source.prompt[:2000])
        self.source_label.setAccessibleName("Source video")
        self.source_label.setAccessibleDescription(source.prompt[:500])
        self.window_label = MessageLabel(Tone.HINT, small=False)
        self.window_label.setObjectName("extendWindowLabel")
        self.window_label.setAccessibleName("How long the video can be extended")
        box = QFrame()
        box.setObjectName("extendSourceBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(10, 8, 10, 8)
        box_layout.setSpacing(4)
        box_layout.addWidget(self.source_label)
        box_layout.addWidget(self.window_label)

        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setObjectName("extendPromptEdit")
        self.prompt_edit.setAccessibleName("Prompt")
        self.prompt_edit.setAccessibleDescription(
            "What happens next in the video, up to 10,000 characters. Ctrl+Enter extends."
        )
        self.prompt_edit.setPlaceholderText("What happens next: action, camera, sound\u2026")
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.setMinimumHeight(72)
        self.prompt_counter = QLabel()
        self.prompt_counter.setObjectName("extendPromptCounter")
        self.prompt_counter.setFont(style.scaled_font(self.prompt_counter, 0.9))
        self.prompt_counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.prompt_message = MessageLabel(Tone.PROBLEM)
        self.prompt_message.setObjectName("extendPromptMessage")

        self.mode_selector = QComboBox()
        self.mode_selector.setObjectName("extendModeSelector")
        self.mode_selector.setAccessibleName("Mode")
        self.mode_selector.setAccessibleDescription("Fast or quality; each has its price")
        add_mode_choices(self.mode_selector)
        self.seed_edit = seed_edit("extendSeedEdit")
        self.seed_message = MessageLabel(Tone.PROBLEM)
        self.seed_message.setObjectName("extendSeedMessage")
        self.watermark_edit = watermark_edit("extendWatermarkEdit")

        self.cost_label = QLabel()
        self.cost_label.setObjectName("extendCostLabel")
        self.cost_label.setAccessibleName("Cost")
        self.message = MessageLabel(Tone.PROBLEM, small=False)
        self.message.setObjectName("extendMessage")
        self.message.setAccessibleName("Problem")

        self.extend_button = QPushButton()
        self.extend_button.setObjectName("extendButton")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelExtendButton")
        self.cancel_button.setAccessibleName("Cancel")
        buttons = QDialogButtonBox()
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.extend_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button.clicked.connect(self.reject)
        self.extend_button.clicked.connect(self.on_extend_button_clicked)

        form = QGridLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        form.addWidget(_label("&Mode", self.mode_selector), 0, 0)
        form.addWidget(_label("&Seed", self.seed_edit), 0, 1)
        form.addWidget(_label("&Watermark", self.watermark_edit), 0, 2)
        form.addWidget(self.mode_selector, 1, 0)
        form.addWidget(self.seed_edit, 1, 1)
        form.addWidget(self.watermark_edit, 1, 2)
        form.addWidget(self.seed_message, 2, 1)
        for column in range(3):
            form.setColumnStretch(column, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(box)
        layout.addWidget(_label("&Prompt for the continuation", self.prompt_edit))
        layout.addWidget(self.prompt_edit, 1)
        layout.addWidget(self.prompt_counter)
        layout.addWidget(self.prompt_message)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.cost_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.resize(580, 470)
        self.cancel_button.setAutoDefault(False)
        self.extend_button.setDefault(True)

        self.prompt_edit.textChanged.connect(self.on_field_changed)
        self.mode_selector.currentIndexChanged.connect(self.on_field_changed)
        self.seed_edit.textChanged.connect(self.on_field_changed)
        self.watermark_edit.textChanged.connect(self.on_field_changed)
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.activated.connect(self.extend)
        self.prompt_edit.setFocus()

    # -- state -----------------------------------------------------------------------------

    @property
    def source(self) -> TaskRecord:
        return self._window.source

    @property
    def busy(self) -> bool:
        return self._busy

    def current_request(self) -> ExtendRequest:
        watermark = self.watermark_edit.text()
        return ExtendRequest(
            task_id=self._window.source.apixo_task_id or "",
            prompt=self.prompt_edit.toPlainText(),
            mode=str(self.mode_selector.currentData()),
            seed=seed_from_text(self.seed_edit.text().strip()),
            watermark=watermark if watermark.strip() else None,
        )

    def set_prompt(self, text: str) -> None:
        self.prompt_edit.setPlainText(text)

    def set_mode(self, mode: str) -> None:
        self.mode_selector.setCurrentIndex(self.mode_selector.findData(mode))

    def extendable_until(self) -> float | None:
        return self._window.until()

    def window_open(self) -> bool:
        return self._window.is_open()

    def problems(self) -> list[Problem]:
        """What stops the extend now (the request's rules, and the source's window)."""
        problems = self.current_request().problems()
        if not self.window_open():
            problems.append(Problem("taskId", self._window.text()))
        return problems

    def can_extend(self) -> bool:
        return not self._busy and not self.problems()

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    def on_extend_button_clicked(self) -> None:
        self.extend()

    def extend(self) -> bool:
        """Submit the extend (asking first past the spending cap); False when it cannot."""
        if self.question is not None:
            return False  # already asking
        if not self.can_extend():
            self._update(show_all=True)
            return False
        request = self.current_request()

        def confirmed() -> None:
            self.question = None
            self._start(request)

        def declined() -> None:
            self.question = None

        self.question = pay(
            self._controller,
            PaidAction(PaidKind.EXTEND, request.price),
            self,
            confirmed,
            cap=self._cap,
            on_declined=declined,
            name="extendCapQuestion",
        )
        return True

    def _start(self, request: ExtendRequest) -> None:
        self._busy = True
        self.message.show_message("Sending\u2026", Tone.HINT)
        self._update()
        self._controller.run(self._submit(request), name="Extending a video")

    async def _submit(self, request: ExtendRequest) -> None:
        """Send through the controller's quiet path: its errors are shown here, not in the
        composer (the controller reports the API's health and refreshes the balance)."""
        try:
            record = await self._controller.submit_quietly(request)
        except RequestInvalidError as error:
            self._fail(" ".join(p.message for p in error.problems))
        except SubmissionUncertainError as error:
            self._fail(str(error))
        except ApixoError as error:
            if lineage.is_taskid_error(error):
                self._window.refused = True
                self._fail(lineage.taskid_error_message(self._window.source, now=self._clock()))
            else:
                self._fail(str(error))
            self._refresh_balance()
        except LOCAL_ERRORS as error:
            self._fail(f"The task could not be saved on this computer: {error}")
        else:
            self._busy = False
            self.submitted.emit(record)
            self.accept()

    def _refresh_balance(self) -> None:
        self._controller.run(self._controller.refresh_balance(), name="Refreshing the balance")

    def _fail(self, message: str) -> None:
        self._busy = False
        self.message.show_message(message, Tone.PROBLEM)
        self._update()

    # -- updates ---------------------------------------------------------------------------

    @Slot()
    def on_field_changed(self, *_args: object) -> None:
        if not self._busy and self.message.tone is Tone.PROBLEM and not self._window.refused:
            self.message.show_message(None)
        self._update()

    @Slot()
    def on_timer_timeout(self) -> None:
        self._update()

    @Slot(object)
    def on_controller_balance_changed(self, _balance: Decimal | None) -> None:
        self._update_cost()

    @Slot(object)
    def on_controller_task_changed(self, task: TaskRecord) -> None:
        if self._window.follow(task):
            self._update()

    def _update(self, *, show_all: bool = False) -> None:
        request = self.current_request()
        problems = request.problems()
        typed = bool(request.prompt) or show_all
        by_field = {p.field: p.message for p in problems}
        self.prompt_message.show_message(by_field.get("prompt") if typed else None)
        self.seed_message.show_message(by_field.get("seed"))
        length = len(request.prompt)
        over = length > MAX_PROMPT_LENGTH
        self.prompt_counter.setText(f"{length:,} / {MAX_PROMPT_LENGTH:,}")
        color = style.problem_color(self) if over else style.hint_color(self)
        self.prompt_counter.setStyleSheet(f"color: {color.name()};")
        self.prompt_counter.setAccessibleDescription(f"{length} of {MAX_PROMPT_LENGTH} characters")
        # The window.
        text = self._window.text()
        open_ = self.window_open()
        until = self.extendable_until()
        soon = until is not None and open_ and until - self._clock() < SOON_SECONDS
        tone = Tone.PROBLEM if not open_ else Tone.WARNING if soon else Tone.HINT
        self.window_label.show_message(text, tone)
        self._update_cost()
        enabled = not self._busy and not problems and open_
        self.extend_button.setEnabled(enabled)
        for widget in (self.prompt_edit, self.mode_selector, self.seed_edit, self.watermark_edit):
            widget.setEnabled(not self._busy and open_)
        self._fit()

    def _fit(self) -> None:
        """Grow to show every message whole (word-wrapped labels need more height)."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if needed > self.height():
            self.resize(self.width(), needed)

    def _update_cost(self) -> None:
        price = PRICES.get(str(self.mode_selector.currentData()), Decimal("0"))
        balance = self._controller.balance
        label = f"Extend \u2013 ${price:.2f}"
        self.extend_button.setText(label)
        self.extend_button.setAccessibleName(label)
        self.extend_button.setAccessibleDescription(
            f"Submit the extension; APIXO charges ${price:.2f} when it accepts it"
        )
        known = "balance unknown" if balance is None else f"balance ${balance:,.2f}"
        text = f"${price:.2f} when APIXO accepts it \u00b7 {known}"
        low = balance is not None and balance < price
        if low:
            text += " (not enough)"
        self.cost_label.setText(text)
        self.cost_label.setAccessibleDescription(text)
        style.set_text_color(
            self.cost_label, style.warning_color(self) if low else style.hint_color(self)
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self._disconnect()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._disconnect()
        super().done(result)

    def _disconnect(self) -> None:
        self._timer.stop()
        if not self._connected:
            return
        self._connected = False
        self._controller.balance_changed.disconnect(self.on_controller_balance_changed)
        self._controller.task_changed.disconnect(self.on_controller_task_changed)


class ExtendWindow:
    """How long APIXO still holds a source video for extending (Qt-free).

    Args:
        source: the video to extend.
        extends: the extends that name it (APIXO's refusals among them end its window).
        clock: returns now (unix seconds).
    """

    def __init__(
        self, source: TaskRecord, extends: list[TaskRecord], clock: Callable[[], float]
    ) -> None:
        self.source = source
        self._extends = {t.local_id: t for t in extends}
        self._clock = clock
        #: APIXO said it does not hold the source any more (TASKID_ERROR).
        self.refused = False

    def until(self) -> float | None:
        """When the source stops being extendable (None: it never was)."""
        return lineage.extendable_until(self.source, records=list(self._extends.values()))

    def is_open(self) -> bool:
        if self.refused:
            return False
        until = self.until()
        return until is not None and self._clock() < until

    def text(self) -> str:
        """The window in words ("extendable for 3 h more", or why not)."""
        if self.refused:
            return "No longer extendable: APIXO does not hold this video any more."
        return lineage.extend_window_text(
            self.source, self._clock(), records=list(self._extends.values())
        )

    def follow(self, task: TaskRecord) -> bool:
        """Take in a changed task; True when it was the source or one of its extends."""
        if task.local_id == self.source.local_id:
            self.source = task
            return True
        if is_extend_of(task, self.source):
            self._extends[task.local_id] = task
            return True
        return False


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label


def _excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def open_extend_dialog(
    controller: EngineController,
    source: TaskRecord,
    *,
    spending_cap: SpendingCap | None = None,
    parent: QWidget | None = None,
) -> ExtendDialog:
    """Open the extend dialog for ``source`` (non-blocking; deletes itself when closed)."""
    dialog = ExtendDialog(controller, source, spending_cap=spending_cap, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
