"""DOMAIN rule 9: two operators acting on one parcel at the same moment — exactly one succeeds, the other
gets a clear error, and exactly one event is written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pvz.core.errors import DomainError
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at


def _race(*actions):
    """Run the actions in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = actions[index]()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def needs_file_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads of an in-memory SQLite test database share one connection cache that fails instead of
        # waiting on a lock; the file-backed WAL database (`make test` uses one) and PostgreSQL queue writers.
        pytest.skip("needs a file or server database where writers wait for each other")


@pytest.mark.django_db(transaction=True)
def test_two_operators_issuing_one_parcel_exactly_one_succeeds(needs_file_database, clock) -> None:
    point = PickupPointFactory()
    first, second = operator_at(point), operator_at(point)
    shipment = ShipmentFactory(point=point, status=Status.STORED, cell=CellFactory(point=point))

    outcomes = _race(
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

    outcomes = _race(
        lambda: shipment_transition(actor=operator, shipment_id=a.pk, to_status=Status.STORED, cell=cell),
        lambda: shipment_transition(actor=operator, shipment_id=b.pk, to_status=Status.STORED, cell=cell),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert getattr(errors[0], "code", None) == "CELL_FULL"
    assert Shipment.objects.filter(cell=cell).count() == 1
