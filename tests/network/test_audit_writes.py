"""Cell writes leave one audit record each inside their transaction; a refused write leaves none."""

from __future__ import annotations

import pytest

from pvz.cells.services import cell_retire, cell_update, cells_create_bulk
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import Cell, SizeClass
from pvz.network.services import special_places_ensure
from tests.audit.records import no_new_records, the_record
from tests.factories import CellFactory

pytestmark = pytest.mark.django_db


def test_bulk_creation_is_one_record_on_the_point_with_the_range(manager, point, clock) -> None:
    cells = cells_create_bulk(
        actor=manager,
        point=point,
        zones=["A"],
        racks=(1, 2),
        shelves=(1, 3),
        size_class=SizeClass.M,
        capacity=10,
    )

    record = the_record("cell.create", actor=manager, point_id=point.pk, obj=point)
    assert record.details == {
        "count": len(cells),
        "first": "A-01-1",
        "last": "A-02-3",
        "size_class": "M",
        "capacity": 10,
    }
    assert record.at == clock.now()


def test_a_clashing_bulk_creation_records_nothing(manager, point) -> None:
    CellFactory(point=point, address="A-01-2")

    with no_new_records(), pytest.raises(DomainError):
        cells_create_bulk(
            actor=manager, point=point, zones=["A"], racks=(1, 1), shelves=(1, 3), size_class="M", capacity=10
        )


def test_an_update_records_the_old_and_new_values(manager, point) -> None:
    cell = CellFactory(point=point, address="B-01-1", size_class=SizeClass.S, capacity=5)

    cell_update(actor=manager, cell=cell, capacity=8, size_class=SizeClass.L)

    record = the_record("cell.update", actor=manager, point_id=point.pk, obj=cell)
    assert record.details == {"cell": "B-01-1", "capacity": [5, 8], "size_class": ["S", "L"]}


def test_an_update_that_changes_nothing_or_is_refused_records_nothing(manager, point, store) -> None:
    cell = CellFactory(point=point, capacity=5)
    store(cell)

    with no_new_records():
        cell_update(actor=manager, cell=cell, capacity=5)
    with no_new_records(), pytest.raises(DomainError):
        cell_update(actor=manager, cell=cell, capacity=0)


def test_retiring_is_one_record_and_retiring_again_none(manager, point) -> None:
    cell = CellFactory(point=point, address="C-01-1")

    cell_retire(actor=manager, cell=cell)
    with no_new_records():
        cell_retire(actor=manager, cell=cell)

    record = the_record("cell.retire", actor=manager, point_id=point.pk, obj=cell)
    assert record.details == {"cell": "C-01-1"}


def test_retiring_a_cell_that_holds_parcels_records_nothing(manager, point, store) -> None:
    cell = CellFactory(point=point)
    store(cell)

    with no_new_records(), pytest.raises(DomainError) as error:
        cell_retire(actor=manager, cell=cell)
    assert error.value.code == ErrorCode.CONFLICT


def test_special_places_record_what_was_created_once(manager, point) -> None:
    special_places_ensure(actor=manager, point=point)
    with no_new_records():
        special_places_ensure(actor=manager, point=point)

    record = the_record("cell.special_places", actor=manager, point_id=point.pk, obj=point)
    assert record.details == {"cells": ["INSPECTION", "RETURNS", "TRANSIT", "CONSUMABLES"]}
    assert Cell.objects.filter(point=point).count() == 4
