"""Creating and sending customer notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.counter.tokens import customer_page_url
from pvz.notifications.gateway import notification_deliver
from pvz.notifications.models import Channel, Notification, NotificationKind, NotificationStatus
from pvz.shipments.models import Shipment
from pvz.shipments.pickup_codes import pickup_code_for

if TYPE_CHECKING:
    from pvz.returns.models import CustomerReturn

log = get_logger(__name__)

MAX_ATTEMPTS = 5


def notification_shipment_ready(*, shipment: Shipment) -> Notification:
    """Create (once per shipment visit) the "ready for pickup" SMS with the pickup code and deadline,
    and enqueue its sending in the same transaction, so a rolled-back placement sends nothing."""
    from pvz.notifications.tasks import notification_send

    customer = shipment.order.customer
    point = shipment.point
    deadline = shipment.storage_deadline
    with translation.override("ru"):
        text = _(
            "Заказ %(order)s ждёт вас в %(point)s, %(address)s. Код получения: %(code)s. "
            "Хранится до %(deadline)s включительно. QR-код для выдачи: %(link)s"
        ) % {
            "order": shipment.order.number,
            "point": point.name,
            "address": point.address,
            "code": pickup_code_for(customer),
            "link": customer_page_url(customer),
            "deadline": formats.date_format(deadline.astimezone(point.tz), "d.m.Y") if deadline else "—",
        }
    key = _ready_key(shipment)
    # No savepoint of its own: nothing in here is an error a caller could recover from.
    with transaction.atomic(savepoint=False):
        existing = Notification.objects.filter(dedup_key=key).first()
        if existing is not None:
            return existing
        # The caller holds the shipment's row lock, so nobody else creates this visit's notification now;
        # should it happen anyway, the unique dedup key fails the whole placement rather than sending twice.
        notification = Notification.objects.create(
            dedup_key=key,
            customer=customer,
            shipment=shipment,
            kind=NotificationKind.SHIPMENT_READY,
            channel=Channel.SMS,
            recipient=customer.phone,
            text=text,
        )
        notification_send.enqueue(notification.pk)
    return notification


def notification_send_now(*, notification_id: int) -> Notification:
    """Deliver a pending notification; a failure is recorded and retried by a later call."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status in (NotificationStatus.SENT, NotificationStatus.WITHDRAWN):
            return notification
        if notification.attempts >= MAX_ATTEMPTS:
            return notification
        notification.attempts += 1
        try:
            notification_deliver(notification)
        except Exception as exc:  # any channel failure is recorded, not raised into the worker
            notification.status = NotificationStatus.FAILED
            notification.error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("notification_failed", notification_id=notification.pk, error=notification.error)
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = clock.now()
            notification.error = ""
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
        notification.status = NotificationStatus.WITHDRAWN
        notification.error = reason[:300]
        notification.dedup_key = f"{key}:withdrawn:{notification.pk}"
        notification.save(update_fields=["status", "error", "dedup_key", "updated_at"])
    return False


def _ready_key(shipment: Shipment) -> str:
    return f"{NotificationKind.SHIPMENT_READY}:{shipment.pk}:{shipment.visit}"


def notification_return_accepted(*, customer_return: CustomerReturn) -> Notification:
    """Create (once per return) the customer's "return accepted" SMS and enqueue its sending in the same
    transaction as the return, so a rolled-back return sends nothing."""
    from pvz.notifications.tasks import notification_send

    shipment = customer_return.shipment
    point = customer_return.point
    with translation.override("ru"):
        text = _(
            "Возврат заказа %(order)s принят в %(point)s %(date)s, номер возврата %(number)s. "
            "Деньги вернёт %(partner)s по своим правилам."
        ) % {
            "order": shipment.order.number,
            "point": point.name,
            "date": formats.date_format(customer_return.accepted_at.astimezone(point.tz), "d.m.Y"),
            "number": customer_return.number,
            "partner": shipment.partner.name,
        }
    key = f"{NotificationKind.RETURN_ACCEPTED}:{customer_return.pk}"
    with transaction.atomic(savepoint=False):
        existing = Notification.objects.filter(dedup_key=key).first()
        if existing is not None:
            return existing
        notification = Notification.objects.create(
            dedup_key=key,
            customer=customer_return.customer,
            shipment=shipment,
            kind=NotificationKind.RETURN_ACCEPTED,
            channel=Channel.SMS,
            recipient=customer_return.customer.phone,
            text=text,
        )
        notification_send.enqueue(notification.pk)
    return notification
