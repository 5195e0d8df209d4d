"""A database outage, told apart from a bug: the connection is gone, refused or was terminated, or SQLite's
file is locked. Such a failure is temporary, so requests answer 503 with Retry-After and the background
processes wait and try again (with `Backoff`) instead of exiting."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field

import psycopg
import psycopg_pool
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils.translation import gettext_lazy as _

# What a client is told to wait before retrying while the database is unreachable, and why.
RETRY_AFTER_SECONDS = 5
OUTAGE_MESSAGE = _("База данных временно недоступна. Повторите через несколько секунд.")

# SQLite raises OperationalError for bad SQL too ("no such table"): only these mean "try again later".
_SQLITE_TRANSIENT = ("database is locked", "unable to open database file", "disk i/o error")


def is_database_outage(exc: BaseException | None) -> bool:
    """True when `exc` (or what it was raised from) says the database cannot be reached right now."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout)):
            return True
        if isinstance(exc, sqlite3.OperationalError):
            return any(text in str(exc).lower() for text in _SQLITE_TRANSIENT)
        if isinstance(exc, (OperationalError, InterfaceError)) and exc.__cause__ is None:
            # Django's own wrapper with nothing under it: a closed connection ("connection already closed").
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def connections_drop() -> None:
    """Closes this thread's database connections, and checks the idle ones of the pool, so that the next
    query gets a live connection instead of one the server has already closed."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except (OperationalError, InterfaceError, psycopg.Error):
            # A dead connection may fail to close; it is dropped all the same.
            conn.connection = None
        pool = getattr(conn, "pool", None)
        if pool is not None:
            # One dead connection usually means all of them died (a restart, a terminate sweep); the pool
            # checks each on hand-out anyway, but with a growing pause per dead one (1, 2, 4 s …).
            pool.check()
    close_old_connections()


class OutageTracebackFilter(logging.Filter):
    """Drops django.request's traceback of a request that failed on a database outage: the 503 handler has
    logged it as one line already."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "django.request" or not record.exc_info:
            return True
        return not is_database_outage(record.exc_info[1])


@dataclass
class Backoff:
    """Waits 1, 2, 4 … up to `ceiling` seconds between tries; `reset` after a success. The wait ends early
    when `stop` is set, so a service manager's SIGTERM is never held up by it."""

    first: float = 1.0
    ceiling: float = 30.0
    stop: threading.Event = field(default_factory=threading.Event)
    failures: int = 0

    def next_delay(self) -> float:
        return min(self.ceiling, self.first * float(2 ** min(self.failures, 16)))

    def wait(self) -> float:
        delay = self.next_delay()
        self.failures += 1
        self.stop.wait(delay)
        return delay

    def reset(self) -> None:
        self.failures = 0
