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


class Subscriptions:
    """The callbacks a view connected to its models, to disconnect them all at once.

    A view calls :meth:`close` when it goes away (``widget.destroyed.connect(subs.close)``),
    so a model that outlives it never calls into a deleted widget.
    """

    def __init__(self) -> None:
        self._connected: list[tuple[Notifier, Callable[[], object]]] = []

    def add(self, notifier: Notifier, callback: Callable[[], object]) -> None:
        notifier.connect(callback)
        self._connected.append((notifier, callback))

    def close(self, *_args: object) -> None:
        """Disconnect every callback (the signal's arguments, if any, are ignored)."""
        connected, self._connected = self._connected, []
        for notifier, callback in connected:
            notifier.disconnect(callback)
