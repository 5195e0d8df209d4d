"""Background jobs of inbound, run by the task worker."""

from __future__ import annotations

from django_tasks import task

from pvz.inbound.alerts import staff_notify_transport_approaching


@task()
def notify_approaching_transport() -> int:
    """The point's staff: a carriage within 30 minutes of its ETA, once per carriage."""
    return staff_notify_transport_approaching()
