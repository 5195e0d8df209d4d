"""When a message inside someone's quiet hours may go out."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def quiet_hours_end(
    *, now: dt.datetime, start: dt.time, end: dt.time, tz: zoneinfo.ZoneInfo
) -> dt.datetime | None:
    """The moment the quiet hours around `now` end, or None when `now` is outside them.

    Local times in `tz`: quiet from `start` inclusive to `end` exclusive; across midnight when `start` is
    later than `end` (22:00–08:00); equal times mean no quiet hours."""
    if start == end:
        return None
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    today = local.date()
    if start < end:
        if start <= moment < end:
            return dt.datetime.combine(today, end, tzinfo=tz)
        return None
    if moment >= start:
        return dt.datetime.combine(today + dt.timedelta(days=1), end, tzinfo=tz)
    if moment < end:
        return dt.datetime.combine(today, end, tzinfo=tz)
    return None
