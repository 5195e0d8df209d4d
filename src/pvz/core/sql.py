"""Hand-written statements of the hot paths, prepared on PostgreSQL.

Planning a statement costs PostgreSQL more than running it when the statement is a few index probes
(a join of the session, its user and two EXISTS: 0.2 ms to plan, 0.02 ms to run). Django sends every
query as text with its values inlined, so PostgreSQL plans it on every request. A statement run through
`hot_cursor` is sent with its parameters bound on the server and prepared on the connection the first
time (psycopg keeps up to 100 per connection), so later executions skip parsing and planning. The cursor
is Django's wrapper around it, so query logging, execute wrappers and error translation apply as to
any other query. On SQLite, where there is no planning round trip to save, it is an ordinary cursor.

Prepared statements live on a server connection: behind a pooler in transaction mode they need
PgBouncer 1.21+ with `max_prepared_statements`; with PVZ_DB_PREPARED off (the default behind
PVZ_DB_TRANSACTION_POOLER) this is an ordinary cursor (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
from django.db.backends.utils import CursorWrapper


class _PreparedCursor(ServerBindingCursor):  # type: ignore[misc]  # Django ships no types for it
    """psycopg's server-side binding cursor, preparing every statement it runs."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("prepare", True)
        return super().execute(query, params, **kwargs)


@contextmanager
def hot_cursor() -> Iterator[CursorWrapper]:
    """A cursor whose statements are prepared on PostgreSQL (see the module docstring)."""
    if connection.vendor != "postgresql" or not settings.PVZ_DB_PREPARED:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = _PreparedCursor(connection.connection)
    cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]  # logged and wrapped like any
    try:
        yield cursor
    finally:
        raw.close()


def db_datetime(value: dt.datetime) -> Any:
    """A datetime as Django stores it, for a hand-written statement's parameters (SQLite keeps naive UTC
    text; PostgreSQL takes the aware value)."""
    return connection.ops.adapt_datetimefield_value(value)


def _quick_cursor() -> Any | None:
    """The connection's own prepared cursor, reused, when nothing needs to see the statement (no query
    logging, no execute wrappers: production); None otherwise. Django's per-statement wrapping (a new
    cursor, its wrapper, the wrapper chain) costs as much Python as psycopg's execute itself (~60 µs)."""
    if connection.vendor != "postgresql" or connection.queries_logged or connection.execute_wrappers:
        return None
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    cursor = _cursors.get(raw)
    if cursor is None or cursor.closed:
        cursor = _cursors[raw] = _PreparedCursor(raw)
    return cursor


# One reused cursor per psycopg connection (weakly held: a connection closed by the pool takes it along).
_cursors: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    cursor = _quick_cursor()
    if cursor is not None:
        with connection.wrap_database_errors:
            cursor.execute(sql, params)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
    with hot_cursor() as wrapped:
        wrapped.execute(sql, params)
        found: tuple[Any, ...] | None = wrapped.fetchone()
        return found


def fetch_json(sql: str, params: Sequence[Any]) -> dict[str, Any]:
    """The JSON object a one-row, one-column statement answers (a hot-path function's jsonb answer)."""
    row = fetch_one(sql, params)
    assert row is not None
    value = row[0]
    return value if isinstance(value, dict) else json.loads(value)


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; returns the rows it changed."""
    cursor = _quick_cursor()
    if cursor is not None:
        with connection.wrap_database_errors:
            cursor.execute(sql, params)
            return int(cursor.rowcount)
    with hot_cursor() as wrapped:
        wrapped.execute(sql, params)
        return int(wrapped.rowcount)


def loaded(model: type[Any], **fields: Any) -> Any:
    """A model instance from values a statement returned, as if loaded from the database (saving it
    would UPDATE): for answers built from one call instead of ORM reads."""
    instance = model(**fields)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


_BIGINT = range(-(2**63), 2**63)


def fits_bigint(*values: int) -> bool:
    """Whether every value is a PostgreSQL bigint. A function taking bigint ids cannot be called with a
    larger number (psycopg sends it as numeric: no such function); the ORM's comparison simply finds
    nothing, so callers leave such ids to the Python path, which answers NOT_FOUND."""
    return all(value in _BIGINT for value in values)
