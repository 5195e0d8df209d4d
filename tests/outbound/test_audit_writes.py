"""Return carriages: creation, each tote's seal, a refused courier code and the hand-over leave one audit
record each; parcel scans stay out of the chain; refusals (DomainError) leave none."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import Tote, ToteStatus
from pvz.outbound.models import Dispatch
from pvz.outbound.services import (
    return_carriage_create,
    return_carriage_hand_over,
    return_parcel_scan,
    return_tote_scan,
    return_tote_seal,
)
from tests.audit.records import no_new_records, the_record

pytestmark = pytest.mark.django_db

TOTE = "%101%55500000001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def code_of(carriage) -> str:
    return Dispatch.objects.get(carriage=carriage).courier_code


def filled(yard, parcels: int = 2):
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code=TOTE).dispatch_tote
    for _ in range(parcels):
        return_parcel_scan(
            actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=yard.waiting().barcode
        )
    return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="PL1234")
    return carriage, tote


def test_creation_is_one_record_without_the_courier_code_or_phone(yard) -> None:
    carriage = yard.carriage(courier_phone="+79990001122")

    record = the_record("dispatch.created", actor=yard.operator, point_id=yard.point.pk, obj=carriage)
    assert record.details == {"number": carriage.number, "partner": yard.partner.pk, "code_texted": True}
    assert code_of(carriage) not in str(record.details)


def test_a_second_open_carriage_records_nothing(yard) -> None:
    yard.carriage()

    with no_new_records(), pytest.raises(DomainError) as error:
        return_carriage_create(actor=yard.operator, point=yard.point, partner_id=yard.partner.pk)
    assert error.value.code == ErrorCode.CONFLICT


def test_parcel_scans_write_no_chained_record(yard) -> None:
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code=TOTE).dispatch_tote

    with no_new_records():
        for _ in range(3):
            return_parcel_scan(
                actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=yard.waiting().barcode
            )


def test_sealing_a_tote_is_one_record_and_sealing_it_again_none(yard) -> None:
    carriage, row = filled(yard)
    with no_new_records():
        return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=row.pk, seal_number="PL1234")
    with no_new_records(), pytest.raises(DomainError) as error:
        return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=row.pk, seal_number="PL9999")
    assert error.value.code == ErrorCode.CONFLICT

    record = the_record("dispatch.tote_sealed", actor=yard.operator, point_id=yard.point.pk, obj=row.tote)
    assert record.details == {
        "carriage": carriage.pk,
        "number": carriage.number,
        "tote": TOTE,
        "seal": "PL1234",
    }


def test_a_wrong_courier_code_is_one_record_of_the_refusal_without_the_code(yard) -> None:
    carriage, _row = filled(yard)
    wrong = f"{(int(code_of(carriage)) + 1) % 1_000_000:06d}"

    refusal = return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=wrong)

    assert isinstance(refusal, DomainError)
    record = the_record("dispatch.code_refused", actor=yard.operator, point_id=yard.point.pk, obj=carriage)
    assert record.details == {"number": carriage.number, "error": "CODE_INVALID", "attempts": 1}
    assert not AuditRecord.objects.filter(action="dispatch.handed_over").exists()


def test_hand_over_is_one_record_with_its_counts_and_each_tote_sent_back_one_move(yard) -> None:
    carriage, row = filled(yard)

    dispatch = return_carriage_hand_over(
        actor=yard.operator,
        carriage=carriage,
        courier_name="Петров Пётр",
        signature=SimpleUploadedFile("s.png", PNG, content_type="image/png"),
    )

    assert isinstance(dispatch, Dispatch)
    record = the_record("dispatch.handed_over", actor=yard.operator, point_id=yard.point.pk, obj=carriage)
    assert record.details == {"number": carriage.number, "method": "signature", "parcels": 2, "totes": 1}
    assert "Петров" not in str(record.details)
    moves = AuditRecord.objects.filter(action="tote.moved").order_by("seq")
    assert [m.details["to"] for m in moves] == [ToteStatus.RETURNS, ToteStatus.SENT_BACK]
    assert Tote.objects.get(pk=row.tote_id).status == ToteStatus.SENT_BACK


def test_a_blocked_hand_over_records_nothing(yard) -> None:
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code=TOTE).dispatch_tote
    return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=yard.waiting().barcode)

    with no_new_records(), pytest.raises(DomainError) as error:
        return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code_of(carriage))
    assert error.value.code == ErrorCode.HANDOVER_BLOCKED
