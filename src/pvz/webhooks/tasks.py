"""Background delivery of partner webhooks, run by the task worker (`python -m pvz db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.webhooks.delivery import webhooks_run


@task()
def deliver_webhooks() -> int:
    """Fan out new outbox events and send what is due; returns how many deliveries were attempted.
    Enqueued every 10 seconds by the scheduler; overlapping runs are safe (claims are leased)."""
    return webhooks_run()
