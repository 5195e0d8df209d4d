"""The one source of time for domain code. Tests replace it with a frozen or moving clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone


class Clock:
    def now(self) -> dt.datetime:
        return timezone.now()


class FrozenClock(Clock):
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, at: dt.datetime) -> None:
        if timezone.is_naive(at):
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> dt.datetime:
        self._at = self._at + dt.timedelta(**delta)
        return self._at


_clock: Clock = Clock()


def now() -> dt.datetime:
    return _clock.now()


def get_clock() -> Clock:
    return _clock


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous


def iso_utc(moment: dt.datetime) -> str:
    """A moment as the API and webhooks write it: ISO 8601 in UTC with a `Z` (`2026-12-07T15:21:00.5Z`)."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
