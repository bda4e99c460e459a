"""The registry of the asyncio jobs widgets start (a check, a resubmission, a file copy).

A job started with :meth:`JobRegistry.start` is kept referenced until it ends (asyncio keeps
only a weak reference to a task, so an unreferenced one can be garbage-collected
mid-flight), its failure is logged and reported once, and :meth:`JobRegistry.aclose`
cancels what is still running when the window closes. Tests wait on
:meth:`JobRegistry.wait_idle` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Called with a failed job's name and its exception (after it was logged).
OnFailure = Callable[[str, BaseException], None]


class JobRegistry:
    """Keeps the asyncio tasks it started until they end; cancels them on close.

    Args:
        on_failure: told about a job that raised (its name and the exception); cancelled
            jobs are not failures.
    """

    def __init__(self, on_failure: OnFailure | None = None) -> None:
        self._jobs: set[asyncio.Task[Any]] = set()
        self._on_failure = on_failure
        self._closed = False

    @property
    def jobs(self) -> frozenset[asyncio.Task[Any]]:
        """The jobs still running."""
        return frozenset(self._jobs)

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._jobs)

    def __bool__(self) -> bool:
        return bool(self._jobs)

    def start(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """Run ``coro`` on the running loop and keep it until it ends."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._jobs.add(task)
        task.add_done_callback(self._on_done)
        return task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        self._jobs.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        logger.error("%s failed", task.get_name(), exc_info=error)
        if self._on_failure is not None:
            self._on_failure(task.get_name(), error)

    def cancel_all(self) -> None:
        """Cancel every running job (without waiting for them to end)."""
        for job in list(self._jobs):
            job.cancel()

    def close(self) -> None:
        """Take no more part: cancel what runs (without waiting)."""
        self._closed = True
        self.cancel_all()

    async def aclose(self) -> None:
        """Cancel what runs and wait until every job ended."""
        self._closed = True
        pending = [job for job in self._jobs if not job.done()]
        for job in pending:
            job.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Wait until no job runs (jobs that start others are waited for too).

        A job's failure is not raised here: it was logged and reported already.
        """
        current = asyncio.current_task()
        while True:
            pending = [job for job in self._jobs if job is not current and not job.done()]
            if not pending:
                return
            await asyncio.wait(pending)
