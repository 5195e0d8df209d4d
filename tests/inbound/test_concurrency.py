"""DOMAIN rule 9 at acceptance: operators scanning one carriage at the same moment."""

from __future__ import annotations

import uuid

import pytest

from pvz.inbound.models import AcceptanceScan, ScanOutcomeKind
from pvz.inbound.services import acceptance_open, acceptance_scan
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, operator_at
from tests.inbound.conftest import load_delivery
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def carriage_with_operators():
    point = PickupPointFactory()
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.XL, capacity=50)
    carriage = load_delivery(point=point)
    operators = [operator_at(point) for _ in range(3)]
    acceptance = acceptance_open(actor=operators[0], carriage=carriage)
    return acceptance, operators, list(carriage.shipments.order_by("pk"))


def test_two_operators_scanning_one_parcel_accept_it_once(
    needs_file_database, carriage_with_operators
) -> None:
    acceptance, (first, second, _), parcels = carriage_with_operators
    parcel = parcels[0]

    def scan_by(operator):
        return lambda: (
            acceptance_scan(
                actor=operator,
                acceptance=acceptance,
                code=parcel.barcode,
                scan_id=uuid.uuid4(),
                auto_place=True,
            ).kind
        )

    outcomes = race(scan_by(first), scan_by(second))

    assert sorted(outcomes) == sorted([ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.ALREADY_ACCEPTED]), outcomes
    events = ShipmentEvent.objects.filter(shipment=parcel)
    assert [e.to_status for e in events] == [Status.ACCEPTED, Status.STORED]
    assert Shipment.objects.get(pk=parcel.pk).status == Status.STORED


def test_operators_scanning_different_parcels_at_once_all_succeed(
    needs_file_database, carriage_with_operators
) -> None:
    acceptance, operators, parcels = carriage_with_operators

    outcomes = race(
        *(
            (
                lambda op=op, p=p: (
                    acceptance_scan(
                        actor=op, acceptance=acceptance, code=p.barcode, scan_id=uuid.uuid4(), auto_place=True
                    ).kind
                )
            )
            for op, p in zip(operators, parcels[:3], strict=True)
        )
    )

    assert outcomes == [ScanOutcomeKind.ACCEPTED] * 3, outcomes
    assert Shipment.objects.filter(pk__in=[p.pk for p in parcels[:3]], status=Status.STORED).count() == 3
    assert AcceptanceScan.objects.count() == 3


def test_one_scan_resent_at_once_is_answered_once(needs_file_database, carriage_with_operators) -> None:
    acceptance, (operator, _, _), parcels = carriage_with_operators
    scan_id = uuid.uuid4()

    def resend():
        return acceptance_scan(
            actor=operator, acceptance=acceptance, code=parcels[0].barcode, scan_id=scan_id
        ).replayed

    outcomes = race(resend, resend)

    assert sorted(outcomes) == [False, True], outcomes
    assert AcceptanceScan.objects.count() == 1
    assert ShipmentEvent.objects.filter(shipment=parcels[0]).count() == 1


@pytest.fixture
def tight_point():
    """A carriage whose point has exactly `n` free places, one per cell (the caller makes the cells)."""
    point = PickupPointFactory()
    carriage = load_delivery(point=point, parcels=6)
    operators = [operator_at(point) for _ in range(3)]
    acceptance = acceptance_open(actor=operators[0], carriage=carriage)
    return point, acceptance, operators, list(carriage.shipments.order_by("pk"))


def _auto_scan(acceptance, operator, parcel):
    return lambda: acceptance_scan(
        actor=operator, acceptance=acceptance, code=parcel.barcode, scan_id=uuid.uuid4(), auto_place=True
    )


def test_two_scans_racing_for_the_last_free_place_place_one_parcel(needs_file_database, tight_point) -> None:
    point, acceptance, (first, second, _), parcels = tight_point
    cell = CellFactory(point=point, address="A-01-1", size_class=SizeClass.XL, capacity=1)

    outcomes = race(_auto_scan(acceptance, first, parcels[0]), _auto_scan(acceptance, second, parcels[1]))

    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.placed for o in outcomes) == [False, True]
    assert [o.kind for o in outcomes] == [ScanOutcomeKind.ACCEPTED] * 2
    statuses = sorted(
        Shipment.objects.filter(pk__in=[parcels[0].pk, parcels[1].pk]).values_list("status", flat=True)
    )
    assert statuses == [Status.ACCEPTED, Status.STORED]
    cell.refresh_from_db()
    assert (cell.held, Shipment.objects.filter(cell=cell).count()) == (1, 1)


def test_scans_racing_for_cells_spread_over_the_free_ones(needs_file_database, tight_point) -> None:
    point, acceptance, operators, parcels = tight_point
    for n in range(3):
        CellFactory(point=point, address=f"A-01-{n + 1}", size_class=SizeClass.XL, capacity=1)

    outcomes = race(*(_auto_scan(acceptance, op, p) for op, p in zip(operators, parcels[:3], strict=True)))

    assert all(not isinstance(o, Exception) and o.placed for o in outcomes), outcomes
    assert sorted(o.cell.address for o in outcomes) == ["A-01-1", "A-01-2", "A-01-3"]
