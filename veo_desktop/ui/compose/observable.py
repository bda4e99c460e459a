"""A plain change notification for the composer's Qt-free models (views subscribe to it)."""

from __future__ import annotations

from collections.abc import Callable


class Notifier:
    """Callbacks run, in the order they were connected, each time :meth:`emit` is called.

    The Qt-free counterpart of a signal without arguments: the models of ``ui/compose``
    announce a change; their views read what they need back from the model.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], object]] = []

    def connect(self, callback: Callable[[], object]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[], object]) -> None:
        """Stop calling ``callback`` (nothing happens when it was not connected)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self) -> None:
        for callback in list(self._callbacks):
            callback()
