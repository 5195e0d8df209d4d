"""Cell writes: bulk creation from a pattern, size and capacity changes, retiring, special places."""

from __future__ import annotations

import pytest

from pvz.cells.services import cell_retire, cell_update, cells_create_bulk
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.network.services import SPECIAL_PLACES, special_places_ensure
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory


def _bulk(actor, point, **overrides):
    args = {
        "zones": ["A"],
        "racks": (1, 2),
        "shelves": (1, 3),
        "size_class": SizeClass.M,
        "capacity": 10,
    }
    args.update(overrides)
    return cells_create_bulk(actor=actor, point=point, **args)


# Bulk creation


def test_bulk_creates_every_zone_rack_shelf_address_with_two_digit_racks(manager, point):
    cells = _bulk(manager, point, zones=["A", "B"], racks=(1, 2), shelves=(1, 2), capacity=7)

    assert [c.address for c in cells] == [
        "A-01-1", "A-01-2", "A-02-1", "A-02-2", "B-01-1", "B-01-2", "B-02-1", "B-02-2",
    ]  # fmt: skip
    assert all(c.pk is not None for c in cells)
    stored = Cell.objects.filter(point=point)
    assert stored.count() == 8
    assert {(c.kind, c.size_class, c.capacity, c.is_active) for c in stored} == {
        (CellKind.REGULAR, SizeClass.M, 7, True)
    }


def test_bulk_fixes_the_russian_layout_and_case_of_zones(manager, point):
    cells = _bulk(manager, point, zones=["ф", "и", "fb", " a "], racks=(3, 3), shelves=(2, 2))

    # ф is the A key, и the B key; "a" repeats A and is created once.
    assert [c.address for c in cells] == ["A-03-2", "B-03-2", "FB-03-2"]


def test_bulk_clash_creates_nothing_and_lists_every_clashing_address(manager, point):
    CellFactory(point=point, address="A-02-1")
    CellFactory(point=point, address="A-02-3", is_active=False)  # a retired address is not reused

    with pytest.raises(DomainError) as caught:
        _bulk(manager, point, zones=["A"], racks=(1, 2), shelves=(1, 3))

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details["clashes"] == ["A-02-1", "A-02-3"]
    assert "A-02-1" in str(caught.value.message)
    assert Cell.objects.filter(point=point).count() == 2


def test_bulk_same_addresses_at_another_point_do_not_clash(manager, point):
    CellFactory(point=PickupPointFactory(), address="A-01-1")

    assert len(_bulk(manager, point, racks=(1, 1), shelves=(1, 1))) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"zones": ["ABC"]}, "zones"),
        ({"zones": ["1"]}, "zones"),
        ({"zones": ["Ж"]}, "zones"),  # ; key, not a letter
        ({"zones": ["", " "]}, "zones"),
        ({"racks": (0, 3)}, "racks"),
        ({"racks": (1, 100)}, "racks"),
        ({"racks": (5, 4)}, "racks"),
        ({"shelves": (0, 1)}, "shelves"),
        ({"shelves": (1, 10)}, "shelves"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 101}, "capacity"),
        ({"size_class": "XXL"}, "size_class"),
    ],
)
def test_bulk_refuses_input_outside_the_limits_and_creates_nothing(manager, point, overrides, field):
    with pytest.raises(DomainError) as caught:
        _bulk(manager, point, **overrides)

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details["field"] == field
    assert not Cell.objects.exists()


def test_bulk_limits_are_inclusive(manager, point):
    cells = _bulk(manager, point, zones=["ZZ"], racks=(99, 99), shelves=(9, 9), capacity=100)
    cells += _bulk(manager, point, zones=["Z"], racks=(1, 1), shelves=(1, 1), capacity=1)

    assert [(c.address, c.capacity) for c in cells] == [("ZZ-99-9", 100), ("Z-01-1", 1)]


def test_bulk_allows_exactly_2000_cells_and_refuses_2001(manager, point):
    zones_23 = [chr(ord("A") + i) for i in range(23)]
    with pytest.raises(DomainError) as caught:
        _bulk(manager, point, zones=zones_23, racks=(1, 87), shelves=(1, 1))  # 23 × 87 × 1 = 2001
    assert caught.value.details == {"field": "pattern", "count": 2001, "max": 2000}
    assert not Cell.objects.exists()

    created = _bulk(manager, point, zones=["A", "B", "C", "D", "E"], racks=(1, 50), shelves=(1, 8))

    assert len(created) == 2000
    assert Cell.objects.filter(point=point).count() == 2000


# Update


def test_capacity_may_drop_to_exactly_what_the_cell_holds(manager, point, store):
    cell = CellFactory(point=point, capacity=5)
    store(cell)
    store(cell)

    updated = cell_update(actor=manager, cell=cell, capacity=2)

    assert updated.capacity == 2
    cell.refresh_from_db()
    assert cell.capacity == 2


def test_capacity_below_what_the_cell_holds_is_refused_with_the_numbers(manager, point, store):
    cell = CellFactory(point=point, capacity=5)
    store(cell)
    store(cell)

    with pytest.raises(DomainError) as caught:
        cell_update(actor=manager, cell=cell, capacity=1)

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details == {"cell": cell.address, "capacity": 1, "held": 2}
    assert "2" in str(caught.value.message)
    cell.refresh_from_db()
    assert cell.capacity == 5


def test_parcels_no_longer_at_the_point_do_not_count_against_capacity(manager, point, store):
    cell = CellFactory(point=point, capacity=5)
    issued = store(cell)
    shipment_transition(actor=manager, shipment_id=issued.pk, to_status=Status.ISSUED)

    assert cell_update(actor=manager, cell=cell, capacity=1).capacity == 1


def test_size_class_may_shrink_to_the_largest_parcel_but_not_below(manager, point, store):
    cell = CellFactory(point=point, size_class=SizeClass.XL)
    store(cell, size_class=SizeClass.S)
    store(cell, size_class=SizeClass.M)

    with pytest.raises(DomainError) as caught:
        cell_update(actor=manager, cell=cell, size_class=SizeClass.S)
    assert caught.value.details == {"cell": cell.address, "size_class": "S", "largest": "M"}

    assert cell_update(actor=manager, cell=cell, size_class=SizeClass.M).size_class == SizeClass.M


def test_empty_cell_takes_any_size_and_capacity_within_limits(manager, point):
    cell = CellFactory(point=point, size_class=SizeClass.L, capacity=10)

    updated = cell_update(actor=manager, cell=cell, size_class=SizeClass.S, capacity=1)

    assert (updated.size_class, updated.capacity) == (SizeClass.S, 1)
    with pytest.raises(DomainError) as caught:
        cell_update(actor=manager, cell=cell, capacity=0)
    assert caught.value.details["field"] == "capacity"


def test_retired_cell_and_special_place_cannot_be_changed(manager, point):
    retired = CellFactory(point=point, is_active=False)
    special = CellFactory(point=point, address="INSPECTION", kind=CellKind.INSPECTION)

    with pytest.raises(DomainError):
        cell_update(actor=manager, cell=retired, capacity=3)
    with pytest.raises(DomainError):
        cell_update(actor=manager, cell=special, capacity=3)
    with pytest.raises(DomainError):
        cell_retire(actor=manager, cell=special)


# Retire


def test_retire_empty_cell_marks_it_inactive_and_twice_is_harmless(manager, point):
    cell = CellFactory(point=point)

    assert cell_retire(actor=manager, cell=cell).is_active is False
    assert cell_retire(actor=manager, cell=cell).is_active is False
    cell.refresh_from_db()
    assert cell.is_active is False


def test_retire_cell_holding_one_parcel_is_refused_with_the_count(manager, point, store):
    cell = CellFactory(point=point)
    store(cell)

    with pytest.raises(DomainError) as caught:
        cell_retire(actor=manager, cell=cell)

    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.details == {"cell": cell.address, "held": 1}
    cell.refresh_from_db()
    assert cell.is_active is True


def test_retired_cell_is_not_accepted_for_placement(manager, point):
    cell = CellFactory(point=point)
    cell_retire(actor=manager, cell=cell)
    shipment = ShipmentFactory(point=point)
    shipment_transition(actor=manager, shipment_id=shipment.pk, to_status=Status.ACCEPTED)

    with pytest.raises(DomainError) as caught:
        shipment_transition(actor=manager, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)

    assert caught.value.code == ErrorCode.NOT_FOUND


# Special places


def test_special_places_are_created_once_with_fixed_addresses(manager, point):
    first = special_places_ensure(actor=manager, point=point)
    again = special_places_ensure(actor=manager, point=point)

    expected = [
        ("INSPECTION", CellKind.INSPECTION),
        ("RETURNS", CellKind.RETURN_ZONE),
        ("TRANSIT", CellKind.TRANSIT),
        ("CONSUMABLES", CellKind.CONSUMABLES),
    ]
    assert [(c.address, c.kind) for c in first] == expected == list(SPECIAL_PLACES)
    assert [c.pk for c in again] == [c.pk for c in first]
    assert Cell.objects.filter(point=point).count() == 4


def test_special_places_keep_what_exists_and_add_what_is_missing(manager, point):
    existing = CellFactory(point=point, address="RETURNS", kind=CellKind.RETURN_ZONE, capacity=50)

    places = special_places_ensure(actor=manager, point=point)

    assert existing.pk in [c.pk for c in places]
    assert Cell.objects.get(pk=existing.pk).capacity == 50
    assert Cell.objects.filter(point=point).exclude(kind=CellKind.REGULAR).count() == 4
