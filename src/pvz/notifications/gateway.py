"""Delivering a message through its channel: SMS through the SMS gateway (the development outbox by default),
e-mail through Django's e-mail backend (SMTP in production), Web Push through the browsers' push services."""

from __future__ import annotations

import json

from django.core.mail import send_mail

from pvz.accounts.sms import sms_send
from pvz.factors.models import EmailFactor
from pvz.notifications.models import Channel, Notification, PushSubscription, StaffChannel, StaffDelivery
from pvz.notifications.push import PushGone, push_enabled, push_send


class NoAddress(Exception):
    """The person has nowhere to receive this channel (no confirmed e-mail, no push subscription)."""


def notification_deliver(notification: Notification) -> None:
    """Hand one customer message to its channel; raises if the channel fails, so the caller records it."""
    if notification.channel == Channel.SMS:
        sms_send(phone=notification.recipient, text=notification.text)
        return
    if notification.channel == Channel.EMAIL:
        send_mail(
            subject=notification.get_kind_display(),
            message=notification.text,
            from_email=None,
            recipient_list=[notification.recipient],
        )
        return
    raise ValueError(f"no gateway for channel {notification.channel}")


def staff_email_address(user_id: int) -> str | None:
    """A person's confirmed e-mail (the one they confirmed as a second factor), if any."""
    factor = EmailFactor.objects.filter(user_id=user_id, confirmed_at__isnull=False).first()
    return factor.email if factor is not None else None


def staff_delivery_deliver(delivery: StaffDelivery) -> None:
    """Hand one staff message to an outside channel; raises if it cannot go anywhere."""
    message = delivery.message
    body = f"{message.text}\n{message.link}".strip() if message.link else message.text
    if delivery.channel == StaffChannel.EMAIL:
        address = staff_email_address(message.user_id)
        if address is None:
            raise NoAddress("no confirmed e-mail")
        send_mail(subject=message.title, message=body, from_email=None, recipient_list=[address])
        return
    if delivery.channel == StaffChannel.PUSH:
        subscriptions = list(PushSubscription.objects.filter(user_id=message.user_id).order_by("pk"))
        if not push_enabled() or not subscriptions:
            raise NoAddress("push is off or the person has no subscribed browser")
        payload = json.dumps(
            {"title": message.title, "body": message.text, "url": message.link, "tag": message.kind},
            ensure_ascii=False,
        ).encode()
        delivered = 0
        for subscription in subscriptions:
            try:
                push_send(
                    endpoint=subscription.endpoint,
                    p256dh=subscription.p256dh,
                    auth=subscription.auth,
                    payload=payload,
                )
            except PushGone:
                subscription.delete()
            else:
                delivered += 1
        if not delivered:
            raise NoAddress("every push subscription is gone")
        return
    raise ValueError(f"no gateway for channel {delivery.channel}")
