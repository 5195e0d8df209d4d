"""A customer message and its sending job in one prepared statement (PostgreSQL, database task backend).

Every placement writes a "ready for pickup" SMS and enqueues its sending, in the placing transaction. The
ORM insert and the task library's `enqueue` cost ~0.85 ms of Python and two planned statements per scan;
this writes the same two rows with one statement that PostgreSQL plans once per connection. The job row
is the one `django_tasks_db`'s `enqueue` writes (tests/notifications/test_enqueue_sql.py compares the
two rows column by column and runs ours through the worker), so the worker cannot tell them apart. The
library's `task_enqueued` signal, which only logs at debug level, is not sent.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from pvz.core.sql import fetch_one
from pvz.notifications.models import Notification


def available(task: Any) -> bool:
    """Whether `task` goes to the database backend of a PostgreSQL database (else: the library)."""
    return connection.vendor == "postgresql" and isinstance(task_backends[task.backend], DatabaseBackend)


@cache
def _sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"WITH n AS (INSERT INTO {quote(Notification._meta.db_table)} "  # noqa: S608 (models' tables)
        "(created_at, updated_at, customer_id, shipment_id, kind, channel, recipient, text, status, attempts,"
        " sent_at, error, dedup_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'pending', 0, NULL, '', %s)"
        " RETURNING id, created_at) "
        f", t AS (INSERT INTO {quote(DBTaskResult._meta.db_table)} "
        "(id, status, args_kwargs, priority, task_path, queue_name, backend_name, run_after, enqueued_at,"
        " finished_at, started_at, return_value, exception_class_path, traceback, worker_ids)"
        " SELECT %s, 'READY', jsonb_build_object('args', jsonb_build_array(n.id), 'kwargs', '{}'::jsonb),"
        " %s, %s, %s, %s, %s, %s, NULL, NULL, NULL, '', '', '[]'::jsonb FROM n) "
        "SELECT id, created_at FROM n"
    )


def notification_write_and_enqueue(
    *,
    task: Any,
    dedup_key: str,
    customer_id: int,
    shipment_id: int | None,
    kind: str,
    channel: str,
    recipient: str,
    text: str,
) -> Notification:
    """Insert the message (pending) and the job that sends it, `task(notification.pk)`."""
    backend = task_backends[task.backend]
    assert isinstance(backend, DatabaseBackend)
    now = timezone.now()
    row = fetch_one(
        _sql(),
        [
            now,
            now,
            customer_id,
            shipment_id,
            kind,
            channel,
            recipient,
            text,
            dedup_key,
            uuid.UUID(str(backend._get_id())),
            task.priority,
            task.module_path,
            task.queue_name,
            backend.alias,
            task.run_after or get_date_max(),
            now,
        ],
    )
    assert row is not None
    notification = Notification(
        id=row[0],
        created_at=row[1],
        updated_at=row[1],
        customer_id=customer_id,
        shipment_id=shipment_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        text=text,
        dedup_key=dedup_key,
    )
    notification._state.adding = False
    notification._state.db = connection.alias
    return notification
