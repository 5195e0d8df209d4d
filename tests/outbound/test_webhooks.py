"""Return carriages reach the partner's webhooks: one carriage outbox row when created and when handed
over, written in the same transaction; nothing when the hand-over is refused."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import CarriageFlow
from pvz.outbound.models import Dispatch
from pvz.outbound.services import return_carriage_hand_over, return_parcel_scan, return_tote_scan
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.models import EventType, OutboxEvent
from pvz.webhooks.services import webhooks_fan_out
from tests.outbound.test_services import code_of, filled, wrong_code


def carriage_events(carriage) -> list[OutboxEvent]:
    return list(
        OutboxEvent.objects.filter(type=EventType.CARRIAGE_UPDATED, ordering_key=f"carriage:{carriage.pk}")
    )


def test_a_new_return_carriage_writes_one_planned_carriage_event(yard, clock) -> None:
    carriage = yard.carriage()

    [event] = carriage_events(carriage)
    assert (event.partner_id, event.created_at, event.lookups) == (
        yard.partner.pk,
        clock.now(),
        {"point_id": yard.point.pk},
    )
    assert event.payload == {
        "carriage": {"number": carriage.number, "flow": CarriageFlow.RETURN},
        "status": "planned",
        "eta": None,
        "arrived_at": None,
        "closed_at": None,
        "at": "2026-11-27T07:00:00Z",
    }


def test_a_hand_over_writes_exactly_one_closed_carriage_event_with_the_point_code(yard, clock) -> None:
    carriage, _tote, _parcels = filled(yard)
    clock.advance(minutes=30)
    before = {event.pk for event in carriage_events(carriage)}

    return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code_of(carriage))

    [event] = [event for event in carriage_events(carriage) if event.pk not in before]
    assert event.created_at == clock.now()
    webhooks_fan_out()
    event.refresh_from_db()
    assert event.payload == {
        "carriage": {"number": carriage.number, "flow": "return"},
        "status": "closed",
        "eta": None,
        "arrived_at": None,
        "closed_at": "2026-11-27T07:30:00Z",
        "at": "2026-11-27T07:30:00Z",
        "point_code": yard.point.code,
    }


def test_a_refused_code_writes_no_carriage_event(yard) -> None:
    carriage, _tote, _parcels = filled(yard)
    count = OutboxEvent.objects.filter(type=EventType.CARRIAGE_UPDATED).count()

    refusal = return_carriage_hand_over(
        actor=yard.operator, carriage=carriage, courier_code=wrong_code(carriage)
    )

    assert isinstance(refusal, DomainError)
    assert Dispatch.objects.get(carriage=carriage).code_attempts == 1
    assert OutboxEvent.objects.filter(type=EventType.CARRIAGE_UPDATED).count() == count


def test_a_blocked_hand_over_writes_no_carriage_event(yard) -> None:
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%55500000001").dispatch_tote
    parcel = yard.waiting()
    return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=parcel.barcode)
    shipment_transition(actor=yard.operator, shipment_id=parcel.pk, to_status=Status.LOST)
    count = OutboxEvent.objects.filter(type=EventType.CARRIAGE_UPDATED).count()

    with pytest.raises(DomainError) as caught:
        return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code_of(carriage))

    assert caught.value.code == ErrorCode.HANDOVER_BLOCKED
    assert OutboxEvent.objects.filter(type=EventType.CARRIAGE_UPDATED).count() == count
