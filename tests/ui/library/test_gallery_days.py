"""The gallery's day of a video is the local calendar day it was made, in any time zone.

:class:`~veo_desktop.ui.library.gallery_groups.Days` keeps the days it has seen (their local
midnights) to group 100,000 videos without date arithmetic each: by hypothesis, over any
moments in any order, in zones with DST, half- and quarter-hour offsets, and a zone whose
clocks changed at midnight, it answers what ``datetime.fromtimestamp`` does.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veo_desktop.ui.library.gallery_groups import Days

ZONES = [
    "Europe/London",  # DST at 01:00
    "America/Sao_Paulo",  # DST switched at midnight, until 2019
    "Australia/Lord_Howe",  # a half-hour DST
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45, with DST
    "America/St_Johns",  # -03:30, with DST
]
#: 2001 to 2040: clock changes every year in most of the zones.
_moments = st.floats(min_value=1_000_000_000.0, max_value=2_200_000_000.0)


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    name = str(request.param)
    if not (Path("/usr/share/zoneinfo") / name).exists():
        pytest.skip(f"no time zone data for {name} on this machine")
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    yield name
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(_moments, min_size=1, max_size=40),
    st.lists(st.floats(min_value=-172_800.0, max_value=172_800.0), max_size=40),
)
def test_the_day_of_any_moment_is_its_local_calendar_day(
    zone: str, moments: list[float], nearby: list[float]
) -> None:
    # Moments far apart, then moments near the first (the same and the next days, across
    # midnights and clock changes), asked of one Days in that order.
    asked = moments + [moments[0] + offset for offset in nearby]
    days = Days()
    for moment in asked:
        assert days(moment) == dt.datetime.fromtimestamp(moment).date().toordinal(), moment


def test_the_day_around_a_midnight_clock_change(zone: str) -> None:
    """Every minute of the days around each clock change of 2018 (Sao Paulo's were at
    midnight), asked in order and then backwards."""
    start = dt.datetime(2018, 1, 1).timestamp()
    changes = []
    for hour in range(365 * 24):
        at = start + hour * 3600
        if time.localtime(at).tm_gmtoff != time.localtime(at + 3600).tm_gmtoff:
            changes.append(at)
    assert changes or zone in {"Asia/Kathmandu"}
    days = Days()
    for change in changes:
        minutes = [change + minute * 60 for minute in range(-36 * 60, 36 * 60)]
        for moment in [*minutes, *reversed(minutes)]:
            assert days(moment) == dt.datetime.fromtimestamp(moment).date().toordinal()
