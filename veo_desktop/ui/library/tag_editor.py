""" "Rate and tag…": one dialog that sets the stars, the favourite mark, tags and a personal
note of every selected task at once, saved in one transaction.

Only what the person touches changes: with three tasks rated differently, the rating stays
"As it is" until a rating is picked; a note is replaced only once the note field is edited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.records.library import (
    MAX_RATING,
    NOTE_LIMIT,
    LabelChange,
    QueryError,
    normalize_tag,
)
from veo_desktop.safe_text import printable
from veo_desktop.ui.library.labels import LibraryError, LibraryLabels

#: The rating choice that leaves every task's rating as it is.
KEEP = -1


class LabelEditor(QDialog):
    """Stars, favourite, tags and note for ``tasks`` (see the module docstring).

    Open it with ``open()``; it saves on OK and closes, or shows why it could not.
    """

    #: The labels were saved: the local ids changed.
    saved = Signal(object)

    def __init__(
        self,
        local_ids: Sequence[str],
        library: LibraryLabels,
        parent: QWidget | None = None,
        *,
        prompt: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("labelEditor")
        self.setWindowTitle("Rate and tag")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ids = list(local_ids)
        self._library = library
        current = [library.labels_of(local_id) for local_id in self._ids]
        self._current = current
        self._note_touched = False

        if len(self._ids) == 1:
            heading = f"\u201c{printable(prompt or '', 80)}\u201d"
        else:
            heading = f"{len(self._ids):,} tasks: what you set here applies to each of them."
        title = QLabel(heading, self)
        title.setWordWrap(True)

        self.rating = QComboBox(self)
        self.rating.setObjectName("ratingChoice")
        self.rating.setAccessibleName("Rating")
        ratings = {labels.rating for labels in current}
        if len(ratings) > 1:
            self.rating.addItem("As it is (they differ)", KEEP)
        self.rating.addItem("No stars", 0)
        for stars in range(1, MAX_RATING + 1):
            self.rating.addItem("\u2605" * stars, stars)
        if len(ratings) == 1:
            self.rating.setCurrentIndex(self.rating.findData(ratings.pop()))

        self.favourite = QCheckBox("Favourite", self)
        self.favourite.setObjectName("favouriteCheck")
        marks = {labels.favourite for labels in current}
        if len(marks) > 1:
            self.favourite.setTristate(True)
            self.favourite.setCheckState(Qt.CheckState.PartiallyChecked)
        else:
            self.favourite.setChecked(marks.pop() if marks else False)

        self.add_tags = QLineEdit(self)
        self.add_tags.setObjectName("addTagsEdit")
        self.add_tags.setAccessibleName("Tags to add")
        self.add_tags.setPlaceholderText("night, city, keeper (commas between tags)")
        completer = QCompleter(library.tags(), self.add_tags)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.add_tags.setCompleter(completer)

        self.remove_tags = QListWidget(self)
        self.remove_tags.setObjectName("removeTagsList")
        self.remove_tags.setAccessibleName("Tags on the selected tasks: untick to take off")
        on_any = sorted(set().union(*(labels.tags for labels in current)))
        for tag in on_any:
            count = sum(tag in labels.tags for labels in current)
            shown = f"#{tag}" if count == len(current) else f"#{tag} ({count} of {len(current)})"
            item = QListWidgetItem(shown, self.remove_tags)
            item.setData(Qt.ItemDataRole.UserRole, tag)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
        self.remove_tags.setVisible(bool(on_any))
        self.remove_tags.setMaximumHeight(96)

        self.note = QPlainTextEdit(self)
        self.note.setObjectName("noteEdit")
        self.note.setAccessibleName("Note")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(90)
        notes = {labels.note for labels in current}
        if len(notes) == 1:
            self.note.setPlainText(notes.pop() or "")
            self.note.setPlaceholderText("A note for yourself (not sent anywhere)")
        else:
            self.note.setPlaceholderText("The notes differ: what you type replaces them all")
        self.note.textChanged.connect(self.on_note_text_changed)

        self.problem = QLabel(self)
        self.problem.setObjectName("labelProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        form = QFormLayout()
        form.addRow("Rating", self.rating)
        form.addRow("", self.favourite)
        form.addRow("Add tags", self.add_tags)
        if on_any:
            form.addRow("Tags", self.remove_tags)
        form.addRow("Note", self.note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)

    @Slot()
    def on_note_text_changed(self) -> None:
        self._note_touched = True

    def change(self) -> LabelChange:
        """What the form asks for.

        Raises:
            QueryError: a tag typed has no visible character.
        """
        rating = self.rating.currentData()
        state = self.favourite.checkState()
        favourite = (
            None if state == Qt.CheckState.PartiallyChecked else state == Qt.CheckState.Checked
        )
        if favourite is not None and {favourite} == {labels.favourite for labels in self._current}:
            favourite = None
        added = frozenset(
            normalize_tag(part) for part in self.add_tags.text().split(",") if part.strip()
        )
        removed = frozenset(
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in (self.remove_tags.item(i) for i in range(self.remove_tags.count()))
            if item.checkState() == Qt.CheckState.Unchecked
        )
        note = self.note.toPlainText()[:NOTE_LIMIT] if self._note_touched else None
        return LabelChange(
            rating=None if rating == KEEP else int(rating),
            favourite=favourite,
            add_tags=added,
            remove_tags=removed - added,
            note=note,
        )

    @Slot()
    def on_buttons_accepted(self) -> None:
        try:
            change = self.change()
            if not change.is_empty:
                self._library.edit(self._ids, change)
        except (QueryError, LibraryError) as error:
            self.problem.setText(str(error))
            self.problem.show()
            return
        self.saved.emit(tuple(self._ids))
        self.accept()


def open_label_editor(
    local_ids: Sequence[str],
    library: LibraryLabels,
    parent: QWidget,
    done: Callable[[str], None] | None = None,
    *,
    prompt: str | None = None,
) -> LabelEditor | None:
    """Open the editor for the tasks ``local_ids`` (window-modal; ``prompt``: the one task's,
    as its heading); None when nothing is selected or the library cannot be written (then a
    message says why). ``done`` hears a sentence of what was saved (the status bar shows
    it). No task is read: a selection of a large library's rows may be of thousands."""
    if not local_ids:
        return None
    if not library.available:
        box = QMessageBox(QMessageBox.Icon.Warning, "Rate and tag", NO_STORE_TEXT, parent=parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return None
    editor = LabelEditor(local_ids, library, parent, prompt=prompt)
    if done is not None:
        editor.saved.connect(lambda ids: done(saved_text(len(ids))))
    editor.open()
    return editor


NO_STORE_TEXT = "Ratings and tags cannot be saved: the task store is not open."


def saved_text(count: int) -> str:
    """What the status bar says after a save."""
    return (
        "Saved the stars, tags and note of 1 task."
        if count == 1
        else (f"Saved the stars, tags and note of {count} tasks.")
    )
