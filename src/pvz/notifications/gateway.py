"""Delivering a notification through its channel. SMS goes through the SMS gateway (the development
outbox by default); e-mail and push channels arrive with the integration issue."""

from __future__ import annotations

from pvz.accounts.sms import sms_send
from pvz.notifications.models import Channel, Notification


def notification_deliver(notification: Notification) -> None:
    """Hand one message to its channel; raises if the channel fails, so the caller records the failure."""
    if notification.channel == Channel.SMS:
        sms_send(phone=notification.recipient, text=notification.text)
        return
    raise ValueError(f"no gateway for channel {notification.channel}")
