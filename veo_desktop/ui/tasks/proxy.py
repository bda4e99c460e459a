"""Sorting and filtering of the task list (search by prompt text, state filter, and the
takes of folded variations runs left out)."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from veo_desktop.ui.tasks.columns import FILTER_STATES, SORT_ROLE, StateFilter
from veo_desktop.ui.tasks.model import TaskTableModel


class TaskFilterProxy(QSortFilterProxyModel):
    """Filters by words and state; sorting is handed to the source model.

    Every word typed in the search box must appear in the prompt (any case, any order).
    :meth:`sort` (what a click on a header calls) orders the :class:`TaskTableModel`
    itself, which sorts 10,000 rows in milliseconds; the proxy keeps the source's order,
    so filtering never re-sorts through ``data()`` calls.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: tuple[str, ...] = ()
        self._state_filter = StateFilter.ALL
        self._states = FILTER_STATES[StateFilter.ALL]
        self._everything = True
        self._model: TaskTableModel | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def search_text(self) -> str:
        return " ".join(self._words)

    @property
    def state_filter(self) -> StateFilter:
        return self._state_filter

    def set_search_text(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words == self._words:
            return
        self.beginFilterChange()
        self._words = words
        self._update_everything()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_state_filter(self, choice: StateFilter) -> None:
        if choice == self._state_filter:
            return
        self.beginFilterChange()
        self._state_filter = choice
        self._states = FILTER_STATES[choice]
        self._update_everything()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _update_everything(self) -> None:
        self._everything = not self._words and self._state_filter == StateFilter.ALL

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, TaskTableModel):
            model.sort(column, order)

    def task_model(self) -> TaskTableModel:
        return cast(TaskTableModel, self.sourceModel())

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        if not isinstance(model, TaskTableModel):
            raise TypeError("TaskFilterProxy filters a TaskTableModel")
        if self._model is not None:
            self._model.folding_changed.disconnect(self.on_model_folding_changed)
        self._model = model
        super().setSourceModel(model)
        model.folding_changed.connect(self.on_model_folding_changed)

    def on_model_folding_changed(self) -> None:
        """A variations run was folded or opened: its takes leave or rejoin the rows."""
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        # Called once per row whenever the filter or the order changes: keep it lean.
        model = self._model
        if model is not None and model.has_folds and model.is_folded_take(source_row):
            return False
        if self._everything:
            return True
        if model is None:
            return False
        if model.task_at(source_row).state not in self._states:
            return False
        prompt = model.folded_prompt_at(source_row)
        return all(word in prompt for word in self._words)
