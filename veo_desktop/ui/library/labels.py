"""The window's side of the library: ratings, favourites, tags and notes kept in memory
(read from the store once, when first needed), edits written to the store, saved searches.

:class:`LibraryLabels` is what the search bar filters with (:meth:`LibraryLabels.labels`,
one dict kept up to date in place), what the label editor writes through, and what tells
the views which tasks' labels changed (:attr:`LibraryLabels.labels_changed`). Without a
store (an engine that offers none) it holds nothing and says why edits cannot be saved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject, Signal

from veo_desktop.core.errors import StoreError
from veo_desktop.records.library import (
    LabelChange,
    Labels,
    LibraryQuery,
    LibraryStore,
    SavedSearch,
)

log = logging.getLogger(__name__)

NO_STORE = "Ratings, tags and saved searches need the task store, which is not open."


class LibraryError(Exception):
    """An edit of the library could not be saved (the message says why, for a person)."""


class LibraryLabels(QObject):
    """Labels in memory, written through to ``store`` (see the module docstring)."""

    #: These tasks' labels changed (a tuple of local ids).
    labels_changed = Signal(object)
    #: A search was saved or deleted.
    saved_searches_changed = Signal()

    def __init__(self, store: LibraryStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._labels: dict[str, Labels] | None = None

    @property
    def available(self) -> bool:
        return self._store is not None

    def labels(self) -> Mapping[str, Labels]:
        """The labels of every labelled task, by local id (the same dict, kept current)."""
        return self._loaded()

    def _loaded(self) -> dict[str, Labels]:
        if self._labels is None:
            self._labels = {}
            if self._store is not None:
                try:
                    self._labels.update(self._store.labels())
                except StoreError as error:
                    log.warning("could not read the library's labels: %s", error)
        return self._labels

    def labels_of(self, local_id: str) -> Labels:
        return self.labels().get(local_id, Labels())

    def tags(self) -> list[str]:
        """Every tag in use, most used first."""
        if self._store is None:
            return []
        try:
            return [tag for tag, _count in self._store.tag_counts()]
        except StoreError as error:
            log.warning("could not read the tags: %s", error)
            return []

    def edit(self, local_ids: Sequence[str], change: LabelChange) -> int:
        """Apply ``change`` to these tasks in one transaction; returns how many exist.

        Raises:
            LibraryError: the store is missing or refused the write (nothing changed).
        """
        store = self._require()
        try:
            count = store.edit_labels(local_ids, change)
            fresh = store.labels(local_ids)
        except StoreError as error:
            raise LibraryError(str(error)) from error
        labels = self._loaded()
        for local_id in local_ids:
            if local_id in fresh:
                labels[local_id] = fresh[local_id]
            else:
                labels.pop(local_id, None)
        self.labels_changed.emit(tuple(local_ids))
        return count

    def saved_searches(self) -> list[SavedSearch]:
        if self._store is None:
            return []
        try:
            return self._store.saved_searches()
        except StoreError as error:
            log.warning("could not read the saved searches: %s", error)
            return []

    def save_search(self, name: str, query: LibraryQuery) -> SavedSearch:
        """Keep ``query`` as ``name``.

        Raises:
            LibraryError: no name, or the store refused the write.
        """
        store = self._require()
        try:
            saved = store.save_search(name, query)
        except (StoreError, ValueError) as error:
            raise LibraryError(str(error)) from error
        self.saved_searches_changed.emit()
        return saved

    def delete_search(self, name: str) -> None:
        store = self._require()
        try:
            store.delete_search(name)
        except StoreError as error:
            raise LibraryError(str(error)) from error
        self.saved_searches_changed.emit()

    def _require(self) -> LibraryStore:
        if self._store is None:
            raise LibraryError(NO_STORE)
        return self._store
