"""How fast a batch sends: how many submissions at once, and when it waits.

APIXO's rate limits halve the number in flight and pause the batch (``Retry-After``
honoured, then longer each time); three successes in a row let one more through again, up
to the batch's concurrency. Failing to reach APIXO pauses too; too many such failures in a
row and the batch gives up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from veo_desktop.api.retry import Backoff
from veo_desktop.core.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchBackoff:
    """How the runner slows down on 429: honour ``Retry-After``, then wait longer each time.

    Attributes:
        initial: the wait after the first rate limit without a ``Retry-After``.
        multiplier: growth per consecutive rate limit.
        max_delay: the cap of the grown wait.
        max_retry_after: a ``Retry-After`` above this is capped.
        network_failures: consecutive "could not reach APIXO" failures before the batch stops.
    """

    initial: float = 2.0
    multiplier: float = 2.0
    max_delay: float = 300.0
    max_retry_after: float = 600.0
    network_failures: int = 5

    def delay(self, strikes: int, retry_after: float | None) -> float:
        """The wait after ``strikes`` failures in a row (APIXO's ``Retry-After`` first)."""
        grown = Backoff(self.initial, self.max_delay, self.multiplier).grown(strikes)
        if retry_after is None or retry_after < 0:
            return grown
        honoured = min(retry_after, self.max_retry_after)
        return honoured if strikes <= 1 else max(honoured, grown)


class Pacer:
    """The pace of one batch run.

    Args:
        concurrency: the most submissions in flight at once (the batch's setting).
        backoff: how long to wait after rate limits and network failures.
        clock: the time the pauses are measured against.
    """

    def __init__(self, concurrency: int, backoff: BatchBackoff, clock: Clock) -> None:
        self._concurrency = concurrency
        self._backoff = backoff
        self._clock = clock
        #: How many submissions may be in flight now.
        self.limit = concurrency
        #: Until when (clock time) nothing new is sent.
        self.paused_until = 0.0
        #: What the current pause is about, for the progress line (None: no pause).
        self.note: str | None = None
        self._strikes = 0
        self._network_strikes = 0
        self._successes = 0

    def paused(self, now: float) -> bool:
        return self.paused_until > now

    def rate_limited(self, retry_after: float | None) -> None:
        """APIXO answered 429 (or 503): fewer at once, and a pause."""
        self._strikes += 1
        self._successes = 0
        self.limit = max(1, self.limit // 2)
        delay = self._backoff.delay(self._strikes, retry_after)
        self.paused_until = max(self.paused_until, self._clock.time() + delay)
        self.note = f"APIXO is rate limiting; sending more in {human(delay)}."
        log.info(
            "batch rate limited (strike %d): pausing %.1f s, %d at once",
            self._strikes,
            delay,
            self.limit,
        )

    def unreachable(self) -> bool:
        """APIXO could not be reached: a pause; True when it failed too often to go on."""
        self._network_strikes += 1
        if self._network_strikes >= self._backoff.network_failures:
            return True
        delay = self._backoff.delay(self._network_strikes, None)
        self.paused_until = max(self.paused_until, self._clock.time() + delay)
        self.note = f"APIXO could not be reached; trying again in {human(delay)}."
        return False

    def succeeded(self) -> None:
        """APIXO took an item: the network is fine; after three in a row, one more at once."""
        self._network_strikes = 0
        self._successes += 1
        if self._successes >= 3:
            self._strikes = 0
            if self.limit < self._concurrency:
                self.limit += 1
                self._successes = 0

    def end_pause(self) -> None:
        """Forget the pause and its note (the run ended, or the pause is over)."""
        self.note = None
        self.paused_until = 0.0


def human(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
