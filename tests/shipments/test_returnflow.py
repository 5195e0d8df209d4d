"""The return-flow board: what is on its way back to the partners, grouped by partner and reason, with
its age and the overdue highlight at exactly the threshold; LOST apart; scoped to the caller's point."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.network.services import special_places_ensure
from pvz.shipments.cancellation import shipment_cancel
from pvz.shipments.models import Shipment
from pvz.shipments.returnflow import FlowReason, FlowStage, return_flow_board
from pvz.shipments.services import shipment_to_return_zone, shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db

THREE_DAYS = dt.timedelta(days=3)
ONE_MICROSECOND = dt.timedelta(microseconds=1)


@pytest.fixture
def point(db):
    point = PickupPointFactory(timezone="Asia/Yekaterinburg")
    special_places_ensure(actor=None, point=point)
    return point


@pytest.fixture
def operator(point):
    return operator_at(point)


_cells = iter(range(1, 10_000))


def parcel(point, *statuses: Status, partner=None, reason: str = "", details=None) -> Shipment:
    """A parcel taken through `statuses`; the last transition carries `reason` and `details`."""
    shipment = ShipmentFactory(point=point, **({"partner": partner} if partner else {}))
    for i, status in enumerate(statuses):
        last = i == len(statuses) - 1
        cell = CellFactory(point=point, address=f"A-01-{next(_cells)}") if status == Status.STORED else None
        shipment_transition(
            actor=None,
            shipment_id=shipment.pk,
            to_status=status,
            cell=cell,
            reason=reason if last else "",
            details=details if last else None,
        )
    return Shipment.objects.get(pk=shipment.pk)


def test_the_board_groups_by_partner_then_reason_with_to_move_and_awaiting_parcels(
    clock, point, operator
) -> None:
    ozon, wb = PartnerFactory(name="Ozon"), PartnerFactory(name="Wildberries")
    expired = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED, partner=ozon)
    expired_out = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED, partner=ozon)
    shipment_to_return_zone(actor=operator, point=point, code=expired_out.barcode, key="rz-1")
    refused = parcel(
        point,
        Status.ACCEPTED,
        Status.STORED,
        Status.REFUSED,
        partner=ozon,
        reason="refused:size",
        details={"refusal": "Не подошёл размер"},
    )
    cancelled = parcel(point, Status.ACCEPTED, Status.STORED, partner=wb)
    shipment_cancel(actor=None, shipment=cancelled, reason="Покупатель отменил заказ", key=None)
    damaged = parcel(
        point,
        Status.ACCEPTED,
        Status.DAMAGED,
        partner=wb,
        reason="damaged_at_acceptance",
        details={"note": "Мокрая"},
    )
    returned = parcel(point, Status.ACCEPTED, Status.STORED, Status.ISSUED, Status.RETURNED, partner=wb)
    shipment_transition(actor=None, shipment_id=returned.pk, to_status=Status.AWAITING_DISPATCH)
    parcel(point, Status.ACCEPTED, Status.STORED, partner=ozon)  # stored: not in the flow
    parcel(point, Status.ACCEPTED, Status.STORED, Status.ISSUED, partner=ozon)  # issued: not in the flow

    board = return_flow_board(user=operator, point=point)

    assert [
        (g.partner.name, g.reason, [(i.shipment.pk, i.stage, i.reason_detail) for i in g.items])
        for g in board.groups
    ] == [
        (
            "Ozon",
            FlowReason.EXPIRED,
            [(expired.pk, FlowStage.TO_MOVE, ""), (expired_out.pk, FlowStage.AWAITING, "")],
        ),
        ("Ozon", FlowReason.REFUSED, [(refused.pk, FlowStage.TO_MOVE, "Не подошёл размер")]),
        (
            "Wildberries",
            FlowReason.CANCELLED,
            [(cancelled.pk, FlowStage.TO_MOVE, "Покупатель отменил заказ")],
        ),
        ("Wildberries", FlowReason.DAMAGED, [(damaged.pk, FlowStage.TO_MOVE, "Мокрая")]),
        ("Wildberries", FlowReason.CUSTOMER_RETURN, [(returned.pk, FlowStage.AWAITING, "")]),
    ]
    assert (board.awaiting, board.to_move, board.overdue, board.lost) == (2, 4, 0, [])


def test_a_parcel_keeps_the_reason_it_entered_the_flow_with_after_going_to_the_return_zone(
    point, operator
) -> None:
    cancelled = parcel(point, Status.ACCEPTED, Status.STORED)
    shipment_cancel(actor=None, shipment=cancelled, reason="Отмена", key=None)
    shipment_to_return_zone(actor=operator, point=point, code=cancelled.barcode, key="rz-1")

    (group,) = return_flow_board(user=operator, point=point).groups

    assert (group.reason, group.items[0].stage, group.items[0].reason_detail) == (
        FlowReason.CANCELLED,
        FlowStage.AWAITING,
        "Отмена",
    )


def test_age_counts_from_entering_the_flow_and_the_highlight_starts_exactly_at_the_threshold(
    clock, point, operator
) -> None:
    entered = clock.now()
    parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED)

    just_before = return_flow_board(user=operator, point=point, now=entered + THREE_DAYS - ONE_MICROSECOND)
    at_threshold = return_flow_board(user=operator, point=point, now=entered + THREE_DAYS)

    before_item, at_item = just_before.groups[0].items[0], at_threshold.groups[0].items[0]
    assert (before_item.age, before_item.overdue, just_before.overdue) == (
        THREE_DAYS - ONE_MICROSECOND,
        False,
        0,
    )
    assert (at_item.age, at_item.overdue, at_threshold.overdue, at_threshold.groups[0].overdue) == (
        THREE_DAYS,
        True,
        1,
        1,
    )
    # Shown in the point's timezone: 27.11 10:00 Moscow = 12:00 in Yekaterinburg.
    assert at_item.entered_at.isoformat() == "2026-11-27T12:00:00+05:00"


def test_the_threshold_is_a_setting(clock, point, operator, settings) -> None:
    settings.PVZ_RETURN_FLOW_OVERDUE_DAYS = 1
    parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED)
    clock.advance(days=1)

    board = return_flow_board(user=operator, point=point)

    assert (board.overdue_after, board.overdue) == (dt.timedelta(days=1), 1)


def test_awaiting_parcels_are_aged_from_entering_the_flow_not_from_the_return_zone_scan(
    clock, point, operator
) -> None:
    expired = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED)
    clock.advance(days=2)
    shipment_to_return_zone(actor=operator, point=point, code=expired.barcode, key="rz-1")
    clock.advance(days=1)

    item = return_flow_board(user=operator, point=point).groups[0].items[0]

    assert (item.stage, item.age, item.overdue) == (FlowStage.AWAITING, THREE_DAYS, True)


def test_lost_parcels_are_listed_apart_and_never_highlighted(clock, point, operator) -> None:
    lost = parcel(point, Status.ACCEPTED, Status.STORED, Status.LOST, reason="inventory")
    clock.advance(days=10)

    board = return_flow_board(user=operator, point=point)

    assert board.groups == []
    assert [(i.shipment.pk, i.stage, i.reason_detail, i.age, i.overdue) for i in board.lost] == [
        (lost.pk, FlowStage.LOST, "inventory", dt.timedelta(days=10), False)
    ]


def test_the_board_shows_only_this_points_parcels(point, operator) -> None:
    other = PickupPointFactory()
    parcel(other, Status.ACCEPTED, Status.STORED, Status.EXPIRED)
    parcel(other, Status.ACCEPTED, Status.STORED, Status.LOST)

    board = return_flow_board(user=operator, point=point)

    assert (board.groups, board.lost) == ([], [])


def test_another_points_board_is_not_found(point) -> None:
    stranger = operator_at(PickupPointFactory())

    with pytest.raises(DomainError) as caught:
        return_flow_board(user=stranger, point=point)

    assert caught.value.code == ErrorCode.NOT_FOUND
