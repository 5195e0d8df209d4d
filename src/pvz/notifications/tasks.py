"""Background sending of notifications, run by the task worker."""

from __future__ import annotations

from django_tasks import task

from pvz.notifications.services import notification_send_now


@task()
def notification_send(notification_id: int) -> str:
    return notification_send_now(notification_id=notification_id).status
