"""The task list's search bar: prompt words, filters as removable chips, saved searches.

Typing ``fox tag:night `` searches prompts for "fox" and, once the space after it is typed,
turns ``tag:night`` into a chip; the Filters menu adds chips too, and a chip's click removes
it. Every change emits :attr:`SearchBar.query_changed` with the whole
:class:`~veo_desktop.records.library.LibraryQuery`: the panel hands it to the task list's
proxy, which both the table and the gallery show. The line edit keeps its automation name
``taskSearch``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from veo_desktop.api.models import AspectRatio, Mode
from veo_desktop.records.library import (
    EMPTY,
    KIND_LABELS,
    MAX_RATING,
    Chip,
    Kind,
    LibraryQuery,
    parse_query,
    query_problem,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.library.chips import ChipRow
from veo_desktop.ui.library.labels import LibraryLabels
from veo_desktop.ui.library.saved_searches import SavedSearchesMenu
from veo_desktop.ui.tasks.icons import glyph_icon

PLACEHOLDER = "Search prompts, or filter: tag:night rating:4 is:favourite"
#: Tags offered in the Filters menu (the most used first).
MENU_TAGS = 25
#: The "Created" choices: label and how many days back (0: today).
CREATED_CHOICES = (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29))


class SearchBar(QWidget):
    """Search field and the Filters button (its menu also holds the saved searches);
    :attr:`chips` goes below it.

    Args:
        library: labels and saved searches (tags offered in the menu come from it).
    """

    #: The search changed (a :class:`LibraryQuery`).
    query_changed = Signal(object)

    def __init__(self, library: LibraryLabels, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self._library = library
        #: The filters shown as chips (no words).
        self._filters = EMPTY
        self._query = EMPTY

        self.edit = QLineEdit(self)
        self.edit.setObjectName("taskSearch")
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.edit.addAction(glyph_icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.edit.setAccessibleName("Search tasks")
        tip = (
            "Show only tasks whose prompt contains these words. Filters: tag:NAME, "
            "rating:N, is:favourite, state:, mode:, type:, aspect:, seed:N, "
            "from:YYYY-MM-DD, to:YYYY-MM-DD (a space after one makes it a chip)"
        )
        self.edit.setAccessibleDescription(tip)
        self.edit.setToolTip(tip)

        self.filter_menu = QMenu("Filters", self)
        self.filter_menu.setObjectName("filterMenu")
        self.filter_menu.aboutToShow.connect(self.on_filter_menu_about_to_show)
        self.filter_button = _menu_button(self, "filterButton", "Filters", self.filter_menu)
        self.filter_button.setToolTip(
            "Add a filter (rating, tags, state, mode, type, date) or use a saved search"
        )

        self.saved = SavedSearchesMenu(library, self.current_query, self)
        self.saved.chosen.connect(self.set_query)
        self.saved.failed.connect(self._show_problem)

        #: The chips (the panel places them under its search row).
        self.chips = ChipRow(parent)
        self.chips.chip_removed.connect(self.on_chips_chip_removed)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.filter_button)

        self.edit.textChanged.connect(self.on_edit_text_changed)
        self.edit.returnPressed.connect(self.on_edit_return_pressed)

    # -- the query --------------------------------------------------------------------------

    @property
    def query(self) -> LibraryQuery:
        return self._query

    def current_query(self) -> LibraryQuery:
        return self._query

    @Slot(object)
    def set_query(self, query: LibraryQuery) -> None:
        """Show ``query``: its words in the field, its filters as chips."""
        self._filters = dataclasses.replace(query, words=())
        self.edit.blockSignals(True)
        self.edit.setText(query.text)
        self.edit.blockSignals(False)
        self._update()

    def clear(self) -> None:
        self.set_query(EMPTY)

    def add_filter(self, key: str, value: str) -> None:
        self._filters = self._filters.with_filter(key, value)
        self._update()

    def remove_chip(self, chip: Chip) -> None:
        self._filters = self._filters.without(chip)
        self._update()

    def _update(self) -> None:
        typed = parse_query(self.edit.text())
        query = self._filters.merge(typed)
        self.chips.set_chips(self._filters.chips())
        self.chips.set_problem(query_problem(self.edit.text()))
        if query != self._query:
            self._query = query
            self.query_changed.emit(query)

    # -- typing -----------------------------------------------------------------------------

    @Slot(str)
    def on_edit_text_changed(self, text: str) -> None:
        if text.endswith((" ", "\t")):
            self._take_filters(text)
        self._update()

    @Slot()
    def on_edit_return_pressed(self) -> None:
        self._take_filters(self.edit.text())
        self._update()

    def _take_filters(self, text: str) -> None:
        """Move the filters typed in ``text`` into chips; the words stay in the field."""
        typed = parse_query(text)
        if not typed.has_filters:
            return
        self._filters = self._filters.merge(dataclasses.replace(typed, words=()))
        rest = typed.text + (" " if typed.words and text.endswith(" ") else "")
        self.edit.blockSignals(True)
        self.edit.setText(rest)
        self.edit.blockSignals(False)

    @Slot(object)
    def on_chips_chip_removed(self, chip: Chip) -> None:
        self.remove_chip(chip)
        self.edit.setFocus()

    # -- the Filters menu -------------------------------------------------------------------

    @Slot()
    def on_filter_menu_about_to_show(self) -> None:
        menu = self.filter_menu
        menu.clear()
        filters = self._filters
        menu.addMenu(self.saved)
        menu.addSeparator()
        self._toggle(menu, "\u2605 Favourites", "is", "favourite", filters.favourite)
        rating = menu.addMenu("Rating")
        for stars in range(MAX_RATING, 0, -1):
            more = "" if stars == MAX_RATING else " or more"
            chosen = filters.min_rating == stars
            self._toggle(rating, "\u2605" * stars + more, "rating", str(stars), chosen)
        tags = menu.addMenu("Tag")
        known = self._library.tags()[:MENU_TAGS]
        for tag in known:
            self._toggle(tags, f"#{tag}", "tag", tag, tag in filters.tags)
        if not known:
            none = tags.addAction("No tags yet (select tasks, then Rate and tag\u2026)")
            none.setEnabled(False)
        menu.addSeparator()
        states = menu.addMenu("State")
        for state in TaskState:
            self._toggle(states, state.label, "state", state.value, state in filters.states)
        modes = menu.addMenu("Mode")
        for mode in Mode:
            self._toggle(modes, mode.value.capitalize(), "mode", mode.value, mode in filters.modes)
        kinds = menu.addMenu("Type")
        for kind in Kind:
            self._toggle(kinds, KIND_LABELS[kind], "type", kind.value, kind in filters.kinds)
        aspects = menu.addMenu("Aspect")
        for aspect in AspectRatio:
            label = "Auto" if aspect == AspectRatio.AUTO else aspect.value
            self._toggle(aspects, label, "aspect", aspect.value, aspect in filters.aspects)
        created = menu.addMenu("Created")
        today = dt.date.today()
        for label, days in CREATED_CHOICES:
            day = today - dt.timedelta(days=days)
            self._toggle(created, label, "from", day.isoformat(), filters.since == day)
        menu.addSeparator()
        clear = menu.addAction("Clear all filters")
        clear.setObjectName("clearFiltersAction")
        clear.setEnabled(filters.has_filters)
        clear.triggered.connect(self.on_clear_triggered)

    def _toggle(self, menu: QMenu, text: str, key: str, value: str, on: bool) -> QAction:
        action = menu.addAction(text)
        action.setCheckable(True)
        action.setChecked(on)
        action.setData(f"{key}:{value}")
        action.triggered.connect(lambda checked, k=key, v=value: self._on_toggle(k, v, checked))
        return action

    def _on_toggle(self, key: str, value: str, checked: bool) -> None:
        if checked:
            self.add_filter(key, value)
            return
        for chip in self._filters.chips():
            if chip.key == key and chip.value == value:
                self.remove_chip(chip)
                return

    @Slot()
    def on_clear_triggered(self) -> None:
        self._filters = EMPTY
        self._update()

    def _show_problem(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Saved searches", message, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def _menu_button(parent: QWidget, name: str, text: str, menu: QMenu) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setAccessibleName(text)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button
