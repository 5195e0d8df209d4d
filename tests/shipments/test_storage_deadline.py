"""DOMAIN rule 1 and 2: the storage deadline is the end of the Nth local day after storing, and the expiry
job moves exactly the overdue STORED shipments to EXPIRED."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from pvz.network.models import PartnerPoint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition, shipments_expire_overdue
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
VVO = zoneinfo.ZoneInfo("Asia/Vladivostok")
ONE_MICROSECOND = dt.timedelta(microseconds=1)


def _store(clock, *, tz: str, at: dt.datetime, storage_days: int | None = None) -> Shipment:
    clock.set(at)
    point = PickupPointFactory(timezone=tz)
    partner = PartnerFactory()
    if storage_days is not None:
        PartnerPoint.objects.create(partner=partner, point=point, storage_days=storage_days)
    shipment = ShipmentFactory(point=point, partner=partner, status=Status.ACCEPTED)
    shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=CellFactory(point=point)
    )
    shipment.refresh_from_db()
    return shipment


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tz", "zone", "stored_local", "deadline_local"),
    [
        (
            "Europe/Moscow",
            MSK,
            dt.datetime(2026, 11, 27, 10, 0),
            dt.datetime(2026, 12, 4, 23, 59, 59, 999999),
        ),
        # Stored one microsecond before local midnight: that day still does not count.
        (
            "Europe/Moscow",
            MSK,
            dt.datetime(2026, 11, 27, 23, 59, 59, 999999),
            dt.datetime(2026, 12, 4, 23, 59, 59, 999999),
        ),
        # Stored at local midnight: the new day is the day of storing.
        ("Europe/Moscow", MSK, dt.datetime(2026, 11, 28, 0, 0), dt.datetime(2026, 12, 5, 23, 59, 59, 999999)),
        (
            "Asia/Vladivostok",
            VVO,
            dt.datetime(2026, 11, 27, 1, 30),
            dt.datetime(2026, 12, 4, 23, 59, 59, 999999),
        ),
        (
            "Asia/Vladivostok",
            VVO,
            dt.datetime(2026, 12, 31, 23, 0),
            dt.datetime(2027, 1, 7, 23, 59, 59, 999999),
        ),
    ],
)
def test_deadline_is_end_of_seventh_local_day_after_storing(
    clock, tz, zone, stored_local, deadline_local
) -> None:
    shipment = _store(clock, tz=tz, at=stored_local.replace(tzinfo=zone))

    assert shipment.storage_deadline == deadline_local.replace(tzinfo=zone)
    assert shipment.stored_at == stored_local.replace(tzinfo=zone)


@pytest.mark.django_db
def test_same_instant_gives_different_deadlines_in_moscow_and_vladivostok(clock) -> None:
    # 2026-11-27 20:00 in Moscow is already 2026-11-28 03:00 in Vladivostok (UTC+10).
    instant = dt.datetime(2026, 11, 27, 20, 0, tzinfo=MSK)
    moscow = _store(clock, tz="Europe/Moscow", at=instant)
    vladivostok = _store(clock, tz="Asia/Vladivostok", at=instant)

    assert moscow.storage_deadline == dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=MSK)
    assert vladivostok.storage_deadline == dt.datetime(2026, 12, 5, 23, 59, 59, 999999, tzinfo=VVO)


@pytest.mark.django_db
def test_partner_point_storage_period_overrides_the_default(clock) -> None:
    shipment = _store(
        clock, tz="Europe/Moscow", at=dt.datetime(2026, 11, 27, 12, 0, tzinfo=MSK), storage_days=3
    )

    assert shipment.storage_deadline == dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=MSK)


@pytest.mark.django_db
@pytest.mark.parametrize(("tz", "zone"), [("Europe/Moscow", MSK), ("Asia/Vladivostok", VVO)])
def test_expiry_spares_the_last_microsecond_and_takes_the_first_after(clock, tz, zone) -> None:
    shipment = _store(clock, tz=tz, at=dt.datetime(2026, 11, 27, 9, 0, tzinfo=zone))
    deadline = shipment.storage_deadline
    assert deadline == dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=zone)

    clock.set(deadline)
    assert shipments_expire_overdue() == 0
    shipment.refresh_from_db()
    assert shipment.status == Status.STORED

    clock.set(deadline + ONE_MICROSECOND)
    assert shipments_expire_overdue() == 1
    shipment.refresh_from_db()
    assert shipment.status == Status.EXPIRED
    event = shipment.events.order_by("-at", "-id").first()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        Status.STORED,
        Status.EXPIRED,
        None,
        "storage_deadline_passed",
    )


@pytest.mark.django_db
def test_expiry_job_is_idempotent_and_touches_nothing_else(clock) -> None:
    start = dt.datetime(2026, 11, 1, 12, 0, tzinfo=MSK)
    overdue = [_store(clock, tz="Europe/Moscow", at=start) for _ in range(3)]
    fresh = _store(clock, tz="Europe/Moscow", at=start + dt.timedelta(days=10))
    # Other statuses with a past deadline must never be touched by the expiry job.
    issued = _store(clock, tz="Europe/Moscow", at=start)
    shipment_transition(actor=None, shipment_id=issued.pk, to_status=Status.ISSUED)
    expected = ShipmentFactory(status=Status.EXPECTED, storage_deadline=start)
    clock.set(start + dt.timedelta(days=12))
    untouched = {s.pk: Shipment.objects.values().get(pk=s.pk) for s in (fresh, issued, expected)}
    events_before = ShipmentEvent.objects.count()

    assert shipments_expire_overdue() == 3
    events_after_first = ShipmentEvent.objects.count()
    assert shipments_expire_overdue() == 0

    assert events_after_first == events_before + 3
    assert ShipmentEvent.objects.count() == events_after_first
    assert {s.status for s in Shipment.objects.filter(pk__in=[s.pk for s in overdue])} == {Status.EXPIRED}
    for pk, row in untouched.items():
        assert Shipment.objects.values().get(pk=pk) == row
