"""Two hand-overs of the same return carriage at the same moment: exactly one happens."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.outbound.models import Dispatch
from pvz.outbound.services import (
    return_carriage_hand_over,
    return_parcel_scan,
    return_tote_scan,
    return_tote_seal,
)
from pvz.shipments.models import ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import operator_at
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_hand_overs_of_one_carriage_at_once_dispatch_once(needs_file_database, yard) -> None:
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%55500000001").dispatch_tote
    for _ in range(3):
        return_parcel_scan(
            actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=yard.waiting().barcode
        )
    return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk)
    code = Dispatch.objects.get(carriage=carriage).courier_code
    second = operator_at(yard.point)

    def hand_over(actor):
        def run():
            outcome = return_carriage_hand_over(actor=actor, carriage=carriage, courier_code=code)
            return outcome.code if isinstance(outcome, DomainError) else "done"

        return run

    outcomes = race(hand_over(yard.operator), hand_over(second))

    codes = sorted(o.code if isinstance(o, DomainError) else o for o in outcomes)
    assert codes == sorted(["done", ErrorCode.CARRIAGE_CLOSED]), outcomes
    assert ShipmentEvent.objects.filter(to_status=Status.DISPATCHED).count() == 3
