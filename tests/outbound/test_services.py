"""Return carriages: what goes in (DOMAIN rule 6), sealing, empty totes and the all-or-nothing hand-over."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.accounts.models import SmsMessage
from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import CarriageStatus, Tote, ToteStatus
from pvz.outbound.models import ConfirmMethod, Dispatch, DispatchLine, DispatchTote
from pvz.outbound.services import (
    return_carriage_create,
    return_carriage_hand_over,
    return_empty_tote_add,
    return_parcel_remove,
    return_parcel_scan,
    return_tote_scan,
    return_tote_seal,
)
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def code_of(carriage) -> str:
    return Dispatch.objects.get(carriage=carriage).courier_code


def wrong_code(carriage) -> str:
    return f"{(int(code_of(carriage)) + 1) % 1_000_000:06d}"


def error_of(action) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    return caught.value


def filled(yard, parcels: int = 2, seal: str = "PL1234"):
    """A carriage with one sealed tote holding `parcels` waiting parcels."""
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%55500000001").dispatch_tote
    shipments = [yard.waiting() for _ in range(parcels)]
    for shipment in shipments:
        return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=shipment.barcode)
    return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number=seal)
    return carriage, tote, shipments


# ---- create -------------------------------------------------------------------------------------------


def test_create_generates_a_number_and_a_6_digit_courier_code_sent_to_the_courier(
    yard, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"
    with django_capture_on_commit_callbacks(execute=True):
        carriage = yard.carriage(courier_phone="8 (916) 555-01-01")

    assert carriage.number == "RET-20261127-001"
    assert (carriage.flow, carriage.status) == ("return", CarriageStatus.PLANNED)
    code = code_of(carriage)
    assert len(code) == 6 and code.isdigit()
    message = SmsMessage.objects.get()
    assert message.phone == "+79165550101"
    assert code in message.text and "RET-20261127-001" in message.text


def test_a_second_open_carriage_for_the_same_partner_is_a_conflict(yard) -> None:
    first = yard.carriage()

    error = error_of(yard.carriage)

    assert error.code == ErrorCode.CONFLICT
    assert error.details["carriage_id"] == first.pk


def test_create_for_a_partner_not_at_the_point_is_not_found(yard) -> None:
    stranger = PartnerFactory()
    error = error_of(
        lambda: return_carriage_create(actor=yard.operator, point=yard.point, partner_id=stranger.pk)
    )
    assert error.code == ErrorCode.NOT_FOUND


# ---- totes --------------------------------------------------------------------------------------------


def test_an_empty_tote_of_the_point_becomes_a_returns_tote(yard) -> None:
    carriage = yard.carriage()
    tote = yard.empty_tote("%101%12345678901")

    scan = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%12345678901")

    assert (scan.created, scan.registered) == (True, False)
    tote.refresh_from_db()
    assert (tote.status, tote.point_id) == (ToteStatus.RETURNS, yard.point.pk)


def test_an_unknown_tote_barcode_is_registered_at_the_point(yard) -> None:
    carriage = yard.carriage()

    scan = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%99900000001")

    assert scan.registered is True
    tote = Tote.objects.get(barcode="%101%99900000001")
    assert (tote.partner_id, tote.point_id, tote.status) == (
        yard.partner.pk,
        yard.point.pk,
        ToteStatus.RETURNS,
    )


def test_the_same_tote_scanned_again_is_harmless(yard) -> None:
    carriage = yard.carriage()
    first = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%99900000001")

    again = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%99900000001")

    assert again.created is False and again.dispatch_tote.pk == first.dispatch_tote.pk
    assert DispatchTote.objects.count() == 1


def test_a_tote_that_is_not_empty_is_refused(yard) -> None:
    carriage = yard.carriage()
    Tote.objects.create(
        partner=yard.partner, barcode="%101%77700000001", point=yard.point, status=ToteStatus.FULL
    )

    error = error_of(
        lambda: return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%77700000001")
    )

    assert error.code == ErrorCode.INVALID_TRANSITION
    assert DispatchTote.objects.count() == 0


def test_a_code_that_is_not_a_tote_is_refused_as_a_tote(yard) -> None:
    carriage = yard.carriage()
    error = error_of(lambda: return_tote_scan(actor=yard.operator, carriage=carriage, code="ii11807135000"))
    assert error.code == ErrorCode.VALIDATION_FAILED


def test_empty_totes_going_back_must_be_empty_totes_of_this_point(yard) -> None:
    carriage = yard.carriage()
    yard.empty_tote("%101%10000000001")
    yard.empty_tote("%101%10000000002", point=PickupPointFactory())

    added = return_empty_tote_add(actor=yard.operator, carriage=carriage, code="%101%10000000001")
    again = return_empty_tote_add(actor=yard.operator, carriage=carriage, code="%101%10000000001")
    elsewhere = error_of(
        lambda: return_empty_tote_add(actor=yard.operator, carriage=carriage, code="%101%10000000002")
    )
    unknown = error_of(
        lambda: return_empty_tote_add(actor=yard.operator, carriage=carriage, code="%101%10000000003")
    )

    assert (added.created, again.created) == (True, False)
    assert Tote.objects.get(barcode="%101%10000000001").status == ToteStatus.EMPTY
    assert (elsewhere.code, unknown.code) == (ErrorCode.NOT_FOUND, ErrorCode.NOT_FOUND)


# ---- parcels: DOMAIN rule 6 ---------------------------------------------------------------------------


@pytest.fixture
def open_tote(yard):
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%55500000001").dispatch_tote
    return carriage, tote


def scan(yard, open_tote, shipment):
    carriage, tote = open_tote
    return return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=shipment.barcode)


def test_a_waiting_parcel_of_the_partner_goes_into_the_tote_by_barcode_in_russian_layout(
    yard, open_tote
) -> None:
    carriage, tote = open_tote
    parcel = yard.waiting()
    typed = parcel.barcode.replace("ii", "шш")

    result = return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=typed)

    assert result.created is True
    assert (result.line.shipment_id, result.line.tote_id) == (parcel.pk, tote.pk)
    parcel.refresh_from_db()
    assert parcel.status == Status.AWAITING_DISPATCH  # changes only at the hand-over
    assert ShipmentEvent.objects.filter(shipment=parcel).count() == 0


def test_a_stored_parcel_at_its_exact_deadline_is_storage_not_expired(yard, open_tote, clock) -> None:
    cell = CellFactory(point=yard.point)
    parcel = ShipmentFactory(
        point=yard.point, partner=yard.partner, status=Status.STORED, cell=cell, storage_deadline=clock.now()
    )

    assert scan_error(yard, open_tote, parcel) == ErrorCode.STORAGE_NOT_EXPIRED


def test_a_stored_parcel_one_microsecond_past_its_deadline_must_go_to_the_return_zone_first(
    yard, open_tote, clock
) -> None:
    cell = CellFactory(point=yard.point)
    parcel = ShipmentFactory(
        point=yard.point,
        partner=yard.partner,
        status=Status.STORED,
        cell=cell,
        storage_deadline=clock.now() - dt.timedelta(microseconds=1),
    )

    assert scan_error(yard, open_tote, parcel) == ErrorCode.INVALID_TRANSITION


def scan_error(yard, open_tote, parcel) -> ErrorCode:
    error = error_of(lambda: scan(yard, open_tote, parcel))
    assert DispatchLine.objects.count() == 0
    return error.code


def test_an_issued_parcel_is_already_issued(yard, open_tote) -> None:
    parcel = ShipmentFactory(point=yard.point, partner=yard.partner, status=Status.ISSUED)
    assert scan_error(yard, open_tote, parcel) == ErrorCode.ALREADY_ISSUED


def test_a_refused_parcel_not_yet_in_the_return_zone_is_an_invalid_transition(yard, open_tote) -> None:
    parcel = ShipmentFactory(point=yard.point, partner=yard.partner, status=Status.REFUSED)
    assert scan_error(yard, open_tote, parcel) == ErrorCode.INVALID_TRANSITION


def test_a_parcel_of_another_partner_is_wrong_partner(yard, open_tote) -> None:
    parcel = yard.waiting(partner=PartnerFactory())
    assert scan_error(yard, open_tote, parcel) == ErrorCode.WRONG_PARTNER


def test_a_parcel_of_another_point_is_not_found(yard, open_tote) -> None:
    parcel = yard.waiting(point=PickupPointFactory())
    assert scan_error(yard, open_tote, parcel) == ErrorCode.NOT_FOUND


def test_a_double_scan_is_harmless_and_adds_one_line(yard, open_tote) -> None:
    parcel = yard.waiting()
    scan(yard, open_tote, parcel)

    again = scan(yard, open_tote, parcel)

    assert again.created is False
    assert DispatchLine.objects.count() == 1


def test_a_parcel_in_another_open_carriage_is_a_conflict(yard, open_tote) -> None:
    parcel = yard.waiting()
    scan(yard, open_tote, parcel)
    # Another point's carriage cannot see the parcel, so "another carriage" is one of a second partner
    # view of the same point: the line's carriage is simply not this one.
    other_partner = PartnerFactory()
    yard.point.partners.add(other_partner)
    other = return_carriage_create(actor=yard.operator, point=yard.point, partner_id=other_partner.pk)
    other_tote = return_tote_scan(actor=yard.operator, carriage=other, code="%101%55500000009").dispatch_tote
    Shipment.objects.filter(pk=parcel.pk).update(partner=other_partner)

    error = error_of(
        lambda: return_parcel_scan(
            actor=yard.operator, carriage=other, tote_id=other_tote.pk, code=parcel.barcode
        )
    )

    assert error.code == ErrorCode.CONFLICT
    assert DispatchLine.objects.count() == 1


def test_a_parcel_is_removed_before_sealing_but_not_after(yard, open_tote) -> None:
    carriage, tote = open_tote
    kept, removed = yard.waiting(), yard.waiting()
    scan(yard, open_tote, kept)
    scan(yard, open_tote, removed)

    return_parcel_remove(actor=yard.operator, carriage=carriage, shipment_id=removed.pk)
    return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk)
    error = error_of(
        lambda: return_parcel_remove(actor=yard.operator, carriage=carriage, shipment_id=kept.pk)
    )

    assert error.code == ErrorCode.TOTE_SEALED
    assert list(DispatchLine.objects.values_list("shipment_id", flat=True)) == [kept.pk]


def test_a_sealed_tote_takes_no_more_parcels(yard, open_tote) -> None:
    carriage, tote = open_tote
    sealed = return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="ab12cd")

    assert sealed.seal_number == "AB12CD" and sealed.sealed_at is not None
    assert scan_error(yard, open_tote, yard.waiting()) == ErrorCode.TOTE_SEALED


def test_sealing_again_with_another_number_is_a_conflict_and_a_bad_number_is_refused(yard, open_tote) -> None:
    carriage, tote = open_tote
    return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="AB12")

    same = return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="ab12")
    other = error_of(
        lambda: return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="ZZ99")
    )
    bad = error_of(
        lambda: return_tote_seal(actor=yard.operator, carriage=carriage, tote_id=tote.pk, seal_number="A1")
    )

    assert same.seal_number == "AB12"
    assert (other.code, bad.code) == (ErrorCode.CONFLICT, ErrorCode.VALIDATION_FAILED)


# ---- hand-over ----------------------------------------------------------------------------------------


def test_hand_over_with_the_courier_code_dispatches_everything_and_closes_the_carriage(yard, clock) -> None:
    carriage, _tote, parcels = filled(yard)
    empty = yard.empty_tote("%101%10000000001")
    return_empty_tote_add(actor=yard.operator, carriage=carriage, code=empty.barcode)
    clock.advance(minutes=30)

    dispatch = return_carriage_hand_over(
        actor=yard.operator, carriage=carriage, courier_code=code_of(carriage)
    )

    assert isinstance(dispatch, Dispatch)
    for parcel in parcels:
        parcel.refresh_from_db()
        assert (parcel.status, parcel.cell_id) == (Status.DISPATCHED, None)
        event = ShipmentEvent.objects.get(shipment=parcel)
        assert (event.from_status, event.to_status, event.reason, event.actor_id) == (
            Status.AWAITING_DISPATCH,
            Status.DISPATCHED,
            "handed_to_courier",
            yard.operator.pk,
        )
        assert event.details == {"carriage": carriage.number, "tote": "%101%55500000001"}
        assert event.at == clock.now()
    for barcode in ("%101%55500000001", "%101%10000000001"):
        assert Tote.objects.filter(barcode=barcode).values_list("status", "point").get() == (
            ToteStatus.SENT_BACK,
            None,
        )
    carriage.refresh_from_db()
    assert (carriage.status, carriage.closed_at) == (CarriageStatus.CLOSED, clock.now())
    act = dispatch.act
    assert act["method"] == ConfirmMethod.CODE
    assert act["counts"] == {"parcels": 2, "totes": 1, "empty_totes": 1}
    assert act["totes"] == [
        {
            "barcode": "%101%55500000001",
            "seal_number": "PL1234",
            "parcels": [{"posting_number": p.posting_number, "barcode": p.barcode} for p in parcels],
        }
    ]
    assert act["empty_totes"] == ["%101%10000000001"]
    assert act["handed_over_at"] == "2026-11-27T10:30:00+03:00"
    assert act["operator"] == yard.operator.full_name


def test_hand_over_is_all_or_nothing_when_a_parcel_changed_meanwhile(yard) -> None:
    carriage, _tote, (good, lost) = filled(yard)
    shipment_transition(actor=yard.operator, shipment_id=lost.pk, to_status=Status.LOST)

    error = error_of(
        lambda: return_carriage_hand_over(
            actor=yard.operator, carriage=carriage, courier_code=code_of(carriage)
        )
    )

    assert error.code == ErrorCode.HANDOVER_BLOCKED
    assert [(p["posting_number"], p["status"]) for p in error.details["problems"]] == [
        (lost.posting_number, Status.LOST)
    ]
    good.refresh_from_db()
    assert good.status == Status.AWAITING_DISPATCH
    assert not ShipmentEvent.objects.filter(to_status=Status.DISPATCHED).exists()
    assert Tote.objects.get(barcode="%101%55500000001").status == ToteStatus.RETURNS
    carriage.refresh_from_db()
    assert carriage.status == CarriageStatus.PLANNED
    assert Dispatch.objects.get(carriage=carriage).code_attempts == 0


def test_an_unsealed_tote_blocks_the_hand_over(yard) -> None:
    carriage = yard.carriage()
    tote = return_tote_scan(actor=yard.operator, carriage=carriage, code="%101%55500000001").dispatch_tote
    return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code=yard.waiting().barcode)

    error = error_of(
        lambda: return_carriage_hand_over(
            actor=yard.operator, carriage=carriage, courier_code=code_of(carriage)
        )
    )

    assert error.code == ErrorCode.HANDOVER_BLOCKED
    assert [p["code"] for p in error.details["problems"]] == ["TOTE_NOT_SEALED"]


def test_a_wrong_courier_code_is_counted_and_changes_nothing(yard) -> None:
    carriage, _tote, parcels = filled(yard)

    refusal = return_carriage_hand_over(
        actor=yard.operator, carriage=carriage, courier_code=wrong_code(carriage)
    )

    assert isinstance(refusal, DomainError)
    assert (refusal.code, refusal.details) == (ErrorCode.CODE_INVALID, {"attempts_left": 4})
    assert Dispatch.objects.get(carriage=carriage).code_attempts == 1
    assert {p.status for p in Shipment.objects.filter(pk__in=[p.pk for p in parcels])} == {
        Status.AWAITING_DISPATCH
    }


def test_the_fifth_wrong_code_exhausts_it_and_then_even_the_right_one_fails_but_a_signature_works(
    yard,
) -> None:
    carriage, _tote, parcels = filled(yard)
    refusals = [
        return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=wrong_code(carriage))
        for _ in range(5)
    ]
    right = return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code_of(carriage))

    assert [r.code for r in refusals] == [ErrorCode.CODE_INVALID] * 4 + [ErrorCode.CODE_EXHAUSTED]
    assert isinstance(right, DomainError) and right.code == ErrorCode.CODE_EXHAUSTED
    assert Dispatch.objects.get(carriage=carriage).code_attempts == 5

    dispatch = return_carriage_hand_over(
        actor=yard.operator,
        carriage=carriage,
        courier_name="Петров Пётр",
        signature=SimpleUploadedFile("s.png", PNG, content_type="image/png"),
    )

    assert isinstance(dispatch, Dispatch)
    assert (dispatch.method, dispatch.courier_name) == (ConfirmMethod.SIGNATURE, "Петров Пётр")
    assert dispatch.signature.name.startswith(f"private/dispatch-signatures/{carriage.pk}/")
    assert dispatch.signature.read() == PNG
    assert dispatch.act["courier_name"] == "Петров Пётр"
    assert {p.status for p in Shipment.objects.filter(pk__in=[p.pk for p in parcels])} == {Status.DISPATCHED}


def test_a_signature_that_is_not_a_png_or_has_no_name_is_refused(yard) -> None:
    carriage, _tote, _parcels = filled(yard)
    jpeg = SimpleUploadedFile("s.png", b"\xff\xd8\xff" + b"\x00" * 20)

    not_png = error_of(
        lambda: return_carriage_hand_over(
            actor=yard.operator, carriage=carriage, courier_name="Пётр", signature=jpeg
        )
    )
    no_name = error_of(
        lambda: return_carriage_hand_over(
            actor=yard.operator, carriage=carriage, courier_name=" ", signature=io.BytesIO(PNG)
        )
    )

    assert (not_png.details["field"], no_name.details["field"]) == ("signature", "courier_name")
    carriage.refresh_from_db()
    assert carriage.status == CarriageStatus.PLANNED


def test_a_carriage_handed_over_takes_nothing_more(yard) -> None:
    carriage, tote, _parcels = filled(yard)
    return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code_of(carriage))

    again = error_of(
        lambda: return_carriage_hand_over(
            actor=yard.operator, carriage=carriage, courier_code=code_of(carriage)
        )
    )
    scan_more = error_of(
        lambda: return_parcel_scan(actor=yard.operator, carriage=carriage, tote_id=tote.pk, code="ii1")
    )

    assert (again.code, scan_more.code) == (ErrorCode.CARRIAGE_CLOSED, ErrorCode.CARRIAGE_CLOSED)
    assert ShipmentEvent.objects.filter(to_status=Status.DISPATCHED).count() == 2
