"""Background tasks of the guard, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.guard.services import guard_records_purge


@task()
def purge_guard_records() -> int:
    """Delete failure counters, lockouts and SMS sends that no limit reads any more; returns how many."""
    return guard_records_purge()
