"""DOMAIN rule 8: where a parcel is suggested to go, and placing it (auto or into a chosen cell)."""

from __future__ import annotations

import pytest

from pvz.core.errors import ErrorCode
from pvz.inbound.placement import NoFreeCell, cell_suggest, shipment_place
from pvz.network.models import CellKind, SizeClass
from pvz.notifications.models import Notification
from pvz.shipments.errors import CellTooSmall, IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, OrderFactory, PickupPointFactory, ShipmentFactory


@pytest.fixture
def point():
    return PickupPointFactory()


def accepted(point, *, size=SizeClass.S, order=None):
    extra = {"order": order, "partner": order.partner} if order else {}
    return ShipmentFactory(point=point, status=Status.ACCEPTED, size_class=size, **extra)


@pytest.mark.django_db
def test_suggests_the_cell_already_holding_this_customers_parcels(point) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    customers_cell = CellFactory(point=point, address="B-09-9", size_class=SizeClass.L)
    order = OrderFactory()
    ShipmentFactory(
        point=point, order=order, partner=order.partner, status=Status.STORED, cell=customers_cell
    )

    assert cell_suggest(shipment=accepted(point, order=order)) == customers_cell


@pytest.mark.django_db
def test_customers_full_cell_is_skipped_for_an_empty_one(point) -> None:
    customers_cell = CellFactory(point=point, address="B-09-9", capacity=1)
    empty = CellFactory(point=point, address="C-01-1")
    order = OrderFactory()
    ShipmentFactory(
        point=point, order=order, partner=order.partner, status=Status.STORED, cell=customers_cell
    )

    assert cell_suggest(shipment=accepted(point, order=order)) == empty


@pytest.mark.django_db
def test_prefers_an_empty_cell_of_the_smallest_fitting_size(point) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.L)
    occupied_small = CellFactory(point=point, address="A-01-2", size_class=SizeClass.S)
    ShipmentFactory(point=point, status=Status.STORED, cell=occupied_small)
    empty_medium = CellFactory(point=point, address="A-02-1", size_class=SizeClass.M)
    empty_small = CellFactory(point=point, address="A-09-1", size_class=SizeClass.S)

    assert cell_suggest(shipment=accepted(point, size=SizeClass.S)) == empty_small
    empty_small.is_active = False
    empty_small.save()
    assert cell_suggest(shipment=accepted(point, size=SizeClass.S)) == empty_medium


@pytest.mark.django_db
def test_without_empty_cells_the_smallest_fitting_cell_with_room_is_used(point) -> None:
    big = CellFactory(point=point, address="A-01-1", size_class=SizeClass.L, capacity=5)
    small = CellFactory(point=point, address="A-01-2", size_class=SizeClass.S, capacity=2)
    for cell in (big, small):
        ShipmentFactory(point=point, status=Status.STORED, cell=cell)

    assert cell_suggest(shipment=accepted(point, size=SizeClass.S)) == small
    assert cell_suggest(shipment=accepted(point, size=SizeClass.M)) == big


@pytest.mark.django_db
def test_never_suggests_a_full_retired_too_small_foreign_or_special_place(point) -> None:
    full = CellFactory(point=point, capacity=1, size_class=SizeClass.XL)
    ShipmentFactory(point=point, status=Status.STORED, cell=full)
    CellFactory(point=point, size_class=SizeClass.XL, is_active=False)
    CellFactory(point=point, size_class=SizeClass.S)
    CellFactory(size_class=SizeClass.XL)  # another point
    CellFactory(point=point, size_class=SizeClass.XL, kind=CellKind.RETURN_ZONE, address="RET-1-1")

    assert cell_suggest(shipment=accepted(point, size=SizeClass.L)) is None


@pytest.mark.django_db
def test_auto_placement_stores_in_the_suggested_cell_and_notifies_once(point, clock) -> None:
    cell = CellFactory(point=point, size_class=SizeClass.S)
    shipment = accepted(point)

    placement = shipment_place(actor=None, shipment_id=shipment.pk, idempotency_key="scan-1")
    replay = shipment_place(actor=None, shipment_id=shipment.pk, idempotency_key="scan-1")

    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell, placement.cell, placement.suggested) == (
        Status.STORED,
        cell,
        cell,
        True,
    )
    assert replay.replayed and replay.event.pk == placement.event.pk
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1
    notification = Notification.objects.get()
    assert notification.shipment == shipment
    assert notification.recipient == shipment.order.customer.phone
    assert f"{shipment.order.customer.pickup_number}*" in notification.text
    assert "04.12.2026" in notification.text  # stored 27.11, 7 days, the day of storing not counted


@pytest.mark.django_db
def test_manual_placement_obeys_the_same_rules(point, clock) -> None:
    small = CellFactory(point=point, size_class=SizeClass.S)
    shipment = accepted(point, size=SizeClass.L)

    with pytest.raises(CellTooSmall):
        shipment_place(actor=None, shipment_id=shipment.pk, cell=small)

    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell) == (Status.ACCEPTED, None)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_no_free_cell_is_a_clear_error_and_writes_nothing(point, clock) -> None:
    shipment = accepted(point, size=SizeClass.XL)
    CellFactory(point=point, size_class=SizeClass.L)

    with pytest.raises(NoFreeCell) as caught:
        shipment_place(actor=None, shipment_id=shipment.pk)

    assert caught.value.code == ErrorCode.NO_FREE_CELL
    assert caught.value.http_status == 409
    assert Shipment.objects.get(pk=shipment.pk).status == Status.ACCEPTED
    assert not ShipmentEvent.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_placing_a_parcel_that_is_not_accepted_is_refused(point, clock) -> None:
    CellFactory(point=point)
    expected = ShipmentFactory(point=point, status=Status.EXPECTED)

    with pytest.raises(InvalidTransition):
        shipment_place(actor=None, shipment_id=expected.pk)

    assert not ShipmentEvent.objects.exists()


@pytest.mark.django_db
def test_same_key_for_another_parcel_is_a_mismatch(point, clock) -> None:
    CellFactory(point=point)
    first, second = accepted(point), accepted(point)
    shipment_place(actor=None, shipment_id=first.pk, idempotency_key="k")

    with pytest.raises(IdempotencyMismatch):
        shipment_place(actor=None, shipment_id=second.pk, idempotency_key="k")

    assert Shipment.objects.get(pk=second.pk).status == Status.ACCEPTED
