"""Placement rules enforced by the transition into STORED (DOMAIN rule 8)."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.network.models import CellKind, SizeClass
from pvz.shipments.errors import CellFull, CellTooSmall, InvalidTransition
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory


@pytest.mark.django_db
def test_cell_at_capacity_refuses_another_parcel(clock) -> None:
    point = PickupPointFactory()
    cell = CellFactory(point=point, capacity=1)
    ShipmentFactory(point=point, status=Status.STORED, cell=cell)
    newcomer = ShipmentFactory(point=point, status=Status.ACCEPTED)

    with pytest.raises(CellFull) as caught:
        shipment_transition(actor=None, shipment_id=newcomer.pk, to_status=Status.STORED, cell=cell)

    assert caught.value.code == ErrorCode.CELL_FULL
    newcomer.refresh_from_db()
    assert (newcomer.status, newcomer.cell) == (Status.ACCEPTED, None)
    assert not ShipmentEvent.objects.filter(shipment=newcomer).exists()


@pytest.mark.django_db
def test_parcel_larger_than_the_cell_is_refused(clock) -> None:
    point = PickupPointFactory()
    cell = CellFactory(point=point, size_class=SizeClass.S)
    big = ShipmentFactory(point=point, status=Status.ACCEPTED, size_class=SizeClass.L)

    with pytest.raises(CellTooSmall):
        shipment_transition(actor=None, shipment_id=big.pk, to_status=Status.STORED, cell=cell)


@pytest.mark.django_db
def test_cell_of_another_point_is_not_found(clock) -> None:
    shipment = ShipmentFactory(status=Status.ACCEPTED)
    foreign_cell = CellFactory()

    with pytest.raises(NotFound):
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=foreign_cell)


@pytest.mark.django_db
def test_special_place_is_not_a_customer_cell(clock) -> None:
    shipment = ShipmentFactory(status=Status.ACCEPTED)
    return_zone = CellFactory(point=shipment.point, kind=CellKind.RETURN_ZONE, address="RET-1-1")

    with pytest.raises(DomainError) as caught:
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=return_zone)

    assert caught.value.code == ErrorCode.VALIDATION_FAILED


@pytest.mark.django_db
def test_refused_parcel_goes_to_the_return_zone_but_not_into_a_customer_cell(clock) -> None:
    point = PickupPointFactory()
    shelf = CellFactory(point=point)
    return_zone = CellFactory(point=point, kind=CellKind.RETURN_ZONE, address="RET-1-1")
    refused = ShipmentFactory(point=point, status=Status.REFUSED, cell=shelf)
    other = ShipmentFactory(point=point, status=Status.REFUSED, cell=shelf)

    shipment_transition(
        actor=None, shipment_id=refused.pk, to_status=Status.AWAITING_DISPATCH, cell=return_zone
    )
    with pytest.raises(DomainError) as caught:
        shipment_transition(
            actor=None,
            shipment_id=other.pk,
            to_status=Status.AWAITING_DISPATCH,
            cell=CellFactory(point=point),
        )

    refused.refresh_from_db()
    other.refresh_from_db()
    assert refused.cell == return_zone
    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert (other.status, other.cell) == (Status.REFUSED, shelf)


@pytest.mark.django_db
def test_move_to_another_cell_keeps_status_and_writes_one_move_event(clock) -> None:
    point = PickupPointFactory()
    first, second = CellFactory(point=point), CellFactory(point=point)
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=first)
    deadline = Shipment.objects.get(pk=shipment.pk).storage_deadline

    result = shipment_move(actor=None, shipment_id=shipment.pk, cell=second, idempotency_key="move-1")
    replay = shipment_move(actor=None, shipment_id=shipment.pk, cell=second, idempotency_key="move-1")

    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell, shipment.storage_deadline) == (Status.STORED, second, deadline)
    event = result.event
    assert (event.kind, event.from_status, event.to_status, event.cell) == (
        EventKind.MOVE,
        Status.STORED,
        Status.STORED,
        second,
    )
    assert event.details == {"from_cell": first.address}
    assert replay.replayed and replay.event.pk == event.pk
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 2


@pytest.mark.django_db
def test_move_obeys_the_same_capacity_rule_as_placing(clock) -> None:
    point = PickupPointFactory()
    full = CellFactory(point=point, capacity=1)
    ShipmentFactory(point=point, status=Status.STORED, cell=full)
    shipment = ShipmentFactory(point=point, status=Status.STORED, cell=CellFactory(point=point))

    with pytest.raises(CellFull):
        shipment_move(actor=None, shipment_id=shipment.pk, cell=full)

    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 0


@pytest.mark.django_db
def test_move_into_the_same_cell_or_of_an_issued_parcel_is_refused(clock) -> None:
    point = PickupPointFactory()
    cell = CellFactory(point=point)
    stored = ShipmentFactory(point=point, status=Status.STORED, cell=cell)
    issued = ShipmentFactory(point=point, status=Status.ISSUED)

    with pytest.raises(DomainError) as same:
        shipment_move(actor=None, shipment_id=stored.pk, cell=cell)
    with pytest.raises(InvalidTransition):
        shipment_move(actor=None, shipment_id=issued.pk, cell=cell)

    assert same.value.code == ErrorCode.VALIDATION_FAILED
    assert ShipmentEvent.objects.count() == 0


@pytest.mark.django_db
def test_expired_parcel_moves_to_the_return_zone_but_not_to_a_customer_cell(clock) -> None:
    point = PickupPointFactory()
    shelf = CellFactory(point=point)
    return_zone = CellFactory(point=point, kind=CellKind.RETURN_ZONE, address="RET-1-1")
    expired = ShipmentFactory(point=point, status=Status.EXPIRED, cell=shelf)

    with pytest.raises(DomainError):
        shipment_move(actor=None, shipment_id=expired.pk, cell=CellFactory(point=point))
    shipment_move(actor=None, shipment_id=expired.pk, cell=return_zone)

    expired.refresh_from_db()
    assert (expired.status, expired.cell) == (Status.EXPIRED, return_zone)
