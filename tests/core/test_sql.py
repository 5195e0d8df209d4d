"""Hand-written hot statements are prepared on PostgreSQL: planned once per connection, then only executed."""

from __future__ import annotations

import pytest
from django.db import connection

from pvz.core.clock import now
from pvz.core.sql import db_datetime, execute, fetch_one, hot_cursor

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT count(*) FROM core_idempotencyrecord WHERE created_at < %s"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no server-side preparation")
def test_a_hot_statement_is_prepared_on_the_connection_and_reused() -> None:
    fetch_one(STATEMENT, [db_datetime(now())])
    fetch_one(STATEMENT, [db_datetime(now())])

    [prepared] = [s for s in _prepared() if "core_idempotencyrecord" in s]
    assert "$1" in prepared  # bound on the server, not inlined


def test_statements_answer_the_same_on_both_databases() -> None:
    assert fetch_one("SELECT %s + %s", [2, 3]) == (5,)
    assert execute("UPDATE core_idempotencyrecord SET status_code = 1 WHERE id = %s", [-1]) == 0
    with hot_cursor() as cursor:
        cursor.execute("SELECT %s", ["привет"])
        assert cursor.fetchone() == ("привет",)
