"""Closing a point: OPEN → CLOSING (owner or platform admin, with a reason) → CLOSED only when the point
holds nothing; while closing no new manifest is taken; a closed point is out of everyone's work."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.accounts.roles import Role
from pvz.accounts.selectors import point_access, points_for_user
from pvz.audit.models import AuditRecord
from pvz.closing.selectors import point_leftovers
from pvz.closing.services import point_close_cancel, point_close_complete, point_close_start
from pvz.core.errors import ErrorCode
from pvz.inbound.models import CarriageFlow, CarriageStatus, ToteStatus
from pvz.network.models import PickupPoint, PointStatus
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate
from tests.factories import (
    CarriageFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    ToteFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

ETA = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
NOTHING = {
    "to_issue": 0,
    "to_return": 0,
    "in_return_zone": 0,
    "inbound_carriages": 0,
    "return_carriages": 0,
    "totes": 0,
}


@pytest.fixture
def owner(point: PickupPoint):
    return operator_at(point, Role.OWNER)


def _closing(point: PickupPoint, owner) -> PickupPoint:
    return point_close_start(actor=owner, point=point, reason="Аренда закончилась")


def _code(excinfo: pytest.ExceptionInfo) -> str:
    return str(excinfo.value.code)


def test_owner_starts_closing_with_a_reason_and_a_planned_date(point, owner, clock) -> None:
    closing = point_close_start(
        actor=owner, point=point, reason="  Аренда закончилась ", planned_on=dt.date(2026, 12, 31)
    )

    assert (closing.status, closing.is_active, closing.closing_started_at, closing.closing_reason) == (
        PointStatus.CLOSING,
        True,
        clock.now(),
        "Аренда закончилась",
    )
    assert closing.closing_planned_on == dt.date(2026, 12, 31)
    record = AuditRecord.objects.get(action="point.close_start")
    assert (record.actor, record.point_id, record.details) == (
        owner,
        point.pk,
        {"reason": "Аренда закончилась", "planned_on": "2026-12-31"},
    )


def test_closing_point_stays_in_work_for_its_staff(point, owner) -> None:
    operator = operator_at(point)
    _closing(point, owner)

    assert list(points_for_user(user=operator)) == [point]


def test_planned_date_may_be_today_at_the_point_but_not_yesterday(point, owner, clock) -> None:
    today = point.local_date(clock.now())

    with pytest.raises(Exception) as excinfo:
        point_close_start(actor=owner, point=point, reason="Переезд", planned_on=today - dt.timedelta(days=1))
    assert (_code(excinfo), excinfo.value.details["field"]) == (ErrorCode.VALIDATION_FAILED, "planned_on")

    assert (
        point_close_start(actor=owner, point=point, reason="Переезд", planned_on=today).closing_planned_on
        == today
    )


@pytest.mark.parametrize("reason", ["", "  ", "x" * 501])
def test_closing_needs_a_reason(point, owner, reason) -> None:
    with pytest.raises(Exception) as excinfo:
        point_close_start(actor=owner, point=point, reason=reason)

    assert (_code(excinfo), excinfo.value.details["field"]) == (ErrorCode.VALIDATION_FAILED, "reason")
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPERATOR])
def test_only_the_owner_or_a_platform_admin_may_close(point, role) -> None:
    with pytest.raises(Exception) as excinfo:
        point_close_start(actor=operator_at(point, role), point=point, reason="Хочу")

    assert _code(excinfo) == ErrorCode.PERMISSION_DENIED
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


def test_owner_of_another_point_cannot_close_this_one(point) -> None:
    stranger = operator_at(PickupPointFactory(), Role.OWNER)

    with pytest.raises(Exception) as excinfo:
        point_close_start(actor=stranger, point=point, reason="Чужая")

    assert _code(excinfo) == ErrorCode.PERMISSION_DENIED


def test_platform_admin_may_close_any_point(point) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    assert point_close_start(actor=admin, point=point, reason="Нарушения").status == PointStatus.CLOSING


def test_starting_twice_is_a_conflict(point, owner) -> None:
    _closing(point, owner)

    with pytest.raises(Exception) as excinfo:
        _closing(point, owner)

    assert _code(excinfo) == ErrorCode.CONFLICT


def test_cancel_returns_the_point_to_work(point, owner) -> None:
    _closing(point, owner)

    reopened = point_close_cancel(actor=owner, point=point)

    assert (reopened.status, reopened.closing_started_at, reopened.closing_reason) == (
        PointStatus.OPEN,
        None,
        "",
    )


def test_leftovers_count_every_kind_of_thing_still_at_the_point(point) -> None:
    partner = PartnerFactory()
    for status in (Status.STORED, Status.STORED):
        ShipmentFactory(point=point, partner=partner, status=status)
    for status in (
        Status.ACCEPTED,
        Status.DAMAGED,
        Status.REFUSED,
        Status.EXPIRED,
        Status.CANCELLED,
        Status.RETURNED,
    ):
        ShipmentFactory(point=point, partner=partner, status=status)
    ShipmentFactory(point=point, partner=partner, status=Status.AWAITING_DISPATCH)
    for status in (Status.ISSUED, Status.DISPATCHED, Status.LOST, Status.EXPECTED):
        ShipmentFactory(point=point, partner=partner, status=status)  # none of these is at the point
    ShipmentFactory(point=PickupPointFactory(), partner=partner, status=Status.STORED)  # another point's
    CarriageFactory(point=point, partner=partner, flow=CarriageFlow.DIRECT, status=CarriageStatus.IN_TRANSIT)
    CarriageFactory(point=point, partner=partner, flow=CarriageFlow.DIRECT, status=CarriageStatus.CLOSED)
    CarriageFactory(point=point, partner=partner, flow=CarriageFlow.RETURN, status=CarriageStatus.PLANNED)
    CarriageFactory(point=point, partner=partner, flow=CarriageFlow.RETURN, status=CarriageStatus.CLOSED)
    for status in (ToteStatus.FULL, ToteStatus.EMPTY, ToteStatus.RETURNS):
        ToteFactory(point=point, partner=partner, status=status)
    for status in (ToteStatus.IN_TRANSIT, ToteStatus.SENT_BACK):
        ToteFactory(point=point, partner=partner, status=status)

    leftovers = point_leftovers(point=point)

    assert leftovers.as_dict() == {
        "to_issue": 2,
        "to_return": 6,
        "in_return_zone": 1,
        "inbound_carriages": 1,
        "return_carriages": 1,
        "totes": 3,
    }
    assert (leftovers.total, leftovers.is_empty) == (14, False)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: ShipmentFactory(point=p, status=Status.STORED), "to_issue"),
        (lambda p: ShipmentFactory(point=p, status=Status.EXPIRED), "to_return"),
        (lambda p: ShipmentFactory(point=p, status=Status.AWAITING_DISPATCH), "in_return_zone"),
        (lambda p: CarriageFactory(point=p, status=CarriageStatus.ARRIVED), "inbound_carriages"),
        (
            lambda p: CarriageFactory(point=p, flow=CarriageFlow.RETURN, status=CarriageStatus.PLANNED),
            "return_carriages",
        ),
        (lambda p: ToteFactory(point=p, status=ToteStatus.EMPTY), "totes"),
    ],
)
def test_completing_is_refused_while_anything_remains_and_lists_it(point, owner, make, kind) -> None:
    _closing(point, owner)
    make(point)

    with pytest.raises(Exception) as excinfo:
        point_close_complete(actor=owner, point=point)

    assert _code(excinfo) == ErrorCode.CONFLICT
    assert excinfo.value.details["remaining"] == {**NOTHING, kind: 1}
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.CLOSING


def test_completing_an_empty_closing_point_closes_it_for_everyone(point, owner, clock) -> None:
    operator = operator_at(point)
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    ShipmentFactory(point=point, status=Status.ISSUED)  # history stays, it is not at the point
    _closing(point, owner)
    clock.advance(days=3)

    closed = point_close_complete(actor=owner, point=point)

    assert (closed.status, closed.is_active, closed.closed_at) == (PointStatus.CLOSED, False, clock.now())
    for user in (owner, operator, admin):
        assert point not in points_for_user(user=user)
        assert point_access(user=user, point_id=point.pk) is None
    assert Shipment.objects.filter(point=point).count() == 1
    assert AuditRecord.objects.filter(action="point.close_complete", point_id=point.pk).count() == 1


def test_completing_an_open_point_is_a_conflict(point, owner) -> None:
    with pytest.raises(Exception) as excinfo:
        point_close_complete(actor=owner, point=point)

    assert _code(excinfo) == ErrorCode.CONFLICT
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


def test_a_closing_point_refuses_a_new_manifest_and_saves_nothing_of_it(point, owner) -> None:
    partner = PartnerFactory()
    _closing(point, owner)

    with pytest.raises(Exception) as excinfo:
        manifest_load(
            manifest=manifest_generate(seed=3, parcels=4, totes=1), partner=partner, point=point, eta=ETA
        )

    assert _code(excinfo) == ErrorCode.POINT_CLOSING
    assert "не принимает новые поставки" in str(excinfo.value.message)
    assert Shipment.objects.filter(point=point).count() == 0


def test_a_closed_point_refuses_a_manifest(point, owner) -> None:
    _closing(point, owner)
    point_close_complete(actor=owner, point=point)

    with pytest.raises(Exception) as excinfo:
        manifest_load(
            manifest=manifest_generate(seed=4, parcels=2, totes=1),
            partner=PartnerFactory(),
            point=point,
            eta=ETA,
        )

    assert _code(excinfo) == ErrorCode.POINT_CLOSED


def test_a_carriage_announced_before_closing_keeps_the_point_open_until_it_is_closed(point, owner) -> None:
    carriage = manifest_load(
        manifest=manifest_generate(seed=5, parcels=2, totes=1), partner=PartnerFactory(), point=point, eta=ETA
    )
    _closing(point, owner)

    assert point_leftovers(point=point).inbound_carriages == 1
    carriage.status = CarriageStatus.CLOSED
    carriage.save(update_fields=["status"])
    assert point_leftovers(point=point).inbound_carriages == 0


def test_an_open_point_still_takes_manifests(point) -> None:
    carriage = manifest_load(
        manifest=manifest_generate(seed=6, parcels=2, totes=1), partner=PartnerFactory(), point=point, eta=ETA
    )

    assert carriage.point == point
