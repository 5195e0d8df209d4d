"""DOMAIN rule 9 at the counter: two operators finishing, or scanning, the same parcel at the same moment."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError
from pvz.counter.models import IssueLine, IssueSession, SessionStatus
from pvz.counter.services import session_finish, session_open, session_scan
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import operator_at
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_counters_finishing_one_customers_parcels_issue_each_exactly_once(
    needs_file_database, counter
) -> None:
    parcels = [counter.stored(), counter.stored(cell="B-01-1")]
    second_operator = operator_at(counter.point)
    session = counter.session()
    # The second counter opens the same customer's session: it joins the first one.
    joined = session_open(actor=second_operator, point=counter.point, customer=counter.customer)
    assert joined.pk == session.pk
    for parcel in parcels:
        session_scan(actor=counter.operator, session=session, code=parcel.barcode)

    outcomes = race(
        lambda: session_finish(actor=counter.operator, session=session),
        lambda: session_finish(actor=second_operator, session=joined),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], DomainError) and errors[0].code == "SESSION_CLOSED"
    for parcel in parcels:
        assert ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.ISSUED).count() == 1
        assert Shipment.objects.get(pk=parcel.pk).status == Status.ISSUED
    assert IssueSession.objects.get(pk=session.pk).status == SessionStatus.FINISHED


def test_two_counters_scanning_one_parcel_at_once_record_it_once(needs_file_database, counter) -> None:
    parcel = counter.stored()
    second_operator = operator_at(counter.point)
    session = counter.session()
    joined = session_open(actor=second_operator, point=counter.point, customer=counter.customer)

    outcomes = race(
        lambda: session_scan(actor=counter.operator, session=session, code=parcel.barcode).created,
        lambda: session_scan(actor=second_operator, session=joined, code=parcel.posting_number).created,
    )

    assert sorted(outcomes) == [False, True], outcomes
    assert IssueLine.objects.filter(shipment=parcel).count() == 1


def test_two_counters_opening_one_customers_session_at_once_get_the_same_one(
    needs_file_database, counter
) -> None:
    operators = [counter.operator, operator_at(counter.point)]

    outcomes = race(
        *(
            (lambda op=op: session_open(actor=op, point=counter.point, customer=counter.customer).pk)
            for op in operators
        )
    )

    assert len(set(outcomes)) == 1, outcomes
    assert IssueSession.objects.filter(customer=counter.customer, status=SessionStatus.OPEN).count() == 1
