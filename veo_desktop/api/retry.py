"""Retry policy: exponential backoff with jitter, honouring ``Retry-After``.

Which errors are retried is decided by the client per request kind; this module only
says how long to wait and when to stop.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


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
        base = min(self.initial_delay * self.multiplier ** (retry_number - 1), self.max_delay)
        return base * (1 - self.jitter * rng())


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
