"""Finishing an issue session: taken → ISSUED, refused → REFUSED in the return zone, blocking checks that
change nothing, and per-parcel results for parcels that stopped being issuable (DOMAIN rules 3 and 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError
from pvz.counter.models import IdDocument, IssueLine, IssueSession, LineResult, SessionStatus, Verification
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services import (
    line_record_id_check,
    line_record_payment,
    line_refuse,
    session_cancel,
    session_finish,
    session_scan,
    session_set_bags,
)
from pvz.network.models import CellKind
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def scan(counter, session, parcel):
    return session_scan(actor=counter.operator, session=session, code=parcel.barcode).line


def status_of(parcel) -> str:
    return Shipment.objects.get(pk=parcel.pk).status


def finish_error(counter, session) -> DomainError:
    with pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)
    return error.value


def test_taken_parcels_are_issued_out_of_their_cells_with_one_event_each(
    counter, clock, django_capture_on_commit_callbacks
) -> None:
    first, second = counter.stored(), counter.stored(cell="B-01-1")
    session = counter.session()
    scan(counter, session, first)
    scan(counter, session, second)
    clock.advance(minutes=2)

    with django_capture_on_commit_callbacks() as pushes:
        result = session_finish(actor=counter.operator, session=session)

    assert [o.result for o in result.lines] == [LineResult.ISSUED, LineResult.ISSUED]
    for parcel in (first, second):
        shipment = Shipment.objects.get(pk=parcel.pk)
        assert (shipment.status, shipment.cell) == (Status.ISSUED, None)
        events = ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.ISSUED)
        assert [(e.actor, e.reason, e.idempotency_key, e.at) for e in events] == [
            (counter.operator, "issued", f"issue:{session.pk}:{parcel.pk}", clock.now())
        ]
    stored = IssueSession.objects.get(pk=session.pk)
    assert (stored.status, stored.finished_at, stored.finished_by) == (
        SessionStatus.FINISHED,
        clock.now(),
        counter.operator,
    )
    assert (stored.issued_count, stored.refused_count) == (2, 0)
    assert len(pushes) == 1  # one live push for the whole finish


def test_refused_parcel_goes_to_the_return_zone_with_its_reason_event(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    line = scan(counter, session, parcel)
    reason = refusal_reasons_for(partner=counter.partner)[0]
    line_refuse(actor=counter.operator, session=session, line_id=line.pk, reason_id=reason.pk)

    result = session_finish(actor=counter.operator, session=session)

    shipment = Shipment.objects.select_related("cell").get(pk=parcel.pk)
    assert shipment.status == Status.REFUSED
    assert shipment.cell is not None and shipment.cell.kind == CellKind.RETURN_ZONE
    assert shipment.cell.point_id == counter.point.pk
    event = ShipmentEvent.objects.get(shipment=parcel, to_status=Status.REFUSED)
    assert (event.reason, event.cell, event.details["refusal"]) == (
        "refused:wrong_size",
        shipment.cell,
        "Не подошёл размер",
    )
    assert [o.result for o in result.lines] == [LineResult.REFUSED]
    assert IssueSession.objects.get(pk=session.pk).refused_count == 1


def test_unscanned_parcels_of_the_customer_stay_stored(counter) -> None:
    taken, left = counter.stored(), counter.stored()
    session = counter.session()
    scan(counter, session, taken)

    session_finish(actor=counter.operator, session=session)

    assert status_of(left) == Status.STORED
    assert not ShipmentEvent.objects.filter(shipment=left).exclude(to_status=Status.STORED).exists()


def test_mixed_session_issues_the_valid_parcel_and_refuses_the_wrong_ones_at_the_scan(counter, clock) -> None:
    good = counter.stored()
    theirs = counter.stored(customer=CustomerFactory())
    also_good = counter.stored()
    session = counter.session()
    expired = counter.stored()
    Shipment.objects.filter(pk=expired.pk).update(storage_deadline=clock.now() - dt.timedelta(microseconds=1))

    scan(counter, session, good)
    scan(counter, session, also_good)
    codes = []
    for parcel in (theirs, expired):
        with pytest.raises(DomainError) as error:
            session_scan(actor=counter.operator, session=session, code=parcel.barcode)
        codes.append(error.value.code)
    result = session_finish(actor=counter.operator, session=session)

    assert codes == ["WRONG_CUSTOMER", "STORAGE_EXPIRED"]
    assert [(o.shipment.pk, o.result) for o in result.lines] == [
        (good.pk, LineResult.ISSUED),
        (also_good.pk, LineResult.ISSUED),
    ]
    assert (status_of(theirs), status_of(expired)) == (Status.STORED, Status.STORED)


def test_parcel_expired_since_its_scan_fails_alone_while_the_rest_are_issued(counter, clock) -> None:
    early = counter.stored()
    clock.advance(days=1)
    later = counter.stored()
    session = counter.session()
    scan(counter, session, early)
    scan(counter, session, later)
    deadline = Shipment.objects.get(pk=early.pk).storage_deadline
    assert deadline is not None

    clock.set(
        deadline + dt.timedelta(microseconds=1)
    )  # midnight passed while the customer was at the counter
    result = session_finish(actor=counter.operator, session=session)

    outcome = {o.shipment.pk: (o.result, o.error.code if o.error else None) for o in result.lines}
    assert outcome == {early.pk: (LineResult.FAILED, "STORAGE_EXPIRED"), later.pk: (LineResult.ISSUED, None)}
    assert (status_of(early), status_of(later)) == (Status.STORED, Status.ISSUED)
    assert IssueLine.objects.get(shipment=early).result_code == "STORAGE_EXPIRED"


def test_finish_at_the_deadline_instant_issues(counter, clock) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(counter, session, parcel)
    clock.set(Shipment.objects.get(pk=parcel.pk).storage_deadline)

    assert session_finish(actor=counter.operator, session=session).lines[0].result == LineResult.ISSUED


def test_parcel_issued_elsewhere_since_its_scan_gets_already_issued(counter) -> None:
    parcel, other = counter.stored(), counter.stored()
    session = counter.session()
    scan(counter, session, parcel)
    scan(counter, session, other)
    shipment_transition(actor=None, shipment_id=parcel.pk, to_status=Status.ISSUED)

    result = session_finish(actor=counter.operator, session=session)

    assert {o.shipment.pk: o.result for o in result.lines} == {
        parcel.pk: LineResult.FAILED,
        other.pk: LineResult.ISSUED,
    }
    assert ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.ISSUED).count() == 1


def test_unverified_session_cannot_finish_and_nothing_changes(counter) -> None:
    parcel = counter.stored()
    session = counter.session(Verification.NONE)
    scan(counter, session, parcel)

    assert finish_error(counter, session).code == "VERIFICATION_REQUIRED"
    assert status_of(parcel) == Status.STORED
    assert IssueSession.objects.get(pk=session.pk).status == SessionStatus.OPEN


def test_missing_id_check_and_payment_block_the_finish_with_every_line_listed(counter) -> None:
    counter.partner.id_check_threshold_kop = 50_000_00
    counter.partner.save()
    flagged = counter.stored(id_check_required=True)
    valuable = counter.stored(declared_value_kop=50_000_00)
    cheap = counter.stored(declared_value_kop=49_999_99)
    unpaid = counter.stored(amount_due_kop=1_500_00)
    session = counter.session()
    lines = {p.pk: scan(counter, session, p) for p in (flagged, valuable, cheap, unpaid)}
    events_before = ShipmentEvent.objects.count()

    error = finish_error(counter, session)

    assert error.code == "ID_CHECK_REQUIRED"
    assert sorted((row["line_id"], row["code"]) for row in error.details["lines"]) == sorted(
        [
            (lines[flagged.pk].pk, "ID_CHECK_REQUIRED"),
            (lines[valuable.pk].pk, "ID_CHECK_REQUIRED"),
            (lines[unpaid.pk].pk, "PAYMENT_REQUIRED"),
        ]
    )
    assert ShipmentEvent.objects.count() == events_before
    assert set(Shipment.objects.filter(pk__in=lines).values_list("status", flat=True)) == {Status.STORED}
    assert IssueSession.objects.get(pk=session.pk).status == SessionStatus.OPEN

    for parcel in (flagged, valuable):
        line_record_id_check(
            actor=counter.operator,
            session=session,
            line_id=lines[parcel.pk].pk,
            document=IdDocument.PASSPORT_RF,
            last4="1234",
        )
    assert finish_error(counter, session).code == "PAYMENT_REQUIRED"

    paid = line_record_payment(
        actor=counter.operator, session=session, line_id=lines[unpaid.pk].pk, method="cash", cash_kop=2_000_00
    )
    assert paid.change_kop == 500_00
    result = session_finish(actor=counter.operator, session=session)
    assert [o.result for o in result.lines] == [LineResult.ISSUED] * 4


def test_a_refused_line_needs_neither_id_check_nor_payment(counter) -> None:
    parcel = counter.stored(id_check_required=True, amount_due_kop=100)
    session = counter.session()
    line = scan(counter, session, parcel)
    reason = refusal_reasons_for(partner=counter.partner)[-1]
    line_refuse(actor=counter.operator, session=session, line_id=line.pk, reason_id=reason.pk)

    assert session_finish(actor=counter.operator, session=session).lines[0].result == LineResult.REFUSED


def test_id_check_keeps_only_type_and_4_digits(counter) -> None:
    parcel = counter.stored(id_check_required=True)
    session = counter.session()
    line = scan(counter, session, parcel)

    for document, last4 in (("passport_rf", "12345"), ("passport_rf", "12a4"), ("library_card", "1234")):
        with pytest.raises(DomainError) as error:
            line_record_id_check(
                actor=counter.operator, session=session, line_id=line.pk, document=document, last4=last4
            )
        assert error.value.code == "VALIDATION_FAILED"
    checked = line_record_id_check(
        actor=counter.operator, session=session, line_id=line.pk, document="driver_license", last4="0042"
    )

    assert (checked.id_document, checked.id_last4) == ("driver_license", "0042")


def test_payment_rules_cash_at_least_due_card_needs_reference_recorded_once(counter) -> None:
    parcel = counter.stored(amount_due_kop=1_000_00)
    free = counter.stored()
    session = counter.session()
    line = scan(counter, session, parcel)
    free_line = scan(counter, session, free)

    def pay(line_id, **kw):
        return line_record_payment(actor=counter.operator, session=session, line_id=line_id, **kw)

    for line_id, kw in (
        (line.pk, {"method": "cash", "cash_kop": 999_99}),
        (line.pk, {"method": "card", "reference": "  "}),
        (line.pk, {"method": "crypto"}),
        (free_line.pk, {"method": "cash", "cash_kop": 100}),
    ):
        with pytest.raises(DomainError) as error:
            pay(line_id, **kw)
        assert error.value.code == "VALIDATION_FAILED", kw

    exact = pay(line.pk, method="cash", cash_kop=1_000_00)
    assert (exact.change_kop, exact.line.paid_kop) == (0, 1_000_00)
    with pytest.raises(DomainError) as error:
        pay(line.pk, method="card", reference="RRN123")
    assert error.value.code == "CONFLICT"


def test_cancel_changes_no_parcel_and_closes_the_session(counter, clock) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(counter, session, parcel)
    events_before = ShipmentEvent.objects.count()

    cancelled = session_cancel(actor=counter.operator, session=session)

    assert (cancelled.status, cancelled.finished_at) == (SessionStatus.CANCELLED, clock.now())
    assert status_of(parcel) == Status.STORED
    assert ShipmentEvent.objects.count() == events_before
    with pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)
    assert error.value.code == "SESSION_CLOSED"


def test_finished_session_cannot_be_finished_again(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(counter, session, parcel)
    session_finish(actor=counter.operator, session=session)

    assert finish_error(counter, session).code == "SESSION_CLOSED"
    assert ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.ISSUED).count() == 1


def test_empty_session_cannot_finish(counter) -> None:
    assert finish_error(counter, counter.session()).code == "VALIDATION_FAILED"


def test_bags_are_counted_between_0_and_50(counter) -> None:
    session = counter.session()

    assert session_set_bags(actor=counter.operator, session=session, count=50).bags == 50
    with pytest.raises(DomainError):
        session_set_bags(actor=counter.operator, session=session, count=51)
    assert IssueSession.objects.get(pk=session.pk).bags == 50
