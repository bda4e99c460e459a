"""APIXO's health as the engine's polls find it: a typed value, never a note to parse.

The engine publishes an :class:`ApiHealth` after each poll that says something about APIXO
itself (it answered; it failed and is retried; it refuses the key; it rate-limits), through
``TaskEngine.subscribe_health`` and ``TaskEngine.api_health``. A task's note stays words for
the person; the window's status bar reads this value instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from veo_desktop.api.errors import ApixoError


class ApiState(Enum):
    """What the last poll found out about APIXO."""

    #: APIXO answered a poll usably.
    OK = "ok"
    #: A poll failed (server error, network, timeout, an unreadable answer); polls are
    #: retried with backoff.
    RETRYING = "retrying"
    #: APIXO refuses the API key (HTTP 401/403); polls are retried, slower.
    KEY_REFUSED = "key_refused"
    #: APIXO answers HTTP 429; every poll pauses and slows down.
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class ApiHealth:
    """APIXO's health after one poll.

    Attributes:
        state: what the poll found.
        detail: one line for the person ("APIXO server error (HTTP 502)"); empty when OK.
        retry_at: clock time of the next poll of that task (None when OK).
        error: the API error behind it (for ``KEY_REFUSED``: the refusal).
    """

    state: ApiState
    detail: str = ""
    retry_at: float | None = None
    error: ApixoError | None = None

    @property
    def answers(self) -> bool:
        """APIXO answers (usably, or with a rate limit)."""
        return self.state in (ApiState.OK, ApiState.RATE_LIMITED)


#: What a usable answer publishes.
API_OK = ApiHealth(ApiState.OK)

OnHealth = Callable[[ApiHealth], None]
