"""Inventory counts: classification of each scan, the missing list at the finish, scope, and replays."""

from __future__ import annotations

import uuid

import pytest

from pvz.cells.services import cell_retire
from pvz.core.errors import DomainError, ErrorCode
from pvz.inventory.models import CountStatus, InventoryMissing, InventoryScan, ScanOutcome, UnknownReason
from pvz.inventory.selectors import count_progress, missing_parcels
from pvz.inventory.services import (
    inventory_cancel,
    inventory_finish,
    inventory_scan,
    inventory_start,
)
from pvz.network.models import SizeClass
from pvz.shipments.models import EventKind, ShipmentEvent
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory
from tests.inventory.conftest import cell_scan, fresh, parcel_scan, stored

pytestmark = pytest.mark.django_db

Out = ScanOutcome


def code_of(error: pytest.ExceptionInfo[DomainError]) -> ErrorCode:
    return error.value.code


# ---- the issue's acceptance test ----


def test_inventory_finds_a_misplaced_and_a_missing_parcel(shop, clock) -> None:
    on_its_place = stored(shop.point, shop.a1)
    misplaced = stored(shop.point, shop.a2)  # the records say A-01-2; it actually lies in A-01-1
    missing = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)

    cell_scan(count, shop.operator, "A-01-1")
    assert parcel_scan(count, shop.operator, on_its_place.barcode).outcome == Out.FOUND
    answer = parcel_scan(count, shop.operator, misplaced.barcode)
    cell_scan(count, shop.operator, "A-01-2")

    assert answer.outcome == Out.MISPLACED
    assert answer.scan.from_cell == shop.a2 and answer.scan.moved is True
    assert fresh(misplaced).cell == shop.a1
    assert [line.shipment.pk for line in missing_parcels(count=count)] == [missing.pk]

    report = inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[missing.pk])

    assert report.counts == {"found": 1, "misplaced": 1, "moved": 1, "missing": 1, "lost": 1, "unknown": 0}
    assert [(line.posting_number, line.from_cell, line.cell) for line in report.misplaced] == [
        (misplaced.posting_number, "A-01-2", "A-01-1")
    ]
    assert [(line.posting_number, line.cell, line.confirmed) for line in report.missing] == [
        (missing.posting_number, "A-01-2", True)
    ]
    assert fresh(missing).status == Status.LOST
    assert fresh(on_its_place).status == Status.STORED


# ---- starting ----


def test_one_open_count_per_point_a_second_start_is_conflict(shop) -> None:
    first = inventory_start(actor=shop.manager, point=shop.point, zone="A")

    with pytest.raises(DomainError) as error:
        inventory_start(actor=shop.manager, point=shop.point)

    assert code_of(error) == ErrorCode.CONFLICT
    assert error.value.details == {"inventory_id": first.pk}
    # Another point is not affected, and after the finish this point may start again.
    inventory_start(actor=shop.manager, point=PickupPointFactory())
    inventory_finish(actor=shop.manager, count=first)
    assert inventory_start(actor=shop.manager, point=shop.point).status == CountStatus.OPEN


def test_start_takes_a_zone_in_any_layout_and_refuses_a_zone_without_cells(shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point, zone="ф")  # the A key, Russian layout
    assert count.zone == "A"
    inventory_cancel(actor=shop.manager, count=count)

    with pytest.raises(DomainError) as error:
        inventory_start(actor=shop.manager, point=shop.point, zone="C")

    assert code_of(error) == ErrorCode.VALIDATION_FAILED and error.value.details["zone"] == "C"


# ---- cell scans ----


def test_a_parcel_scan_before_any_cell_scan_is_refused_and_not_recorded(shop) -> None:
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)

    with pytest.raises(DomainError) as error:
        parcel_scan(count, shop.operator, parcel.barcode)

    assert code_of(error) == ErrorCode.NO_CURRENT_CELL
    assert InventoryScan.objects.count() == 0


def test_the_current_cell_is_per_operator_and_layout_is_fixed(shop) -> None:
    in_a1 = stored(shop.point, shop.a1, barcode="ii11807135000")
    count = inventory_start(actor=shop.manager, point=shop.point)

    cell_scan(count, shop.operator, "ф-01-1")  # A-01-1 typed with a Russian layout
    cell_scan(count, shop.manager, "A-01-2")
    answer = parcel_scan(count, shop.operator, "шш11807135000")

    assert answer.cell == shop.a1 and answer.outcome == Out.FOUND and answer.scan.shipment == in_a1


def test_a_retired_cell_another_points_cell_and_an_out_of_zone_cell_are_refused(shop) -> None:
    retired = CellFactory(point=shop.point, address="A-09-1")
    cell_retire(actor=shop.manager, cell=retired)
    CellFactory(point=PickupPointFactory(), address="A-07-1")
    count = inventory_start(actor=shop.manager, point=shop.point, zone="A")

    refusals = {}
    for code in ("A-09-1", "A-07-1", "B-01-1"):
        with pytest.raises(DomainError) as error:
            cell_scan(count, shop.operator, code)
        refusals[code] = code_of(error)

    assert refusals == {
        "A-09-1": ErrorCode.CELL_RETIRED,
        "A-07-1": ErrorCode.NOT_FOUND,
        "B-01-1": ErrorCode.CELL_OUT_OF_SCOPE,
    }
    assert InventoryScan.objects.count() == 0


# ---- parcel scans ----


def test_misplaced_parcel_is_moved_into_the_scanned_cell_with_one_move_event(shop) -> None:
    parcel = stored(shop.point, shop.b1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-2")

    answer = parcel_scan(count, shop.operator, parcel.posting_number)

    assert answer.outcome == Out.MISPLACED and answer.scan.moved is True
    assert fresh(parcel).cell == shop.a2 and fresh(parcel).status == Status.STORED
    move = ShipmentEvent.objects.filter(shipment=parcel, kind=EventKind.MOVE).get()
    assert (move.actor, move.reason, move.cell, move.details) == (
        shop.operator,
        "inventory",
        shop.a2,
        {"from_cell": "B-01-1"},
    )
    assert move.idempotency_key == f"inventory:{answer.scan.scan_id}"


def test_misplaced_parcel_that_cannot_go_into_the_cell_is_reported_and_stays(shop) -> None:
    small = CellFactory(point=shop.point, address="A-02-1", size_class=SizeClass.S, capacity=5)
    big = stored(shop.point, shop.a1, size_class=SizeClass.L)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, small.address)

    answer = parcel_scan(count, shop.operator, big.barcode)

    assert answer.outcome == Out.MISPLACED and answer.scan.moved is False
    assert answer.scan.problem_code == ErrorCode.CELL_TOO_SMALL
    assert fresh(big).cell == shop.a1
    assert ShipmentEvent.objects.filter(shipment=big, kind=EventKind.MOVE).count() == 0
    # It was seen, so it is not missing from the cell the records still give.
    assert missing_parcels(count=count) == []


def test_unknown_codes_foreign_parcels_and_parcels_not_on_a_shelf(shop) -> None:
    elsewhere = PickupPointFactory()
    foreign = stored(elsewhere, CellFactory(point=elsewhere))
    issued = stored(shop.point, shop.a1)
    shipment_transition(actor=None, shipment_id=issued.pk, to_status=Status.ISSUED)
    waiting = ShipmentFactory(point=shop.point, status=Status.ACCEPTED)  # accepted, not placed yet
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")

    answers = [parcel_scan(count, shop.operator, c) for c in ("nope-123", foreign.barcode, issued.barcode)]
    answers.append(parcel_scan(count, shop.operator, waiting.barcode))

    assert [(a.outcome, a.scan.reason) for a in answers] == [
        (Out.UNKNOWN, UnknownReason.NOT_FOUND),
        (Out.UNKNOWN, UnknownReason.OTHER_POINT),
        (Out.UNKNOWN, UnknownReason.OFF_SHELF_STATUS),
        (Out.UNKNOWN, UnknownReason.NOT_PLACED),
    ]
    # Another point's parcel is kept only as its code.
    assert answers[1].scan.shipment is None and answers[1].scan.code == foreign.barcode
    assert answers[2].scan.shipment_status == Status.ISSUED
    assert fresh(issued).status == Status.ISSUED and fresh(foreign).cell is not None
    assert count_progress(count=count).unknown == 4


def test_a_repeated_scan_is_a_harmless_no_op(shop) -> None:
    parcel = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, parcel.barcode)
    events = ShipmentEvent.objects.filter(shipment=parcel).count()

    again = parcel_scan(count, shop.operator, parcel.barcode)
    unknown_twice = [parcel_scan(count, shop.operator, "nope-1").outcome for _ in range(2)]

    assert again.outcome == Out.REPEAT
    assert unknown_twice == [Out.UNKNOWN, Out.REPEAT]
    assert ShipmentEvent.objects.filter(shipment=parcel).count() == events
    progress = count_progress(count=count)
    assert (progress.parcels_found, progress.misplaced, progress.unknown) == (1, 1, 1)


def test_the_same_scan_id_returns_the_first_answer_and_another_scan_with_it_is_a_mismatch(shop) -> None:
    parcel = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_id = uuid.uuid4()
    cell_scan(count, shop.operator, "A-01-1", cell_id)
    scan_id = uuid.uuid4()
    first = parcel_scan(count, shop.operator, parcel.barcode, scan_id)

    replay = parcel_scan(count, shop.operator, parcel.barcode, scan_id)

    assert replay.replayed is True and replay.scan.pk == first.scan.pk and replay.outcome == Out.MISPLACED
    assert InventoryScan.objects.count() == 2
    assert ShipmentEvent.objects.filter(shipment=parcel, kind=EventKind.MOVE).count() == 1
    assert cell_scan(count, shop.operator, "A-01-1", cell_id).replayed is True
    with pytest.raises(DomainError) as error:
        parcel_scan(count, shop.operator, "other-code", scan_id)
    assert code_of(error) == ErrorCode.IDEMPOTENCY_MISMATCH
    with pytest.raises(DomainError) as error:
        parcel_scan(count, shop.operator, parcel.barcode, cell_id)  # a cell scan's id
    assert code_of(error) == ErrorCode.IDEMPOTENCY_MISMATCH


def test_one_scan_field_tells_a_cell_from_a_parcel(shop) -> None:
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)

    cell = inventory_scan(actor=shop.operator, count=count, code="a-01-1", scan_id=uuid.uuid4())
    found = inventory_scan(actor=shop.operator, count=count, code=parcel.barcode, scan_id=uuid.uuid4())

    assert (cell.outcome, cell.cell) == (Out.CELL, shop.a1)
    assert found.outcome == Out.FOUND


# ---- scope and the live state ----


def test_a_zone_count_expects_only_its_zone(shop) -> None:
    in_a = stored(shop.point, shop.a1)
    stored(shop.point, shop.b1)
    count = inventory_start(actor=shop.manager, point=shop.point, zone="A")

    progress = count_progress(count=count)

    assert (progress.cells_in_scope, progress.parcels_expected) == (2, 1)
    assert [line.shipment.pk for line in missing_parcels(count=count)] == [in_a.pk]


def test_parcels_issued_or_moved_during_the_count_are_not_missing(shop, clock) -> None:
    issued = stored(shop.point, shop.a1)
    moved_out = stored(shop.point, shop.a1)
    placed_late = ShipmentFactory(point=shop.point, status=Status.ACCEPTED)
    untouched = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point, zone="A")
    clock.advance(minutes=5)

    shipment_transition(actor=shop.operator, shipment_id=issued.pk, to_status=Status.ISSUED)
    shipment_move(actor=shop.operator, shipment_id=moved_out.pk, cell=shop.b1)
    shipment_transition(
        actor=shop.operator, shipment_id=placed_late.pk, to_status=Status.STORED, cell=shop.a2
    )

    # Live state at the finish: the issued and the moved-out parcel are no longer expected in zone A, and
    # the parcel placed after the start was in someone's hands during the count.
    assert [line.shipment.pk for line in missing_parcels(count=count)] == [untouched.pk]
    report = inventory_finish(actor=shop.manager, count=count)
    assert [line.posting_number for line in report.missing] == [untouched.posting_number]


# ---- finishing ----


def test_unconfirmed_missing_parcels_are_reported_and_left_as_they_are(shop) -> None:
    kept = stored(shop.point, shop.a1)
    lost = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)

    report = inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[lost.pk])

    assert fresh(kept).status == Status.STORED and fresh(kept).cell == shop.a1
    assert ShipmentEvent.objects.filter(shipment=kept).count() == 1  # only its placement
    event = ShipmentEvent.objects.filter(shipment=lost).last()
    assert (event.from_status, event.to_status, event.reason, event.actor) == (
        Status.STORED,
        Status.LOST,
        "inventory",
        shop.manager,
    )
    assert event.details == {"inventory_id": count.pk, "cell": "A-01-1"}
    assert fresh(lost).cell is None
    assert {(row.shipment_id, row.confirmed) for row in InventoryMissing.objects.all()} == {
        (kept.pk, False),
        (lost.pk, True),
    }
    assert report.counts["missing"] == 2 and report.counts["lost"] == 1
    count.refresh_from_db()
    assert (count.status, count.finished_by) == (CountStatus.FINISHED, shop.manager)


def test_finish_is_all_or_nothing(shop) -> None:
    lost = stored(shop.point, shop.a1)
    found = stored(shop.point, shop.a2)
    expired = stored(shop.point, shop.a2)
    shipment_transition(actor=None, shipment_id=expired.pk, to_status=Status.EXPIRED)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-2")
    parcel_scan(count, shop.operator, found.barcode)

    with pytest.raises(DomainError) as not_listed:
        inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[lost.pk, found.pk])
    with pytest.raises(DomainError) as cannot_be_lost:
        inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[lost.pk, expired.pk])

    assert code_of(not_listed) == ErrorCode.VALIDATION_FAILED
    assert not_listed.value.details == {"shipment_ids": [found.pk]}
    assert code_of(cannot_be_lost) == ErrorCode.INVALID_TRANSITION
    assert fresh(lost).status == Status.STORED
    assert InventoryMissing.objects.count() == 0
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN


def test_a_finished_or_cancelled_count_takes_no_scans_and_cannot_finish_again(shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_id = uuid.uuid4()
    cell_scan(count, shop.operator, "A-01-1", cell_id)
    inventory_finish(actor=shop.manager, count=count)

    for attempt in (
        lambda: cell_scan(count, shop.operator, "A-01-2"),
        lambda: inventory_finish(actor=shop.manager, count=count),
        lambda: inventory_cancel(actor=shop.manager, count=count),
    ):
        with pytest.raises(DomainError) as error:
            attempt()
        assert code_of(error) == ErrorCode.INVENTORY_CLOSED
    # A resent scan still gets its first answer.
    assert cell_scan(count, shop.operator, "A-01-1", cell_id).replayed is True

    other = inventory_start(actor=shop.manager, point=shop.point)
    cancelled = inventory_cancel(actor=shop.manager, count=other)
    assert inventory_cancel(actor=shop.manager, count=other).status == CountStatus.CANCELLED
    assert (cancelled.status, cancelled.finished_by) == (CountStatus.CANCELLED, shop.manager)


def test_report_counts_per_zone_and_is_rebuilt_identically(shop) -> None:
    from pvz.inventory.report import inventory_report_build

    stored(shop.point, shop.a1)
    in_b = stored(shop.point, shop.b1)
    stored(shop.point, shop.b1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, in_b.barcode)  # B → A: misplaced, counted in zone A
    parcel_scan(count, shop.operator, "nope-9")

    report = inventory_finish(actor=shop.manager, count=count)

    zones = {z.zone: (z.found, z.misplaced, z.missing, z.lost, z.unknown) for z in report.zones}
    assert zones == {"A": (0, 1, 1, 0, 1), "B": (0, 0, 1, 0, 0)}
    count.refresh_from_db()
    assert inventory_report_build(count) == report
