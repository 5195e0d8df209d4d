"""Cancellation by the partner (STORED → CANCELLED), the flag it raises on every device, and the next scan
that routes the cancelled parcel (and the other statuses leaving the point) into the return zone."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import IssueSession
from pvz.counter.services import shipment_issue_error
from pvz.network.models import Cell, CellKind
from pvz.network.services import special_places_ensure
from pvz.shipments.cancellation import CANCEL_REASON, shipment_cancel
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.selectors import point_dashboard_counts
from pvz.shipments.services import ReturnZoneOutcome, shipment_to_return_zone, shipment_transition
from pvz.shipments.statuses import AT_POINT, Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point(db):
    point = PickupPointFactory()
    special_places_ensure(actor=None, point=point)
    return point


@pytest.fixture
def operator(point):
    return operator_at(point)


def return_zone(point) -> Cell:
    return Cell.objects.get(point=point, kind=CellKind.RETURN_ZONE)


def at_status(point, *statuses: Status, barcode: str = "ii11807135000", address: str = "A-03-2") -> Shipment:
    shipment = ShipmentFactory(point=point, barcode=barcode)
    for status in statuses:
        cell = CellFactory(point=point, address=address) if status == Status.STORED else None
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=status, cell=cell)
    return Shipment.objects.select_related("cell", "point", "partner").get(pk=shipment.pk)


def refused(code: ErrorCode, action) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


def test_a_stored_parcel_is_cancelled_with_one_event_carrying_the_reason(clock, point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    cell = parcel.cell

    result = shipment_cancel(actor=None, shipment=parcel, reason="Клиент отменил заказ", key="cancel-1")

    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.status, after.cell, after.version) == (Status.CANCELLED, cell, parcel.version + 1)
    event = after.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        Status.STORED,
        Status.CANCELLED,
        None,
        CANCEL_REASON,
    )
    assert (event.details, event.idempotency_key, event.at, event.cell) == (
        {"cancel_reason": "Клиент отменил заказ"},
        "cancel-1",
        clock.now(),
        cell,
    )
    assert (result.event, result.already, result.replayed) == (event, False, False)


def test_cancellation_pushes_the_change_to_the_point_after_commit(
    point, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    pushed: list[tuple[int, dict[str, object]]] = []
    monkeypatch.setattr(
        "pvz.shipments.services.events.point_changed", lambda point_id, **kw: pushed.append((point_id, kw))
    )

    with django_capture_on_commit_callbacks(execute=True):
        shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key=None)

    assert pushed == [
        (
            point.pk,
            {
                "topic": "shipment",
                "data": {
                    "id": parcel.pk,
                    "status": Status.CANCELLED,
                    "from": Status.STORED,
                    "kind": "transition",
                },
            },
        )
    ]


def test_the_dashboard_counts_cancelled_parcels_until_they_are_scanned_out(point, operator) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    assert point_dashboard_counts(point=point).cancelled == 0

    shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key=None)
    assert (point_dashboard_counts(point=point).cancelled, point_dashboard_counts(point=point).stored) == (
        1,
        0,
    )

    shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-1")
    counts = point_dashboard_counts(point=point)
    assert (counts.cancelled, counts.awaiting_dispatch) == (0, 1)


@pytest.mark.parametrize(
    "statuses",
    [
        (),
        (Status.ACCEPTED,),
        (Status.ACCEPTED, Status.STORED, Status.ISSUED),
        (Status.ACCEPTED, Status.STORED, Status.EXPIRED),
        (Status.ACCEPTED, Status.STORED, Status.REFUSED),
        (Status.ACCEPTED, Status.DAMAGED),
        (Status.ACCEPTED, Status.STORED, Status.LOST),
    ],
    ids=["expected", "accepted", "issued", "expired", "refused", "damaged", "lost"],
)
def test_a_parcel_that_is_not_stored_cannot_be_cancelled(point, statuses) -> None:
    parcel = at_status(point, *statuses)
    before = parcel.events.count()

    error = refused(
        ErrorCode.INVALID_TRANSITION,
        lambda: shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1"),
    )

    assert error.details == {"status": parcel.status}
    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.status, after.version, after.events.count()) == (parcel.status, parcel.version, before)


def test_cancelling_again_is_harmless_and_writes_nothing(point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    first = shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1")

    again = shipment_cancel(actor=None, shipment=parcel, reason="Отмена ещё раз", key="cancel-2")

    assert (again.already, again.replayed, again.event) == (True, False, first.event)
    assert parcel.events.filter(to_status=Status.CANCELLED).count() == 1
    assert not ShipmentEvent.objects.filter(idempotency_key="cancel-2").exists()


def test_cancelling_after_it_went_to_the_return_zone_is_still_harmless(point, operator) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    first = shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1")
    shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-1")

    again = shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-2")

    assert (again.already, again.event, again.shipment.status) == (
        True,
        first.event,
        Status.AWAITING_DISPATCH,
    )


def test_a_replayed_key_returns_the_first_cancellation(point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    first = shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1")

    again = shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1")

    assert (again.replayed, again.event) == (True, first.event)


def test_the_same_key_for_another_parcel_is_a_mismatch(point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    other = at_status(point, Status.ACCEPTED, Status.STORED, barcode="ii11807135001", address="A-03-3")
    shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key="cancel-1")

    refused(
        ErrorCode.IDEMPOTENCY_MISMATCH,
        lambda: shipment_cancel(actor=None, shipment=other, reason="Отмена", key="cancel-1"),
    )
    assert Shipment.objects.get(pk=other.pk).status == Status.STORED


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_a_missing_or_too_long_reason_is_refused_and_nothing_changes(point, reason) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)

    error = refused(
        ErrorCode.VALIDATION_FAILED,
        lambda: shipment_cancel(actor=None, shipment=parcel, reason=reason, key="cancel-1"),
    )

    assert error.details == {"field": "reason", "max": 200}
    assert Shipment.objects.get(pk=parcel.pk).status == Status.STORED


def test_a_reason_of_exactly_200_characters_is_accepted(point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)

    result = shipment_cancel(actor=None, shipment=parcel, reason="x" * 200, key=None)

    assert result.event.details == {"cancel_reason": "x" * 200}


# --- The next scan routes it to the return zone


def test_the_next_scan_routes_a_cancelled_parcel_from_its_cell_to_the_return_zone(
    clock, point, operator
) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    regular = parcel.cell
    shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key=None)

    scan = shipment_to_return_zone(actor=operator, point=point, code="шш11807135000", key="rz-1")

    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.status, after.cell) == (Status.AWAITING_DISPATCH, return_zone(point))
    assert (scan.outcome, scan.from_cell, scan.from_status) == (
        ReturnZoneOutcome.MOVED,
        "A-03-2",
        Status.CANCELLED,
    )
    event = after.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason, event.details, event.at) == (
        Status.CANCELLED,
        Status.AWAITING_DISPATCH,
        operator,
        "cancelled_to_return_zone",
        {"from_cell": "A-03-2"},
        clock.now(),
    )
    assert not Shipment.objects.filter(cell=regular, status__in=AT_POINT).exists()


@pytest.mark.parametrize(
    ("statuses", "reason"),
    [
        ((Status.ACCEPTED, Status.STORED, Status.REFUSED), "refused_to_return_zone"),
        ((Status.ACCEPTED, Status.DAMAGED), "damaged_to_return_zone"),
        ((Status.ACCEPTED, Status.STORED, Status.EXPIRED), "expired_to_return_zone"),
    ],
    ids=["refused", "damaged", "expired"],
)
def test_refused_damaged_and_expired_parcels_are_scanned_into_the_return_zone(
    point, operator, statuses, reason
) -> None:
    parcel = at_status(point, *statuses)

    scan = shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-1")

    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.status, after.cell, scan.from_status) == (
        Status.AWAITING_DISPATCH,
        return_zone(point),
        statuses[-1],
    )
    assert (after.events.last().from_status, after.events.last().reason) == (statuses[-1], reason)


def test_a_second_scan_of_a_cancelled_parcel_is_harmless(point, operator) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key=None)
    shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-1")
    events = parcel.events.count()

    again = shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-2")

    assert (again.outcome, again.event) == (ReturnZoneOutcome.ALREADY, None)
    assert parcel.events.count() == events


@pytest.mark.parametrize(
    "statuses",
    [
        (Status.ACCEPTED,),
        (Status.ACCEPTED, Status.STORED, Status.ISSUED),
        (Status.ACCEPTED, Status.STORED, Status.LOST),
    ],
    ids=["accepted", "issued", "lost"],
)
def test_statuses_outside_the_flow_are_not_scanned_into_the_return_zone(point, operator, statuses) -> None:
    parcel = at_status(point, *statuses)

    error = refused(
        ErrorCode.INVALID_TRANSITION,
        lambda: shipment_to_return_zone(actor=operator, point=point, code=parcel.barcode, key="rz-1"),
    )

    assert error.details == {"status": statuses[-1]}
    assert Shipment.objects.get(pk=parcel.pk).status == statuses[-1]


def test_the_counter_refuses_a_cancelled_parcel_saying_to_take_it_to_the_return_zone(clock, point) -> None:
    parcel = at_status(point, Status.ACCEPTED, Status.STORED)
    shipment_cancel(actor=None, shipment=parcel, reason="Отмена", key=None)
    parcel = Shipment.objects.select_related("order").get(pk=parcel.pk)
    session = IssueSession(point=point, customer=parcel.order.customer)

    error = shipment_issue_error(shipment=parcel, session=session, now=clock.now())

    assert error is not None
    assert (error.code, str(error.message)) == (
        ErrorCode.INVALID_TRANSITION,
        "Отменено партнёром, уберите в зону возврата: выдать его нельзя.",
    )
