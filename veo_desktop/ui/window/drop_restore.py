"""One of our videos (or its ``.json``) dropped on the window restores its settings.

:class:`DropRestoreFilter` watches the window and the widgets that take drops themselves
(the prompt, the image slots; the window itself calls :meth:`DropRestoreFilter.take` from
its drag handlers): a drag carrying one restorable file is accepted there, and its drop
asks for the restore (:attr:`DropRestoreFilter.restore_requested`). Other drags
go on to the widget as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal
from PySide6.QtGui import QDropEvent

#: Files whose settings a drop on the window restores: our videos and their sidecars.
RESTORABLE_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".json"})

_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def restorable_file(mime: QMimeData) -> Path | None:
    """The one local video or ``.json`` file a drag carries, if that is what it carries."""
    if not mime.hasUrls():
        return None
    urls = [url for url in mime.urls() if url.isValid()]
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in RESTORABLE_SUFFIXES else None


class DropRestoreFilter(QObject):
    """An event filter that takes restorable files dropped on the objects it watches.

    Args:
        accepting: whether drops are taken now (a session is open).

    Signals:
        restore_requested(Path): a restorable file was dropped.
    """

    restore_requested = Signal(object)

    def __init__(self, accepting: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._accepting = accepting
        self._watched: list[QObject] = []

    def watch(self, targets: Iterable[QObject]) -> None:
        for target in targets:
            target.installEventFilter(self)
            self._watched.append(target)

    def unwatch_all(self) -> None:
        for target in self._watched:
            target.removeEventFilter(self)
        self._watched = []

    def take(self, event: QDropEvent) -> bool:
        """Accept ``event`` (a drag entering, moving or dropping) if it carries a restorable
        file and drops are taken now; a drop then asks for the restore. The window calls
        this from its own drag handlers."""
        path = restorable_file(event.mimeData())
        if path is None or not self._accepting():
            return False
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            self.restore_requested.emit(path)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _DRAG_EVENTS and watched in self._watched:
            assert isinstance(event, QDropEvent)  # QDragEnterEvent and QDragMoveEvent too
            if self.take(event):
                return True
        return super().eventFilter(watched, event)
