"""Awaiting work that the person can cancel with an :class:`asyncio.Event`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from veo_desktop.hosting.model import UploadCancelledError

T = TypeVar("T")


async def run_cancellable(
    work: Awaitable[T],
    cancel: asyncio.Event | None,
    *,
    on_cancel: Callable[[], None] | None = None,
) -> T:
    """Await ``work``; when ``cancel`` is set first, stop waiting and raise.

    ``on_cancel`` runs when the wait is abandoned (the event was set, or the awaiting task
    was cancelled), e.g. to tell a worker thread to stop.

    Raises:
        UploadCancelledError: ``cancel`` was set before ``work`` finished.
    """
    task = asyncio.ensure_future(work)
    if cancel is None:
        try:
            return await task
        except asyncio.CancelledError:
            if on_cancel is not None:
                on_cancel()
            raise
    if cancel.is_set():
        task.cancel()
        _silence(task)
        if on_cancel is not None:
            on_cancel()
        raise UploadCancelledError
    waiter = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        waiter.cancel()
        task.cancel()
        _silence(task)
        if on_cancel is not None:
            on_cancel()
        raise
    if task.done():
        waiter.cancel()
        return task.result()
    task.cancel()
    _silence(task)
    if on_cancel is not None:
        on_cancel()
    raise UploadCancelledError


def _silence(task: asyncio.Future[T]) -> None:
    """Retrieve an abandoned task's outcome so the loop does not report it."""

    def consume(done: asyncio.Future[T]) -> None:
        if not done.cancelled():
            done.exception()

    task.add_done_callback(consume)
