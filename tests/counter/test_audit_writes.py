"""Issue sessions: opening, verifying, each refusal, each ID check, the finish and a cancel leave one audit
record each (never the document's digits, card references or the customer's phone or name); parcel scans
stay out of the chain; refusals (DomainError) leave none."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import IdDocument, Verification
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services import (
    line_record_id_check,
    line_record_payment,
    line_refuse,
    line_refuse_last,
    session_cancel,
    session_finish,
    session_open,
    session_scan,
)
from tests.audit.records import no_new_records, the_record

pytestmark = pytest.mark.django_db


def scan(counter, session, parcel):
    return session_scan(actor=counter.operator, session=session, code=parcel.barcode).line


def test_opening_is_one_record_and_joining_the_open_session_none(counter) -> None:
    session = counter.session(Verification.NONE)
    with no_new_records():
        counter.session(Verification.NONE)

    record = the_record("issue.opened", actor=counter.operator, point_id=counter.point.pk, obj=session)
    assert record.details == {"customer": counter.customer.pk, "verification": "none"}


def test_verifying_an_open_session_is_one_record_and_verifying_again_none(counter) -> None:
    session = counter.session(Verification.NONE)

    session_open(
        actor=counter.operator, point=counter.point, customer=counter.customer, verification=Verification.QR
    )
    with no_new_records():
        counter.session(Verification.PICKUP_CODE)

    record = the_record("issue.verified", actor=counter.operator, point_id=counter.point.pk, obj=session)
    assert record.details == {"customer": counter.customer.pk, "verification": "qr"}


def test_parcel_scans_write_no_chained_record(counter) -> None:
    session = counter.session()
    parcels = [counter.stored(), counter.stored()]

    with no_new_records():
        for parcel in parcels:
            scan(counter, session, parcel)


def test_a_refusal_is_one_record_on_the_parcel_with_its_reason_code(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    line = scan(counter, session, parcel)
    reason = refusal_reasons_for(partner=counter.partner)[0]

    line_refuse(
        actor=counter.operator, session=session, line_id=line.pk, reason_id=reason.pk, note="Не подошло"
    )

    record = the_record("issue.refused", actor=counter.operator, point_id=counter.point.pk, obj=parcel)
    assert record.details == {"session": session.pk, "reason": reason.code}


def test_a_refusal_by_command_barcode_is_one_record_and_an_unknown_reason_none(counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(counter, session, parcel)

    with no_new_records(), pytest.raises(DomainError) as error:
        line_refuse_last(actor=counter.operator, session=session, number=99)
    assert error.value.code == ErrorCode.VALIDATION_FAILED
    line_refuse_last(actor=counter.operator, session=session, number=1)

    the_record("issue.refused", actor=counter.operator, point_id=counter.point.pk, obj=parcel)


def test_an_id_check_is_one_record_with_the_document_type_only(counter) -> None:
    parcel = counter.stored(id_check_required=True)
    session = counter.session()
    line = scan(counter, session, parcel)

    with no_new_records(), pytest.raises(DomainError):
        line_record_id_check(
            actor=counter.operator, session=session, line_id=line.pk, document="passport_rf", last4="12"
        )
    line_record_id_check(
        actor=counter.operator,
        session=session,
        line_id=line.pk,
        document=IdDocument.PASSPORT_RF,
        last4="4321",
    )

    record = the_record("issue.id_checked", actor=counter.operator, point_id=counter.point.pk, obj=parcel)
    assert record.details == {"session": session.pk, "document": IdDocument.PASSPORT_RF}
    assert "4321" not in str(record.details)


def test_the_finish_is_one_record_with_counts_and_payment_kinds(counter) -> None:
    paid, refused = counter.stored(amount_due_kop=100_00), counter.stored(cell="B-01-1")
    session = counter.session()
    paid_line, refused_line = scan(counter, session, paid), scan(counter, session, refused)
    line_record_payment(
        actor=counter.operator, session=session, line_id=paid_line.pk, method="card", reference="RRN-0042"
    )
    reason = refusal_reasons_for(partner=counter.partner)[0]
    line_refuse(actor=counter.operator, session=session, line_id=refused_line.pk, reason_id=reason.pk)

    session_finish(actor=counter.operator, session=session)

    record = the_record("issue.finished", actor=counter.operator, point_id=counter.point.pk, obj=session)
    assert record.details == {"issued": 1, "refused": 1, "failed": 0, "payment": ["card"]}
    assert "RRN" not in str(record.details)


def test_a_refused_finish_records_nothing(counter) -> None:
    session = counter.session(Verification.NONE)
    scan(counter, session, counter.stored())

    with no_new_records(), pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)
    assert error.value.code == ErrorCode.VERIFICATION_REQUIRED


def test_a_cancel_is_one_record_and_cancelling_a_closed_session_none(counter) -> None:
    session = counter.session()

    session_cancel(actor=counter.operator, session=session)
    with no_new_records(), pytest.raises(DomainError) as error:
        session_cancel(actor=counter.operator, session=session)
    assert error.value.code == ErrorCode.SESSION_CLOSED

    the_record("issue.cancelled", actor=counter.operator, point_id=counter.point.pk, obj=session)
