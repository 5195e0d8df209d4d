"""A delivery waiting behind an older pending one of the same shipment and endpoint is scheduled no earlier
than that one (so the worker's claim does not keep reading it from the due index), and is due again as
soon as that one is delivered or dead. The order check still decides: the schedule never reorders."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.models import DeliveryStatus, WebhookDelivery
from pvz.webhooks.services import webhook_endpoint_create, webhooks_fan_out
from tests.factories import PartnerFactory, ShipmentFactory
from tests.fakes.webhook_receiver import FakeWebhookReceiver


def _shipment(receiver: FakeWebhookReceiver) -> Shipment:
    partner = PartnerFactory()
    receiver.secret = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url).secret
    return ShipmentFactory(partner=partner)


def _by_status(to_status: str) -> WebhookDelivery:
    return WebhookDelivery.objects.get(event__payload__to_status=to_status)


@pytest.mark.django_db
def test_the_waiting_delivery_follows_the_failed_ones_retry_and_is_due_once_it_is_delivered(
    clock, receiver: FakeWebhookReceiver
) -> None:
    shipment = _shipment(receiver)
    receiver.mode = "error_500"
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")

    assert webhooks_run() == 1

    retry = clock.now() + dt.timedelta(seconds=10)
    assert (_by_status("ACCEPTED").next_attempt_at, _by_status("DAMAGED").next_attempt_at) == (retry, retry)
    receiver.mode = "accept"
    clock.set(retry)
    assert webhooks_run() == 2
    assert [r.json["data"]["to_status"] for r in receiver.accepted] == ["ACCEPTED", "DAMAGED"]


@pytest.mark.django_db
def test_a_new_event_behind_a_delivery_waiting_for_its_retry_is_scheduled_with_it(
    clock, receiver: FakeWebhookReceiver
) -> None:
    shipment = _shipment(receiver)
    receiver.mode = "error_500"
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    webhooks_run()
    retry = _by_status("ACCEPTED").next_attempt_at
    clock.advance(seconds=2)

    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")
    webhooks_fan_out()

    assert _by_status("DAMAGED").next_attempt_at == retry
    assert webhooks_run() == 0


@pytest.mark.django_db
def test_a_waiting_delivery_is_due_at_once_when_the_one_before_it_goes_dead(
    clock, receiver: FakeWebhookReceiver
) -> None:
    shipment = _shipment(receiver)
    receiver.mode = "error_500"
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")
    webhooks_run()
    first = _by_status("ACCEPTED")
    WebhookDelivery.objects.filter(pk=first.pk).update(give_up_at=first.next_attempt_at)
    clock.set(first.next_attempt_at)

    assert webhooks_run(batch_size=1) == 2  # the dead one's last attempt, then the one behind it

    assert _by_status("ACCEPTED").status == DeliveryStatus.DEAD
    assert [r.json["data"]["to_status"] for r in receiver.received] == ["ACCEPTED", "ACCEPTED", "DAMAGED"]


@pytest.mark.django_db
def test_other_shipments_keep_their_own_schedule(clock, receiver: FakeWebhookReceiver) -> None:
    shipment = _shipment(receiver)
    other = ShipmentFactory(partner=shipment.partner)
    receiver.mode = "error_500"
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    webhooks_run()
    receiver.mode = "accept"

    shipment_transition(actor=None, shipment_id=other.pk, to_status=Status.ACCEPTED)

    assert webhooks_run() == 1
    assert [r.json["data"]["shipment"]["barcode"] for r in receiver.accepted] == [other.barcode]


@pytest.mark.django_db
def test_an_event_arriving_while_the_one_before_is_being_sent_is_due_as_soon_as_that_one_is_delivered(
    clock, receiver: FakeWebhookReceiver
) -> None:
    from pvz.webhooks import delivery as worker

    shipment = _shipment(receiver)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    webhooks_fan_out()
    claimed = worker._claim(batch_size=10)  # the worker has it, under its lease
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")
    webhooks_fan_out()
    assert _by_status("DAMAGED").next_attempt_at == clock.now() + worker.CLAIM_LEASE

    with worker._client() as client:
        worker._record(claimed, [worker._send(client, d) for d in claimed])

    assert _by_status("DAMAGED").next_attempt_at == clock.now()
    assert webhooks_run() == 1
    assert [r.json["data"]["to_status"] for r in receiver.accepted] == ["ACCEPTED", "DAMAGED"]
