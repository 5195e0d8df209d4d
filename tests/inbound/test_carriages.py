"""Planned deliveries, ETA changes, the approaching notice and arrival (the data of the arrival act)."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import CarriageFlow, CarriageStatus
from pvz.inbound.selectors import carriage_find, carriages_approaching, carriages_planned
from pvz.inbound.services import carriage_eta_update, carriage_register_arrival, plate_normalize
from tests.conftest import MSK
from tests.factories import (
    CarriageFactory,
    ManifestLineFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PickupPointFactory()


def at(hour: int, minute: int = 0, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MSK)


# ---- planned deliveries ----


def test_planned_lists_open_direct_carriages_of_the_point_with_counts(point, clock) -> None:
    today = CarriageFactory(point=point, eta=at(15))
    ManifestLineFactory(carriage=today, shipment=ShipmentFactory(point=point))
    ManifestLineFactory(carriage=today, shipment=ShipmentFactory(point=point, status="ACCEPTED"))
    tomorrow = CarriageFactory(point=point, eta=at(9, day=28))
    late = CarriageFactory(point=point, eta=at(8))
    CarriageFactory(point=point, eta=at(11), status=CarriageStatus.CLOSED)
    CarriageFactory(point=point, eta=at(11), flow=CarriageFlow.RETURN)
    CarriageFactory(eta=at(11))  # another point

    rows = carriages_planned(point=point, now=clock.now())

    assert [r.carriage for r in rows] == [late, today, tomorrow]
    first_today = rows[1]
    assert (first_today.expected_shipments, first_today.still_expected, first_today.is_today) == (2, 1, True)
    assert (rows[0].is_late, rows[1].is_late, rows[2].is_today) == (True, False, False)


def test_approaching_is_eta_within_30_minutes_inclusive_and_not_arrived(point, clock) -> None:
    now = clock.now()
    edge = CarriageFactory(point=point, eta=now + dt.timedelta(minutes=30))
    CarriageFactory(point=point, eta=now + dt.timedelta(minutes=30, microseconds=1))
    late = CarriageFactory(point=point, eta=now - dt.timedelta(minutes=5))
    CarriageFactory(point=point, eta=now + dt.timedelta(minutes=5), status=CarriageStatus.ARRIVED)
    CarriageFactory(point=point, eta=at(23, 59, day=26))  # an earlier day: forgotten, not approaching

    assert carriages_approaching(point=point, now=now) == [late, edge]


# ---- ETA ----


def test_eta_update_pushes_the_approaching_list(
    point, clock, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    pushed = []
    monkeypatch.setattr(
        "pvz.inbound.services.carriages.point_changed", lambda pid, **kw: pushed.append((pid, kw))
    )
    carriage = CarriageFactory(point=point, eta=at(15))

    with django_capture_on_commit_callbacks(execute=True):
        carriage_eta_update(
            actor=operator_at(point), carriage=carriage, eta=clock.now() + dt.timedelta(minutes=20)
        )

    point_id, message = pushed[-1]
    assert point_id == point.pk and message["topic"] == "carriage"
    assert message["data"]["approaching"] == [
        {
            "id": carriage.pk,
            "number": carriage.number,
            "partner": carriage.partner.name,
            "eta": (clock.now() + dt.timedelta(minutes=20)).isoformat(),
            "minutes": 20,
        }
    ]


def test_eta_bounds_are_now_and_30_days_ahead(point, clock) -> None:
    carriage = CarriageFactory(point=point)
    now = clock.now()
    for ok in (now, now + dt.timedelta(days=30)):
        assert carriage_eta_update(actor=None, carriage=carriage, eta=ok).eta == ok
    for bad in (now - dt.timedelta(microseconds=1), now + dt.timedelta(days=30, microseconds=1)):
        with pytest.raises(DomainError) as error:
            carriage_eta_update(actor=None, carriage=carriage, eta=bad)
        assert error.value.code == ErrorCode.VALIDATION_FAILED


def test_eta_of_an_arrived_carriage_cannot_change(point, clock) -> None:
    carriage = CarriageFactory(point=point, status=CarriageStatus.ARRIVED)
    with pytest.raises(DomainError) as error:
        carriage_eta_update(actor=None, carriage=carriage, eta=clock.now())
    assert error.value.code == ErrorCode.CONFLICT


# ---- arrival ----


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("А123ВС77", "А123ВС77"),
        ("a123bc777", "А123ВС777"),
        ("Х 001 ТУ 99", "Х001ТУ99"),
        ("M-777-OP-50", "М777ОР50"),
    ],
)
def test_plates_are_normalised_to_cyrillic(point, clock, typed, stored) -> None:
    carriage = carriage_register_arrival(
        actor=None, carriage=CarriageFactory(point=point), vehicle_plate=typed
    )
    assert carriage.vehicle_plate == stored
    assert plate_normalize(typed) == stored


@pytest.mark.parametrize("plate", ["Б123ВС77", "А12ВС77", "А123ВС7", "А123ВС7777", "123АВС77", "A123BZ77"])
def test_malformed_plates_are_refused(point, clock, plate) -> None:
    with pytest.raises(DomainError) as error:
        carriage_register_arrival(actor=None, carriage=CarriageFactory(point=point), vehicle_plate=plate)
    assert "vehicle_plate" in error.value.details["fields"]


def test_seal_numbers_are_4_to_20_alphanumerics_without_repeats(point, clock) -> None:
    ok = carriage_register_arrival(
        actor=None, carriage=CarriageFactory(point=point), seal_numbers=["ab12", "X" * 20, " "]
    )
    assert ok.seal_numbers == ["AB12", "X" * 20]
    for seals in (["abc"], ["X" * 21], ["12-34"], ["ab12", "AB12"]):
        with pytest.raises(DomainError) as error:
            carriage_register_arrival(actor=None, carriage=CarriageFactory(point=point), seal_numbers=seals)
        assert "seal_numbers" in error.value.details["fields"]


def test_driver_name_up_to_200_characters(point, clock) -> None:
    assert carriage_register_arrival(actor=None, carriage=CarriageFactory(point=point), driver_name="Я" * 200)
    with pytest.raises(DomainError):
        carriage_register_arrival(actor=None, carriage=CarriageFactory(point=point), driver_name="Я" * 201)


def test_arrival_records_the_act_data_and_time(point, clock) -> None:
    operator = operator_at(point)
    carriage = carriage_register_arrival(
        actor=operator,
        carriage=CarriageFactory(point=point),
        driver_name="  Пётр   Иванов ",
        vehicle_plate="А123ВС77",
        seal_numbers=["1234"],
    )
    assert (carriage.status, carriage.arrived_at) == (CarriageStatus.ARRIVED, clock.now())
    assert (carriage.driver_name, carriage.arrival_registered_by) == ("Пётр Иванов", operator)


def test_arriving_again_with_same_or_no_data_is_a_no_op_other_data_a_conflict(point, clock) -> None:
    carriage = CarriageFactory(point=point)
    first = carriage_register_arrival(
        actor=None, carriage=carriage, vehicle_plate="А123ВС77", seal_numbers=["1234"]
    )
    clock.advance(minutes=5)

    assert carriage_register_arrival(actor=None, carriage=carriage).arrived_at == first.arrived_at
    again = carriage_register_arrival(
        actor=None, carriage=carriage, vehicle_plate="a123bc77", seal_numbers=["1234"]
    )
    assert again.arrived_at == first.arrived_at
    with pytest.raises(DomainError) as error:
        carriage_register_arrival(actor=None, carriage=carriage, vehicle_plate="В123ВС77")
    assert error.value.code == ErrorCode.CONFLICT
    assert error.value.details["vehicle_plate"] == "А123ВС77"


def test_arrival_time_may_not_be_in_the_future(point, clock) -> None:
    carriage = CarriageFactory(point=point)
    assert (
        carriage_register_arrival(actor=None, carriage=carriage, arrived_at=clock.now()).arrived_at
        == clock.now()
    )
    with pytest.raises(DomainError):
        carriage_register_arrival(
            actor=None,
            carriage=CarriageFactory(point=point),
            arrived_at=clock.now() + dt.timedelta(seconds=1),
        )


def test_carriage_is_found_by_its_code_in_any_layout(point) -> None:
    carriage = CarriageFactory(point=point, number="CAR-20261127001")
    user = operator_at(point)

    assert carriage_find(user=user, point=point, code="сфк-20261127001") == carriage
    assert carriage_find(user=user, point=point, code="car20261127001") == carriage
    with pytest.raises(DomainError) as error:
        carriage_find(user=user, point=point, code="CAR-999999")
    assert error.value.code == ErrorCode.NOT_FOUND
    other = PickupPointFactory()
    with pytest.raises(DomainError):
        carriage_find(user=operator_at(other), point=other, code="CAR-20261127001")
