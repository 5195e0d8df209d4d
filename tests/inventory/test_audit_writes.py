"""Inventory start, finish and cancel leave one audit record each; scans stay out of the chain (their
moves and write-offs are shipment events, sealed in batches); refusals leave none."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.inventory.services import inventory_cancel, inventory_finish, inventory_start
from tests.audit.records import no_new_records, the_record
from tests.inventory.conftest import cell_scan, parcel_scan, stored

pytestmark = pytest.mark.django_db


def test_a_start_is_one_record_with_its_zone(shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point, zone="a")

    record = the_record("inventory.started", actor=shop.manager, point_id=shop.point.pk, obj=count)
    assert record.details == {"zone": "A"}


def test_a_second_start_or_an_empty_zone_records_nothing(shop) -> None:
    inventory_start(actor=shop.manager, point=shop.point)

    with no_new_records(), pytest.raises(DomainError) as error:
        inventory_start(actor=shop.manager, point=shop.point)
    assert error.value.code == ErrorCode.CONFLICT
    with no_new_records(), pytest.raises(DomainError) as error:
        inventory_start(actor=shop.manager, point=shop.point, zone="Q")
    assert error.value.code == ErrorCode.VALIDATION_FAILED


def test_scans_write_no_chained_record(shop) -> None:
    parcel = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)

    with no_new_records():
        cell_scan(count, shop.operator, "A-01-1")
        parcel_scan(count, shop.operator, parcel.barcode)  # misplaced: moved into A-01-1


def test_a_finish_is_one_record_with_the_reports_counts(shop) -> None:
    found = stored(shop.point, shop.a1)
    missing = stored(shop.point, shop.a2)
    stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, found.barcode)

    inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[missing.pk])

    record = the_record("inventory.finished", actor=shop.manager, point_id=shop.point.pk, obj=count)
    assert record.details == {
        "zone": "",
        "found": 1,
        "misplaced": 0,
        "moved": 0,
        "missing": 2,
        "lost": 1,
        "unknown": 0,
    }


def test_a_refused_finish_records_nothing(shop) -> None:
    elsewhere = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, elsewhere.barcode)

    with no_new_records(), pytest.raises(DomainError) as error:
        inventory_finish(actor=shop.manager, count=count, confirmed_missing_ids=[elsewhere.pk])
    assert error.value.code == ErrorCode.VALIDATION_FAILED


def test_a_cancel_is_one_record_and_cancelling_again_none(shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point, zone="B")

    inventory_cancel(actor=shop.operator, count=count)
    with no_new_records():
        inventory_cancel(actor=shop.operator, count=count)

    record = the_record("inventory.cancelled", actor=shop.operator, point_id=shop.point.pk, obj=count)
    assert record.details == {"zone": "B"}


def test_cancelling_a_finished_count_records_nothing(shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point)
    inventory_finish(actor=shop.manager, count=count)

    with no_new_records(), pytest.raises(DomainError) as error:
        inventory_cancel(actor=shop.manager, count=count)
    assert error.value.code == ErrorCode.INVENTORY_CLOSED
