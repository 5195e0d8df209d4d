"""Quiet hours: from start inclusive to end exclusive, in the point's timezone, across midnight."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from pvz.notifications.quiet_hours import quiet_hours_end

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
VLAT = zoneinfo.ZoneInfo("Asia/Vladivostok")


def at(
    hour: int, minute: int = 0, second: int = 0, *, day: int = 27, tz: zoneinfo.ZoneInfo = MSK
) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=tz)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(21, 59, 59), None),  # a second before the start: not quiet
        (at(22, 0), at(8, 0, day=28)),  # the start itself is quiet
        (at(23, 30), at(8, 0, day=28)),
        (at(0, 0), at(8, 0)),  # after midnight the same night ends this morning
        (at(7, 59, 59), at(8, 0)),
        (at(8, 0), None),  # the end itself is not quiet
        (at(12, 0), None),
    ],
)
def test_quiet_hours_across_midnight_at_the_boundaries(
    now: dt.datetime, expected: dt.datetime | None
) -> None:
    assert quiet_hours_end(now=now, start=dt.time(22, 0), end=dt.time(8, 0), tz=MSK) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(12, 59, 59), None),
        (at(13, 0), at(14, 0)),
        (at(13, 59, 59), at(14, 0)),
        (at(14, 0), None),
    ],
)
def test_quiet_hours_within_one_day_at_the_boundaries(now: dt.datetime, expected: dt.datetime | None) -> None:
    assert quiet_hours_end(now=now, start=dt.time(13, 0), end=dt.time(14, 0), tz=MSK) == expected


def test_quiet_hours_are_read_in_the_given_timezone() -> None:
    # 15:00 in Moscow is 22:00 in Vladivostok: quiet there until 08:00 Vladivostok time, 01:00 Moscow time.
    end = quiet_hours_end(now=at(15, 0), start=dt.time(22, 0), end=dt.time(8, 0), tz=VLAT)

    assert end == at(8, 0, day=28, tz=VLAT)
    assert end == at(1, 0, day=28)


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    assert quiet_hours_end(now=at(22, 0), start=dt.time(22, 0), end=dt.time(22, 0), tz=MSK) is None
