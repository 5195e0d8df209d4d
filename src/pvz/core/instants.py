"""Instants as the databases can store them."""

from __future__ import annotations

import datetime as dt

# The largest UTC offset PostgreSQL takes in a timestamp; ISO 8601 (and pydantic) accept up to ±23:59.
POSTGRES_MAX_OFFSET = dt.timedelta(hours=15, minutes=59)


def instant_storable(value: dt.datetime) -> dt.datetime:
    """The same instant, in UTC when its offset is beyond what PostgreSQL stores (else the query fails with
    a 500); naive times are left to the caller's own check. ValueError when UTC cannot hold it."""
    offset = value.utcoffset()
    if offset is None or abs(offset) <= POSTGRES_MAX_OFFSET:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the instant is out of range") from None
