"""Background delivery of partner webhooks, run by the task worker (`python -m pvz db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.services import webhook_history_purge, webhook_previous_secrets_drop


@task()
def deliver_webhooks() -> int:
    """Fan out new outbox events and send what is due; returns how many deliveries were attempted.
    Enqueued every 10 seconds by the scheduler; overlapping runs are safe (claims are leased)."""
    return webhooks_run()


@task()
def purge_webhook_history() -> dict[str, int]:
    """Delete delivered webhook history older than PVZ_WEBHOOK_RETENTION_DAYS (dead deliveries after
    three times that) and the replaced endpoint secrets whose overlap is over; returns the counts.
    Enqueued daily; safe to run any time."""
    return {**webhook_history_purge(), "secrets": webhook_previous_secrets_drop()}
