"""How the composer shows its form model: the controls, the problems, the counter, the cost.

:class:`FormDisplay` writes the fields of the
:class:`~veo_desktop.ui.compose.form.ComposeForm` into the controls (their own edits are not
read back meanwhile), each problem next to the field at fault, the prompt counter, the cost
line, and whether Generate can be pressed given the
:class:`~veo_desktop.ui.compose.submission.SubmissionFlow`'s state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from veo_desktop.api.models import MAX_PROMPT_LENGTH, AspectRatio, GenerationType, Mode
from veo_desktop.ui import style
from veo_desktop.ui.compose.form import REFERENCE_ASPECT_TIP, REFERENCE_MODE_TIP
from veo_desktop.ui.compose.layout import ComposeLayout
from veo_desktop.ui.compose.submission import SubmissionFlow, SubmitState
from veo_desktop.ui.compose.widgets import MessageLabel, Tone


class FormDisplay(ComposeLayout):
    """The composer's controls showing its form (see :class:`ComposeLayout` for the args).

    Signals:
        validity_changed: whether Generate can be pressed now.
    """

    validity_changed = Signal(bool)
    #: The submission under way decides whether Generate can be pressed (set by the panel).
    submission: SubmissionFlow
    _syncing = False
    _shown_type: str | None = None
    _valid = False

    # -- showing the form -----------------------------------------------------------------

    @contextmanager
    def _sync(self) -> Iterator[None]:
        """While the form is written into the controls, their edits are not read back."""
        syncing, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = syncing

    def _show_form(self) -> None:
        """Write the form's fields into the controls, then show what follows from them."""
        form = self.form
        with self._sync():
            self._select(self.type_selector, form.generation_type)
            self._select(self.mode_selector, form.mode)
            self._select(self.aspect_selector, form.aspect_ratio)
            self._select(self.provider_selector, form.provider)
            self._select(self.translation_selector, form.enable_translation)
            if self.prompt_edit.toPlainText() != form.prompt:
                self.prompt_edit.setPlainText(form.prompt)
            for edit, text in (
                (self.seed_edit, form.seed_text),
                (self.watermark_edit, form.watermark),
            ):
                if edit.text() != text:
                    edit.setText(text)
        if form.generation_type != self._shown_type:
            self._show_type()
        self._refresh()

    def _show_type(self) -> None:
        """What the chosen type offers: its slots, its explanation, fast and 16:9 only for
        reference images."""
        form = self.form
        kind = form.generation_type
        self._shown_type = kind
        reference = form.reference_only
        self._set_item_enabled(
            self.mode_selector, str(Mode.QUALITY), not reference, REFERENCE_MODE_TIP
        )
        for aspect in (AspectRatio.PORTRAIT, AspectRatio.AUTO):
            self._set_item_enabled(
                self.aspect_selector, str(aspect), not reference, REFERENCE_ASPECT_TIP
            )
        self.mode_selector.setToolTip(REFERENCE_MODE_TIP if reference else "")
        self.aspect_selector.setToolTip(REFERENCE_ASPECT_TIP if reference else "")
        self.type_explanation.show_message(form.type_explanation)
        self.frames_page.setVisible(kind == GenerationType.FRAMES)
        self.references_page.setVisible(reference)
        # What the slots still need comes and goes as images are added: its room stays.
        self.images_message.set_reserve_lines(0 if kind == GenerationType.TEXT else 2)

    def _refresh(self) -> None:
        """Show the problems, the counter, the cost and whether Generate can be pressed."""
        form = self.form
        messages = form.field_messages()
        for field, label in self._message_labels().items():
            message = messages[field]
            label.show_message(message.text, message.tone)
        elsewhere = form.server_problem_elsewhere
        if elsewhere is not None:
            self.generate_message.show_message(elsewhere, Tone.PROBLEM)
        self._update_counter()
        valid = form.valid
        self.swap_button.setEnabled(form.swap_enabled)
        flow = self.submission
        self.generate_button.setEnabled(valid and flow.state is SubmitState.IDLE)
        resting = self.generate_message.tone is Tone.OK and flow.state is SubmitState.RESTING
        if not flow.working and not resting:
            hint = form.generate_hint()
            if hint is not None:
                self.generate_message.show_message(hint.text, hint.tone)
        self._update_cost_line()
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _message_labels(self) -> dict[str, MessageLabel]:
        return {
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

    def _update_counter(self) -> None:
        text, description = self.form.counter_texts()
        over = self.form.prompt_over_limit
        self.prompt_counter.setText(text)
        color = style.problem_color(self) if over else style.hint_color(self)
        self.prompt_counter.setStyleSheet(
            f"color: {color.name()};" + (" font-weight: bold;" if over else "")
        )
        self.prompt_counter.setAccessibleDescription(description)
        self.prompt_edit.mark_over_limit(MAX_PROMPT_LENGTH)

    def _update_generate_label(self) -> None:
        text, name, description = self.form.generate_label()
        self.generate_button.setText(text)
        self.generate_button.setAccessibleName(name)
        self.generate_button.setAccessibleDescription(description)

    def _update_cost_line(self) -> None:
        line = self.form.cost_line()
        self.cost_line.set_texts(*line.texts)
        self.cost_line.setToolTip(line.tooltip)
        self.cost_line.setAccessibleDescription(line.tooltip)
        color = style.warning_color(self) if line.low else style.hint_color(self)
        self.cost_line.setStyleSheet(f"color: {color.name()};")

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        """Make the item whose data is ``value`` current (nothing when it already is)."""
        for index in range(combo.count()):
            data = combo.itemData(index)
            same = data is None if value is None else type(data) is type(value) and data == value
            if same or (isinstance(value, str) and isinstance(data, str) and data == value):
                if combo.currentIndex() != index:
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
