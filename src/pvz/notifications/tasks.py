"""Background sending of notifications, run by the task worker."""

from __future__ import annotations

from django_tasks import task

from pvz.notifications.services import notification_send_now
from pvz.notifications.staff_services import staff_deliveries_send_due, staff_delivery_send_now
from pvz.notifications.triggers import (
    customers_notify_expiring_tomorrow,
    staff_notify_expiring_today,
)


@task()
def notification_send(notification_id: int) -> str:
    return notification_send_now(notification_id=notification_id).status


@task()
def staff_delivery_send(delivery_id: int) -> str:
    return staff_delivery_send_now(delivery_id=delivery_id).status


@task()
def send_due_staff_deliveries() -> int:
    """Deliveries whose quiet hours ended, and failed ones to retry."""
    return staff_deliveries_send_due()


@task()
def notify_expiring_shipments() -> int:
    """Customers: "kept until tomorrow"; staff: "last day today". Daily per point local time, idempotent."""
    return customers_notify_expiring_tomorrow() + staff_notify_expiring_today()
