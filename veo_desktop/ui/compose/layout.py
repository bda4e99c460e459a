"""The Compose section's widgets and where they sit (its look, not its behaviour).

:class:`ComposeLayout` makes every control of the composer, names it for tests and screen
readers, and lays it out: the prompt, mode and aspect, the type and its image slots, seed and
watermark, the advanced options in a collapsible section, and, in a footer outside the
scrolling form, the cost line, Generate and the number of variations.
:class:`~veo_desktop.ui.compose.panel.ComposePanel` binds them to the form model.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import AspectRatio, GenerationType
from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS
from veo_desktop.ui import style
from veo_desktop.ui.compose.form import (
    ASPECT_LABELS,
    PROVIDER_CHOICES,
    TRANSLATION_CHOICES,
    TYPE_EXPLANATIONS,
    TYPE_LABELS,
    ComposeForm,
)
from veo_desktop.ui.compose.image_slot import ImageSlot
from veo_desktop.ui.compose.prompt_edit import PromptEdit
from veo_desktop.ui.compose.slot_display import PICTURE_MAX_HEIGHT
from veo_desktop.ui.compose.widgets import (
    CollapsibleSection,
    FittingLabel,
    MessageLabel,
    Tone,
    add_mode_choices,
    seed_edit,
    watermark_edit,
)
from veo_desktop.ui.images import ImageUploader

#: How the form's spare height is shared: the prompt (up to its cap), the image slots (up
#: to theirs), and the room under the form.
PROMPT_STRETCH = 3
SLOTS_STRETCH = 2
REST_STRETCH = 0


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


class ComposeLayout(QWidget):
    """The composer's controls, made and laid out; the slots show ``form``'s slot models.

    Args:
        form: the form model the controls will show.
        uploader: what the image slots take images with.
    """

    def __init__(
        self, form: ComposeForm, uploader: ImageUploader, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composePanel")
        self.form = form
        self._uploader = uploader
        self._build()

    def _build(self) -> None:
        self.prompt_edit = PromptEdit()
        self.prompt_counter = QLabel()
        self.prompt_counter.setObjectName("promptCounter")
        self.prompt_counter.setAccessibleName("Prompt length")
        self.prompt_counter.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.prompt_counter.setFont(style.scaled_font(self, 0.9))
        # The lines a hint comes and goes in keep their room, so nothing below them moves.
        self.prompt_message = MessageLabel(Tone.PROBLEM, reserve_lines=1)
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

        form = self.form
        self.first_slot = ImageSlot("First frame", self._uploader, model=form.first_slot)
        self.first_slot.setObjectName(form.first_slot.name)
        self.last_slot = ImageSlot("Last frame", self._uploader, model=form.last_slot)
        self.last_slot.setObjectName(form.last_slot.name)
        self.swap_button = QToolButton()
        self.swap_button.setObjectName("swapFramesButton")
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip("Swap the first and last frames")
        self.swap_button.setAccessibleName("Swap frames")
        self.swap_button.setAccessibleDescription("Exchange the first and the last frame")
        self.swap_button.setAutoRaise(True)
        self.reference_slots: list[ImageSlot] = []
        for model in form.reference_slots:
            slot = ImageSlot(model.title, self._uploader, model=model)
            slot.setObjectName(model.name)
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
        self.generate_message = MessageLabel(Tone.HINT, reserve_lines=1)
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
            f"How many variations Generate makes, each with its own seed ({MIN_VARIATIONS} to "
            f"{MAX_VARIATIONS}); more than one asks first, showing the total"
        )
        self.variations_spin.setToolTip(
            "How many variations of this video to make, each with its own seed.\n"
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
        column.setContentsMargins(12, 8, 12, 8)
        column.setSpacing(4)

        prompt_header = QHBoxLayout()
        prompt_header.addWidget(style.section_title("Prompt"))
        prompt_header.addStretch(1)
        prompt_header.addWidget(self.prompt_counter)
        column.addLayout(prompt_header)
        # The prompt grows with the window up to PROMPT_MAX_LINES; the image slots and the
        # room below the form share the rest.
        column.addWidget(self.prompt_edit, PROMPT_STRETCH)
        column.addWidget(self.prompt_message)

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

        type_row = QHBoxLayout()
        type_row.setSpacing(10)
        type_row.addWidget(_field_label("&Type", self.type_selector))
        type_row.addWidget(self.type_selector, 1)
        column.addSpacing(2)
        column.addLayout(type_row)
        column.addWidget(self.type_explanation)
        column.addWidget(self.type_message)

        self.frames_page = QWidget()
        self.frames_page.setObjectName("frameSlots")
        frames_row = QHBoxLayout(self.frames_page)
        frames_row.setContentsMargins(0, 2, 0, 0)
        # No taller than its slots want (their largest pictures): the rest goes under the form.
        frames_row.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
        frames_row.setSpacing(4)
        frames_row.addWidget(self.first_slot, 1)
        swap_holder = QWidget()  # centres the swap button beside the pictures
        swap_column = QVBoxLayout(swap_holder)
        swap_column.setContentsMargins(0, 0, 0, 0)
        swap_column.addSpacing(self.first_slot.picture_top)
        swap_column.addStretch(1)
        swap_column.addWidget(self.swap_button)
        swap_column.addStretch(1)
        self.swap_button.setFixedSize(QSize(26, 26))
        # No taller than the slots' pictures can be, so the row is as tall as its slots.
        swap_holder.setMaximumHeight(self.first_slot.picture_top + PICTURE_MAX_HEIGHT)
        frames_row.addWidget(swap_holder)
        frames_row.addWidget(self.last_slot, 1)
        self.references_page = QWidget()
        self.references_page.setObjectName("referenceSlots")
        references_row = QHBoxLayout(self.references_page)
        references_row.setContentsMargins(0, 2, 0, 0)
        references_row.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
        references_row.setSpacing(6)
        for slot in self.reference_slots:
            references_row.addWidget(slot, 1)
        column.addWidget(self.frames_page, SLOTS_STRETCH)
        column.addWidget(self.references_page, SLOTS_STRETCH)
        column.addWidget(self.images_message)

        column.addSpacing(2)
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
        column.addStretch(REST_STRETCH)

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
