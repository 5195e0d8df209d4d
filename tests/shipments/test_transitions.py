"""Every (from, to) pair of the transition table: allowed pairs write exactly one event, forbidden pairs
raise INVALID_TRANSITION and write nothing."""

from __future__ import annotations

import pytest

from pvz.core.errors import Conflict, ErrorCode
from pvz.shipments.errors import IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import NEEDS_CELL, OFF_SHELF, TRANSITIONS, Status, all_pairs, is_allowed
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at

ALLOWED = [(a, b) for a, b in all_pairs() if is_allowed(a, b)]
FORBIDDEN = [(a, b) for a, b in all_pairs() if not is_allowed(a, b)]


def _shipment_in(status: Status) -> Shipment:
    point = PickupPointFactory()
    cell = CellFactory(point=point)
    return ShipmentFactory(point=point, status=status, cell=cell if status in NEEDS_CELL else None)


def test_table_covers_every_status_and_lost_is_final() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert TRANSITIONS[Status.LOST] == frozenset()
    assert len(ALLOWED) + len(FORBIDDEN) == len(Status) ** 2


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition_writes_exactly_one_event(clock, from_status: Status, to_status: Status) -> None:
    shipment = _shipment_in(from_status)
    actor = operator_at(shipment.point)
    cell = CellFactory(point=shipment.point) if to_status in NEEDS_CELL else None

    result = shipment_transition(
        actor=actor, shipment_id=shipment.pk, to_status=to_status, cell=cell, reason="test"
    )

    shipment.refresh_from_db()
    assert shipment.status == to_status
    assert shipment.version == 2
    events = list(ShipmentEvent.objects.filter(shipment=shipment))
    assert len(events) == 1
    event = events[0]
    assert (event.from_status, event.to_status) == (from_status, to_status)
    assert event.actor == actor
    assert event.point == shipment.point
    assert event.at == clock.now()
    assert result.event == event
    if to_status in NEEDS_CELL:
        assert shipment.cell == cell
    if to_status in OFF_SHELF:
        assert shipment.cell is None


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_transition_raises_and_writes_nothing(
    clock, from_status: Status, to_status: Status
) -> None:
    shipment = _shipment_in(from_status)
    before = Shipment.objects.values().get(pk=shipment.pk)
    cell = CellFactory(point=shipment.point)

    with pytest.raises(InvalidTransition) as caught:
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=to_status, cell=cell)

    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert caught.value.details == {"from": from_status, "to": to_status}
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 0
    assert Shipment.objects.values().get(pk=shipment.pk) == before


@pytest.mark.django_db
def test_replayed_idempotency_key_returns_first_result_and_writes_nothing(clock) -> None:
    shipment = _shipment_in(Status.EXPECTED)

    first = shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED, idempotency_key="scan-1"
    )
    clock.advance(seconds=5)
    again = shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED, idempotency_key="scan-1"
    )

    assert again.replayed is True
    assert again.event.pk == first.event.pk
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1


@pytest.mark.django_db
def test_same_idempotency_key_for_another_action_is_rejected(clock) -> None:
    shipment = _shipment_in(Status.EXPECTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED, idempotency_key="k")

    with pytest.raises(IdempotencyMismatch):
        shipment_transition(
            actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, idempotency_key="k"
        )

    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1


@pytest.mark.django_db
def test_stale_version_is_a_conflict_and_writes_nothing(clock) -> None:
    shipment = _shipment_in(Status.EXPECTED)
    seen_version = shipment.version
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)

    with pytest.raises(Conflict) as caught:
        shipment_transition(
            actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, expected_version=seen_version
        )

    assert caught.value.details["current_status"] == Status.ACCEPTED
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted(clock) -> None:
    shipment = _shipment_in(Status.EXPECTED)
    event = shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED).event

    event.reason = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ShipmentEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(TypeError):
        ShipmentEvent.objects.filter(pk=event.pk).delete()
    assert ShipmentEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_redelivery_after_dispatch_starts_a_new_visit_and_keeps_history(clock) -> None:
    shipment = _shipment_in(Status.DISPATCHED)
    shipment.stored_at = clock.now()
    shipment.save()

    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.EXPECTED, reason="new manifest")

    shipment.refresh_from_db()
    assert shipment.visit == 2
    assert shipment.stored_at is None
    assert shipment.events.get().visit == 2
