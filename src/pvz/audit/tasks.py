"""Background tasks of the audit log, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.audit.sealing import shipment_events_seal_all


@task()
def seal_shipment_events() -> int:
    """Seal every due batch of shipment events into the audit chain; returns how many events. Idempotent:
    each run continues from the last seal."""
    return shipment_events_seal_all()
