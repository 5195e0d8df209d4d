"""Shared pieces of the differential tests that run the same actions through a Python path and a database
function on one world (tests/*/test_*_equivalence.py, docs/adr/0006-scan-hot-path.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from pvz.webhooks.models import OutboxEvent


def isolated(run: Callable[[], Any]) -> Any:
    """`run()` inside a savepoint rolled back afterwards, so the next run starts from the same world."""
    with transaction.atomic():
        result = run()
        transaction.set_rollback(True)
    return result


def outbox_rows() -> list[tuple[Any, ...]]:
    """The webhook outbox as written, without what is random (the event id) or per row (the pk)."""
    return [
        (row.partner_id, row.type, row.ordering_key, row.payload, row.lookups, row.created_at)
        for row in OutboxEvent.objects.order_by("pk")
    ]
