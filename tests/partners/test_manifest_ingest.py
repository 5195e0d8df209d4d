"""Manifest ingest (pvz.partners.manifests): validated as a whole, per-line errors, all or nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError

from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from pvz.core.errors import Conflict, ErrorCode
from pvz.inbound.models import Carriage, CarriageStatus, ManifestLine, ManifestTote, Tote
from pvz.network.errors import PointClosing
from pvz.network.models import Partner, PickupPoint, PointStatus
from pvz.partners.manifests import MANIFEST_MAX_LINES, ManifestInvalid, ingest, manifest_ingest
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.statuses import Status
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
)
from tests.partners.manifest_data import manifest, shipment_line


@pytest.fixture
def partner(clock: FrozenClock, db: None) -> Partner:
    return PartnerFactory(code="market")


@pytest.fixture
def point(partner: Partner) -> PickupPoint:
    point = PickupPointFactory(code="msk-1")
    PartnerPointFactory(partner=partner, point=point)
    return point


def errors_of(partner: Partner, data: dict[str, Any]) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ManifestInvalid) as caught:
        manifest_ingest(partner=partner, data=data)
    assert caught.value.code == ErrorCode.MANIFEST_INVALID
    return [(e["line"], e["field"], e["code"]) for e in caught.value.details["errors"]]


def nothing_stored() -> bool:
    return not (
        Carriage.objects.exists()
        or Shipment.objects.exists()
        or Tote.objects.exists()
        or Customer.objects.exists()
        or Order.objects.exists()
    )


def test_valid_manifest_creates_carriage_totes_and_expected_shipments(
    partner: Partner, point: PickupPoint
) -> None:
    carriage = manifest_ingest(partner=partner, data=manifest("msk-1", 30, number="car-1"))

    assert carriage.number == "CAR-1"
    assert carriage.status == CarriageStatus.IN_TRANSIT
    assert carriage.point == point
    assert Shipment.objects.filter(carriage=carriage, status=Status.EXPECTED, point=point).count() == 30
    assert ManifestLine.objects.filter(carriage=carriage).count() == 30
    assert ManifestTote.objects.filter(carriage=carriage).count() == 1
    assert Shipment.objects.filter(carriage=carriage, tote=None).count() == 3  # every tenth travels loose
    assert Customer.objects.count() == 30
    assert Order.objects.filter(partner=partner).count() == 30
    first = Shipment.objects.get(barcode="ii10000000001")
    assert (first.size_class, first.weight_g, first.declared_value_kop, first.amount_due_kop) == (
        "M",
        301,
        20000,
        0,
    )
    assert first.order.customer.phone == "+79161000001"
    assert first.tote is not None and first.tote.barcode == "%101%10000000000"


def test_ingest_is_audited_with_counts(partner: Partner, point: PickupPoint) -> None:
    carriage = manifest_ingest(partner=partner, data=manifest("msk-1", 12))

    record = AuditRecord.objects.get(action="carriage.manifest_ingested")
    assert record.object_id == str(carriage.pk)
    assert record.details == {
        "partner": "market",
        "number": "CAR-20261127001",
        "shipments": 12,
        "totes": 1,
        "customers_new": 12,
        "orders_new": 12,
    }


def test_known_customer_is_matched_by_phone_and_keeps_pickup_number(
    partner: Partner, point: PickupPoint
) -> None:
    known = CustomerFactory(phone="+79161000000", pickup_number="5550001111")
    data = manifest("msk-1", 2)
    data["shipments"][1]["customer"]["phone"] = "8 (916) 100-00-00"  # same person, another format

    manifest_ingest(partner=partner, data=data)

    assert Customer.objects.count() == 1
    assert Customer.objects.get().pickup_number == "5550001111"
    assert set(Order.objects.values_list("customer", flat=True)) == {known.pk}


def test_new_customers_get_distinct_ten_digit_pickup_numbers(partner: Partner, point: PickupPoint) -> None:
    manifest_ingest(partner=partner, data=manifest("msk-1", 50))

    numbers = list(Customer.objects.values_list("pickup_number", flat=True))
    assert len(set(numbers)) == 50
    assert all(len(n) == 10 and n.isdigit() and n[0] != "0" for n in numbers)


def test_value_above_partner_threshold_requires_id_check(partner: Partner, point: PickupPoint) -> None:
    partner.id_check_threshold_kop = 5_000_000
    partner.save()
    data = manifest(
        "msk-1",
        0,
        shipments=[
            shipment_line(1, declared_value_kop=5_000_000),
            shipment_line(2, declared_value_kop=5_000_001),
            shipment_line(3, id_check_required=True),
        ],
    )

    manifest_ingest(partner=partner, data=data)

    flags = dict(Shipment.objects.values_list("barcode", "id_check_required"))
    assert flags == {"ii10000000001": False, "ii10000000002": True, "ii10000000003": True}


def test_counter_flags_are_stored_with_their_defaults(partner: Partner, point: PickupPoint) -> None:
    data = manifest(
        "msk-1",
        0,
        shipments=[
            shipment_line(1),  # none given: no try-on, partial refusal allowed, not fragile
            shipment_line(2, try_on_allowed=True, partial_refusal_allowed=False, fragile=True),
            shipment_line(3, try_on_allowed="да", partial_refusal_allowed="0", fragile="yes"),
        ],
    )

    manifest_ingest(partner=partner, data=data)

    flags = {
        barcode: rest
        for barcode, *rest in Shipment.objects.values_list(
            "barcode", "try_on_allowed", "partial_refusal_allowed", "fragile"
        )
    }
    assert flags == {
        "ii10000000001": [False, True, False],
        "ii10000000002": [True, False, True],
        "ii10000000003": [True, False, True],
    }


def test_duplicate_barcode_and_posting_number_within_manifest(partner: Partner, point: PickupPoint) -> None:
    data = manifest("msk-1", 3)
    data["shipments"][2]["barcode"] = "II10000000000"  # case does not make it another barcode
    data["shipments"][1]["posting_number"] = data["shipments"][0]["posting_number"]

    assert errors_of(partner, data) == [(2, "posting_number", "duplicate"), (3, "barcode", "duplicate")]
    assert nothing_stored()


def test_barcode_or_posting_number_the_partner_already_has(partner: Partner, point: PickupPoint) -> None:
    ShipmentFactory(partner=partner, point=point, barcode="ii10000000001", posting_number="other-1")
    ShipmentFactory(partner=partner, point=point, barcode="other", posting_number="48000002-0001-1")
    ShipmentFactory(barcode="ii10000000000")  # another partner's: no conflict
    before = Shipment.objects.count()

    errors = errors_of(partner, manifest("msk-1", 3))

    assert errors == [(2, "barcode", "already_exists"), (3, "posting_number", "already_exists")]
    assert Shipment.objects.count() == before
    assert not Carriage.objects.exists()


def test_unknown_point(partner: Partner, point: PickupPoint) -> None:
    assert errors_of(partner, manifest("nowhere", 1)) == [(None, "point", "unknown_point")]


def test_point_the_partner_does_not_serve(partner: Partner, point: PickupPoint) -> None:
    PickupPointFactory(code="spb-1")

    assert errors_of(partner, manifest("spb-1", 1)) == [(None, "point", "point_not_served")]


def test_closing_point_takes_no_manifest(partner: Partner, point: PickupPoint) -> None:
    PickupPoint.objects.filter(pk=point.pk).update(status=PointStatus.CLOSING)

    with pytest.raises(PointClosing):
        manifest_ingest(partner=partner, data=manifest("msk-1", 2))
    assert nothing_stored()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"size_class": "XXL"}, ("size_class", "bad_size")),
        ({"size_class": ""}, ("size_class", "required")),
        ({"weight_g": 0}, ("weight_g", "not_positive")),
        ({"weight_g": -5}, ("weight_g", "not_positive")),
        ({"weight_g": 1_000_001}, ("weight_g", "too_large")),
        ({"weight_g": "heavy"}, ("weight_g", "invalid")),
        ({"weight_g": True}, ("weight_g", "invalid")),
        ({"weight_g": 1.5}, ("weight_g", "invalid")),
        ({"declared_value_kop": -1}, ("declared_value_kop", "negative")),
        ({"amount_due_kop": -100}, ("amount_due_kop", "negative")),
        ({"amount_due_kop": 10**12 + 1}, ("amount_due_kop", "too_large")),
        ({"customer": {"phone": "12345", "name": "Анна"}}, ("customer.phone", "bad_phone")),
        ({"customer": {"phone": "", "name": "Анна"}}, ("customer.phone", "required")),
        ({"customer": None}, ("customer", "required")),
        ({"customer": {"phone": "+79161234567", "email": "a@b"}}, ("customer.email", "unknown_field")),
        ({"barcode": ""}, ("barcode", "required")),
        ({"barcode": "x" * 41}, ("barcode", "too_long")),
        ({"barcode": "ii\x001"}, ("barcode", "invalid")),
        ({"customer": {"phone": "+79161234567", "name": "Анна\nИванова"}}, ("customer.name", "invalid")),
        ({"posting_number": None}, ("posting_number", "required")),
        ({"order_number": 123}, ("order_number", "invalid")),
        ({"id_check_required": "maybe"}, ("id_check_required", "invalid")),
        ({"fragile": "maybe"}, ("fragile", "invalid")),
        ({"try_on_allowed": 2}, ("try_on_allowed", "invalid")),
        ({"partial_refusal_allowed": "sometimes"}, ("partial_refusal_allowed", "invalid")),
        ({"gift_wrap": True}, ("gift_wrap", "unknown_field")),
    ],
)
def test_bad_line_reports_its_line_field_and_code(
    partner: Partner, point: PickupPoint, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    data = manifest("msk-1", 3)
    data["shipments"][1].update(changes)

    assert errors_of(partner, data) == [(2, *expected)]
    assert nothing_stored()


def test_boundaries_that_are_accepted(partner: Partner, point: PickupPoint) -> None:
    data = manifest(
        "msk-1",
        0,
        eta=None,
        shipments=[
            shipment_line(1, weight_g=1, declared_value_kop=0, amount_due_kop=0, size_class="xl"),
            shipment_line(2, weight_g=1_000_000, amount_due_kop=10**12, barcode="b" * 40),
        ],
    )

    carriage = manifest_ingest(partner=partner, data=data)

    assert carriage.eta is None
    assert Shipment.objects.get(weight_g=1).size_class == "XL"
    assert Shipment.objects.get(weight_g=1_000_000).barcode == "b" * 40


def test_every_bad_line_is_reported_at_once(partner: Partner, point: PickupPoint) -> None:
    data = manifest("msk-1", 5, eta="tomorrow")
    data["shipments"][0]["weight_g"] = 0
    data["shipments"][4]["declared_value_kop"] = -1
    data["shipments"][4]["size_class"] = "Z"

    assert errors_of(partner, data) == [
        (None, "eta", "invalid"),
        (1, "weight_g", "not_positive"),
        (5, "size_class", "bad_size"),
        (5, "declared_value_kop", "negative"),
    ]


def test_errors_carry_a_message(partner: Partner, point: PickupPoint) -> None:
    data = manifest("msk-1", 1)
    data["shipments"][0]["weight_g"] = 0

    with pytest.raises(ManifestInvalid) as caught:
        manifest_ingest(partner=partner, data=data)

    assert caught.value.details["errors"] == [
        {
            "line": 1,
            "field": "weight_g",
            "code": "not_positive",
            "message": "Значение должно быть больше нуля.",
        }
    ]


def test_one_order_with_two_customers_is_refused(partner: Partner, point: PickupPoint) -> None:
    OrderFactory(partner=partner, number="777", customer=CustomerFactory(phone="+79169999999"))
    data = manifest("msk-1", 3)
    data["shipments"][1]["order_number"] = data["shipments"][0]["order_number"]
    data["shipments"][2]["order_number"] = "777"

    assert errors_of(partner, data) == [
        (2, "order_number", "order_customer_mismatch"),
        (3, "order_number", "order_customer_mismatch"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], [(None, "manifest", "invalid")]),
        ({"point": "msk-1", "shipments": [shipment_line(1)]}, [(None, "carriage_number", "required")]),
        ({"carriage_number": "C", "point": "msk-1"}, [(None, "shipments", "required")]),
        ({"carriage_number": "C", "point": "msk-1", "shipments": []}, [(None, "shipments", "empty")]),
        ({"carriage_number": "C", "point": "msk-1", "shipments": [1]}, [(1, "shipment", "invalid")]),
        (
            {"carriage_number": "C", "point": "msk-1", "shipments": [shipment_line(1)], "x": 1},
            [(None, "x", "unknown_field")],
        ),
    ],
)
def test_bad_manifest_shape(partner: Partner, point: PickupPoint, data: Any, expected: list[Any]) -> None:
    assert errors_of(partner, data) == expected


def test_more_lines_than_the_limit_are_refused(partner: Partner, point: PickupPoint) -> None:
    data = manifest("msk-1", 1)
    data["shipments"] = data["shipments"] * (MANIFEST_MAX_LINES + 1)

    assert errors_of(partner, data) == [(None, "shipments", "too_many")]


def test_carriage_number_the_partner_already_has_is_a_conflict(partner: Partner, point: PickupPoint) -> None:
    manifest_ingest(partner=partner, data=manifest("msk-1", 2, number="CAR-7"))

    with pytest.raises(Conflict):
        manifest_ingest(
            partner=partner, data=manifest("msk-1", 0, number="car-7", shipments=[shipment_line(5)])
        )
    assert Shipment.objects.count() == 2


def test_reused_tote_is_sent_out_again(partner: Partner, point: PickupPoint) -> None:
    manifest_ingest(
        partner=partner, data=manifest("msk-1", 0, number="A", shipments=[shipment_line(1, tote="T-1")])
    )
    Tote.objects.update(status="empty")

    manifest_ingest(
        partner=partner, data=manifest("msk-1", 0, number="B", shipments=[shipment_line(2, tote="T-1")])
    )

    assert list(Tote.objects.values_list("barcode", "status")) == [("T-1", "in_transit")]
    assert ManifestTote.objects.count() == 2


def test_one_bad_line_among_a_thousand_stores_nothing(partner: Partner, point: PickupPoint) -> None:
    data = manifest("msk-1", 1000)
    data["shipments"][736]["amount_due_kop"] = -1

    assert errors_of(partner, data) == [(737, "amount_due_kop", "negative")]
    assert nothing_stored()
    assert not AuditRecord.objects.filter(action="carriage.manifest_ingested").exists()


def test_ten_thousand_lines_in_one_manifest(partner: Partner, point: PickupPoint) -> None:
    carriage = manifest_ingest(partner=partner, data=manifest("msk-1", 10_000))

    assert Shipment.objects.filter(carriage=carriage).count() == 10_000
    assert ManifestLine.objects.filter(carriage=carriage).count() == 10_000
    assert Customer.objects.count() == 5000


def test_a_concurrent_manifest_that_took_a_unique_value_first_is_a_conflict(
    partner: Partner, point: PickupPoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    def taken(**kwargs: Any) -> None:
        raise IntegrityError("uniq_shipment_barcode")

    monkeypatch.setattr(ingest, "manifest_write", taken)

    with pytest.raises(Conflict) as caught:
        manifest_ingest(partner=partner, data=manifest("msk-1", 2, number="car-2"))
    assert caught.value.details == {"carriage": "CAR-2"}


def test_an_eta_with_an_offset_postgresql_cannot_store_is_kept_as_the_same_instant(
    partner: Partner, point: PickupPoint
) -> None:
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: the ETA is stored in UTC."""
    carriage = manifest_ingest(partner=partner, data=manifest("msk-1", 1, eta="2026-11-28T14:30:00+23:19"))

    carriage.refresh_from_db()
    assert carriage.eta == dt.datetime(2026, 11, 27, 15, 11, tzinfo=dt.UTC)
