"""Creating and sending customer notifications (SMS; texts in Russian and English from templates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats

from pvz.core.logging import get_logger
from pvz.network.models import PickupPoint
from pvz.notifications import enqueue_sql
from pvz.notifications.attempts import attempt_send
from pvz.notifications.gateway import notification_deliver
from pvz.notifications.models import Channel, Notification, NotificationKind, NotificationStatus
from pvz.notifications.statuses import NOTIFICATION
from pvz.shipments.customer_links import customer_page_url
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_for

log = get_logger(__name__)

MAX_ATTEMPTS = 5


def customer_language(customer: Customer) -> str:
    """Customers have no language of their own: Russian for Russian numbers (+7), English for others."""
    return "ru" if customer.phone.startswith("+7") else "en"


def customer_text(*, kind: str, language: str, context: dict[str, Any]) -> str:
    """The message of `kind` in `language` ("ru" or "en"), from templates/notifications/customer/."""
    return render_to_string(f"notifications/customer/{kind}.{language}.txt", context).strip()


def local_date(moment: dt.datetime | None, point: PickupPoint) -> str:
    return formats.date_format(moment.astimezone(point.tz), "d.m.Y") if moment else "—"


def _pickup_context(shipment: Shipment) -> dict[str, Any]:
    customer = shipment.order.customer
    point = shipment.point
    return {
        "order": shipment.order.number,
        "point": point.name,
        "address": point.address,
        "code": pickup_code_for(customer),
        "link": customer_page_url(customer),
        "deadline": local_date(shipment.storage_deadline, point),
        "partner": shipment.partner.name,
    }


def customer_notify(
    *,
    kind: str,
    key: str,
    customer: Customer,
    shipment: Shipment | None,
    context: dict[str, Any],
    known_new: bool = False,
) -> Notification:
    """Create the SMS (and an e-mail copy when the customer has an address) once per `key` and enqueue
    their sending in the caller's transaction, so a rolled-back change sends nothing. Returns the SMS.
    `known_new`: the caller has just checked, under the shipment's lock, that `key` is unused."""
    text = customer_text(kind=kind, language=customer_language(customer), context=context)
    # No savepoint of its own: nothing in here is an error a caller could recover from.
    with transaction.atomic(savepoint=False):
        existing = None if known_new else Notification.objects.filter(dedup_key=key).first()
        if existing is not None:
            return existing
        # Callers hold the shipment's row lock or run a job that is the only writer of its keys; should two
        # race anyway, the unique dedup key fails one of them rather than sending twice.
        notification = _write_and_enqueue(
            dedup_key=key, customer=customer, shipment=shipment, kind=kind, channel=Channel.SMS, text=text
        )
        if customer.email:
            _write_and_enqueue(
                dedup_key=f"{key}:{Channel.EMAIL}",
                customer=customer,
                shipment=shipment,
                kind=kind,
                channel=Channel.EMAIL,
                text=text,
            )
    return notification


def _write_and_enqueue(
    *, dedup_key: str, customer: Customer, shipment: Shipment | None, kind: str, channel: str, text: str
) -> Notification:
    """The message's row and its sending job, in the caller's transaction. On PostgreSQL with the database
    task backend (production) one prepared statement writes both (`notifications.enqueue_sql`: every
    placement writes one, so it is on the scan's path); otherwise the ORM and the task library."""
    from pvz.notifications.tasks import notification_send  # noqa: PLC0415 (tasks imports this module)

    recipient = customer.phone if channel == Channel.SMS else customer.email
    if enqueue_sql.available(notification_send):
        return enqueue_sql.notification_write_and_enqueue(
            task=notification_send,
            dedup_key=dedup_key,
            customer_id=customer.pk,
            shipment_id=shipment.pk if shipment else None,
            kind=kind,
            channel=channel,
            recipient=recipient,
            text=text,
        )
    notification = Notification.objects.create(
        dedup_key=dedup_key,
        customer=customer,
        shipment=shipment,
        kind=kind,
        channel=channel,
        recipient=recipient,
        text=text,
    )
    notification_send.enqueue(notification.pk)
    return notification


def _shipment_notify(*, kind: str, key: str, shipment: Shipment, known_new: bool = False) -> Notification:
    """A message about `shipment` to its customer, with the pickup details every such message may use."""
    return customer_notify(
        kind=kind,
        key=key,
        customer=shipment.order.customer,
        shipment=shipment,
        context=_pickup_context(shipment),
        known_new=known_new,
    )


def notification_shipment_ready(*, shipment: Shipment, first_of_visit: bool = False) -> Notification:
    """The "ready for pickup" SMS with the pickup code, QR link and deadline, once per shipment visit.
    `first_of_visit`: the caller knows this visit has no such SMS yet (it looked, under the parcel's lock)."""
    return _shipment_notify(
        kind=NotificationKind.SHIPMENT_READY,
        key=_ready_key(shipment),
        shipment=shipment,
        known_new=first_of_visit,
    )


def notification_expiring_tomorrow(*, shipment: Shipment) -> Notification:
    """The "kept until tomorrow" SMS, once per shipment visit (and again after a storage extension, since
    the key names the deadline)."""
    deadline = shipment.storage_deadline
    stamp = deadline.date().isoformat() if deadline else ""
    return _shipment_notify(
        kind=NotificationKind.EXPIRING_TOMORROW,
        key=f"{NotificationKind.EXPIRING_TOMORROW}:{shipment.pk}:{shipment.visit}:{stamp}",
        shipment=shipment,
    )


def notification_returned_to_sender(*, shipment: Shipment) -> Notification:
    """The "returned to the sender" SMS for a parcel handed back to the partner, once per visit."""
    return _shipment_notify(
        kind=NotificationKind.RETURNED_TO_SENDER,
        key=f"{NotificationKind.RETURNED_TO_SENDER}:{shipment.pk}:{shipment.visit}",
        shipment=shipment,
    )


def notification_send_now(*, notification_id: int) -> Notification:
    """Deliver a pending notification; a failure is recorded and retried by a later call."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status in (NotificationStatus.SENT, NotificationStatus.WITHDRAWN):
            return notification
        if notification.attempts >= MAX_ATTEMPTS:
            return notification
        if not attempt_send(notification, lifecycle=NOTIFICATION, deliver=notification_deliver):
            log.warning("notification_failed", notification_id=notification.pk, error=notification.error)
        notification.save()
    return notification


def notification_withdraw_ready(*, shipment: Shipment, reason: str) -> bool:
    """Stop this visit's "ready" SMS if it has not gone out yet; returns True when it already had.

    The row is kept (every message is kept) as WITHDRAWN, which the worker skips, and its dedup key is
    freed so a later placement of the same visit notifies afresh."""
    key = _ready_key(shipment)
    # No savepoint of its own: nothing in here is an error a caller could recover from.
    with transaction.atomic(savepoint=False):
        notification = Notification.objects.select_for_update().filter(dedup_key=key).first()
        if notification is None:
            return False
        if notification.status == NotificationStatus.SENT:
            return True
        # The e-mail copy (if any) follows the SMS: withdrawn with it, whatever its own state.
        copies = Notification.objects.select_for_update().filter(dedup_key=f"{key}:{Channel.EMAIL}")
        for row in [notification, *copies]:
            if row.status != NotificationStatus.SENT:
                NOTIFICATION.set(row, NotificationStatus.WITHDRAWN)
                row.error = reason[:300]
            row.dedup_key = f"{row.dedup_key}:withdrawn:{row.pk}"
            row.save(update_fields=["status", "error", "dedup_key", "updated_at"])
    return False


def _ready_key(shipment: Shipment) -> str:
    return f"{NotificationKind.SHIPMENT_READY}:{shipment.pk}:{shipment.visit}"
