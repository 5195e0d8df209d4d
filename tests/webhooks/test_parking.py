"""An inactive endpoint's pending deliveries are parked out of the due range, so the worker's claim never
walks over them; resuming the endpoint makes them due at once, still in order per shipment."""

from __future__ import annotations

import pytest

from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks import delivery
from pvz.webhooks.delivery import Outcome, webhooks_run
from pvz.webhooks.models import DeliveryStatus, WebhookDelivery
from pvz.webhooks.services import (
    PARKED_UNTIL,
    delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
    webhooks_fan_out,
)
from tests.factories import PartnerFactory, ShipmentFactory
from tests.fakes.webhook_receiver import FakeWebhookReceiver

pytestmark = pytest.mark.django_db


def _endpoint_with_events(receiver: FakeWebhookReceiver):
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url)
    receiver.secret = endpoint.secret
    shipment = ShipmentFactory(partner=partner)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")
    webhooks_fan_out()
    return endpoint


def test_switching_off_parks_the_pending_and_switching_on_sends_them_in_order(
    clock, receiver: FakeWebhookReceiver
) -> None:
    endpoint = _endpoint_with_events(receiver)

    webhook_endpoint_set_active(actor=None, endpoint=endpoint, is_active=False)

    assert set(WebhookDelivery.objects.values_list("next_attempt_at", flat=True)) == {PARKED_UNTIL}
    assert webhooks_run() == 0
    clock.advance(hours=1)

    webhook_endpoint_set_active(actor=None, endpoint=endpoint, is_active=True)

    assert set(WebhookDelivery.objects.values_list("next_attempt_at", flat=True)) == {clock.now()}
    assert webhooks_run() == 2
    assert [r.json["data"]["to_status"] for r in receiver.accepted] == ["ACCEPTED", "DAMAGED"]
    assert all(r.verified for r in receiver.received)


def test_a_replay_for_a_switched_off_endpoint_waits_parked(clock, receiver: FakeWebhookReceiver) -> None:
    endpoint = _endpoint_with_events(receiver)
    webhooks_run()
    webhook_endpoint_set_active(actor=None, endpoint=endpoint, is_active=False)
    sent = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).first()

    replayed = delivery_replay(actor=None, delivery=sent)

    assert (replayed.status, replayed.next_attempt_at) == (DeliveryStatus.PENDING, PARKED_UNTIL)


def test_a_batch_failing_after_its_endpoint_was_switched_off_stays_parked(
    clock, receiver: FakeWebhookReceiver
) -> None:
    endpoint = _endpoint_with_events(receiver)
    claimed = delivery._claim(batch_size=10)
    assert len(claimed) == 1  # the second waits for the first (order per shipment)

    webhook_endpoint_set_active(actor=None, endpoint=endpoint, is_active=False)
    delivery._record(claimed, [Outcome(claimed[0].pk, clock.now(), 500, "", 3)])

    assert set(WebhookDelivery.objects.values_list("next_attempt_at", flat=True)) == {PARKED_UNTIL}
