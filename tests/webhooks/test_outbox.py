"""Every shipment change writes one outbox row in its own transaction; the fan-out turns it into one
delivery per active endpoint of the shipment's partner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pvz.inbound.services import carriage_eta_update, carriage_register_arrival
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.models import DeliveryStatus, OutboxEvent, WebhookDelivery
from pvz.webhooks.services import webhook_endpoint_create, webhooks_fan_out
from tests.factories import CarriageFactory, PartnerFactory, PickupPointFactory, ShipmentFactory


@pytest.mark.django_db
def test_a_transition_writes_its_outbox_event_without_customer_data(clock) -> None:
    point = PickupPointFactory(code="msk-001")
    shipment = ShipmentFactory(point=point, barcode="ii11807135999", order__number="77001234")

    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED, reason="scan")

    event = OutboxEvent.objects.get()
    assert event.event_id.startswith("evt_")
    assert len(event.event_id) == 36
    assert (event.partner_id, event.type, event.ordering_key) == (
        shipment.partner_id,
        "shipment.status_changed",
        f"shipment:{shipment.pk}",
    )
    assert event.created_at == clock.now()
    assert event.fanned_out_at is None
    webhooks_fan_out()
    event.refresh_from_db()
    assert event.payload == {
        "shipment": {
            "barcode": "ii11807135999",
            "posting_number": shipment.posting_number,
            "order_number": "77001234",
        },
        "from_status": "EXPECTED",
        "to_status": "ACCEPTED",
        "reason": "scan",
        "visit": 1,
        "at": "2026-11-27T07:00:00Z",
        "point_code": "msk-001",
    }
    assert event.lookups == {}
    assert event.fanned_out_at == clock.now()


@pytest.mark.django_db
def test_the_outbox_costs_the_transition_one_insert_and_no_read(clock) -> None:
    shipment = ShipmentFactory()

    with CaptureQueriesContext(connection) as queries:
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)

    touching = [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]]
    assert len(touching) == 1
    assert touching[0].startswith("INSERT INTO")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transition_leaves_no_outbox_event(clock) -> None:
    shipment = ShipmentFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
        assert OutboxEvent.objects.count() == 1
        raise RuntimeError("the change fails after the transition")

    assert not OutboxEvent.objects.exists()
    shipment.refresh_from_db()
    assert shipment.status == Status.EXPECTED


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
def test_fan_out_creates_one_delivery_per_active_endpoint_of_the_partner_only(clock) -> None:
    partner, other = PartnerFactory(), PartnerFactory()
    first = webhook_endpoint_create(actor=None, partner=partner, url="http://127.0.0.1:9/a")
    second = webhook_endpoint_create(actor=None, partner=partner, url="http://127.0.0.1:9/b")
    inactive = webhook_endpoint_create(actor=None, partner=partner, url="http://127.0.0.1:9/c")
    inactive.is_active = False
    inactive.save()
    webhook_endpoint_create(
        actor=None, partner=partner, url="http://127.0.0.1:9/d", event_types=["shipment.moved"]
    )
    webhook_endpoint_create(actor=None, partner=other, url="http://127.0.0.1:9/other")
    shipment = ShipmentFactory(partner=partner)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)

    assert webhooks_fan_out() == 1

    event = OutboxEvent.objects.get()
    deliveries = list(WebhookDelivery.objects.order_by("endpoint_id"))
    assert [(d.endpoint_id, d.event_id, d.status) for d in deliveries] == [
        (first.pk, event.pk, DeliveryStatus.PENDING),
        (second.pk, event.pk, DeliveryStatus.PENDING),
    ]
    assert {d.next_attempt_at for d in deliveries} == {clock.now()}
    assert {d.give_up_at for d in deliveries} == {event.created_at + dt.timedelta(days=3)}
    assert webhooks_fan_out() == 0
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
def test_events_of_a_partner_without_endpoints_are_fanned_out_to_nobody(clock) -> None:
    shipment = ShipmentFactory()
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)

    assert webhooks_fan_out() == 1

    assert not WebhookDelivery.objects.exists()
    assert OutboxEvent.objects.get().fanned_out_at == clock.now()


@pytest.mark.django_db
def test_carriage_changes_write_outbox_events_in_order_for_the_carriage_partner(clock) -> None:
    carriage = CarriageFactory(number="CAR-20261127001", point__code="msk-002", eta=None)
    eta = clock.now() + dt.timedelta(hours=3)

    carriage_eta_update(actor=None, carriage=carriage, eta=eta)
    clock.advance(hours=1)
    carriage_register_arrival(actor=None, carriage=carriage, driver_name="Иванов И. И.")
    webhooks_fan_out()

    events = list(OutboxEvent.objects.order_by("id"))
    assert [(e.type, e.partner_id, e.ordering_key) for e in events] == [
        ("carriage.updated", carriage.partner_id, f"carriage:{carriage.pk}"),
        ("carriage.updated", carriage.partner_id, f"carriage:{carriage.pk}"),
    ]
    assert events[0].payload == {
        "carriage": {"number": "CAR-20261127001", "flow": "direct"},
        "status": "in_transit",
        "eta": "2026-11-27T10:00:00Z",
        "arrived_at": None,
        "closed_at": None,
        "at": "2026-11-27T07:00:00Z",
        "point_code": "msk-002",
    }
    assert (events[1].payload["status"], events[1].payload["arrived_at"]) == (
        "arrived",
        "2026-11-27T08:00:00Z",
    )
    assert "driver_name" not in events[1].payload


@pytest.mark.django_db(transaction=True)
def test_an_event_with_a_lookup_nobody_resolves_fails_the_fan_out_and_fans_out_nothing(clock) -> None:
    partner = PartnerFactory()
    shipment = ShipmentFactory(partner=partner)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    OutboxEvent.objects.create(
        event_id="evt_unknown_lookup",
        partner=partner,
        type="shipment.moved",
        ordering_key=f"shipment:{shipment.pk}",
        payload={},
        lookups={"tote_id": 7},
        created_at=clock.now(),
    )

    with pytest.raises(LookupError, match="tote_id"):
        webhooks_fan_out()

    assert not OutboxEvent.objects.exclude(fanned_out_at=None).exists()
    assert OutboxEvent.objects.get(event_id="evt_unknown_lookup").lookups == {"tote_id": 7}
