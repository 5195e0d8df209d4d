"""Which backups to keep: the newest of each of the last 7 days that have one, of the last 4 ISO weeks
and of the last 12 months (the scheme restic and most backup tools call keep-daily/weekly/monthly), and
always the newest. Everything else may go."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable

DAILY, WEEKLY, MONTHLY = 7, 4, 12


def retention_keep(
    times: Iterable[dt.datetime], *, daily: int = DAILY, weekly: int = WEEKLY, monthly: int = MONTHLY
) -> set[dt.datetime]:
    ordered = sorted(set(times), reverse=True)
    keep: set[dt.datetime] = set(ordered[:1])
    rules: list[tuple[int, Callable[[dt.datetime], Hashable]]] = [
        (daily, lambda t: t.date()),
        (weekly, lambda t: t.isocalendar()[:2]),
        (monthly, lambda t: (t.year, t.month)),
    ]
    for count, bucket in rules:
        seen: set[Hashable] = set()
        for time in ordered:
            if len(seen) >= count:
                break
            key = bucket(time)
            if key not in seen:
                seen.add(key)
                keep.add(time)
    return keep
