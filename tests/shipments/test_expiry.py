"""Expiry at the point: «Истекает сегодня» (deadline within the point's local today), «Истёк срок» (EXPIRED
parcels still on shelves), and the scan that sends an expired parcel to the return zone
(EXPIRED → AWAITING_DISPATCH)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import Cell, CellKind
from pvz.network.services import special_places_ensure
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.selectors import (
    point_dashboard_counts,
    shipments_expired_on_shelves,
    shipments_expiring_today,
)
from pvz.shipments.services import (
    RETURN_ZONE_REASON,
    ReturnZoneOutcome,
    shipment_to_return_zone,
    shipment_transition,
    shipments_expire_overdue,
)
from pvz.shipments.statuses import AT_POINT, Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
YEKT = zoneinfo.ZoneInfo("Asia/Yekaterinburg")
ONE_MICROSECOND = dt.timedelta(microseconds=1)


def stored(point, cell: Cell | None = None, **extra) -> Shipment:
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED, **extra)
    shipment_transition(
        actor=None,
        shipment_id=shipment.pk,
        to_status=Status.STORED,
        cell=cell or CellFactory(point=point),
    )
    return Shipment.objects.select_related("point", "cell").get(pk=shipment.pk)


def refused(code: ErrorCode, action) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


@pytest.fixture
def point(db):
    point = PickupPointFactory(timezone="Europe/Moscow")
    special_places_ensure(actor=None, point=point)
    return point


@pytest.fixture
def operator(point):
    return operator_at(point)


def return_zone(point) -> Cell:
    return Cell.objects.get(point=point, kind=CellKind.RETURN_ZONE)


# --- «Истекает сегодня»


def test_expiring_today_takes_the_points_local_today_not_moscows(clock) -> None:
    # 03.12 22:30 MSK is already 04.12 00:30 in Yekaterinburg.
    clock.set(dt.datetime(2026, 11, 27, 10, 0, tzinfo=MSK))
    point = PickupPointFactory(timezone="Asia/Yekaterinburg")
    operator = operator_at(point)
    deadline_04 = stored(point, CellFactory(point=point, address="B-01-1"))  # 04.12 23:59:59.999999 YEKT
    clock.advance(days=1)
    deadline_05 = stored(point, CellFactory(point=point, address="A-01-1"))  # 05.12 23:59:59.999999 YEKT

    clock.set(dt.datetime(2026, 12, 3, 23, 59, 59, 999999, tzinfo=YEKT))  # 21:59 MSK
    assert shipments_expiring_today(user=operator, point=point) == []

    clock.set(dt.datetime(2026, 12, 3, 22, 30, tzinfo=MSK))
    assert shipments_expiring_today(user=operator, point=point) == [deadline_04]

    clock.set(dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=YEKT))
    assert shipments_expiring_today(user=operator, point=point) == [deadline_04]

    clock.advance(microseconds=1)  # 05.12 00:00 there: the 04.12 deadline has passed, the 05.12 one is today
    assert shipments_expiring_today(user=operator, point=point) == [deadline_05]
    assert point_dashboard_counts(point=point).expiring_today == 1


def test_expiring_today_is_sorted_by_cell_and_holds_only_stored_parcels_of_this_point(clock, point, operator):
    later = stored(point, CellFactory(point=point, address="C-01-1"))
    earlier = stored(point, CellFactory(point=point, address="A-02-1"))
    issued = stored(point)
    shipment_transition(actor=None, shipment_id=issued.pk, to_status=Status.ISSUED)
    stored(PickupPointFactory())  # another point, same deadline
    clock.set(dt.datetime(2026, 12, 4, 8, 0, tzinfo=MSK))

    assert shipments_expiring_today(user=operator, point=point) == [earlier, later]
    assert point_dashboard_counts(point=point).expiring_today == 2


def test_expiry_lists_of_a_point_the_caller_does_not_work_at_are_not_found(point) -> None:
    stranger = operator_at(PickupPointFactory())

    refused(ErrorCode.NOT_FOUND, lambda: shipments_expiring_today(user=stranger, point=point))
    refused(ErrorCode.NOT_FOUND, lambda: shipments_expired_on_shelves(user=stranger, point=point))


# --- «Истёк срок»


def test_expired_list_holds_the_expired_parcels_by_cell(clock, point, operator) -> None:
    b = stored(point, CellFactory(point=point, address="B-01-1"))
    a = stored(point, CellFactory(point=point, address="A-01-1"))
    clock.advance(days=1)
    fresh = stored(point)  # stored a day later: its deadline is a day later too
    clock.set(dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=MSK) + ONE_MICROSECOND)
    shipments_expire_overdue()

    assert shipments_expired_on_shelves(user=operator, point=point) == [a, b]
    assert Shipment.objects.get(pk=fresh.pk).status == Status.STORED


# --- Scan-out to the return zone


@pytest.fixture
def expired(clock, point) -> Shipment:
    parcel = stored(point, CellFactory(point=point, address="A-03-2"), barcode="ii11807135000")
    assert parcel.storage_deadline is not None
    clock.set(parcel.storage_deadline + ONE_MICROSECOND)
    assert shipments_expire_overdue() == 1
    return Shipment.objects.select_related("cell").get(pk=parcel.pk)


def test_an_expired_parcel_goes_from_its_cell_to_the_return_zone(expired, point, operator, clock) -> None:
    regular = expired.cell
    assert regular is not None

    scan = shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")

    after = Shipment.objects.get(pk=expired.pk)
    assert (after.status, after.cell) == (Status.AWAITING_DISPATCH, return_zone(point))
    assert (scan.outcome, scan.from_cell, scan.replayed) == (ReturnZoneOutcome.MOVED, "A-03-2", False)
    event = after.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        Status.EXPIRED,
        Status.AWAITING_DISPATCH,
        operator,
        RETURN_ZONE_REASON,
    )
    assert (event.cell, event.idempotency_key, event.details, event.at) == (
        return_zone(point),
        "rz-1",
        {"from_cell": "A-03-2"},
        clock.now(),
    )
    assert not Shipment.objects.filter(cell=regular, status__in=AT_POINT).exists()


def test_the_scan_pushes_one_change_to_the_point_after_commit(
    expired, point, operator, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    pushed: list[tuple[int, dict[str, object]]] = []
    monkeypatch.setattr(
        "pvz.shipments.services.return_zone.point_changed",
        lambda point_id, **kw: pushed.append((point_id, kw)),
    )

    with django_capture_on_commit_callbacks(execute=True):
        shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")

    assert pushed == [
        (
            point.pk,
            {
                "topic": "shipment",
                "data": {
                    "id": expired.pk,
                    "status": Status.AWAITING_DISPATCH,
                    "from": Status.EXPIRED,
                    "kind": "return_zone",
                },
            },
        )
    ]


def test_a_stored_parcel_at_its_deadline_is_not_expired(clock, point, operator) -> None:
    parcel = stored(point, barcode="ii11807135001")
    assert parcel.storage_deadline is not None
    clock.set(parcel.storage_deadline)

    error = refused(
        ErrorCode.STORAGE_NOT_EXPIRED,
        lambda: shipment_to_return_zone(actor=operator, point=point, code="ii11807135001", key="rz-1"),
    )

    assert error.details == {"storage_deadline": "2026-12-04T23:59:59.999999+03:00"}
    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.status, after.cell_id, after.version) == (Status.STORED, parcel.cell_id, parcel.version)


def test_one_microsecond_after_the_deadline_once_the_job_expired_it_the_scan_is_accepted(
    expired, point, operator
):
    scan = shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")

    assert scan.outcome == ReturnZoneOutcome.MOVED
    assert [(e.from_status, e.to_status) for e in expired.events.all()][-2:] == [
        (Status.STORED, Status.EXPIRED),
        (Status.EXPIRED, Status.AWAITING_DISPATCH),
    ]


def test_past_the_deadline_before_the_job_ran_the_scan_expires_it_as_the_job_would(clock, point, operator):
    parcel = stored(point, barcode="ii11807135002")
    assert parcel.storage_deadline is not None
    clock.set(parcel.storage_deadline + ONE_MICROSECOND)

    shipment_to_return_zone(actor=operator, point=point, code="ii11807135002", key="rz-1")

    expiry, out = list(parcel.events.all())[-2:]
    assert (expiry.from_status, expiry.to_status, expiry.actor, expiry.reason, expiry.idempotency_key) == (
        Status.STORED,
        Status.EXPIRED,
        None,
        "storage_deadline_passed",
        f"expire:{parcel.pk}:1",
    )
    assert (out.from_status, out.to_status) == (Status.EXPIRED, Status.AWAITING_DISPATCH)
    assert shipments_expire_overdue() == 0


def test_a_second_scan_of_the_same_parcel_is_harmless(expired, point, operator) -> None:
    shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")
    events = expired.events.count()

    again = shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-2")

    assert (again.outcome, again.zone, again.event) == (ReturnZoneOutcome.ALREADY, return_zone(point), None)
    assert expired.events.count() == events
    assert not ShipmentEvent.objects.filter(idempotency_key="rz-2").exists()


def test_a_resent_scan_returns_the_first_answer(expired, point, operator) -> None:
    first = shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")

    again = shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")

    assert (again.outcome, again.replayed, again.event, again.from_cell) == (
        ReturnZoneOutcome.MOVED,
        True,
        first.event,
        "A-03-2",
    )


def test_the_same_key_for_another_parcel_is_a_mismatch(expired, point, operator, clock) -> None:
    other = stored(point, barcode="ii11807135003")
    shipment_to_return_zone(actor=operator, point=point, code="ii11807135000", key="rz-1")
    assert other.storage_deadline is not None
    clock.set(other.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()

    refused(
        ErrorCode.IDEMPOTENCY_MISMATCH,
        lambda: shipment_to_return_zone(actor=operator, point=point, code="ii11807135003", key="rz-1"),
    )
    assert Shipment.objects.get(pk=other.pk).status == Status.EXPIRED


def test_a_russian_layout_scan_finds_the_parcel(expired, point, operator) -> None:
    scan = shipment_to_return_zone(actor=operator, point=point, code="шш11807135000", key="rz-1")

    assert scan.shipment.pk == expired.pk


def test_another_points_parcel_is_not_found_even_for_someone_working_at_both(clock) -> None:
    here, there = PickupPointFactory(), PickupPointFactory()
    operator = operator_at(here)
    Membership.objects.create(user=operator, point=there, role=Role.OPERATOR)
    parcel = stored(there, barcode="ii11807135004")
    assert parcel.storage_deadline is not None
    clock.set(parcel.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()

    refused(
        ErrorCode.NOT_FOUND,
        lambda: shipment_to_return_zone(actor=operator, point=here, code="ii11807135004", key="rz-1"),
    )
    refused(
        ErrorCode.NOT_FOUND,
        lambda: shipment_to_return_zone(
            actor=operator_at(here), point=here, code="ii11807135004", key="rz-2"
        ),
    )
    assert Shipment.objects.get(pk=parcel.pk).status == Status.EXPIRED


@pytest.mark.parametrize(
    "statuses",
    [(Status.ACCEPTED,), (Status.ACCEPTED, Status.STORED, Status.ISSUED)],
    ids=["accepted", "issued"],
)
def test_a_parcel_that_did_not_expire_in_storage_is_refused(point, operator, statuses) -> None:
    parcel = ShipmentFactory(point=point, barcode="ii11807135005")
    for status in statuses:
        cell = CellFactory(point=point) if status == Status.STORED else None
        shipment_transition(actor=None, shipment_id=parcel.pk, to_status=status, cell=cell)

    refused(
        ErrorCode.INVALID_TRANSITION,
        lambda: shipment_to_return_zone(actor=operator, point=point, code="ii11807135005", key="rz-1"),
    )


def test_a_point_without_a_return_zone_gets_one(clock) -> None:
    point = PickupPointFactory()
    operator = operator_at(point)
    parcel = stored(point, barcode="ii11807135006")
    assert parcel.storage_deadline is not None
    clock.set(parcel.storage_deadline + ONE_MICROSECOND)
    assert not Cell.objects.filter(point=point, kind=CellKind.RETURN_ZONE).exists()

    shipment_to_return_zone(actor=operator, point=point, code="ii11807135006", key="rz-1")

    assert Shipment.objects.get(pk=parcel.pk).cell == Cell.objects.get(point=point, address="RETURNS")
