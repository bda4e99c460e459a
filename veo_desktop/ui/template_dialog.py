"""Saved prompts: a small form to fill a template's placeholders, and an editor to save one.

Both are dialogs opened with ``open()`` (window-modal, never ``exec()``) and answer
through signals: :class:`TemplateFillDialog` emits the filled prompt, and
:class:`TemplateEditorDialog` the template it saved.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.templates import (
    MissingValuesError,
    Template,
    TemplateError,
    TemplateStore,
    TemplateSyntaxError,
)
from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

logger = logging.getLogger(__name__)


class TemplateFillDialog(QDialog):
    """One field per placeholder, a live preview, and "Use prompt".

    Signals:
        filled: the prompt with every placeholder filled (str).
    """

    filled = Signal(str)

    def __init__(self, template: Template, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templateFillDialog")
        self.setWindowTitle(f"Use \u201c{template.name}\u201d")
        self.setAccessibleName("Fill in a saved prompt")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._template = template
        self._names = template.placeholders()
        self.edits: dict[str, QLineEdit] = {}

        heading = QLabel(template.name)
        heading.setObjectName("templateFillHeading")
        heading.setFont(style.scaled_font(heading, 1.2, bold=True))
        hint = QLabel("Fill in each blank; the prompt below shows the result.")
        style.follow_hint_color(hint)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in self._names:
            edit = QLineEdit()
            edit.setObjectName(f"placeholderEdit_{name}")
            edit.setAccessibleName(name)
            edit.setAccessibleDescription(f"The value for {{{name}}}")
            edit.setPlaceholderText(name)
            edit.textChanged.connect(self.on_field_changed)
            self.edits[name] = edit
            form.addRow(f"{name}:", edit)
        self.preview = QLabel()
        self.preview.setObjectName("templatePreview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        self.preview.setMargin(8)
        self.preview.setAccessibleName("Prompt preview")
        self.message = MessageLabel(Tone.HINT)
        self.message.setObjectName("templateFillMessage")

        self.use_button = QPushButton("Use prompt")
        self.use_button.setObjectName("useTemplateButton")
        self.use_button.setAccessibleName("Use prompt")
        self.use_button.setAccessibleDescription("Put the filled prompt into the composer")
        cancel = QPushButton("Cancel")
        cancel.setObjectName("cancelTemplateButton")
        cancel.setAutoDefault(False)
        buttons = QDialogButtonBox()
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel.clicked.connect(self.reject)
        self.use_button.clicked.connect(self.on_use_button_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.use_button.setDefault(True)
        if self._names:
            self.edits[self._names[0]].setFocus()
        self._update()

    @property
    def template(self) -> Template:
        return self._template

    def placeholder_names(self) -> list[str]:
        return list(self._names)

    def set_value(self, name: str, value: str) -> None:
        self.edits[name].setText(value)

    def values(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.edits.items()}

    def prompt(self) -> str:
        """The filled prompt.

        Raises:
            MissingValuesError: a blank is empty.
        """
        return self._template.fill(self.values())

    @Slot()
    def on_field_changed(self, *_args: object) -> None:
        self._update()

    @Slot()
    def on_use_button_clicked(self) -> None:
        self.use()

    def use(self) -> bool:
        """Emit the filled prompt and close; False (with the reason shown) when blanks remain."""
        try:
            text = self.prompt()
        except MissingValuesError as error:
            self.message.show_message(str(error), Tone.PROBLEM)
            return False
        self.filled.emit(text)
        self.accept()
        return True

    def _update(self) -> None:
        values = self.values()
        self.preview.setText(self._template.preview(values))
        missing = [name for name in self._names if not values.get(name, "").strip()]
        self.use_button.setEnabled(not missing)
        if missing:
            blanks = ", ".join(f"{{{name}}}" for name in missing)
            self.message.show_message(f"Still to fill: {blanks}", Tone.HINT)
        else:
            self.message.show_message(None)


class TemplateEditorDialog(QDialog):
    """Create or edit a saved prompt; placeholders are found as the text is typed.

    Args:
        store: where the template is saved.
        template: the template to edit (None: a new one).
        initial_text: the text of a new template (e.g. a recent prompt, braces escaped).

    Signals:
        saved: the template as saved (a :class:`Template`).
    """

    saved = Signal(object)

    def __init__(
        self,
        store: TemplateStore,
        template: Template | None = None,
        *,
        initial_text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("templateEditorDialog")
        self.setWindowTitle("Edit saved prompt" if template else "Save prompt")
        self.setAccessibleName(self.windowTitle())
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._store = store
        self._original = template
        self._edited = False

        self.name_edit = QLineEdit(template.name if template else "")
        self.name_edit.setObjectName("templateNameEdit")
        self.name_edit.setAccessibleName("Name")
        self.name_edit.setAccessibleDescription("A name to find the prompt by")
        self.name_edit.setPlaceholderText("e.g. Product shot")
        self.text_edit = QPlainTextEdit(template.text if template else initial_text)
        self.text_edit.setObjectName("templateTextEdit")
        self.text_edit.setAccessibleName("Prompt")
        self.text_edit.setAccessibleDescription(
            "The prompt; write {name} for a blank to fill in before use, {{ and }} for braces"
        )
        self.text_edit.setPlaceholderText("A {animal} runs through {place} at dawn, slow motion")
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setMinimumHeight(96)
        help_label = QLabel(
            "Write <b>{name}</b> for a blank to fill in each time (for example "
            "<b>{subject}</b>); write <b>{{</b> and <b>}}</b> for braces in the prompt."
        )
        help_label.setWordWrap(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)
        style.follow_hint_color(help_label)
        self.placeholders_label = QLabel()
        self.placeholders_label.setObjectName("templatePlaceholders")
        self.placeholders_label.setWordWrap(True)
        self.placeholders_label.setAccessibleName("Blanks found")
        style.follow_hint_color(self.placeholders_label)
        self.message = MessageLabel(Tone.PROBLEM)
        self.message.setObjectName("templateEditorMessage")

        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveTemplateButton")
        self.save_button.setAccessibleName("Save")
        cancel = QPushButton("Cancel")
        cancel.setObjectName("cancelTemplateEditorButton")
        cancel.setAutoDefault(False)
        buttons = QDialogButtonBox()
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.on_save_button_clicked)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Prompt:", self.text_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(form)
        layout.addWidget(help_label)
        layout.addWidget(self.placeholders_label)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.save_button.setDefault(True)
        self.name_edit.textChanged.connect(self.on_field_changed)
        self.text_edit.textChanged.connect(self.on_field_changed)
        (self.text_edit if template else self.name_edit).setFocus()
        self._update()

    def current(self) -> Template:
        return Template(self.name_edit.text().strip(), self.text_edit.toPlainText())

    def problems(self) -> list[str]:
        template = self.current()
        problems = template.problems()
        clash = self._store.get(template.name) if template.name else None
        original = self._original.name.casefold() if self._original else None
        if clash is not None and clash.name.casefold() != original:
            problems.append(f"A saved prompt is already called \u201c{clash.name}\u201d.")
        return problems

    @Slot()
    def on_field_changed(self, *_args: object) -> None:
        self._edited = True
        self._update()

    @Slot()
    def on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> bool:
        """Save the template and close; False (with the reason shown) when it cannot be."""
        self._edited = True
        problems = self.problems()
        if problems:
            self.message.show_message(" ".join(problems), Tone.PROBLEM)
            return False
        try:
            saved = self._store.put(
                self.current(), replace=self._original.name if self._original else None
            )
        except (TemplateError, OSError) as error:
            logger.warning("could not save the prompt: %s", error)
            self.message.show_message(f"Not saved: {error}", Tone.PROBLEM)
            return False
        self.saved.emit(saved)
        self.accept()
        return True

    def _update(self) -> None:
        template = self.current()
        try:
            names = template.placeholders()
        except TemplateSyntaxError:
            names = []
        if names:
            shown = ", ".join(f"{{{n}}}" for n in names)
            self.placeholders_label.setText(f"Blanks to fill in: {shown}")
        else:
            self.placeholders_label.setText("No blanks: the prompt is used as it is.")
        problems = self.problems()
        # What is still missing reads as a hint until the person has edited a field (the
        # dialog opens with the composer's prompt and no name: that is no mistake yet).
        self.message.show_message(
            " ".join(problems) if problems else None,
            Tone.PROBLEM if self._edited else Tone.HINT,
        )
        self.save_button.setEnabled(not problems)
