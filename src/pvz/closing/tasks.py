"""Background tasks of closed points, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.closing.retention import customers_anonymise_retired


@task()
def anonymize_retired_customers() -> int:
    """Anonymise customers of points closed longer than the retention period; returns how many. Safe to
    run any time and any number of times: anonymised customers are never picked again."""
    return customers_anonymise_retired().customers
