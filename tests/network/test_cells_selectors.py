"""Cell reads: occupancy in one query, totals per size class, scoping to the caller's points."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvz.accounts.roles import Role
from pvz.api.permissions import point_for
from pvz.cells.selectors import cell_get, cells_bulk_plan, cells_occupancy, occupancy_totals
from pvz.core.errors import NotFound
from pvz.network.models import CellKind, SizeClass
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, operator_at


def test_occupancy_counts_parcels_at_the_point_per_cell_ordered_by_address(manager, point, store):
    b = CellFactory(point=point, address="B-01-1", capacity=4)
    a = CellFactory(point=point, address="A-01-1", capacity=2)
    store(a)
    store(a)
    store(b)
    gone = store(b)
    shipment_transition(actor=manager, shipment_id=gone.pk, to_status=Status.ISSUED)

    rows = cells_occupancy(point=point)

    assert [(r.cell.address, r.held, r.capacity, r.free, r.fill) for r in rows] == [
        ("A-01-1", 2, 2, 0, 1.0),
        ("B-01-1", 1, 4, 3, 0.25),
    ]


def test_occupancy_filters_by_zone_in_any_layout_and_hides_retired_unless_asked(point):
    CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="AB-01-1")
    CellFactory(point=point, address="A-01-2", is_active=False)
    CellFactory(point=point, address="INSPECTION", kind=CellKind.INSPECTION)

    assert [r.cell.address for r in cells_occupancy(point=point, zone="ф")] == ["A-01-1"]
    assert [r.cell.address for r in cells_occupancy(point=point, zone="A", include_retired=True)] == [
        "A-01-1",
        "A-01-2",
    ]
    assert [r.zone for r in cells_occupancy(point=point)] == ["A", "AB", "INSPECTION"]


def test_totals_per_size_class_count_only_active_customer_cells(point, store):
    s1 = CellFactory(point=point, size_class=SizeClass.S, capacity=3)
    CellFactory(point=point, size_class=SizeClass.S, capacity=5)
    CellFactory(point=point, size_class=SizeClass.L, capacity=2)
    CellFactory(point=point, size_class=SizeClass.L, capacity=9, is_active=False)
    CellFactory(point=point, address="RETURNS", kind=CellKind.RETURN_ZONE, size_class=SizeClass.XL)
    store(s1)

    totals = occupancy_totals(cells_occupancy(point=point, include_retired=True))

    assert [(t.size_class, t.cells, t.capacity, t.held, t.free) for t in totals] == [
        ("S", 2, 8, 1, 7),
        ("L", 1, 2, 0, 2),
    ]


def _count_queries(point) -> int:
    with CaptureQueriesContext(connection) as captured:
        rows = cells_occupancy(point=point)
        [(r.held, r.free, r.fill, r.zone) for r in rows]
    return len(captured)


def test_occupancy_costs_the_same_queries_for_5_and_50_cells(point, store):
    few, many = point, PickupPointFactory()
    for _ in range(5):
        store(CellFactory(point=few))
    for _ in range(50):
        store(CellFactory(point=many))

    assert _count_queries(few) == _count_queries(many) == 1


def test_cell_of_another_point_is_not_found(manager, point):
    mine = CellFactory(point=point)
    other = CellFactory(point=PickupPointFactory())

    assert cell_get(user=manager, point=point, cell_id=mine.pk) == mine
    assert cell_get(user=manager, point=None, cell_id=mine.pk) == mine
    with pytest.raises(NotFound):
        cell_get(user=manager, point=None, cell_id=other.pk)
    with pytest.raises(NotFound):
        cell_get(user=manager, point=other.point, cell_id=other.pk)


def test_point_of_another_company_is_not_found_but_a_platform_admin_sees_it(manager, point):
    other = PickupPointFactory()
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    with pytest.raises(NotFound):
        point_for(user=manager, point_id=other.pk)
    assert point_for(user=admin, point_id=other.pk) == other


def test_plan_lists_addresses_and_the_ones_that_exist(point):
    CellFactory(point=point, address="A-01-2")
    CellFactory(point=point, address="AB-01-1")  # another zone, same prefix letter

    plan = cells_bulk_plan(point=point, zones=["a"], racks=(1, 1), shelves=(1, 3))

    assert plan.addresses == ["A-01-1", "A-01-2", "A-01-3"]
    assert plan.clashes == ["A-01-2"]
