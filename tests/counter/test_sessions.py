"""Issue sessions: opening, the customer card, the fetch list, and scanning parcels in (DOMAIN rule 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError
from pvz.counter.models import IssueLine, IssueSession, LineState, SessionStatus, Verification
from pvz.counter.selectors import customer_card, fetch_list, refusal_reasons_for, sessions_open
from pvz.counter.services import (
    line_inspect,
    line_refuse,
    line_take,
    session_cancel,
    session_open,
    session_scan,
)
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.counter.conftest import stored_parcel
from tests.factories import CustomerFactory, OrderFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db

EN_TO_RU = str.maketrans("i", "ш")


def scan_error(session, code: str) -> str:
    with pytest.raises(DomainError) as error:
        session_scan(actor=session.opened_by, session=session, code=code)
    return str(error.value.code)


def test_opening_again_for_the_same_customer_returns_the_open_session(counter) -> None:
    first = counter.session(Verification.NONE)
    other_operator = operator_at(counter.point)

    again = session_open(actor=other_operator, point=counter.point, customer=counter.customer)

    assert again.pk == first.pk
    assert again.opened_by == counter.operator
    assert IssueSession.objects.count() == 1


def test_a_verified_opening_verifies_the_open_session_once(counter, clock) -> None:
    found_by_search = counter.session(Verification.NONE)
    assert not found_by_search.is_verified

    clock.advance(seconds=5)
    verified = session_open(
        actor=counter.operator, point=counter.point, customer=counter.customer, verification=Verification.QR
    )
    clock.advance(seconds=5)
    again = session_open(
        actor=counter.operator, point=counter.point, customer=counter.customer, verification=Verification.SMS
    )

    assert verified.pk == found_by_search.pk == again.pk
    assert (again.verification, again.verified_at) == (
        Verification.QR,
        found_by_search.opened_at + dt.timedelta(seconds=5),
    )


def test_several_customers_sessions_are_open_at_one_point(counter) -> None:
    first = counter.session()
    second = session_open(actor=operator_at(counter.point), point=counter.point, customer=CustomerFactory())

    assert [s.pk for s in sessions_open(point=counter.point)] == [first.pk, second.pk]


def test_a_closed_session_does_not_stop_a_new_one(counter) -> None:
    first = counter.session()
    session_cancel(actor=counter.operator, session=first)

    second = counter.session()

    assert second.pk != first.pk
    assert IssueSession.objects.get(pk=first.pk).status == SessionStatus.CANCELLED


def test_card_tabs_ready_here_in_transit_elsewhere_and_done(counter, clock) -> None:
    ready_b = counter.stored(cell="B-01-1")
    ready_a = counter.stored(cell="A-01-2")
    other_point = PickupPointFactory(name="ПВЗ на Арбате")
    at_other = stored_parcel(other_point, counter.customer, partner=counter.partner, cell="A-01-1")
    coming = ShipmentFactory(point=counter.point, order=OrderFactory(customer=counter.customer))
    issued = counter.stored()
    shipment_transition(actor=None, shipment_id=issued.pk, to_status=Status.ISSUED)
    someone_elses = counter.stored(customer=CustomerFactory())

    card = customer_card(point=counter.point, customer=counter.customer, now=clock.now())

    assert [s.pk for s in card.ready] == [ready_a.pk, ready_b.pk]
    assert {(p.shipment.pk, p.point_name) for p in card.in_transit} == {
        (at_other.pk, "ПВЗ на Арбате"),
        (coming.pk, None),
    }
    assert [s.pk for s in card.done] == [issued.pk]
    assert someone_elses.pk not in {s.pk for s in card.ready}


def test_fetch_list_groups_unscanned_ready_parcels_by_cell_address(counter) -> None:
    b = counter.stored(cell="B-01-1")
    a1 = counter.stored(cell="A-01-1")
    a2 = counter.stored(cell="A-01-1")
    scanned = counter.stored(cell="A-01-2")
    session = counter.session()
    session_scan(actor=counter.operator, session=session, code=scanned.barcode)

    cells = fetch_list(session=session)

    assert [(c.address, sorted(s.pk for s in c.shipments)) for c in cells] == [
        ("A-01-1", sorted([a1.pk, a2.pk])),
        ("B-01-1", [b.pk]),
    ]


def test_scan_records_the_line_and_the_first_scan_time_once(counter, clock) -> None:
    first, second = counter.stored(), counter.stored()
    session = counter.session()
    clock.advance(seconds=10)
    scanned_at = clock.now()

    outcome = session_scan(actor=counter.operator, session=session, code=first.barcode.translate(EN_TO_RU))
    clock.advance(seconds=10)
    session_scan(actor=counter.operator, session=session, code=second.posting_number)

    assert outcome.created and outcome.line.shipment_id == first.pk
    assert outcome.line.scanned_at == scanned_at
    assert IssueSession.objects.get(pk=session.pk).first_scan_at == scanned_at


def test_scanning_the_same_parcel_again_is_a_no_op(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    first = session_scan(actor=counter.operator, session=session, code=parcel.barcode)

    again = session_scan(actor=counter.operator, session=session, code=parcel.posting_number)

    assert (again.created, again.line.pk) == (False, first.line.pk)
    assert IssueLine.objects.count() == 1


def test_another_customers_parcel_is_refused_at_the_scan(counter) -> None:
    mine = counter.stored()
    theirs = counter.stored(customer=CustomerFactory())
    session = counter.session()
    session_scan(actor=counter.operator, session=session, code=mine.barcode)

    assert scan_error(session, theirs.barcode) == "WRONG_CUSTOMER"
    assert list(IssueLine.objects.values_list("shipment_id", flat=True)) == [mine.pk]


def test_parcel_of_another_point_or_unknown_is_not_found(counter) -> None:
    elsewhere = stored_parcel(PickupPointFactory(), counter.customer, partner=counter.partner, cell="A-01-1")
    session = counter.session()

    assert scan_error(session, elsewhere.barcode) == "NOT_FOUND"
    assert scan_error(session, "ii99999999999") == "NOT_FOUND"
    assert not IssueLine.objects.exists()


def test_issued_parcel_is_already_issued(counter) -> None:
    parcel = counter.stored()
    shipment_transition(actor=None, shipment_id=parcel.pk, to_status=Status.ISSUED)

    assert scan_error(counter.session(), parcel.barcode) == "ALREADY_ISSUED"


def test_scan_at_the_deadline_instant_is_allowed_one_microsecond_later_storage_expired(
    counter, clock
) -> None:
    on_time, late = counter.stored(), counter.stored()
    deadline = Shipment.objects.get(pk=on_time.pk).storage_deadline
    assert deadline is not None
    session = counter.session()

    clock.set(deadline)
    assert session_scan(actor=counter.operator, session=session, code=on_time.barcode).created
    clock.set(deadline + dt.timedelta(microseconds=1))
    assert scan_error(session, late.barcode) == "STORAGE_EXPIRED"


def test_expired_status_is_storage_expired_and_unplaced_parcel_is_not_ready(counter) -> None:
    expired = counter.stored()
    shipment_transition(actor=None, shipment_id=expired.pk, to_status=Status.EXPIRED)
    accepted = ShipmentFactory(
        point=counter.point, order=OrderFactory(customer=counter.customer), status=Status.ACCEPTED
    )
    session = counter.session()

    assert scan_error(session, expired.barcode) == "STORAGE_EXPIRED"
    assert scan_error(session, accepted.barcode) == "INVALID_TRANSITION"


def test_parcel_in_another_open_session_is_a_conflict_naming_its_operator(counter, clock) -> None:
    parcel = counter.stored()
    # A line left in another customer's open session (e.g. before a customer merge): the scan must not
    # take the parcel from under that counter.
    other = session_open(actor=operator_at(counter.point), point=counter.point, customer=CustomerFactory())
    IssueLine.objects.create(
        session=other, shipment=parcel, scanned_at=clock.now(), scanned_by=other.opened_by
    )

    with pytest.raises(DomainError) as error:
        session_scan(actor=counter.operator, session=counter.session(), code=parcel.barcode)

    assert error.value.code == "CONFLICT"
    assert error.value.details["operator"] == str(other.opened_by)


def test_command_barcode_is_not_taken_for_a_parcel(counter) -> None:
    with pytest.raises(DomainError) as error:
        session_scan(actor=counter.operator, session=counter.session(), code="№АШТШЫР")

    assert error.value.details["command"] == "finish"


def test_inspect_refuse_and_take_back(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    line = session_scan(actor=counter.operator, session=session, code=parcel.barcode).line
    reason = refusal_reasons_for(partner=counter.partner)[0]

    assert (
        line_inspect(actor=counter.operator, session=session, line_id=line.pk).state == LineState.INSPECTING
    )
    refused = line_refuse(
        actor=counter.operator, session=session, line_id=line.pk, reason_id=reason.pk, note="мал"
    )
    assert (refused.state, refused.refusal_reason, refused.refusal_note) == (LineState.REFUSED, reason, "мал")
    taken = line_take(actor=counter.operator, session=session, line_id=line.pk)
    assert (taken.state, taken.refusal_reason, taken.refusal_note) == (LineState.TAKEN, None, "")


def test_default_refusal_reasons_are_seeded_and_a_partner_list_replaces_them(counter) -> None:
    from pvz.counter.models import RefusalReason

    assert [r.title for r in refusal_reasons_for(partner=counter.partner)] == [
        "Не подошёл размер",
        "Не понравился товар",
        "Брак / повреждение",
        "Не соответствует описанию",
        "Передумал",
    ]
    own = RefusalReason.objects.create(partner=counter.partner, code="late", title="Опоздала доставка")

    assert refusal_reasons_for(partner=counter.partner) == [own]


def test_refusal_reason_of_another_partner_is_refused(counter) -> None:
    from pvz.counter.models import RefusalReason
    from tests.factories import PartnerFactory

    foreign = RefusalReason.objects.create(partner=PartnerFactory(), code="x", title="Чужая")
    parcel = counter.stored()
    session = counter.session()
    line = session_scan(actor=counter.operator, session=session, code=parcel.barcode).line

    with pytest.raises(DomainError) as error:
        line_refuse(actor=counter.operator, session=session, line_id=line.pk, reason_id=foreign.pk)

    assert error.value.code == "VALIDATION_FAILED"
    assert IssueLine.objects.get(pk=line.pk).state == LineState.TAKEN
