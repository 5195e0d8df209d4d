"""The retention scheme: 7 daily, 4 weekly, 12 monthly, and always the newest."""

from __future__ import annotations

import datetime as dt

from pvz.backups.retention import retention_keep

UTC = dt.UTC


def test_a_year_of_nightly_backups_keeps_7_daily_4_weekly_12_monthly() -> None:
    start = dt.datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    nightly = [start + dt.timedelta(days=n) for n in range(400)]
    keep = retention_keep(nightly)
    newest = nightly[-1]
    daily = {t for t in nightly if (newest - t).days < 7}
    assert daily <= keep
    # Newest of each of the last 4 ISO weeks, of the last 12 months.
    weeks = sorted({t.isocalendar()[:2] for t in nightly}, reverse=True)[:4]
    months = sorted({(t.year, t.month) for t in nightly}, reverse=True)[:12]
    for week in weeks:
        assert max(t for t in nightly if t.isocalendar()[:2] == week) in keep
    for month in months:
        assert max(t for t in nightly if (t.year, t.month) == month) in keep
    # Nothing else: at most 7 + 4 + 12 (overlaps make it fewer).
    assert len(keep) <= 23
    assert nightly[0] not in keep


def test_few_backups_are_all_kept_and_the_newest_always() -> None:
    times = [dt.datetime(2026, 5, d, tzinfo=UTC) for d in (1, 2, 3)]
    assert retention_keep(times) == set(times)
    assert retention_keep([times[0]], daily=0, weekly=0, monthly=0) == {times[0]}
    assert retention_keep([]) == set()


def test_several_backups_a_day_keep_the_newest_of_the_day() -> None:
    day = [dt.datetime(2026, 5, 4, h, tzinfo=UTC) for h in (1, 9, 17)]
    older = [dt.datetime(2026, 5, 3, h, tzinfo=UTC) for h in (1, 9)]
    keep = retention_keep(day + older)
    assert keep == {day[-1], older[-1]}
