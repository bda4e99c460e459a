"""The engine's notion of time, injected so the scheduler is tested without real waiting."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Protocol


class Clock(Protocol):
    """Wall time, monotonic time and sleeping, as one replaceable object."""

    def time(self) -> float:
        """Unix seconds (stored in records and compared with APIXO's times)."""
        ...

    def monotonic(self) -> float:
        """Seconds for measuring intervals inside one run."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a fake clock returns when the test advances time)."""
        ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK: Clock = SystemClock()


class Activity:
    """Counts work in progress that is not a wait on the clock (a poll, a download pass).

    A test with a fake clock advances time only once nothing else runs (``idle``).
    """

    def __init__(self) -> None:
        self._count = 0

    @property
    def idle(self) -> bool:
        return self._count == 0

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Count the block's work as in progress."""
        self._count += 1
        try:
            yield
        finally:
            self._count -= 1
