"""Background tasks on shipments, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.shipments.services import shipments_expire_overdue


@task()
def expire_overdue_shipments() -> int:
    """Expire every STORED shipment past its deadline; returns how many changed. Safe to run any time
    and any number of times: the service re-checks each deadline under its row lock."""
    return shipments_expire_overdue()
