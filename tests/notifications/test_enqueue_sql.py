"""On PostgreSQL a customer message and its sending job are written by one prepared statement; the job row
must be exactly what the task library writes, and the worker must run it like any other."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pvz.accounts.models import SmsMessage
from pvz.notifications import enqueue_sql
from pvz.notifications.models import Channel, Notification, NotificationStatus
from pvz.notifications.tasks import notification_send
from tests.factories import ShipmentFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"),
]

# What differs between two rows of the same job by nature.
PER_ROW = {"id", "enqueued_at"}


def _write(shipment, key: str) -> Notification:
    return enqueue_sql.notification_write_and_enqueue(
        task=notification_send,
        dedup_key=key,
        customer_id=shipment.order.customer_id,
        shipment_id=shipment.pk,
        kind="shipment_ready",
        channel=Channel.SMS,
        recipient=shipment.order.customer.phone,
        text="Заказ готов к выдаче.",
    )


def test_the_database_backend_in_production_takes_this_path() -> None:
    assert enqueue_sql.available(notification_send)


def test_the_job_row_is_the_one_the_library_writes() -> None:
    shipment = ShipmentFactory()
    ours = _write(shipment, "ready:1")
    theirs = notification_send.enqueue(ours.pk)

    rows = {
        str(row["id"]): {k: v for k, v in row.items() if k not in PER_ROW}
        for row in DBTaskResult.objects.values()
    }
    assert len(rows) == 2
    library = rows.pop(str(theirs.id))
    [written] = rows.values()
    assert written == library
    assert library["args_kwargs"] == {"args": [ours.pk], "kwargs": {}}


def test_the_message_row_is_what_the_orm_would_write() -> None:
    shipment = ShipmentFactory()

    written = _write(shipment, "ready:2")

    stored = Notification.objects.get(pk=written.pk)
    assert (stored.dedup_key, stored.kind, stored.channel, stored.recipient, stored.text) == (
        "ready:2",
        "shipment_ready",
        "sms",
        shipment.order.customer.phone,
        "Заказ готов к выдаче.",
    )
    assert (stored.status, stored.attempts, stored.sent_at, stored.error) == (
        NotificationStatus.PENDING,
        0,
        None,
        "",
    )
    assert (stored.customer_id, stored.shipment_id, stored.created_at) == (
        shipment.order.customer_id,
        shipment.pk,
        written.created_at,
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_job_and_the_sms_goes_out(clock) -> None:
    shipment = ShipmentFactory()
    written = _write(shipment, "ready:3")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())

    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    assert Notification.objects.get(pk=written.pk).status == NotificationStatus.SENT
    assert SmsMessage.objects.get().text == "Заказ готов к выдаче."
