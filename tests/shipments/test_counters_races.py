"""Parcels that leave one counted cell for another lock both cells' counters in id order, so transactions
moving parcels in opposite directions at the same moment both go through (no deadlock) and the counters
stay right."""

from __future__ import annotations

import pytest

from pvz.network.models import Cell
from pvz.shipments.counters import cell_counters_drift
from pvz.shipments.services import shipment_move
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.races import race, skip_on_in_memory_sqlite

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_moves_in_opposite_directions_both_succeed() -> None:
    skip_on_in_memory_sqlite()
    point = PickupPointFactory()
    left, right = CellFactory(point=point, capacity=5), CellFactory(point=point, capacity=5)
    in_left = ShipmentFactory(point=point, cell=left, status=Status.STORED)
    in_right = ShipmentFactory(point=point, cell=right, status=Status.STORED)
    operator = operator_at(point)

    for _ in range(5):
        outcomes = race(
            lambda a=in_left.pk: shipment_move(actor=operator, shipment_id=a, cell=right),
            lambda b=in_right.pk: shipment_move(actor=operator, shipment_id=b, cell=left),
        )
        assert all(not isinstance(o, Exception) for o in outcomes), outcomes
        in_left, in_right = in_right, in_left  # they swapped cells: the next round swaps them again

    assert dict(Cell.objects.filter(point=point).values_list("pk", "held")) == {left.pk: 1, right.pk: 1}
    assert cell_counters_drift(point_id=point.pk) == []
