"""Saved searches: the "Saved searches" menu inside the search bar's Filters menu (pick one,
save the current search under a name, delete one), kept in the task store through
:class:`LibraryLabels`."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QWidget

from veo_desktop.records.library import LibraryQuery, SavedSearch, format_query
from veo_desktop.ui.library.labels import LibraryError, LibraryLabels


class SavedSearchesMenu(QMenu):
    """Lists the saved searches (filled each time it opens).

    Args:
        library: where searches are kept.
        current: returns the search on show (what "Save this search…" keeps).
    """

    #: A saved search was picked (its :class:`LibraryQuery`).
    chosen = Signal(object)
    #: Saving or deleting failed: a message for the person.
    failed = Signal(str)

    def __init__(
        self,
        library: LibraryLabels,
        current: Callable[[], LibraryQuery],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Saved searches", parent)
        self.setObjectName("savedSearchesMenu")
        self._library = library
        self._current = current
        self._dialog: QInputDialog | None = None
        self.aboutToShow.connect(self.on_about_to_show)

    @Slot()
    def on_about_to_show(self) -> None:
        self.clear()
        searches = self._library.saved_searches()
        for saved in searches:
            action = self.addAction(saved.name)
            action.setToolTip(format_query(saved.query))
            action.setStatusTip(format_query(saved.query))
            action.triggered.connect(lambda _=False, s=saved: self.chosen.emit(s.query))
        if not searches:
            empty = self.addAction("No saved searches yet")
            empty.setEnabled(False)
        self.addSeparator()
        save = self.addAction("Save this search\u2026")
        save.setObjectName("saveSearchAction")
        save.setEnabled(self._library.available and not self._current().is_empty)
        save.triggered.connect(self.ask_name)
        delete = self.addMenu("Delete")
        delete.setObjectName("deleteSearchMenu")
        delete.setEnabled(bool(searches))
        for saved in searches:
            action = delete.addAction(saved.name)
            action.triggered.connect(lambda _=False, s=saved: self.delete(s))

    @Slot()
    def ask_name(self) -> QInputDialog:
        """Ask for a name (a window-modal dialog opened with ``open()``), then save."""
        dialog = QInputDialog(self.parentWidget())
        dialog.setObjectName("saveSearchDialog")
        dialog.setWindowTitle("Save this search")
        dialog.setLabelText(f"A name for \u201c{format_query(self._current())}\u201d:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.textValueSelected.connect(self.save)
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()
        return dialog

    @Slot(str)
    def save(self, name: str) -> SavedSearch | None:
        try:
            return self._library.save_search(name, self._current())
        except LibraryError as error:
            self.failed.emit(str(error))
            return None

    def delete(self, saved: SavedSearch) -> None:
        try:
            self._library.delete_search(saved.name)
        except LibraryError as error:
            self.failed.emit(str(error))
