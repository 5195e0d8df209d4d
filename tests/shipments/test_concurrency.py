"""DOMAIN rule 9: two operators acting on one parcel at the same moment — exactly one succeeds, the other
gets a clear error, and exactly one event is written."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.races import race, skip_on_in_memory_sqlite


@pytest.fixture
def needs_file_database() -> None:
    skip_on_in_memory_sqlite()


@pytest.mark.django_db(transaction=True)
def test_two_operators_issuing_one_parcel_exactly_one_succeeds(needs_file_database, clock) -> None:
    point = PickupPointFactory()
    first, second = operator_at(point), operator_at(point)
    shipment = ShipmentFactory(point=point, status=Status.STORED, cell=CellFactory(point=point))

    outcomes = race(
        lambda: shipment_transition(actor=first, shipment_id=shipment.pk, to_status=Status.ISSUED),
        lambda: shipment_transition(actor=second, shipment_id=shipment.pk, to_status=Status.ISSUED),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], DomainError)
    assert errors[0].code == "INVALID_TRANSITION"
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1
    assert Shipment.objects.get(pk=shipment.pk).status == Status.ISSUED


@pytest.mark.django_db(transaction=True)
def test_two_operators_filling_the_last_place_of_a_cell_exactly_one_succeeds(
    needs_file_database, clock
) -> None:
    point = PickupPointFactory()
    cell = CellFactory(point=point, capacity=1, size_class=SizeClass.L)
    a, b = (ShipmentFactory(point=point, status=Status.ACCEPTED) for _ in range(2))
    operator = operator_at(point)

    outcomes = race(
        lambda: shipment_transition(actor=operator, shipment_id=a.pk, to_status=Status.STORED, cell=cell),
        lambda: shipment_transition(actor=operator, shipment_id=b.pk, to_status=Status.STORED, cell=cell),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert getattr(errors[0], "code", None) == "CELL_FULL"
    assert Shipment.objects.filter(cell=cell).count() == 1
