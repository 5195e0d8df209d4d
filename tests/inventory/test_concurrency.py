"""DOMAIN rule 9 in an inventory count: two operators scanning the same parcel or the same unknown code at
the same moment, and a scan racing the count's cancellation. On PostgreSQL the scans go through
`pvz_inventory_scan` (the one-call path); the count's row lock puts them one after the other, so one is the
first and the other its REPEAT, and the counters the trigger keeps stay exact."""

from __future__ import annotations

import uuid

import pytest

from pvz.core.errors import DomainError
from pvz.inventory.counters import count_counters_drift
from pvz.inventory.models import CountStatus, InventoryCount, InventoryScan, ScanKind, ScanOutcome
from pvz.inventory.selectors import count_progress
from pvz.inventory.services import inventory_cancel, inventory_scan_as, inventory_start
from tests.factories import operator_at
from tests.inventory.conftest import stored
from tests.races import race, skip_on_in_memory_sqlite

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def needs_file_database() -> None:
    skip_on_in_memory_sqlite()


def _scan(count: InventoryCount, actor, kind: ScanKind, code: str):
    return inventory_scan_as(actor=actor, count_id=count.pk, kind=kind, code=code, scan_id=uuid.uuid4())


def _two_operators_in(shop, count: InventoryCount) -> list:
    operators = [shop.operator, operator_at(shop.point)]
    for operator in operators:
        _scan(count, operator, ScanKind.CELL, shop.a1.address)
    return operators


def test_two_operators_scanning_one_parcel_at_once_find_it_once(needs_file_database, shop) -> None:
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    operators = _two_operators_in(shop, count)

    outcomes = race(
        *(
            (lambda op=op, code=code: str(_scan(count, op, ScanKind.PARCEL, code).outcome))
            for op, code in zip(operators, (parcel.barcode, parcel.posting_number), strict=True)
        )
    )

    assert sorted(outcomes) == [ScanOutcome.FOUND, ScanOutcome.REPEAT], outcomes
    progress = count_progress(count=count)
    assert (progress.parcels_found, progress.cells_scanned, progress.unknown) == (1, 1, 0)
    assert count_counters_drift(point_id=shop.point.pk) == []


def test_two_operators_scanning_one_unknown_code_at_once_count_it_once(needs_file_database, shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point)
    operators = _two_operators_in(shop, count)

    outcomes = race(
        *((lambda op=op: str(_scan(count, op, ScanKind.PARCEL, "ii00000000001").outcome)) for op in operators)
    )

    assert sorted(outcomes) == [ScanOutcome.REPEAT, ScanOutcome.UNKNOWN], outcomes
    assert count_progress(count=count).unknown == 1
    assert count_counters_drift(point_id=shop.point.pk) == []


def test_a_scan_racing_the_cancel_is_recorded_before_it_or_refused(needs_file_database, shop) -> None:
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    _scan(count, shop.operator, ScanKind.CELL, shop.a1.address)

    scanned, cancelled = race(
        lambda: _scan(count, shop.operator, ScanKind.PARCEL, parcel.barcode),
        lambda: inventory_cancel(actor=shop.manager, count=count),
    )

    assert InventoryCount.objects.get(pk=count.pk).status == CountStatus.CANCELLED, cancelled
    parcel_scans = InventoryScan.objects.filter(count=count, kind=ScanKind.PARCEL)
    if isinstance(scanned, DomainError):
        assert scanned.code == "INVENTORY_CLOSED"
        assert not parcel_scans.exists()
    else:
        assert [s.outcome for s in parcel_scans] == [ScanOutcome.FOUND]
        assert parcel_scans.get().at <= InventoryCount.objects.get(pk=count.pk).finished_at
