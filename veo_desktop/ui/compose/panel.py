"""The Compose section: everything a person sets before pressing Generate.

The rules live in the request model: the panel builds a :class:`GenerationRequest` from the
fields on every change, asks it for :meth:`~GenerationRequest.problems`, and writes each
problem next to the field at fault. Generate stays disabled while any problem (or an image
still uploading) remains, so nothing invalid is ever sent.

Generate asks first when the video would pass the daily spending cap set in Settings. With
"Variations" above 1 it checks the images once, then opens the variations confirmation
(N x price, the balance, the cap), which sends the takes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeySequence,
    QShortcut,
    QStandardItemModel,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import (
    MAX_PROMPT_LENGTH,
    PRICES,
    AspectRatio,
    GenerationRequest,
    GenerationType,
    Mode,
    Problem,
    Provider,
    RequestInvalidError,
)
from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS, journal_dir
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import PaidAction, PaidKind
from veo_desktop.ui import style
from veo_desktop.ui.compose.image_slot import ImageSlot, SlotState
from veo_desktop.ui.compose.widgets import (
    CollapsibleSection,
    FittingLabel,
    MessageLabel,
    Tone,
    add_mode_choices,
    format_money,
    seed_edit,
    seed_from_text,
    watermark_edit,
)
from veo_desktop.ui.images import ImageUploader
from veo_desktop.ui.money import PaymentQuestion, ask_to_pay
from veo_desktop.ui.variations import VariationsDialog, open_variations

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.controller import EngineController

log = logging.getLogger(__name__)

#: After a submission is accepted, Generate rests this long (a double click sends one task).
SUBMIT_COOLDOWN_MS = 1200

TYPE_LABELS: dict[str, str] = {
    GenerationType.TEXT: "Text to video",
    GenerationType.FRAMES: "First and last frames",
    GenerationType.REFERENCE: "Reference images",
}
TYPE_EXPLANATIONS: dict[str, str] = {
    GenerationType.TEXT: "The prompt alone describes the video.",
    GenerationType.FRAMES: "Animates from a first frame, optionally ending on a last frame.",
    GenerationType.REFERENCE: "Up to three images guide the subjects and style.",
}
ASPECT_LABELS: dict[str, str] = {
    AspectRatio.LANDSCAPE: "16:9 landscape",
    AspectRatio.PORTRAIT: "9:16 portrait",
    AspectRatio.AUTO: "Auto",
}
PROVIDER_CHOICES: Sequence[tuple[str, str | None, str]] = (
    ("Account default", None, "Use the routing set for this key in the APIXO dashboard."),
    ("Auto", Provider.AUTO, "APIXO picks the route."),
    ("Value", Provider.VALUE, "Prefer the lower-cost route."),
    ("Official", Provider.OFFICIAL, "Use Google's official route."),
)
TRANSLATION_CHOICES: Sequence[tuple[str, bool | None]] = (
    ("Default (translate)", None),
    ("Translate to English", True),
    ("Send as written", False),
)
REFERENCE_MODE_TIP = "Reference images work only in fast mode."
REFERENCE_ASPECT_TIP = "Reference images work only with 16:9."
REFERENCE_NOTE = "Reference images use fast mode and 16:9: Veo 3.1 supports them only there."
#: The slots :meth:`ComposePanel.use_frame` fills.
FRAME_SLOTS = ("first", "last")


def _combo(object_name: str, accessible: str, description: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(object_name)
    combo.setAccessibleName(accessible)
    combo.setAccessibleDescription(description)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def _field_label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class PromptEdit(QPlainTextEdit):
    """The prompt editor: plain text, undo/redo, characters past the limit marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptEdit")
        self.setAccessibleName("Prompt")
        self.setAccessibleDescription(
            f"Describe the video you want, up to {MAX_PROMPT_LENGTH:,} characters. "
            "Ctrl+Enter generates."
        )
        self.setPlaceholderText(
            "Describe the video: subject, action, setting, camera, light, sound…"
        )
        self.setTabChangesFocus(True)
        self.setUndoRedoEnabled(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setMinimumHeight(84)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._marked_from: int | None = None

    def sizeHint(self) -> QSize:
        return QSize(280, 130)

    def mark_over_limit(self, limit: int) -> None:
        """Highlight every character past ``limit`` (nothing when within it)."""
        length = self.document().characterCount() - 1
        start = limit if length > limit else None
        if start is None and self._marked_from is None:
            return
        self._marked_from = start
        if start is None:
            self.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        color = QColor(style.problem_color(self))
        color.setAlpha(70)
        fmt.setBackground(color)
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(style.problem_color(self))
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = fmt
        self.setExtraSelections([selection])


class ComposePanel(QWidget):
    """Prompt, options and images; the cost line; the Generate button.

    Args:
        controller: the bridge to the task engine (submissions, balance, spending).
        uploader: turns dropped files, pasted images and URLs into image URLs.
        spending_cap: returns the daily spending cap in effect, asked at each Generate;
            default: the cap in the ``settings`` of the window the panel is in.
        journal_dir: where a variations batch keeps its journal (so a crash never loses or
            repeats a take); default: the batches folder of the window's ``session``.

    Signals:
        submitted: a task was accepted (the new TaskRecord); after variations, the first
            take APIXO accepted.
        variations_submitted: the takes of a variations batch APIXO accepted (a list of
            TaskRecord), once the batch ended.
        validity_changed: whether Generate can be pressed now.
    """

    submitted = Signal(object)
    variations_submitted = Signal(list)
    validity_changed = Signal(bool)

    def __init__(
        self,
        controller: EngineController,
        uploader: ImageUploader,
        parent: QWidget | None = None,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        journal_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composePanel")
        self._controller = controller
        self._uploader = uploader
        self._spending_cap = spending_cap
        self._journal_dir = journal_dir
        #: The question asked when Generate would pass the daily cap (None when none is open).
        self.cap_question: PaymentQuestion | None = None
        #: The variations confirmation this panel opened last (None once it closed).
        self.variations_dialog: VariationsDialog | None = None
        self._check_job: asyncio.Task[None] | None = None
        self._balance: Decimal | None = None
        self._balance_known = False
        self._submitting = False
        self._cooling = False
        self._submit_job: asyncio.Task[None] | None = None
        self._balance_job: asyncio.Task[None] | None = None
        self._prompt_touched = False
        self._server_problem: tuple[str, str] | None = None
        self._submit_slots: list[tuple[ImageSlot, str]] = []
        self._valid = False
        self._problems: list[Problem] = []
        self._cooldown = QTimer(self)
        self._cooldown.setSingleShot(True)
        self._cooldown.setInterval(SUBMIT_COOLDOWN_MS)
        self._cooldown.timeout.connect(self.on_cooldown_timeout)

        self._build()
        self._connect()
        controller.balance_changed.connect(self.on_controller_balance_changed)
        controller.submit_failed.connect(self.on_controller_submit_failed)
        if controller.balance is not None or controller.api_health is not None:
            self._balance = controller.balance
            self._balance_known = True
        self._update_generate_label()
        self._update()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        self.prompt_edit = PromptEdit()
        self.prompt_counter = QLabel()
        self.prompt_counter.setObjectName("promptCounter")
        self.prompt_counter.setAccessibleName("Prompt length")
        self.prompt_counter.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.prompt_counter.setFont(style.scaled_font(self, 0.9))
        self.prompt_message = MessageLabel(Tone.PROBLEM)
        self.prompt_message.setObjectName("promptMessage")

        self.mode_selector = _combo(
            "modeSelector", "Mode", "Fast or quality; each video is billed by its mode"
        )
        add_mode_choices(self.mode_selector)
        self.mode_message = MessageLabel(Tone.PROBLEM)
        self.mode_message.setObjectName("modeMessage")

        self.aspect_selector = _combo(
            "aspectRatioSelector", "Aspect ratio", "Landscape 16:9, portrait 9:16 or automatic"
        )
        for aspect in (AspectRatio.LANDSCAPE, AspectRatio.PORTRAIT, AspectRatio.AUTO):
            self.aspect_selector.addItem(ASPECT_LABELS[aspect], str(aspect))
        self.aspect_message = MessageLabel(Tone.PROBLEM)
        self.aspect_message.setObjectName("aspectMessage")

        self.type_selector = _combo(
            "generationTypeSelector",
            "Generation type",
            "Text to video, first and last frames, or reference images",
        )
        for kind in (GenerationType.TEXT, GenerationType.FRAMES, GenerationType.REFERENCE):
            self.type_selector.addItem(TYPE_LABELS[kind], str(kind))
            index = self.type_selector.count() - 1
            self.type_selector.setItemData(
                index, TYPE_EXPLANATIONS[kind], Qt.ItemDataRole.ToolTipRole
            )
        self.type_explanation = MessageLabel(Tone.HINT)
        self.type_explanation.setObjectName("typeExplanation")
        self.type_message = MessageLabel(Tone.PROBLEM)
        self.type_message.setObjectName("typeMessage")

        self.first_slot = ImageSlot("First frame", self._uploader)
        self.first_slot.setObjectName("firstFrameSlot")
        self.last_slot = ImageSlot("Last frame", self._uploader)
        self.last_slot.setObjectName("lastFrameSlot")
        self.swap_button = QToolButton()
        self.swap_button.setObjectName("swapFramesButton")
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip("Swap the first and last frames")
        self.swap_button.setAccessibleName("Swap frames")
        self.swap_button.setAccessibleDescription("Exchange the first and the last frame")
        self.swap_button.setAutoRaise(True)
        self.reference_slots = []
        for number in (1, 2, 3):
            slot = ImageSlot(f"Reference {number}", self._uploader)
            slot.setObjectName(f"referenceSlot{number}")
            self.reference_slots.append(slot)
        self.images_message = MessageLabel(Tone.PROBLEM)
        self.images_message.setObjectName("imagesMessage")

        self.seed_edit = seed_edit("seedEdit")
        self.seed_message = MessageLabel(Tone.PROBLEM)
        self.seed_message.setObjectName("seedMessage")
        self.watermark_edit = watermark_edit("watermarkEdit")
        self.watermark_message = MessageLabel(Tone.PROBLEM)
        self.watermark_message.setObjectName("watermarkMessage")

        self.provider_selector = _combo(
            "providerSelector", "Provider routing", "Which route APIXO uses for this video"
        )
        for label, value, tip in PROVIDER_CHOICES:
            self.provider_selector.addItem(label, value)
            self.provider_selector.setItemData(
                self.provider_selector.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.provider_explanation = MessageLabel(Tone.HINT)
        self.provider_message = MessageLabel(Tone.PROBLEM)
        self.translation_selector = _combo(
            "translationSelector",
            "Prompt translation",
            "Whether APIXO translates the prompt to English before generating",
        )
        for label, flag in TRANSLATION_CHOICES:
            self.translation_selector.addItem(label, flag)
        self.translation_message = MessageLabel(Tone.PROBLEM)

        self.cost_line = FittingLabel()
        self.cost_line.setObjectName("costLine")
        self.cost_line.setAccessibleName("Cost")
        self.refresh_balance_button = QToolButton()
        self.refresh_balance_button.setObjectName("refreshBalanceButton")
        self.refresh_balance_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        self.refresh_balance_button.setIconSize(QSize(14, 14))
        self.refresh_balance_button.setAutoRaise(True)
        self.refresh_balance_button.setToolTip("Refresh the balance (F5)")
        self.refresh_balance_button.setAccessibleName("Refresh balance")
        self.refresh_balance_button.setAccessibleDescription("Ask APIXO for the current balance")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.setMinimumHeight(34)
        self.generate_button.setFont(style.scaled_font(self, 1.05, bold=True))
        self.generate_button.setAccessibleName("Generate")
        self.generate_button.setAccessibleDescription(
            "Submit this video to APIXO (Ctrl+Enter); it is billed when APIXO accepts it"
        )
        self.generate_message = MessageLabel(Tone.HINT)
        self.generate_message.setObjectName("generateMessage")
        self.variations_spin = QSpinBox()
        self.variations_spin.setObjectName("variationsSpin")
        self.variations_spin.setRange(MIN_VARIATIONS, MAX_VARIATIONS)
        self.variations_spin.setValue(MIN_VARIATIONS)
        self.variations_spin.setMinimumHeight(34)
        self.variations_spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        digit = self.variations_spin.fontMetrics().horizontalAdvance("8")
        self.variations_spin.setMinimumWidth(self.variations_spin.sizeHint().width() + 2 * digit)
        self.variations_spin.setAccessibleName("Variations")
        self.variations_spin.setAccessibleDescription(
            f"How many takes Generate makes, each with its own seed ({MIN_VARIATIONS} to "
            f"{MAX_VARIATIONS}); more than one asks first, showing the total"
        )
        self.variations_spin.setToolTip(
            "How many takes of this video to make, each with its own seed.\n"
            "More than one shows the total and the balance before anything is sent."
        )
        inner = self.variations_spin.findChild(QLineEdit)
        if inner is not None:  # what a screen reader lands on inside the box
            inner.setAccessibleName(self.variations_spin.accessibleName())
            inner.setAccessibleDescription(self.variations_spin.accessibleDescription())
        self.variations_label = _field_label("Var&iations", self.variations_spin)
        self.variations_label.setObjectName("variationsLabel")
        self.variations_label.setToolTip(self.variations_spin.toolTip())

        self._lay_out()

    def _lay_out(self) -> None:
        form = QWidget()
        form.setObjectName("composeForm")
        column = QVBoxLayout(form)
        column.setContentsMargins(12, 10, 12, 12)
        column.setSpacing(6)

        prompt_header = QHBoxLayout()
        prompt_header.addWidget(style.section_title("Prompt"))
        prompt_header.addStretch(1)
        prompt_header.addWidget(self.prompt_counter)
        column.addLayout(prompt_header)
        column.addWidget(self.prompt_edit, 1)
        column.addWidget(self.prompt_message)

        column.addSpacing(4)
        options = QGridLayout()
        options.setHorizontalSpacing(10)
        options.setVerticalSpacing(3)
        options.addWidget(_field_label("&Mode", self.mode_selector), 0, 0)
        options.addWidget(_field_label("&Aspect", self.aspect_selector), 0, 1)
        options.addWidget(self.mode_selector, 1, 0)
        options.addWidget(self.aspect_selector, 1, 1)
        options.addWidget(self.mode_message, 2, 0)
        options.addWidget(self.aspect_message, 2, 1)
        options.setColumnStretch(0, 1)
        options.setColumnStretch(1, 1)
        column.addLayout(options)

        column.addWidget(_field_label("&Type", self.type_selector))
        column.addWidget(self.type_selector)
        column.addWidget(self.type_explanation)
        column.addWidget(self.type_message)

        self.frames_page = QWidget()
        self.frames_page.setObjectName("frameSlots")
        frames_row = QHBoxLayout(self.frames_page)
        frames_row.setContentsMargins(0, 2, 0, 0)
        frames_row.setSpacing(4)
        frames_row.addWidget(self.first_slot, 1, Qt.AlignmentFlag.AlignTop)
        swap_column = QVBoxLayout()
        swap_column.setContentsMargins(0, 0, 0, 0)
        swap_column.addSpacing(self.first_slot.picture_top + (88 - 26) // 2)
        swap_column.addWidget(self.swap_button)
        swap_column.addStretch(1)
        self.swap_button.setFixedSize(QSize(26, 26))
        frames_row.addLayout(swap_column)
        frames_row.addWidget(self.last_slot, 1, Qt.AlignmentFlag.AlignTop)
        self.references_page = QWidget()
        self.references_page.setObjectName("referenceSlots")
        references_row = QHBoxLayout(self.references_page)
        references_row.setContentsMargins(0, 2, 0, 0)
        references_row.setSpacing(6)
        for slot in self.reference_slots:
            references_row.addWidget(slot, 1, Qt.AlignmentFlag.AlignTop)
        column.addWidget(self.frames_page)
        column.addWidget(self.references_page)
        column.addWidget(self.images_message)

        column.addSpacing(4)
        extras = QGridLayout()
        extras.setHorizontalSpacing(10)
        extras.setVerticalSpacing(3)
        extras.addWidget(_field_label("&Seed", self.seed_edit), 0, 0)
        extras.addWidget(_field_label("&Watermark", self.watermark_edit), 0, 1)
        extras.addWidget(self.seed_edit, 1, 0)
        extras.addWidget(self.watermark_edit, 1, 1)
        extras.addWidget(self.seed_message, 2, 0)
        extras.addWidget(self.watermark_message, 2, 1)
        extras.setColumnStretch(0, 1)
        extras.setColumnStretch(1, 1)
        column.addLayout(extras)

        advanced_body = QWidget()
        advanced = QGridLayout(advanced_body)
        advanced.setContentsMargins(18, 0, 0, 0)
        advanced.setHorizontalSpacing(10)
        advanced.setVerticalSpacing(3)
        advanced.addWidget(_field_label("&Provider", self.provider_selector), 0, 0)
        advanced.addWidget(self.provider_selector, 0, 1)
        advanced.addWidget(self.provider_explanation, 1, 1)
        advanced.addWidget(self.provider_message, 2, 1)
        advanced.addWidget(_field_label("T&ranslation", self.translation_selector), 3, 0)
        advanced.addWidget(self.translation_selector, 3, 1)
        advanced.addWidget(self.translation_message, 4, 1)
        advanced.setColumnStretch(1, 1)
        self.advanced = CollapsibleSection("Advanced", advanced_body)
        self.advanced.setObjectName("advancedSection")
        column.addWidget(self.advanced)

        scroll = QScrollArea()
        scroll.setObjectName("composeScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(form)
        self.scroll_area = scroll

        footer = QFrame()
        footer.setObjectName("composeFooter")
        footer.setFrameShape(QFrame.Shape.NoFrame)
        footer_column = QVBoxLayout(footer)
        footer_column.setContentsMargins(12, 8, 12, 10)
        footer_column.setSpacing(4)
        cost_row = QHBoxLayout()
        cost_row.setSpacing(2)
        cost_row.addWidget(self.cost_line, 1)
        cost_row.addWidget(self.refresh_balance_button)
        footer_column.addLayout(cost_row)
        generate_row = QHBoxLayout()
        generate_row.setSpacing(6)
        generate_row.addWidget(self.generate_button, 1)
        generate_row.addSpacing(4)
        generate_row.addWidget(self.variations_label)
        generate_row.addWidget(self.variations_spin)
        footer_column.addLayout(generate_row)
        footer_column.addWidget(self.generate_message)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(scroll, 1)
        outer.addWidget(line)
        outer.addWidget(footer)
        scrollbar = scroll.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(300, form.minimumSizeHint().width() + scrollbar + 2))

    def _connect(self) -> None:
        self.prompt_edit.textChanged.connect(self.on_prompt_edit_text_changed)
        self.mode_selector.currentIndexChanged.connect(self.on_field_changed)
        self.aspect_selector.currentIndexChanged.connect(self.on_field_changed)
        self.type_selector.currentIndexChanged.connect(self.on_type_selector_current_index_changed)
        self.provider_selector.currentIndexChanged.connect(self.on_field_changed)
        self.translation_selector.currentIndexChanged.connect(self.on_field_changed)
        self.seed_edit.textChanged.connect(self.on_field_changed)
        self.watermark_edit.textChanged.connect(self.on_field_changed)
        for slot in self.all_slots:
            slot.changed.connect(self.on_field_changed)
        self.swap_button.clicked.connect(self.on_swap_button_clicked)
        self.variations_spin.valueChanged.connect(self.on_variations_spin_value_changed)
        self.generate_button.clicked.connect(self.on_generate_button_clicked)
        self.refresh_balance_button.clicked.connect(self.refresh_balance)
        self.generate_shortcuts: list[QShortcut] = []
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self.on_generate_button_clicked)
            self.generate_shortcuts.append(shortcut)
        self.on_type_selector_current_index_changed()

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
        return list(self._problems)

    def current_request(self) -> GenerationRequest:
        """The request the form describes right now (not necessarily valid)."""
        seed_text = self.seed_edit.text().strip()
        watermark = self.watermark_edit.text()
        return GenerationRequest(
            prompt=self.prompt_edit.toPlainText(),
            mode=str(self.mode_selector.currentData()),
            generation_type=self._generation_type(),
            aspect_ratio=str(self.aspect_selector.currentData()),
            image_urls=tuple(url for _slot, url in self._image_sources()),
            seed=seed_from_text(seed_text),
            watermark=watermark if watermark.strip() else None,
            enable_translation=self.translation_selector.currentData(),
            provider=self.provider_selector.currentData(),
        )

    def load_request(self, request: GenerationRequest) -> None:
        """Fill the form from an earlier request ("Re-use settings"), images included."""
        self._select(self.type_selector, str(request.generation_type))
        self._select(self.mode_selector, str(request.mode))
        self._select(self.aspect_selector, str(request.aspect_ratio))
        self.prompt_edit.setPlainText(request.prompt)
        self.seed_edit.setText("" if request.seed is None else str(request.seed))
        self.watermark_edit.setText(request.watermark or "")
        self._select(self.provider_selector, request.provider)
        self._select(self.translation_selector, request.enable_translation)
        if request.provider is not None or request.enable_translation is not None:
            self.advanced.set_expanded(True)
        for slot in self.all_slots:
            slot.clear()
        urls = list(request.image_urls)
        if request.generation_type == GenerationType.FRAMES:
            targets = [self.first_slot, self.last_slot]
        elif request.generation_type == GenerationType.REFERENCE:
            targets = list(self.reference_slots)
        else:
            targets = []
        for slot, url in zip(targets, urls, strict=False):
            slot.set_url(url)
        self._prompt_touched = bool(request.prompt)
        self._server_problem = None
        self.generate_message.show_message(None)
        self._update()

    def load_task(self, task: TaskRecord) -> None:
        """Fill the form from a task's request (the task list's "Re-use settings")."""
        request = task.request_model
        if isinstance(request, GenerationRequest):
            self.load_request(request)
        else:
            self.prompt_edit.setPlainText(request.prompt)
            self._select(self.mode_selector, str(request.mode))

    def clear_form(self) -> None:
        """Start a new prompt: empty the text and images, keep the chosen options (undoable)."""
        cursor = self.prompt_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.removeSelectedText()
        for slot in self.all_slots:
            slot.clear()
        self.seed_edit.clear()
        self.watermark_edit.clear()
        self._prompt_touched = False
        self._server_problem = None
        self.generate_message.show_message(None)
        self.prompt_edit.setFocus()
        self._update()

    @property
    def variations(self) -> int:
        """How many takes Generate makes (1 to 8)."""
        return self.variations_spin.value()

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
        if not self._valid or self._submitting or self._cooling or self.cap_question is not None:
            return False
        request = self.current_request()
        if request.problems():
            return False
        count = self.variations
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
        self._select(self.type_selector, str(GenerationType.FRAMES))
        slot = self.first_slot if which == "first" else self.last_slot
        slot.load(Path(path))
        slot.setFocus(Qt.FocusReason.OtherFocusReason)

    def refresh_balance(self) -> None:
        """Ask APIXO for the balance now (the cost line updates when it answers)."""
        if self._balance_job is not None and not self._balance_job.done():
            return
        self._balance_job = asyncio.ensure_future(self._controller.refresh_balance())

    def cancel(self) -> None:
        """Stop uploads and checks under way (the window is closing)."""
        for slot in self.all_slots:
            slot.cancel()
        for job in (self._balance_job, self._check_job):
            if job is not None and not job.done():
                job.cancel()
        if self.cap_question is not None:
            self.cap_question.reject()

    async def wait_submitted(self) -> None:
        """Wait for a submission under way (tests, and the window before closing)."""
        if self._submit_job is not None:
            await asyncio.shield(self._submit_job)

    # -- slots --------------------------------------------------------------------------

    def on_prompt_edit_text_changed(self) -> None:
        self._prompt_touched = True
        self._server_problem = None
        self._update()

    def on_field_changed(self, *_args: Any) -> None:
        self._server_problem = None
        self._update()

    def on_type_selector_current_index_changed(self, *_args: Any) -> None:
        kind = self._generation_type()
        reference = kind == GenerationType.REFERENCE
        if reference:
            self._select(self.mode_selector, str(Mode.FAST))
            self._select(self.aspect_selector, str(AspectRatio.LANDSCAPE))
        self._set_item_enabled(
            self.mode_selector, str(Mode.QUALITY), not reference, REFERENCE_MODE_TIP
        )
        for aspect in (AspectRatio.PORTRAIT, AspectRatio.AUTO):
            self._set_item_enabled(
                self.aspect_selector, str(aspect), not reference, REFERENCE_ASPECT_TIP
            )
        self.mode_selector.setToolTip(REFERENCE_MODE_TIP if reference else "")
        self.aspect_selector.setToolTip(REFERENCE_ASPECT_TIP if reference else "")
        explanation = TYPE_EXPLANATIONS.get(kind, "")
        if reference:
            explanation = f"{explanation} {REFERENCE_NOTE}"
        self.type_explanation.show_message(explanation)
        self.frames_page.setVisible(kind == GenerationType.FRAMES)
        self.references_page.setVisible(reference)
        self._server_problem = None
        self._update()

    def on_swap_button_clicked(self) -> None:
        self.first_slot.swap_with(self.last_slot)

    def on_generate_button_clicked(self) -> None:
        self.generate()

    def on_variations_spin_value_changed(self, _value: int) -> None:
        self._update_generate_label()
        self._update_cost_line()

    def on_variations_dialog_submitted(self, records: list[TaskRecord]) -> None:
        if not records:
            return
        total = sum((record.price for record in records), Decimal("0"))
        self.generate_message.show_message(
            f"Submitted {len(records)} take{'s' if len(records) != 1 else ''} "
            f"({format_money(total)}). Follow them in the task list.",
            Tone.OK,
        )
        self.submitted.emit(records[0])
        self.variations_submitted.emit(records)

    def on_variations_dialog_finished(self, _result: int) -> None:
        if self.sender() is self.variations_dialog:
            self.variations_dialog = None

    def on_cooldown_timeout(self) -> None:
        self._cooling = False
        self._update()

    def on_controller_balance_changed(self, balance: Decimal | None) -> None:
        self._balance = balance
        self._balance_known = True
        self._update_cost_line()

    def on_controller_submit_failed(self, field: str, message: str) -> None:
        slot = self._slot_for_field(field)
        if slot is not None:
            slot.show_submit_problem(message)
            return
        self._server_problem = (field, message)
        self._update()

    def _slot_for_field(self, field: str) -> ImageSlot | None:
        """The slot still holding ``image_urls[i]`` of the request being submitted."""
        if not (field.startswith("image_urls[") and field.endswith("]")):
            return None
        index = field[len("image_urls[") : -1]
        if not index.isdigit() or int(index) >= len(self._submit_slots):
            return None
        slot, url = self._submit_slots[int(index)]
        return slot if slot.url == url else None

    # -- internals ----------------------------------------------------------------------

    def _send(self, request: GenerationRequest) -> None:
        self._submitting = True
        self._server_problem = None
        self._submit_slots = self._image_sources()
        self.generate_message.show_message("Submitting…", Tone.HINT)
        self._update()
        self._submit_job = asyncio.ensure_future(self._submit(request))

    def _ask_to_pay(self, request: GenerationRequest) -> None:
        """Send ``request``, asking first when the money policy says so (past the daily
        cap); nothing is sent unless confirmed."""
        confirmation = self._controller.confirmation(
            PaidAction(PaidKind.GENERATE, request.price), self.spending_cap()
        )

        def confirmed() -> None:
            self._question_closed()
            if request != self.current_request() or not self._valid or self._submitting:
                self.generate_message.show_message(
                    "The form changed while asking; nothing was sent. Press Generate again.",
                    Tone.HINT,
                )
            else:
                self._send(request)

        def declined() -> None:
            self._question_closed()
            self.generate_message.show_message("Nothing was sent.", Tone.HINT)

        box = ask_to_pay(
            confirmation, self, confirmed, on_declined=declined, name="composeCapQuestion"
        )
        if box is not None:
            self.cap_question = box
            self._update()

    def _question_closed(self) -> None:
        self.cap_question = None
        self._update()

    def _check_then_confirm(self, request: GenerationRequest, count: int) -> None:
        """Check the images once (as a submit would), then open the variations confirmation."""
        self._server_problem = None
        self._submit_slots = self._image_sources()
        if not request.image_urls:
            self._open_variations(request, count)
            return
        self._submitting = True
        self.generate_message.show_message("Checking the images…", Tone.HINT)
        self._update()
        self._check_job = asyncio.ensure_future(self._check_images(request, count))

    async def _check_images(self, request: GenerationRequest, count: int) -> None:
        try:
            await self._controller.check_images(request)
        except RequestInvalidError as error:
            self._submitting = False
            self.generate_message.show_message(None)
            for problem in error.problems:
                self.on_controller_submit_failed(problem.field, problem.message)
            self._update()
            return
        except asyncio.CancelledError:
            self._submitting = False
            raise
        self._submitting = False
        self.generate_message.show_message(None)
        self._update()
        self._open_variations(request, count)

    def _open_variations(self, request: GenerationRequest, count: int) -> None:
        dialog = open_variations(
            self._controller,
            request,
            count,
            journal_dir=self.variations_journal_dir(),
            spending_cap=self.spending_cap(),
            parent=self.window(),
        )
        dialog.submitted.connect(self.on_variations_dialog_submitted)
        dialog.finished.connect(self.on_variations_dialog_finished)
        self.variations_dialog = dialog

    async def _submit(self, request: GenerationRequest) -> None:
        try:
            record = await self._controller.submit(request)
        finally:
            self._submitting = False
        if record is None:
            self.generate_message.show_message(None)
            self._update()
            return
        self._cooling = True
        self._cooldown.start()
        self.generate_message.show_message(
            f"Submitted ({format_money(request.price)}). Follow it in the task list.", Tone.OK
        )
        self._update()
        self.submitted.emit(record)
        self.refresh_balance()

    def _generation_type(self) -> str:
        return str(self.type_selector.currentData())

    def _image_sources(self) -> list[tuple[ImageSlot, str]]:
        kind = self._generation_type()
        if kind == GenerationType.FRAMES:
            slots = [self.first_slot, self.last_slot]
        elif kind == GenerationType.REFERENCE:
            slots = list(self.reference_slots)
        else:
            return []
        return [(slot, slot.url) for slot in slots if slot.url is not None]

    def _visible_slots(self) -> list[ImageSlot]:
        kind = self._generation_type()
        if kind == GenerationType.FRAMES:
            return [self.first_slot, self.last_slot]
        if kind == GenerationType.REFERENCE:
            return list(self.reference_slots)
        return []

    def _update(self) -> None:
        for frame in (self.first_slot, self.last_slot):
            frame.set_frame_aspect(str(self.aspect_selector.currentData()))
        request = self.current_request()
        problems = request.problems()
        sources = self._image_sources()
        slot_problems: dict[ImageSlot, str] = {}
        for problem in problems:
            if problem.field.startswith("image_urls[") and problem.field.endswith("]"):
                index = int(problem.field[len("image_urls[") : -1])
                if 0 <= index < len(sources):
                    slot_problems[sources[index][0]] = problem.message
        for slot in self.all_slots:
            slot.set_external_problem(slot_problems.get(slot))
        extra: list[Problem] = []
        if (
            self._generation_type() == GenerationType.FRAMES
            and self.first_slot.state is SlotState.EMPTY
            and self.last_slot.state is not SlotState.EMPTY
        ):
            extra.append(
                Problem("image_urls", "Add a first frame: a last frame alone is not enough.")
            )
        for slot in self._visible_slots():
            if slot.problem:
                extra.append(Problem(slot.objectName(), slot.problem))
        self._problems = problems + extra
        self._show_field_problems(problems, extra)
        self._update_counter(request.prompt)
        valid = not self._problems
        self.swap_button.setEnabled(
            SlotState.BUSY not in (self.first_slot.state, self.last_slot.state)
            and (self.first_slot.state, self.last_slot.state) != (SlotState.EMPTY,) * 2
        )
        busy = self._submitting or self._cooling or self.cap_question is not None
        self.generate_button.setEnabled(valid and not busy)
        if not self._submitting and not (self.generate_message.tone is Tone.OK and self._cooling):
            self._show_generate_hint(valid)
        self._update_cost_line()
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _show_field_problems(self, problems: list[Problem], extra: list[Problem]) -> None:
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            key = "image_urls" if problem.field.startswith("image_urls[") else problem.field
            if problem.field.startswith("image_urls["):
                continue
            by_field.setdefault(key, []).append(problem.message)
        for problem in extra:
            if problem.field == "image_urls":
                by_field.setdefault("image_urls", []).append(problem.message)
        server_field = self._server_problem[0] if self._server_problem else None
        targets: dict[str, MessageLabel] = {
            "prompt": self.prompt_message,
            "mode": self.mode_message,
            "aspect_ratio": self.aspect_message,
            "generationType": self.type_message,
            "image_urls": self.images_message,
            "seed": self.seed_message,
            "watermark": self.watermark_message,
            "provider": self.provider_message,
            "enableTranslation": self.translation_message,
        }
        for key, label in targets.items():
            messages = by_field.get(key, [])
            if self._server_problem and server_field == key:
                messages = [*messages, self._server_problem[1]]
            tone = Tone.PROBLEM
            if key == "prompt" and not self.prompt_edit.toPlainText().strip():
                tone = Tone.HINT
                if not self._prompt_touched:
                    messages = []
            if key == "image_urls":
                states = {slot.state for slot in self._visible_slots()}
                if states & {SlotState.BUSY, SlotState.ERROR}:
                    messages = [m for m in messages if m in {p.message for p in extra}]
                elif states <= {SlotState.EMPTY}:
                    tone = Tone.HINT
            label.show_message(" ".join(messages) or None, tone)
        if self._server_problem and server_field not in targets:
            self.generate_message.show_message(self._server_problem[1], Tone.PROBLEM)

    def _show_generate_hint(self, valid: bool) -> None:
        if self._server_problem and self._server_problem[0] not in {
            "prompt",
            "mode",
            "aspect_ratio",
            "generationType",
            "image_urls",
            "seed",
            "watermark",
            "provider",
            "enableTranslation",
        }:
            return
        if valid:
            self.generate_message.show_message(None)
            return
        first = self._problems[0]
        if first.field == "prompt" and not self.prompt_edit.toPlainText().strip():
            text = "Write a prompt to generate."
        elif any(slot.state is SlotState.BUSY for slot in self._visible_slots()):
            text = "Waiting for the images to finish uploading…"
        else:
            count = len(self._problems)
            text = (
                "Fix the problem above to generate."
                if count == 1
                else (f"Fix the {count} problems above to generate.")
            )
        self.generate_message.show_message(text, Tone.HINT)

    def _update_counter(self, prompt: str) -> None:
        length = len(prompt)
        self.prompt_counter.setText(f"{length:,} / {MAX_PROMPT_LENGTH:,}")
        over = length > MAX_PROMPT_LENGTH
        color = style.problem_color(self) if over else style.hint_color(self)
        self.prompt_counter.setStyleSheet(
            f"color: {color.name()};" + (" font-weight: bold;" if over else "")
        )
        self.prompt_counter.setAccessibleDescription(
            f"{length} of {MAX_PROMPT_LENGTH} characters"
            + (f", {length - MAX_PROMPT_LENGTH} over the limit" if over else "")
        )
        self.prompt_edit.mark_over_limit(MAX_PROMPT_LENGTH)

    def _update_generate_label(self) -> None:
        count = self.variations
        # More than one take opens the confirmation first (hence the ellipsis); the count
        # is right beside the button and on the cost line.
        self.generate_button.setText("Generate" if count == 1 else "Generate…")
        self.generate_button.setAccessibleName(
            "Generate" if count == 1 else f"Generate {count} variations"
        )
        self.generate_button.setAccessibleDescription(
            "Submit this video to APIXO (Ctrl+Enter); it is billed when APIXO accepts it"
            if count == 1
            else f"Show the {count} takes, their total and the balance before sending them"
        )

    def _update_cost_line(self) -> None:
        mode = str(self.mode_selector.currentData())
        price = PRICES.get(mode, Decimal("0"))
        count = self.variations
        total = price * count
        if not self._balance_known:
            balance = "balance …"
        elif self._balance is None:
            balance = "balance unknown"
        else:
            balance = f"balance {format_money(self._balance)}"
        low = self._balance is not None and self._balance < total
        short = f"{format_money(total)} · {balance}" + (" (not enough)" if low else "")
        if count == 1:
            self.cost_line.set_texts(f"Generate · {short}", short)
        else:
            self.cost_line.set_texts(
                f"Generate {count} variations · {short}",
                f"{count} variations · {short}",
                f"{count} takes · {short}",
                short,
            )
        cost = (
            f"This video costs {format_money(price)}"
            if count == 1
            else f"{count} videos of {format_money(price)} each cost {format_money(total)}"
        )
        self.cost_line.setToolTip(
            f"{cost} when APIXO accepts {'it' if count == 1 else 'them'}."
            + (" The balance is lower than that." if low else "")
        )
        self.cost_line.setAccessibleDescription(self.cost_line.toolTip())
        color = style.warning_color(self) if low else style.hint_color(self)
        self.cost_line.setStyleSheet(f"color: {color.name()};")

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        for index in range(combo.count()):
            data = combo.itemData(index)
            same = data is None if value is None else type(data) is type(value) and data == value
            if same or (isinstance(value, str) and isinstance(data, str) and data == value):
                combo.setCurrentIndex(index)
                return

    @staticmethod
    def _set_item_enabled(combo: QComboBox, value: str, enabled: bool, tip: str) -> None:
        model = combo.model()
        index = combo.findData(value)
        if index < 0 or not isinstance(model, QStandardItemModel):
            return
        item = model.item(index)
        item.setEnabled(enabled)
        item.setToolTip("" if enabled else tip)
