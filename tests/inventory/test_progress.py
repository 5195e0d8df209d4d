"""The count's progress, read from the scope's cell counters, the cells scanned and the count's own
counters (kept by a trigger on every parcel scan), says what the rows say: checked against the same
figures counted the long way (each from its own rows), through a count with every kind of scan, a retired
cell and parcels changing status and place meanwhile."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Q

from pvz.cells.services import cell_retire
from pvz.inventory.counters import count_counters_drift
from pvz.inventory.models import InventoryCount, InventoryScan, ScanKind, ScanOutcome
from pvz.inventory.selectors import CountProgress, count_progress, scope_cells
from pvz.inventory.services import inventory_start
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import AT_POINT, Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory
from tests.inventory.conftest import cell_scan, parcel_scan, stored

pytestmark = pytest.mark.django_db


def _counted(count: InventoryCount) -> CountProgress:
    scans = InventoryScan.objects.filter(count=count)
    cells = scope_cells(count=count)
    parcels = scans.filter(kind=ScanKind.PARCEL)
    return CountProgress(
        cells_scanned=scans.filter(kind=ScanKind.CELL, cell__in=cells).values("cell_id").distinct().count(),
        cells_in_scope=cells.count(),
        parcels_found=parcels.filter(shipment__isnull=False)
        .filter(
            Q(outcome__in=(ScanOutcome.FOUND, ScanOutcome.MISPLACED))
            | Q(outcome=ScanOutcome.REPEAT, reason="")
        )
        .values("shipment_id")
        .distinct()
        .count(),
        parcels_expected=Shipment.objects.filter(
            point_id=count.point_id, status__in=AT_POINT, cell__in=cells
        ).count(),
        misplaced=parcels.filter(outcome=ScanOutcome.MISPLACED).values("shipment_id").distinct().count(),
        unknown=parcels.filter(outcome=ScanOutcome.UNKNOWN).count(),
    )


@pytest.mark.parametrize("zone", [None, "A"])
def test_the_progress_is_what_the_rows_say(shop, zone) -> None:
    a3 = CellFactory(point=shop.point, address="A-01-3", capacity=5)
    parcels = [stored(shop.point, cell) for cell in (shop.a1, shop.a1, shop.a2, shop.b1, shop.b1, a3)]
    other = PickupPointFactory()
    elsewhere = stored(other, CellFactory(point=other, capacity=5))
    ShipmentFactory(point=shop.point, status=Status.ACCEPTED)  # not placed
    issued = ShipmentFactory(point=shop.point, status=Status.ISSUED)
    count = inventory_start(actor=shop.manager, point=shop.point, zone=zone)
    checks = [count_progress(count=count) == _counted(count)]

    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, parcels[0].barcode)  # found
    parcel_scan(count, shop.operator, parcels[0].barcode)  # repeat
    parcel_scan(count, shop.operator, parcels[2].barcode)  # misplaced, moved here
    parcel_scan(count, shop.operator, elsewhere.barcode)  # unknown: another point's
    parcel_scan(count, shop.operator, "ii00000000000")  # unknown: no such code
    parcel_scan(count, shop.operator, "ii00000000000")  # repeat of an unknown code
    parcel_scan(count, shop.operator, issued.barcode)  # unknown: not on a shelf
    parcel_scan(count, shop.operator, issued.barcode)  # its repeat: still not seen on a shelf
    checks.append(count_progress(count=count) == _counted(count))
    cell_scan(count, shop.manager, "A-01-2")
    parcel_scan(count, shop.manager, parcels[0].barcode)  # seen again elsewhere: misplaced
    shipment_transition(actor=None, shipment_id=parcels[1].pk, to_status=Status.ISSUED)
    shipment_move(actor=None, shipment_id=parcels[5].pk, cell=shop.b1)
    checks.append(count_progress(count=count) == _counted(count))
    cell_scan(count, shop.operator, "A-01-3")
    cell_retire(actor=shop.manager, cell=a3)  # emptied by the move above: the scanned cell leaves the scope
    checks.append(count_progress(count=count) == _counted(count))

    assert checks == [True] * len(checks)
    progress = count_progress(count=count)
    assert progress.parcels_found >= 2 and progress.unknown == 3 and progress.misplaced >= 1


def test_a_parcel_scan_with_nul_bytes(shop) -> None:
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1\x00")

    answer = parcel_scan(count, shop.operator, f"{parcel.barcode}\x00")

    assert answer.outcome == ScanOutcome.FOUND
    assert InventoryScan.objects.get(pk=answer.scan.pk).raw_code == parcel.barcode


def test_check_counters_finds_and_repairs_a_count_whose_counters_drifted(shop) -> None:
    """The counters are kept by a trigger; `check_counters` recounts them from the scans, says where they
    differ, and with --repair sets them right."""
    parcel = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    cell_scan(count, shop.operator, "A-01-1")
    parcel_scan(count, shop.operator, parcel.barcode)
    parcel_scan(count, shop.operator, "ii00000000000")
    assert count_counters_drift(point_id=shop.point.pk) == []
    InventoryCount.objects.filter(pk=count.pk).update(found_parcels=7, unknown_scans=0)

    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_counters", "--point", str(shop.point.pk), stdout=out)
    assert f"inventory {count.pk} found_parcels: 7, scans 1" in out.getvalue()
    assert f"inventory {count.pk} unknown_scans: 0, scans 1" in out.getvalue()

    call_command("check_counters", "--repair", stdout=io.StringIO())
    assert count_counters_drift() == []
    progress = count_progress(count=count)
    assert (progress.parcels_found, progress.unknown) == (1, 1)
