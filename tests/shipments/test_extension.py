"""DOMAIN rule 1, extension: the deadline moves by 1–7 local days, once per visit, while STORED and
`now <= deadline`; the new deadline is again the end of a local day; one EXTENSION event, idempotent."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_extend_storage, shipment_transition, shipments_expire_overdue
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.races import race, skip_on_in_memory_sqlite

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
YEKT = zoneinfo.ZoneInfo("Asia/Yekaterinburg")
ONE_MICROSECOND = dt.timedelta(microseconds=1)
END_OF_DAY = dt.time(23, 59, 59, 999999)

pytestmark = pytest.mark.django_db


def stored(point, *, operator=None) -> Shipment:
    """A parcel put on a shelf now (by the clock), through the one transition function."""
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_transition(
        actor=operator, shipment_id=shipment.pk, to_status=Status.STORED, cell=CellFactory(point=point)
    )
    return Shipment.objects.select_related("point").get(pk=shipment.pk)


def walk(shipment: Shipment, *statuses: Status) -> Shipment:
    for status in statuses:
        cell = CellFactory(point=shipment.point) if status == Status.STORED else None
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=status, cell=cell)
    return Shipment.objects.select_related("point").get(pk=shipment.pk)


def refused(code: ErrorCode, action) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


@pytest.fixture
def point(db):
    return PickupPointFactory(timezone="Europe/Moscow")


@pytest.fixture
def operator(point):
    return operator_at(point)


@pytest.fixture
def parcel(clock, point, operator) -> Shipment:
    # Stored 27.11 10:00 MSK, 7 days: deadline 04.12 23:59:59.999999 MSK.
    return stored(point, operator=operator)


@pytest.mark.parametrize(
    ("days", "new_deadline"),
    [(1, dt.datetime(2026, 12, 5, 23, 59, 59, 999999)), (7, dt.datetime(2026, 12, 11, 23, 59, 59, 999999))],
)
def test_extension_moves_the_deadline_to_the_end_of_a_later_local_day(
    clock, parcel, operator, days, new_deadline
) -> None:
    assert parcel.storage_deadline == dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=MSK)

    extension = shipment_extend_storage(actor=operator, shipment=parcel, days=days, key="ext-1")

    parcel.refresh_from_db()
    assert parcel.storage_deadline == new_deadline.replace(tzinfo=MSK)
    assert parcel.status == Status.STORED
    assert parcel.storage_extended_at == clock.now()
    assert parcel.storage_extended_by == operator
    assert extension.previous_deadline == dt.datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=MSK)
    assert extension.replayed is False


def test_extension_writes_exactly_one_extension_event_with_both_deadlines(clock, parcel, operator) -> None:
    before = parcel.events.count()
    version = parcel.version

    extension = shipment_extend_storage(actor=operator, shipment=parcel, days=3, key="ext-1")

    assert parcel.events.count() == before + 1
    event = ShipmentEvent.objects.get(pk=extension.event.pk)
    assert (event.kind, event.from_status, event.to_status) == (
        EventKind.EXTENSION,
        Status.STORED,
        Status.STORED,
    )
    assert (event.actor, event.idempotency_key, event.reason, event.at) == (
        operator,
        "ext-1",
        "storage_extended",
        clock.now(),
    )
    assert event.cell_id == parcel.cell_id
    assert event.details["days"] == 3
    assert dt.datetime.fromisoformat(event.details["old_deadline"]) == dt.datetime(
        2026, 12, 4, 23, 59, 59, 999999, tzinfo=MSK
    )
    assert dt.datetime.fromisoformat(event.details["new_deadline"]) == dt.datetime(
        2026, 12, 7, 23, 59, 59, 999999, tzinfo=MSK
    )
    assert Shipment.objects.get(pk=parcel.pk).version == version + 1


@pytest.mark.parametrize("days", [0, 8, -1, 100])
def test_extension_outside_1_to_7_days_is_refused_and_changes_nothing(parcel, operator, days) -> None:
    error = refused(
        ErrorCode.VALIDATION_FAILED,
        lambda: shipment_extend_storage(actor=operator, shipment=parcel, days=days, key="ext-bad"),
    )

    assert error.details["field"] == "days"
    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.storage_deadline, after.storage_extended_at, after.version) == (
        parcel.storage_deadline,
        None,
        parcel.version,
    )
    assert not ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).exists()


def test_a_second_extension_is_refused(parcel, operator) -> None:
    shipment_extend_storage(actor=operator, shipment=parcel, days=1, key="ext-1")
    once = Shipment.objects.get(pk=parcel.pk)

    refused(
        ErrorCode.ALREADY_EXTENDED,
        lambda: shipment_extend_storage(actor=operator, shipment=parcel, days=1, key="ext-2"),
    )

    after = Shipment.objects.get(pk=parcel.pk)
    assert (after.storage_deadline, after.version) == (once.storage_deadline, once.version)
    assert ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).count() == 1


def test_extension_is_allowed_at_the_deadline_itself_and_refused_one_microsecond_later(
    clock, point, operator
) -> None:
    at_deadline, past_deadline = stored(point), stored(point)
    deadline = at_deadline.storage_deadline
    assert deadline is not None

    clock.set(deadline)
    shipment_extend_storage(actor=operator, shipment=at_deadline, days=1, key="ext-at")
    clock.set(deadline + ONE_MICROSECOND)
    refused(
        ErrorCode.STORAGE_EXPIRED,
        lambda: shipment_extend_storage(actor=operator, shipment=past_deadline, days=1, key="ext-past"),
    )

    assert Shipment.objects.get(pk=at_deadline.pk).storage_deadline == deadline + dt.timedelta(days=1)
    assert Shipment.objects.get(pk=past_deadline.pk).storage_deadline == deadline


@pytest.mark.parametrize(
    "statuses",
    [
        (Status.ACCEPTED,),
        (Status.ACCEPTED, Status.STORED, Status.ISSUED),
        (Status.ACCEPTED, Status.STORED, Status.EXPIRED),
    ],
    ids=["accepted", "issued", "expired"],
)
def test_only_a_stored_parcel_can_be_extended(clock, point, operator, statuses) -> None:
    shipment = walk(ShipmentFactory(point=point), *statuses)

    refused(
        ErrorCode.INVALID_TRANSITION,
        lambda: shipment_extend_storage(actor=operator, shipment=shipment, days=1, key="ext-1"),
    )

    assert not ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).exists()


@pytest.mark.parametrize(
    ("timezone", "zone", "deadline", "extended"),
    [
        # 27.11 21:30 MSK is 27.11 23:30 in Yekaterinburg: the same day in both zones.
        ("Europe/Moscow", MSK, dt.date(2026, 12, 4), dt.date(2026, 12, 9)),
        ("Asia/Yekaterinburg", YEKT, dt.date(2026, 12, 4), dt.date(2026, 12, 9)),
    ],
)
def test_the_new_deadline_is_the_end_of_the_local_day_in_the_points_timezone(
    clock, timezone, zone, deadline, extended
) -> None:
    clock.set(dt.datetime(2026, 11, 27, 21, 30, tzinfo=MSK))
    point = PickupPointFactory(timezone=timezone)
    shipment = stored(point)
    assert shipment.storage_deadline == dt.datetime.combine(deadline, END_OF_DAY, tzinfo=zone)

    shipment_extend_storage(actor=operator_at(point), shipment=shipment, days=5, key=f"ext-{timezone}")

    new = Shipment.objects.get(pk=shipment.pk).storage_deadline
    assert new == dt.datetime.combine(extended, END_OF_DAY, tzinfo=zone)
    assert new.astimezone(zone).time() == END_OF_DAY


def test_yekaterinburg_and_moscow_deadlines_differ_by_their_two_hours(clock) -> None:
    # Stored 27.11 22:30 MSK = 28.11 00:30 in Yekaterinburg: there the storing day is already the 28th.
    clock.set(dt.datetime(2026, 11, 27, 22, 30, tzinfo=MSK))
    moscow, yekaterinburg = (
        PickupPointFactory(timezone="Europe/Moscow"),
        PickupPointFactory(timezone="Asia/Yekaterinburg"),
    )
    in_moscow, in_yekaterinburg = stored(moscow), stored(yekaterinburg)

    shipment_extend_storage(actor=operator_at(moscow), shipment=in_moscow, days=2, key="ext-msk")
    shipment_extend_storage(
        actor=operator_at(yekaterinburg), shipment=in_yekaterinburg, days=2, key="ext-yekt"
    )

    assert Shipment.objects.get(pk=in_moscow.pk).storage_deadline == dt.datetime(
        2026, 12, 6, 23, 59, 59, 999999, tzinfo=MSK
    )
    assert Shipment.objects.get(pk=in_yekaterinburg.pk).storage_deadline == dt.datetime(
        2026, 12, 7, 23, 59, 59, 999999, tzinfo=YEKT
    )
    assert Shipment.objects.get(pk=in_yekaterinburg.pk).storage_deadline == dt.datetime(
        2026, 12, 7, 21, 59, 59, 999999, tzinfo=MSK
    )


def test_a_replayed_key_returns_the_first_extension_and_writes_nothing(parcel, operator) -> None:
    first = shipment_extend_storage(actor=operator, shipment=parcel, days=2, key="ext-1")

    again = shipment_extend_storage(actor=operator, shipment=parcel, days=2, key="ext-1")

    assert again.replayed is True
    assert again.event.pk == first.event.pk
    assert again.previous_deadline == first.previous_deadline
    assert again.shipment.storage_deadline == first.shipment.storage_deadline
    assert ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).count() == 1


def test_the_same_key_for_other_days_or_another_parcel_is_a_mismatch(point, parcel, operator) -> None:
    other = stored(point)
    shipment_extend_storage(actor=operator, shipment=parcel, days=2, key="ext-1")

    refused(
        ErrorCode.IDEMPOTENCY_MISMATCH,
        lambda: shipment_extend_storage(actor=operator, shipment=parcel, days=3, key="ext-1"),
    )
    refused(
        ErrorCode.IDEMPOTENCY_MISMATCH,
        lambda: shipment_extend_storage(actor=operator, shipment=other, days=2, key="ext-1"),
    )
    assert Shipment.objects.get(pk=other.pk).storage_extended_at is None


def test_the_expiry_job_respects_the_extended_deadline(clock, parcel, operator) -> None:
    old_deadline = parcel.storage_deadline
    assert old_deadline is not None
    shipment_extend_storage(actor=operator, shipment=parcel, days=1, key="ext-1")

    clock.set(old_deadline + ONE_MICROSECOND)
    assert shipments_expire_overdue() == 0
    clock.set(old_deadline + dt.timedelta(days=1))
    assert shipments_expire_overdue() == 0
    clock.advance(microseconds=1)
    assert shipments_expire_overdue() == 1

    assert Shipment.objects.get(pk=parcel.pk).status == Status.EXPIRED


def test_a_new_visit_may_be_extended_again(clock, parcel, operator) -> None:
    shipment_extend_storage(actor=operator, shipment=parcel, days=1, key="ext-visit-1")
    clock.advance(days=9)
    again = walk(
        parcel,
        Status.EXPIRED,
        Status.AWAITING_DISPATCH,
        Status.DISPATCHED,
        Status.EXPECTED,
        Status.ACCEPTED,
        Status.STORED,
    )
    assert (again.visit, again.storage_extended_at, again.storage_extended_by) == (2, None, None)

    shipment_extend_storage(actor=operator, shipment=again, days=1, key="ext-visit-2")

    assert Shipment.objects.get(pk=parcel.pk).storage_extended_at == clock.now()


@pytest.mark.django_db(transaction=True)
def test_two_extensions_at_once_exactly_one_succeeds(clock) -> None:
    skip_on_in_memory_sqlite()
    point = PickupPointFactory()
    operator = operator_at(point)
    shipment = stored(point)

    outcomes = race(
        lambda: shipment_extend_storage(actor=operator, shipment=shipment, days=1, key="race-1"),
        lambda: shipment_extend_storage(actor=operator, shipment=shipment, days=2, key="race-2"),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], DomainError) and errors[0].code == ErrorCode.ALREADY_EXTENDED
    assert ShipmentEvent.objects.filter(kind=EventKind.EXTENSION, shipment=shipment).count() == 1
