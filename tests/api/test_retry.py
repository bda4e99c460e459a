"""Backoff arithmetic and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from veo_desktop.api.retry import Backoff, RetryPolicy, parse_retry_after


def test_exponential_backoff_with_cap_and_jitter() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=4, jitter=0.25)
    no_jitter = [policy.delay(n, rng=lambda: 0.0) for n in range(1, 7)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    full_jitter = [policy.delay(n, rng=lambda: 1.0) for n in range(1, 4)]
    assert full_jitter == [0.375, 0.75, 1.5]


@pytest.mark.parametrize(
    ("initial", "cap", "multiplier"),
    [(10.0, 300.0, 2.0), (0.05, 1.0, 2.0), (1.0, 300.0, 2.0), (0.01, 5.0, 3.0), (7.0, 7.0, 2.0)],
)
def test_a_backoff_grows_like_the_plain_formula_up_to_its_cap(
    initial: float, cap: float, multiplier: float
) -> None:
    backoff = Backoff(initial=initial, max_delay=cap, multiplier=multiplier)
    for failures in range(1, 60):
        plain = min(initial * multiplier ** (failures - 1), cap)
        assert backoff.grown(failures) == plain
        assert backoff.delay(failures, rng=lambda: 0.7) == plain  # no jitter asked


def test_a_backoff_never_overflows_and_jitters_within_its_range() -> None:
    backoff = Backoff(initial=10.0, max_delay=300.0, jitter=0.2)
    assert backoff.grown(10**9) == 300.0
    assert backoff.delay(1, rng=lambda: 0.0) == 10.0
    assert backoff.delay(1, rng=lambda: 0.5) == pytest.approx(9.0)
    assert backoff.delay(1, rng=lambda: 1.0) == pytest.approx(8.0)
    assert Backoff(initial=0.0, max_delay=5.0).grown(3) == 0.0


def test_a_retry_policy_waits_by_its_backoff() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=4, jitter=0.25)
    assert policy.backoff == Backoff(initial=0.5, max_delay=4, multiplier=2, jitter=0.25)
    for n in range(1, 8):
        assert policy.delay(n, rng=lambda: 0.3) == policy.backoff.delay(n, rng=lambda: 0.3)


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
