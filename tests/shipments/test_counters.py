"""The counters the database keeps about parcels in cells (`Cell.held`, `CustomerCell`) always equal what the
parcels say, whatever changes them: the services, a factory, a bulk update, a delete, an order handed to
another customer, a cell that changes kind. Checked on SQLite and on PostgreSQL, whose triggers differ."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pvz.network.models import Cell, CellKind
from pvz.shipments.counters import (
    cell_counters_drift,
    cell_counters_repair,
    customer_cells_drift,
    customer_cells_repair,
)
from pvz.shipments.models import CustomerCell, Order, Shipment
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import AT_POINT, Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db


def _held(cell: Cell) -> int:
    return Cell.objects.values_list("held", flat=True).get(pk=cell.pk)


def _customer_cells(point) -> dict[tuple[int, int], int]:
    return {
        (row.customer_id, row.cell_id): row.stored for row in CustomerCell.objects.filter(cell__point=point)
    }


@pytest.mark.parametrize("status", list(Status))
def test_a_parcel_counts_in_its_cell_exactly_when_its_status_is_at_the_point(status: Status) -> None:
    cell = CellFactory()
    shipment = ShipmentFactory(point=cell.point, cell=cell, status=status)

    assert _held(cell) == (1 if status in AT_POINT else 0)
    expected_rows = {(shipment.order.customer_id, cell.pk): 1} if status == Status.STORED else {}
    assert _customer_cells(cell.point) == expected_rows
    assert cell_counters_drift(point_id=cell.point_id) == []
    assert customer_cells_drift(point_id=cell.point_id) == []


def test_a_special_place_keeps_no_count() -> None:
    zone = CellFactory(kind=CellKind.RETURN_ZONE, address="RETURN")
    ShipmentFactory(point=zone.point, cell=zone, status=Status.AWAITING_DISPATCH)

    assert _held(zone) == 0
    assert cell_counters_drift(point_id=zone.point_id) == []


def test_a_cell_that_becomes_a_customer_cell_counts_what_it_holds() -> None:
    place = CellFactory(kind=CellKind.INSPECTION, address="INSPECT")
    ShipmentFactory.create_batch(2, point=place.point, cell=place, status=Status.DAMAGED)

    Cell.objects.filter(pk=place.pk).update(kind=CellKind.REGULAR)
    assert _held(place) == 2
    Cell.objects.filter(pk=place.pk).update(kind=CellKind.TRANSIT)
    assert _held(place) == 0


def test_the_services_keep_the_counts_through_a_visit(clock) -> None:
    point = PickupPointFactory()
    operator = operator_at(point)
    shelf, other = CellFactory(point=point), CellFactory(point=point)
    zone = CellFactory(point=point, kind=CellKind.RETURN_ZONE, address="RETURN")
    shipment = ShipmentFactory(point=point)
    customer = shipment.order.customer_id

    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.STORED, cell=shelf)
    assert (_held(shelf), _customer_cells(point)) == (1, {(customer, shelf.pk): 1})
    shipment_move(actor=operator, shipment_id=shipment.pk, cell=other)
    assert (_held(shelf), _held(other), _customer_cells(point)) == (0, 1, {(customer, other.pk): 1})
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.REFUSED, cell=zone)
    assert (_held(other), _held(zone), _customer_cells(point)) == (0, 0, {})
    assert cell_counters_drift(point_id=point.pk) == [] and customer_cells_drift(point_id=point.pk) == []


def test_a_django_save_of_a_cell_never_writes_its_counter() -> None:
    cell = CellFactory()
    loaded = Cell.objects.get(pk=cell.pk)  # held 0 in memory
    ShipmentFactory(point=cell.point, cell=cell, status=Status.STORED)

    loaded.capacity = 12
    loaded.save()

    assert (_held(cell), Cell.objects.get(pk=cell.pk).capacity) == (1, 12)


def test_an_order_handed_to_another_customer_takes_its_cells_along() -> None:
    cell = CellFactory()
    shipment = ShipmentFactory(point=cell.point, cell=cell, status=Status.STORED)
    newcomer = CustomerFactory()

    Order.objects.filter(pk=shipment.order_id).update(customer=newcomer)

    assert _customer_cells(cell.point) == {(newcomer.pk, cell.pk): 1}


def test_a_repair_sets_drifted_counters_to_the_truth() -> None:
    cell = CellFactory()
    shipment = ShipmentFactory(point=cell.point, cell=cell, status=Status.STORED)
    Cell.objects.filter(pk=cell.pk).update(held=5)  # written around the triggers
    CustomerCell.objects.all().delete()

    drifts = cell_counters_drift(point_id=cell.point_id)
    assert [(d.held, d.truth) for d in drifts] == [(5, 1)]
    assert cell_counters_repair(drifts) == 1
    customer_drifts = customer_cells_drift(point_id=cell.point_id)
    assert [(d.customer_id, d.stored, d.truth) for d in customer_drifts] == [
        (shipment.order.customer_id, 0, 1)
    ]
    assert customer_cells_repair(customer_drifts) == 1
    assert cell_counters_drift() == [] and customer_cells_drift() == []


# ---- anything goes: a random mix of changes, the counters checked after each ------------------------------

STATUSES = st.sampled_from(list(Status))


class CellCounters(RuleBasedStateMachine):
    """Parcels created, changed, moved and deleted at random through every path that writes rows."""

    def __init__(self) -> None:
        super().__init__()
        self.point = PickupPointFactory()
        self.cells = [CellFactory(point=self.point) for _ in range(3)]
        self.cells.append(CellFactory(point=self.point, kind=CellKind.RETURN_ZONE, address="RETURN"))
        self.orders = [OrderFactory() for _ in range(2)]
        self.customers = [order.customer for order in self.orders] + [CustomerFactory()]
        self.parcels: list[int] = []

    @rule(status=STATUSES, cell=st.integers(0, 4), order=st.integers(0, 1))
    def create(self, status: Status, cell: int, order: int) -> None:
        place = self.cells[cell] if cell < len(self.cells) else None
        shipment = ShipmentFactory(point=self.point, cell=place, status=status, order=self.orders[order])
        self.parcels.append(shipment.pk)

    @precondition(lambda self: self.parcels)
    @rule(data=st.data(), status=STATUSES, cell=st.integers(0, 4))
    def update(self, data: st.DataObject, status: Status, cell: int) -> None:
        pk = data.draw(st.sampled_from(self.parcels))
        place = self.cells[cell] if cell < len(self.cells) else None
        Shipment.objects.filter(pk=pk).update(status=status, cell=place)

    @precondition(lambda self: self.parcels)
    @rule(data=st.data(), status=STATUSES)
    def save(self, data: st.DataObject, status: Status) -> None:
        shipment = Shipment.objects.get(pk=data.draw(st.sampled_from(self.parcels)))
        shipment.status = status
        shipment.save()

    @precondition(lambda self: self.parcels)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        pk = data.draw(st.sampled_from(self.parcels))
        self.parcels.remove(pk)
        Shipment.objects.filter(pk=pk).delete()

    @rule(order=st.integers(0, 1), customer=st.integers(0, 2))
    def hand_order_over(self, order: int, customer: int) -> None:
        Order.objects.filter(pk=self.orders[order].pk).update(customer=self.customers[customer])

    @rule(cell=st.integers(0, 3), kind=st.sampled_from([CellKind.REGULAR, CellKind.INSPECTION]))
    def change_kind(self, cell: int, kind: str) -> None:
        Cell.objects.filter(pk=self.cells[cell].pk).update(kind=kind)

    @invariant()
    def counters_are_the_truth(self) -> None:
        assert cell_counters_drift(point_id=self.point.pk) == []
        assert customer_cells_drift(point_id=self.point.pk) == []


CellCounters.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.django_db(transaction=True)
def test_the_counters_follow_any_sequence_of_changes() -> None:
    # transaction=True: the state machine's rows stay between steps; each example starts on empty tables.
    CellCounters.TestCase("runTest").runTest()
