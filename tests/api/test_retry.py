"""Backoff arithmetic and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from veo_desktop.api.retry import RetryPolicy, parse_retry_after


def test_exponential_backoff_with_cap_and_jitter() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=4, jitter=0.25)
    no_jitter = [policy.delay(n, rng=lambda: 0.0) for n in range(1, 7)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    full_jitter = [policy.delay(n, rng=lambda: 1.0) for n in range(1, 4)]
    assert full_jitter == [0.375, 0.75, 1.5]


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=0) == 0
    assert policy.delay(1, retry_after=3600) == 30


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "junk", "Retry-After": "2"}, 2.0),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 11, 24, 12, 0, 20, tzinfo=UTC), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=now.timestamp) == 20.0
