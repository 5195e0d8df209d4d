"""`lock_for_transaction`: serialise the transactions that name the same thing, for checks that count rows
and then insert one (a limit must not be exceeded by two requests that both counted before either wrote).

PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name, released at commit or rollback.
SQLite: nothing to do, every write transaction here is BEGIN IMMEDIATE (settings), so writers already queue
at BEGIN and a count inside one sees every committed row."""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_for_transaction(*name: str) -> None:
    """Wait until no other transaction holds the lock `name`, then hold it until this one ends. Must be
    called inside `transaction.atomic()` (outside one the lock would end with the statement)."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_transaction needs an open transaction")
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b("\x1f".join(name).encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])
