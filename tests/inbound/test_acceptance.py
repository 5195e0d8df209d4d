"""DOMAIN rule 7 and 9 at acceptance: one answer per scan, replay by scan_id, undo, damage, close, act."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.base import ContentFile

from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import (
    Acceptance,
    AcceptanceScan,
    AcceptanceStatus,
    CarriageStatus,
    ScanOutcomeKind,
    Tote,
    ToteStatus,
)
from pvz.inbound.selectors import acceptance_act, acceptance_progress, tote_balance
from pvz.inbound.services import (
    acceptance_close,
    acceptance_mark_damaged,
    acceptance_open,
    acceptance_scan,
    acceptance_undo_last,
    tote_send_back,
    tote_use_for_returns,
)
from pvz.network.models import CellKind
from pvz.notifications.models import Notification, NotificationStatus
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, ToteFactory, operator_at
from tests.fakes.photos import PNG
from tests.inbound.conftest import load_delivery

pytestmark = pytest.mark.django_db

K = ScanOutcomeKind


def scan(delivery, acceptance, code, *, auto=False, actor=None, scan_id=None):
    return acceptance_scan(
        actor=actor or delivery.operator,
        acceptance=acceptance,
        code=code,
        scan_id=scan_id or uuid.uuid4(),
        auto_place=auto,
    )


def status_of(shipment) -> str:
    return Shipment.objects.get(pk=shipment.pk).status


# ---- opening ----


def test_open_registers_arrival_and_a_second_open_joins_the_same_acceptance(delivery, clock) -> None:
    first = acceptance_open(actor=delivery.operator, carriage=delivery.carriage)
    second = acceptance_open(actor=operator_at(delivery.point), carriage=delivery.carriage)

    assert first == second
    assert Acceptance.objects.count() == 1
    delivery.carriage.refresh_from_db()
    assert delivery.carriage.status == CarriageStatus.ACCEPTING
    assert delivery.carriage.arrived_at == clock.now()


def test_only_one_open_acceptance_per_carriage_is_enforced_by_the_database(acceptance, clock) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Acceptance.objects.create(carriage=acceptance.carriage, opened_at=clock.now())


# ---- outcomes ----


def test_scanning_a_manifest_parcel_accepts_it_and_suggests_a_cell(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]

    outcome = scan(delivery, acceptance, parcel.barcode)

    assert outcome.kind == K.ACCEPTED
    assert status_of(parcel) == Status.ACCEPTED
    assert outcome.cell is not None and outcome.cell.address.startswith("A-01-")
    assert outcome.placed is False
    assert (outcome.progress.scanned, outcome.progress.expected) == (1, 6)
    assert ShipmentEvent.objects.filter(shipment=parcel).count() == 1


def test_auto_mode_places_the_parcel_and_queues_the_ready_notification(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]

    outcome = scan(delivery, acceptance, parcel.posting_number, auto=True)

    stored = Shipment.objects.get(pk=parcel.pk)
    assert outcome.kind == K.ACCEPTED and outcome.placed is True
    assert stored.status == Status.STORED and stored.cell == outcome.cell
    assert Notification.objects.filter(shipment=parcel).count() == 1


def test_auto_mode_without_a_free_cell_leaves_the_parcel_accepted(clock) -> None:
    point = PickupPointFactory()
    carriage = load_delivery(point=point)
    operator = operator_at(point)
    acceptance = acceptance_open(actor=operator, carriage=carriage)
    parcel = carriage.shipments.first()

    outcome = acceptance_scan(
        actor=operator, acceptance=acceptance, code=parcel.barcode, scan_id=uuid.uuid4(), auto_place=True
    )

    assert outcome.kind == K.ACCEPTED
    assert (outcome.cell, outcome.placed) == (None, False)
    assert status_of(parcel) == Status.ACCEPTED


def test_russian_layout_scan_finds_the_parcel(delivery, acceptance) -> None:
    parcel = next(s for s in delivery.shipments() if s.barcode.startswith("ii"))
    typed = parcel.barcode.replace("i", "ш")

    assert scan(delivery, acceptance, typed).kind == K.ACCEPTED


def test_scanning_the_same_parcel_again_is_already_accepted_and_harmless(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode, auto=True)

    again = scan(delivery, acceptance, parcel.barcode, auto=True)

    assert again.kind == K.ALREADY_ACCEPTED
    assert again.cell == Shipment.objects.get(pk=parcel.pk).cell
    assert ShipmentEvent.objects.filter(shipment=parcel).count() == 2  # ACCEPTED, STORED: nothing more
    assert again.progress.scanned == 1
    assert AcceptanceScan.objects.filter(acceptance=acceptance).count() == 2


def test_expected_parcel_of_another_carriage_is_surplus_accepted_and_flagged(delivery, acceptance) -> None:
    other = load_delivery(point=delivery.point, partner=delivery.partner, seed=99)
    stranger = other.shipments.first()

    outcome = scan(delivery, acceptance, stranger.barcode)

    assert outcome.kind == K.SURPLUS and outcome.flagged
    assert status_of(stranger) == Status.ACCEPTED
    assert (outcome.progress.scanned, outcome.progress.surplus) == (0, 1)


def test_shortage_from_an_earlier_carriage_is_surplus(delivery, acceptance) -> None:
    missing = ShipmentFactory(point=delivery.point, status=Status.SHORTAGE)

    outcome = scan(delivery, acceptance, missing.barcode)

    assert outcome.kind == K.SURPLUS
    assert status_of(missing) == Status.ACCEPTED


@pytest.mark.parametrize("status", [Status.STORED, Status.ISSUED, Status.AWAITING_DISPATCH])
def test_parcel_of_this_point_past_acceptance_is_already_accepted_and_unchanged(
    delivery, acceptance, status
) -> None:
    parcel = ShipmentFactory(point=delivery.point, status=status)

    outcome = scan(delivery, acceptance, parcel.barcode)

    assert outcome.kind == K.ALREADY_ACCEPTED
    assert status_of(parcel) == status
    assert not ShipmentEvent.objects.filter(shipment=parcel).exists()


def test_parcel_of_another_point_is_put_aside_and_nothing_changes(delivery, acceptance) -> None:
    foreign = ShipmentFactory(point=PickupPointFactory())

    outcome = scan(delivery, acceptance, foreign.barcode)

    assert outcome.kind == K.OTHER_POINT and outcome.flagged
    assert status_of(foreign) == Status.EXPECTED
    assert not ShipmentEvent.objects.filter(shipment=foreign).exists()


def test_unknown_code_is_recorded_and_changes_nothing(delivery, acceptance) -> None:
    outcome = scan(delivery, acceptance, "ii99999999999")

    assert outcome.kind == K.UNKNOWN
    assert outcome.scan.code == "ii99999999999"
    assert AcceptanceScan.objects.get().outcome == K.UNKNOWN
    assert not ShipmentEvent.objects.exists()


def test_empty_scan_is_refused_and_not_recorded(delivery, acceptance) -> None:
    with pytest.raises(DomainError) as error:
        scan(delivery, acceptance, " \t")
    assert error.value.code == ErrorCode.VALIDATION_FAILED
    assert not AcceptanceScan.objects.exists()


def test_tote_of_this_carriage_opens_with_its_expected_content(delivery, acceptance) -> None:
    line = delivery.lines()[0]
    tote = line.tote

    outcome = scan(delivery, acceptance, tote.barcode)

    expected = sorted(ln.shipment.posting_number for ln in delivery.lines() if ln.tote_id == tote.pk)
    assert outcome.kind == K.TOTE_OPENED
    assert [ln.shipment.posting_number for ln in outcome.tote_lines] == expected
    assert outcome.tote_progress.scanned == 0
    assert outcome.tote_progress.expected == len(expected)
    assert Tote.objects.get(pk=tote.pk).status == ToteStatus.FULL


def test_tote_of_another_carriage_is_flagged_and_changes_nothing(delivery, acceptance) -> None:
    other = load_delivery(point=delivery.point, partner=delivery.partner, seed=99)
    foreign_tote = other.manifest_totes.first().tote

    outcome = scan(delivery, acceptance, foreign_tote.barcode)

    assert outcome.kind == K.TOTE_OF_OTHER_CARRIAGE
    assert Tote.objects.get(pk=foreign_tote.pk).status == ToteStatus.IN_TRANSIT


def test_unknown_tote_code_is_unknown(delivery, acceptance) -> None:
    assert scan(delivery, acceptance, "%101%55555555555").kind == K.UNKNOWN


# ---- idempotency ----


def test_replayed_scan_id_returns_the_first_outcome_and_writes_nothing(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan_id = uuid.uuid4()
    first = scan(delivery, acceptance, parcel.barcode, auto=True, scan_id=scan_id)
    events = ShipmentEvent.objects.count()

    again = scan(delivery, acceptance, parcel.barcode, auto=True, scan_id=scan_id)

    assert again.replayed is True
    assert (again.kind, again.cell, again.scan.pk) == (first.kind, first.cell, first.scan.pk)
    assert ShipmentEvent.objects.count() == events
    assert AcceptanceScan.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("change", ["code", "mode"])
def test_same_scan_id_with_another_code_or_mode_is_a_mismatch(delivery, acceptance, change) -> None:
    first, second = delivery.shipments()[:2]
    scan_id = uuid.uuid4()
    scan(delivery, acceptance, first.barcode, scan_id=scan_id)

    with pytest.raises(DomainError) as error:
        code = second.barcode if change == "code" else first.barcode
        scan(delivery, acceptance, code, auto=change == "mode", scan_id=scan_id)

    assert error.value.code == ErrorCode.IDEMPOTENCY_MISMATCH
    assert status_of(second) == Status.EXPECTED
    assert AcceptanceScan.objects.count() == 1


# ---- undo ----


def test_undo_returns_an_auto_placed_parcel_to_expected_and_withdraws_its_sms(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode, auto=True)

    result = acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)

    undone = Shipment.objects.get(pk=parcel.pk)
    assert (undone.status, undone.cell) == (Status.EXPECTED, None)
    assert result.notification_already_sent is False
    assert result.progress.scanned == 0
    notification = Notification.objects.get(shipment=parcel)
    assert notification.status == NotificationStatus.WITHDRAWN
    assert [
        (e.from_status, e.to_status, e.reason) for e in ShipmentEvent.objects.filter(shipment=parcel)
    ] == [
        (Status.EXPECTED, Status.ACCEPTED, "acceptance_scan"),
        (Status.ACCEPTED, Status.STORED, "placed"),
        (Status.STORED, Status.ACCEPTED, "undo"),
        (Status.ACCEPTED, Status.EXPECTED, "undo"),
    ]
    # Scanned again, it is accepted and notified afresh.
    scan(delivery, acceptance, parcel.barcode, auto=True)
    assert Notification.objects.filter(shipment=parcel, status=NotificationStatus.PENDING).count() == 1


def test_undo_reports_an_sms_that_already_went_out(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode, auto=True)
    Notification.objects.filter(shipment=parcel).update(status=NotificationStatus.SENT)

    result = acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)

    assert result.notification_already_sent is True
    assert Notification.objects.get(shipment=parcel).status == NotificationStatus.SENT


def test_undo_of_surplus_from_shortage_goes_back_to_shortage(delivery, acceptance) -> None:
    missing = ShipmentFactory(point=delivery.point, status=Status.SHORTAGE)
    scan(delivery, acceptance, missing.barcode)

    acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)

    assert status_of(missing) == Status.SHORTAGE


def test_undo_takes_only_the_callers_own_last_scan(delivery, acceptance) -> None:
    mine, theirs = delivery.shipments()[:2]
    colleague = operator_at(delivery.point)
    scan(delivery, acceptance, mine.barcode)
    scan(delivery, acceptance, theirs.barcode, actor=colleague)

    acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)

    assert (status_of(mine), status_of(theirs)) == (Status.EXPECTED, Status.ACCEPTED)
    with pytest.raises(DomainError) as error:
        acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)
    assert error.value.code == ErrorCode.NOTHING_TO_UNDO


def test_undo_of_an_unknown_scan_only_strikes_it_out(delivery, acceptance) -> None:
    scan(delivery, acceptance, "nonsense-code")

    result = acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)

    assert result.scan.undone_at is not None
    assert not ShipmentEvent.objects.exists()


# ---- damage ----


def test_damaged_after_auto_placement_goes_to_inspection_with_note_and_photo(
    delivery, acceptance, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    inspection = CellFactory(point=delivery.point, address="Z-01-1", kind=CellKind.INSPECTION)
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode, auto=True)

    damage = acceptance_mark_damaged(
        actor=delivery.operator,
        acceptance=acceptance,
        shipment=parcel,
        note="  Мокрая коробка  ",
        photo=ContentFile(PNG, name="evil.php"),
    )

    damaged = Shipment.objects.get(pk=parcel.pk)
    assert (damaged.status, damaged.cell) == (Status.DAMAGED, inspection)
    assert damage.note == "Мокрая коробка"
    assert damage.photo.name.startswith(f"private/acceptance-damage/{acceptance.pk}/")
    assert damage.photo.name.endswith(".png")
    assert Notification.objects.get(shipment=parcel).status == NotificationStatus.WITHDRAWN
    with pytest.raises(DomainError) as error:
        acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)
    assert error.value.code == ErrorCode.CONFLICT


def test_damage_needs_a_parcel_accepted_in_this_acceptance(delivery, acceptance) -> None:
    with pytest.raises(DomainError) as error:
        acceptance_mark_damaged(
            actor=delivery.operator, acceptance=acceptance, shipment=delivery.shipments()[0], note="вмятина"
        )
    assert error.value.code == ErrorCode.INVALID_TRANSITION


def test_damage_needs_a_note(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode)
    with pytest.raises(DomainError):
        acceptance_mark_damaged(actor=delivery.operator, acceptance=acceptance, shipment=parcel, note=" ")
    assert status_of(parcel) == Status.ACCEPTED


# ---- close and act ----


def test_close_marks_exactly_the_unscanned_expected_as_shortage_one_event_each(delivery, acceptance) -> None:
    parcels = delivery.shipments()
    scanned, unscanned = parcels[:4], parcels[4:]
    for parcel in scanned[:2]:
        scan(delivery, acceptance, parcel.barcode, auto=True)
    for parcel in scanned[2:]:
        scan(delivery, acceptance, parcel.barcode)
    elsewhere = ShipmentFactory(point=delivery.point)  # expected, but not on this carriage

    acceptance_close(actor=delivery.operator, acceptance=acceptance)

    assert [status_of(p) for p in unscanned] == [Status.SHORTAGE, Status.SHORTAGE]
    assert [status_of(p) for p in scanned] == [Status.STORED] * 2 + [Status.ACCEPTED] * 2
    assert status_of(elsewhere) == Status.EXPECTED
    for parcel in unscanned:
        assert ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.SHORTAGE).count() == 1
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.CLOSED
    assert acceptance.carriage.status == CarriageStatus.CLOSED


def test_act_lists_every_discrepancy_exactly(delivery, acceptance, clock) -> None:
    delivery.operator.full_name = "Анна Петрова"
    delivery.operator.save()
    colleague = operator_at(delivery.point)
    colleague.full_name = "Иван Сидоров"
    colleague.save()
    parcels = delivery.shipments()
    for parcel in parcels[:4]:
        scan(delivery, acceptance, parcel.barcode)
    surplus = ShipmentFactory(point=delivery.point, status=Status.SHORTAGE)
    scan(delivery, acceptance, surplus.barcode, actor=colleague)
    foreign = ShipmentFactory(point=PickupPointFactory())
    scan(delivery, acceptance, foreign.barcode)
    scan(delivery, acceptance, foreign.barcode)  # twice: listed once
    acceptance_mark_damaged(
        actor=delivery.operator, acceptance=acceptance, shipment=parcels[0], note="вмятина"
    )
    clock.advance(minutes=20)

    act = acceptance_close(actor=colleague, acceptance=acceptance)

    assert act.carriage_number == delivery.carriage.number
    assert act.partner_code == delivery.partner.code
    assert act.closed_at == clock.now()
    assert act.operators == ("Анна Петрова", "Иван Сидоров")
    assert sorted(line.posting_number for line in act.shortage) == sorted(
        p.posting_number for p in parcels[4:]
    )
    assert [line.posting_number for line in act.surplus] == [surplus.posting_number]
    assert [(line.posting_number, line.note) for line in act.damaged] == [
        (parcels[0].posting_number, "вмятина")
    ]
    assert [(line.posting_number, line.barcode) for line in act.other_point] == [
        (foreign.posting_number, foreign.barcode)
    ]
    assert act.counts == {
        "expected": 6,
        "accepted": 4,
        "shortage": 2,
        "surplus": 1,
        "damaged": 1,
        "other_point": 1,
        "surplus_without_data": 0,
    }
    assert acceptance_act(acceptance=Acceptance.objects.get(pk=acceptance.pk)) == act


def test_closing_twice_is_harmless_and_returns_the_same_act(delivery, acceptance, clock) -> None:
    first = acceptance_close(actor=delivery.operator, acceptance=acceptance)
    events = ShipmentEvent.objects.count()
    clock.advance(hours=1)

    again = acceptance_close(actor=delivery.operator, acceptance=acceptance)

    assert again == first
    assert ShipmentEvent.objects.count() == events


def test_closed_acceptance_refuses_scans_undo_and_damage_and_cannot_reopen(delivery, acceptance) -> None:
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode)
    acceptance_close(actor=delivery.operator, acceptance=acceptance)

    for action in (
        lambda: scan(delivery, acceptance, delivery.shipments()[1].barcode),
        lambda: acceptance_undo_last(actor=delivery.operator, acceptance=acceptance),
        lambda: acceptance_mark_damaged(
            actor=delivery.operator, acceptance=acceptance, shipment=parcel, note="x"
        ),
        lambda: acceptance_open(actor=delivery.operator, carriage=delivery.carriage),
    ):
        with pytest.raises(DomainError) as error:
            action()
        assert error.value.code == ErrorCode.ACCEPTANCE_CLOSED


def test_act_of_an_open_acceptance_is_not_available_yet(acceptance) -> None:
    with pytest.raises(DomainError):
        acceptance_act(acceptance=acceptance)


# ---- totes ----


def test_tote_lifecycle_full_emptied_reopened_by_undo_then_used_and_sent_back(delivery, acceptance) -> None:
    tote = delivery.lines()[0].tote
    content = [ln.shipment for ln in delivery.lines() if ln.tote_id == tote.pk]
    scan(delivery, acceptance, tote.barcode)
    for parcel in content:
        scan(delivery, acceptance, parcel.barcode)
    assert Tote.objects.get(pk=tote.pk).status == ToteStatus.EMPTY

    acceptance_undo_last(actor=delivery.operator, acceptance=acceptance)
    assert Tote.objects.get(pk=tote.pk).status == ToteStatus.FULL
    scan(delivery, acceptance, content[-1].barcode)
    assert Tote.objects.get(pk=tote.pk).status == ToteStatus.EMPTY

    acceptance_close(actor=delivery.operator, acceptance=acceptance)
    tote_use_for_returns(actor=delivery.operator, tote=tote, point=delivery.point)
    assert tote_balance(point=delivery.point)[ToteStatus.RETURNS] == 1
    tote_send_back(actor=delivery.operator, tote=tote, point=delivery.point)
    assert Tote.objects.get(pk=tote.pk).status == ToteStatus.SENT_BACK
    assert tote_balance(point=delivery.point)[ToteStatus.SENT_BACK] == 0


def test_parcel_scanned_without_its_tote_marks_the_tote_arrived(delivery, acceptance) -> None:
    line = delivery.lines()[0]

    scan(delivery, acceptance, line.shipment.barcode)

    assert Tote.objects.get(pk=line.tote_id).status == ToteStatus.FULL
    progress = acceptance_progress(acceptance=acceptance)
    tote = next(t for t in progress.totes if t.tote_id == line.tote_id)
    assert tote.scanned == 1


def test_close_empties_arrived_totes_and_leaves_unseen_ones_in_transit(delivery, acceptance) -> None:
    lines = delivery.lines()
    seen = lines[0].tote
    unseen = next(ln.tote for ln in lines if ln.tote_id != seen.pk)
    scan(delivery, acceptance, seen.barcode)

    acceptance_close(actor=delivery.operator, acceptance=acceptance)

    assert Tote.objects.get(pk=seen.pk).status == ToteStatus.EMPTY
    assert Tote.objects.get(pk=unseen.pk).status == ToteStatus.IN_TRANSIT
    balance = tote_balance(point=delivery.point)
    assert (balance[ToteStatus.EMPTY], balance[ToteStatus.IN_TRANSIT]) == (1, 1)


def test_full_tote_cannot_be_sent_back(delivery, acceptance) -> None:
    tote = delivery.lines()[0].tote
    scan(delivery, acceptance, tote.barcode)
    with pytest.raises(DomainError) as error:
        tote_send_back(actor=delivery.operator, tote=tote, point=delivery.point)
    assert error.value.code == ErrorCode.INVALID_TRANSITION
    stray = ToteFactory()
    with pytest.raises(DomainError):
        tote_use_for_returns(actor=delivery.operator, tote=stray, point=delivery.point)


# ---- live progress ----


def test_every_scan_pushes_progress_to_the_point_after_commit(
    delivery, acceptance, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    pushed = []
    monkeypatch.setattr(
        "pvz.inbound.services.acceptances.point_changed", lambda point_id, **kw: pushed.append((point_id, kw))
    )
    with django_capture_on_commit_callbacks(execute=True):
        scan(delivery, acceptance, delivery.shipments()[0].barcode)

    point_id, message = pushed[-1]
    assert point_id == delivery.point.pk
    assert message["topic"] == "acceptance"
    assert (message["data"]["scanned"], message["data"]["expected"]) == (1, 6)
    assert message["data"]["last"]["outcome"] == K.ACCEPTED
