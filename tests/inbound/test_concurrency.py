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
