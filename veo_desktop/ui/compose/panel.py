"""The Compose section: everything a person sets before pressing Generate.

Three parts, as napari's ``QtDims`` observes ``Dims``:

- :class:`~veo_desktop.ui.compose.form.ComposeForm`, Qt-free, holds the fields and image
  slots, builds the :class:`GenerationRequest` from them on every change, and finds its
  problems (the request model's rules, and the slots': an image still uploading).
- :class:`ComposePanel` (laid out by :class:`~veo_desktop.ui.compose.layout.ComposeLayout`)
  writes each edit of a control into the form and, when the form changes, shows it: the
  controls, each problem next to the field at fault, the counter, the cost line. Generate stays
  disabled while any problem (or an image still uploading) remains, so nothing invalid is sent.
- :class:`~veo_desktop.ui.compose.submission.SubmissionFlow` takes it from Generate, in one
  explicit state: asking first when the video would pass the daily spending cap set in
  Settings, or, with "Variations" above 1, checking the images once, then opening the
  variations confirmation (N x price, the balance, the cap), which sends the takes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import QWidget

from veo_desktop.api.models import (
    GenerationRequest,
    GenerationType,
    Problem,
)
from veo_desktop.core.batch import journal_dir
from veo_desktop.core.settings import Settings
from veo_desktop.ui.compose.draft import (
    DRAFT_FILE,
    apply_draft,
    draft_of,
    forget_if_unreachable,
    load_draft,
    save_draft,
)
from veo_desktop.ui.compose.form import (
    ComposeForm,
)
from veo_desktop.ui.compose.form_display import FormDisplay
from veo_desktop.ui.compose.image_slot import ImageSlot
from veo_desktop.ui.compose.observable import Subscriptions
from veo_desktop.ui.compose.slot_model import SlotModel
from veo_desktop.ui.compose.submission import SubmissionFlow, SubmitState
from veo_desktop.ui.images import ImageUploader
from veo_desktop.ui.money import PaymentQuestion
from veo_desktop.ui.variations import VariationsDialog

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.controller import EngineController

log = logging.getLogger(__name__)

#: The slots :meth:`ComposePanel.use_frame` fills.
FRAME_SLOTS = ("first", "last")
#: How long the form rests before its draft is written (each edit starts the wait again).
DRAFT_DELAY_MS = 400


class ComposePanel(FormDisplay):
    """Prompt, options and images; the cost line; the Generate button.

    Args:
        controller: the bridge to the task engine (submissions, balance, spending).
        uploader: turns dropped files, pasted images and URLs into image URLs.
        spending_cap: returns the daily spending cap in effect, asked at each Generate;
            default: the cap in the ``settings`` of the window the panel is in.
        journal_dir: where a variations batch keeps its journal (so a crash never loses or
            repeats a take); default: the batches folder of the window's ``session``.
        draft_path: where the draft (prompt, options, images) is kept so it survives a
            restart; it is read back here and written a moment after each change. Default:
            :data:`~veo_desktop.ui.compose.draft.DRAFT_FILE` beside ``journal_dir``; None
            without either (nothing is kept).

    Signals:
        submitted: a task was accepted (the new TaskRecord); after variations, the first
            take APIXO accepted.
        variations_submitted: the takes of a variations batch APIXO accepted (a list of
            TaskRecord), once the batch ended.
        validity_changed: whether Generate can be pressed now.
        storyboard_requested: add the form's request to the storyboard as a shot, unsent
            (Generate's context menu; a GenerationRequest).
    """

    submitted = Signal(object)
    variations_submitted = Signal(list)
    storyboard_requested = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        uploader: ImageUploader,
        parent: QWidget | None = None,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        journal_dir: Path | None = None,
        draft_path: Path | None = None,
    ) -> None:
        super().__init__(ComposeForm(), uploader, parent)
        self._controller = controller
        self._spending_cap = spending_cap
        self._journal_dir = journal_dir
        if draft_path is None and journal_dir is not None:
            draft_path = Path(journal_dir).parent / DRAFT_FILE
        #: Where the draft is kept (None: nowhere).
        self.draft_path = draft_path
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_frozen = False
        self._balance_job: asyncio.Task[None] | None = None
        #: Where the submission is (Generate, the cap question, sending, resting).
        self.submission = SubmissionFlow(
            controller,
            self.form,
            self,
            spending_cap=self.spending_cap,
            journal_dir=self.variations_journal_dir,
        )
        if controller.balance is not None or controller.api_health is not None:
            self.form.set_balance(controller.balance)
        self._connect()
        self._update_generate_label()
        self._show_form()
        self._restore_draft()

    def _connect(self) -> None:
        self.prompt_edit.textChanged.connect(self.on_prompt_edit_text_changed)
        self.mode_selector.currentIndexChanged.connect(self.on_mode_selector_changed)
        self.aspect_selector.currentIndexChanged.connect(self.on_aspect_selector_changed)
        self.type_selector.currentIndexChanged.connect(self.on_type_selector_changed)
        self.provider_selector.currentIndexChanged.connect(self.on_provider_selector_changed)
        self.translation_selector.currentIndexChanged.connect(self.on_translation_selector_changed)
        self.seed_edit.textChanged.connect(self.on_seed_edit_text_changed)
        self.watermark_edit.textChanged.connect(self.on_watermark_edit_text_changed)
        self.variations_spin.valueChanged.connect(self.on_variations_spin_value_changed)
        self.swap_button.clicked.connect(self.on_swap_button_clicked)
        self.generate_button.clicked.connect(self.on_generate_button_clicked)
        self.refresh_balance_button.clicked.connect(self.refresh_balance)
        self.storyboard_action = QAction("Add to storyboard (not sent)", self.generate_button)
        self.storyboard_action.setObjectName("composeStoryboardAction")
        self.storyboard_action.triggered.connect(
            lambda: self.storyboard_requested.emit(self.current_request())
        )
        self.generate_button.addAction(self.storyboard_action)
        self.generate_button.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.generate_shortcuts: list[QShortcut] = []
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self.on_generate_button_clicked)
            self.generate_shortcuts.append(shortcut)
        self._subscriptions = Subscriptions()
        self._subscriptions.add(self.form.changed, self.on_form_changed)
        self._subscriptions.add(self.form.cost_changed, self.on_form_cost_changed)
        self.destroyed.connect(self._subscriptions.close)
        self.submission.state_changed.connect(self.on_submission_state_changed)
        self.submission.said.connect(self.generate_message.show_message)
        self.submission.accepted.connect(self.on_submission_accepted)
        self.submission.takes_accepted.connect(self.on_submission_takes_accepted)
        self._controller.balance_changed.connect(self.on_controller_balance_changed)
        self._draft_timer.timeout.connect(self.save_draft)

    # -- public API ---------------------------------------------------------------------

    @property
    def all_slots(self) -> list[ImageSlot]:
        return [self.first_slot, self.last_slot, *self.reference_slots]

    @property
    def is_valid(self) -> bool:
        """Whether Generate would send the current form."""
        return self._valid

    @property
    def problems(self) -> list[Problem]:
        """Every reason the current form cannot be sent (the model's and the slots')."""
        return list(self.form.problems)

    @property
    def cap_question(self) -> PaymentQuestion | None:
        """The question asked when Generate would pass the daily cap (None when none is open)."""
        return self.submission.cap_question

    @property
    def variations_dialog(self) -> VariationsDialog | None:
        """The variations confirmation this panel opened last (None once it closed)."""
        return self.submission.variations_dialog

    @property
    def submitting(self) -> bool:
        """Whether images are being checked or a task sent right now."""
        return self.submission.working

    def current_request(self) -> GenerationRequest:
        """The request the form describes right now (not necessarily valid)."""
        return self.form.request

    def load_request(self, request: GenerationRequest) -> None:
        """Fill the form from an earlier request ("Re-use settings"), images included."""
        targets = self.form.load_request(request)
        if request.provider is not None or request.enable_translation is not None:
            self.advanced.set_expanded(True)
        for slot in self.all_slots:
            slot.clear()
        for model, url in targets:
            self._view_of(model).set_url(url)
        self.generate_message.show_message(None)
        self._refresh()

    def load_task(self, task: TaskRecord) -> None:
        """Fill the form from a task's request (the task list's "Re-use settings")."""
        request = task.request_model
        if isinstance(request, GenerationRequest):
            self.load_request(request)
        else:
            self.form.set_prompt(request.prompt)
            self.form.set_mode(str(request.mode))

    def clear_form(self) -> None:
        """Start a new prompt: empty the text and images, keep the chosen options (undoable)."""
        cursor = self.prompt_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.removeSelectedText()
        for slot in self.all_slots:
            slot.clear()
        self.form.start_new()
        self.generate_message.show_message(None)
        self.prompt_edit.setFocus()
        self._refresh()

    @property
    def variations(self) -> int:
        """How many takes Generate makes (1 to 8)."""
        return self.form.variations

    def set_variations(self, count: int) -> None:
        """Choose how many takes Generate makes (clamped to 1-8)."""
        self.variations_spin.setValue(count)

    def spending_cap(self) -> SpendingCap | None:
        """The daily spending cap set in Settings, counted on this session's tasks."""
        if self._spending_cap is not None:
            return self._spending_cap()
        settings = getattr(self.window(), "settings", None)
        if not isinstance(settings, Settings):
            return None
        return self._controller.spending_cap(settings)

    def variations_journal_dir(self) -> Path | None:
        """Where a variations batch keeps its journal (None: in memory only)."""
        if self._journal_dir is not None:
            return self._journal_dir
        from veo_desktop.ui.session import Session

        session = getattr(self.window(), "session", None)
        return journal_dir(session.paths.data_dir) if isinstance(session, Session) else None

    def generate(self) -> bool:
        """Act on Generate when the form is valid; True when it went ahead.

        One take is submitted at once, or after a "Generate anyway" when it would pass the
        daily spending cap. More than one take (:attr:`variations`) checks the images, then
        opens the variations confirmation, which sends them.
        """
        return self.submission.generate()

    def use_frame(self, which: str, path: Path) -> None:
        """Put the picture at ``path`` (a frame grabbed from a video) into a frame slot.

        Switches the type to first and last frames and takes the file like a dropped one:
        prepared, then hosted through the session's image hosting, with the slot showing
        the progress and any problem.

        Args:
            which: ``"first"`` or ``"last"``.
            path: a local image file (a PNG).

        Raises:
            ValueError: ``which`` names no frame slot.
        """
        if which not in FRAME_SLOTS:
            raise ValueError(f"which must be one of {FRAME_SLOTS}, not {which!r}")
        self.form.set_generation_type(GenerationType.FRAMES)
        slot = self.first_slot if which == "first" else self.last_slot
        slot.load(Path(path))
        slot.setFocus(Qt.FocusReason.OtherFocusReason)

    def refresh_balance(self) -> None:
        """Ask APIXO for the balance now (the cost line updates when it answers)."""
        if self._balance_job is not None and not self._balance_job.done():
            return
        self._balance_job = self._controller.run(
            self._controller.refresh_balance(), name="compose: refresh the balance"
        )

    def save_draft(self) -> None:
        """Write the draft now (it is also written a moment after each change)."""
        self._draft_timer.stop()
        if self.draft_path is None:
            return
        try:
            save_draft(self.draft_path, draft_of(self.form))
        except OSError as error:
            log.warning("The composer's draft could not be saved to %s: %s", self.draft_path, error)

    def _draft_changed(self) -> None:
        if self.draft_path is not None and not self._draft_frozen:
            self._draft_timer.start()

    def _restore_draft(self) -> None:
        """Fill the form from the draft kept last time (files only while they exist)."""
        data = load_draft(self.draft_path) if self.draft_path is not None else None
        if data is None:
            return
        targets = apply_draft(self.form, data)
        if self.form.provider is not None or self.form.enable_translation is not None:
            self.advanced.set_expanded(True)
        for model, source in targets:
            self._view_of(model).load(source)
            forget_if_unreachable(model)
        self._draft_timer.stop()

    def cancel(self) -> None:
        """Stop uploads and checks under way (the window is closing); keep the draft."""
        if self._draft_timer.isActive():
            self.save_draft()
        self._draft_frozen = True  # what the closing does to the form is not a draft
        for slot in self.all_slots:
            slot.cancel()
        if self._balance_job is not None and not self._balance_job.done():
            self._balance_job.cancel()
        self.submission.cancel()

    async def wait_submitted(self) -> None:
        """Wait for a submission under way (tests, and the window before closing)."""
        await self.submission.wait_submitted()

    # -- the controls' edits go into the form --------------------------------------------

    def on_prompt_edit_text_changed(self) -> None:
        if not self._syncing:
            self.form.set_prompt(self.prompt_edit.toPlainText())

    def on_mode_selector_changed(self, *_args: Any) -> None:
        if not self._syncing:
            self.form.set_mode(str(self.mode_selector.currentData()))

    def on_aspect_selector_changed(self, *_args: Any) -> None:
        if not self._syncing:
            self.form.set_aspect_ratio(str(self.aspect_selector.currentData()))

    def on_type_selector_changed(self, *_args: Any) -> None:
        if not self._syncing:
            self.form.set_generation_type(str(self.type_selector.currentData()))

    def on_provider_selector_changed(self, *_args: Any) -> None:
        if not self._syncing:
            self.form.set_provider(self.provider_selector.currentData())

    def on_translation_selector_changed(self, *_args: Any) -> None:
        if not self._syncing:
            self.form.set_enable_translation(self.translation_selector.currentData())

    def on_seed_edit_text_changed(self, text: str) -> None:
        if not self._syncing:
            self.form.set_seed_text(text)

    def on_watermark_edit_text_changed(self, text: str) -> None:
        if not self._syncing:
            self.form.set_watermark(text)

    def on_variations_spin_value_changed(self, value: int) -> None:
        if not self._syncing:
            self.form.set_variations(value)

    def on_swap_button_clicked(self) -> None:
        self.first_slot.swap_with(self.last_slot)

    def on_generate_button_clicked(self) -> None:
        if self.generate_button.hasFocus():
            # Generate is disabled while the video is sent, and Qt would hand its focus to
            # the next control (Variations), where the next typing lands. The prompt takes
            # it instead; a question opened now gives it back to the prompt when it closes.
            self.prompt_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.generate()

    # -- the form, the submission and the controller report -----------------------------

    def on_form_changed(self) -> None:
        self._show_form()
        self._draft_changed()

    def on_form_cost_changed(self) -> None:
        self._draft_changed()
        with self._sync():
            self.variations_spin.setValue(self.form.variations)
        self._update_generate_label()
        self._update_cost_line()

    def on_submission_state_changed(self, _state: SubmitState) -> None:
        self._refresh()

    def on_submission_accepted(self, record: TaskRecord) -> None:
        self.submitted.emit(record)
        self.refresh_balance()

    def on_submission_takes_accepted(self, records: list[TaskRecord]) -> None:
        self.submitted.emit(records[0])
        self.variations_submitted.emit(records)

    def on_controller_balance_changed(self, balance: Decimal | None) -> None:
        self.form.set_balance(balance)

    def _view_of(self, model: SlotModel) -> ImageSlot:
        return next(slot for slot in self.all_slots if slot.model is model)
