"""Background tasks of the core, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.core.idempotency import idempotency_records_purge


@task()
def purge_idempotency_records() -> int:
    """Delete idempotency records past their 48-hour retention; returns how many. Safe to run any time:
    it only deletes by age."""
    return idempotency_records_purge()
