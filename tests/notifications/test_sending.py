"""Customer notifications are sent through the gateway by the worker; failures are recorded."""

from __future__ import annotations

from unittest import mock

import pytest

from pvz.accounts.models import SmsMessage
from pvz.inbound.placement import shipment_place
from pvz.notifications.models import Notification, NotificationStatus
from pvz.notifications.services import MAX_ATTEMPTS, notification_send_now
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
def test_ready_notification_reaches_the_sms_outbox_through_the_worker(settings, clock) -> None:
    settings.TASKS = IMMEDIATE
    point = PickupPointFactory(name="ПВЗ на Тверской")
    CellFactory(point=point)
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)

    shipment_place(actor=None, shipment_id=shipment.pk)

    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at == clock.now()
    sms = SmsMessage.objects.get()
    assert (sms.phone, sms.text) == (shipment.order.customer.phone, notification.text)
    assert "ПВЗ на Тверской" in sms.text


@pytest.mark.django_db
def test_a_failing_channel_is_recorded_and_retried_until_the_limit(clock) -> None:
    point = PickupPointFactory()
    CellFactory(point=point)
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_place(actor=None, shipment_id=shipment.pk)  # the database backend only queues the task
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.PENDING

    with mock.patch("pvz.notifications.gateway.sms_send", side_effect=ConnectionError("gateway down")):
        for _ in range(MAX_ATTEMPTS + 2):
            notification = notification_send_now(notification_id=notification.pk)

    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.error == "ConnectionError: gateway down"
    assert not SmsMessage.objects.exists()

    notification.attempts = 0
    notification.save()
    assert notification_send_now(notification_id=notification.pk).status == NotificationStatus.SENT
