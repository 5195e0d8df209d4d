"""Background tasks of the core, run by the task worker (`python -m pvz run_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.core.idempotency import idempotency_records_purge
from pvz.core.scheduler import periodic_claims_purge


@task()
def purge_idempotency_records() -> int:
    """Delete idempotency records past their 48-hour retention, and the scheduler's slot claims past two
    days; returns how many records. Safe to run any time: it only deletes by age."""
    periodic_claims_purge()
    return idempotency_records_purge()
