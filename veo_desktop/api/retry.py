"""Retry policy: exponential backoff with jitter, honouring ``Retry-After``.

Which errors are retried is decided by the client per request kind; this module only
says how long to wait and when to stop. :class:`Backoff` is the one growing wait of the
whole app: the API client's retries, the engine's poll-error, download and store-write
retries and the poll scheduler's retry of a raising poll all use it (the poll cadence,
:mod:`veo_desktop.core.timing`, is not a backoff and stays apart).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """A wait that grows ``multiplier``-fold per failure up to ``max_delay``, then jittered.

    Attributes:
        initial: the wait after the first failure, in seconds.
        max_delay: the cap of the grown wait.
        multiplier: growth per failure in a row.
        jitter: the wait is drawn from ``[d * (1 - jitter), d]``; 0 for none.
    """

    initial: float
    max_delay: float
    multiplier: float = 2.0
    jitter: float = 0.0

    def grown(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (1 for the first), before jitter."""
        steps = max(0, failures - 1)
        if self.initial <= 0:
            return min(self.initial, self.max_delay)
        if self.multiplier > 1:
            if self.initial >= self.max_delay:
                return self.max_delay
            # Past the step that reaches the cap growth changes nothing: no float overflow.
            reach = math.log(self.max_delay / self.initial, self.multiplier)
            steps = min(steps, math.ceil(reach) + 1)
        return min(self.initial * self.multiplier**steps, self.max_delay)

    def delay(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``failures`` failures in a row, jittered by ``rng()``."""
        grown = self.grown(failures)
        return grown * (1 - self.jitter * rng()) if self.jitter else grown


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts of one request.

    Attributes:
        max_attempts: total attempts including the first (so 1 = never retry).
        initial_delay: the wait before the second attempt, in seconds.
        max_delay: the cap of the exponential wait.
        multiplier: growth of the wait per attempt.
        jitter: the wait is drawn from ``[d * (1 - jitter), d]``.
        max_retry_after: a ``Retry-After`` above this is capped (a server asking for an
            hour should not freeze the app); below it, it is honoured exactly.
    """

    max_attempts: int = 5
    initial_delay: float = 0.5
    max_delay: float = 8.0
    multiplier: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def delay(
        self,
        retry_number: int,
        retry_after: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        return self.backoff.delay(retry_number, rng)

    @property
    def backoff(self) -> Backoff:
        """The growing wait between attempts (when the server names none)."""
        return Backoff(self.initial_delay, self.max_delay, self.multiplier, self.jitter)


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
