"""How often tasks are polled: the Veo 3.1 page's advice, as settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self


@dataclass(frozen=True)
class PollTiming:
    """Poll cadence, in seconds.

    Attributes:
        first_poll_fast: first poll after submitting a fast task (the page: 60-90 s).
        first_poll_quality: first poll after submitting a quality task (the page: 90 s).
        interval_min: the shortest gap between later polls (the page: 5-10 s).
        interval_max: the longest gap; each gap is drawn between the two (jitter).
        slow_after: a task still running after this long is "taking longer than usual".
        slow_interval: the gap between polls of such a task.
        result_lifetime: how long APIXO keeps a task's result (24 h); after that an
            unfinished or undownloaded task is expired.
    """

    first_poll_fast: float = 75.0
    first_poll_quality: float = 90.0
    interval_min: float = 5.0
    interval_max: float = 10.0
    slow_after: float = 600.0
    slow_interval: float = 60.0
    result_lifetime: float = 86400.0

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{item.name} must be a number of seconds >= 0, not {value!r}")
        if self.interval_max < self.interval_min:
            raise ValueError("interval_max must not be below interval_min")

    def first_poll(self, mode: str) -> float:
        """Seconds from submission to the first poll of a task in ``mode``."""
        from veo_desktop.api.models import Mode  # not at import: the window's start needs none

        return self.first_poll_quality if mode == Mode.QUALITY else self.first_poll_fast

    def with_overrides(
        self, *, first_poll: float | None = None, poll_every: float | None = None
    ) -> PollTiming:
        """The command line's ``--first-poll`` / ``--poll-every`` applied to these settings."""
        changes: dict[str, float] = {}
        if first_poll is not None:
            changes.update(first_poll_fast=first_poll, first_poll_quality=first_poll)
        if poll_every is not None:
            changes.update(
                interval_min=poll_every,
                interval_max=poll_every,
                slow_interval=max(poll_every, min(self.slow_interval, poll_every * 6)),
            )
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Build from a settings file; unknown keys are ignored, bad values raise ValueError."""
        known = {item.name for item in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values)
