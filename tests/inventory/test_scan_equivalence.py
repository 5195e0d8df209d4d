"""Two implementations of the inventory scans, the same results (docs/adr/0006-scan-hot-path.md).

On PostgreSQL a scan is one call of `pvz_inventory_scan`; on SQLite, and on PostgreSQL for a replayed scan
id or a misplaced parcel, it runs as Python. Random sequences of actions (cell labels in and out of the
count's zone, retired and unknown ones, in any layout and case; parcels on their shelf, on another shelf,
not placed, off the shelf, of another point, namesakes, unknown codes; by operators, by someone without
"operate", by someone of another point; scan ids from a small pool so that some are resent; a cell
retired and the count cancelled midway) run twice on the same world, once through Python only and once
with the function, each rolled back afterwards. Answers, errors and everything written must be the same.
PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvz.accounts.roles import Role
from pvz.core.errors import DomainError
from pvz.inventory import scan_database
from pvz.inventory.models import InventoryCount, InventoryScan, ScanKind
from pvz.inventory.services import inventory_cancel, inventory_scan_as, inventory_start
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.network.services import special_places_ensure
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.equivalence import isolated
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.inventory.conftest import stored

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

NOW = dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC)
SCAN_IDS = [uuid.UUID(int=n + 1) for n in range(6)]


class World:
    def __init__(self, zone: str) -> None:
        self.point = PickupPointFactory()
        self.elsewhere = PickupPointFactory()
        partner, other_partner = PartnerFactory(), PartnerFactory()
        special_places_ensure(actor=None, point=self.point)
        cells = [
            CellFactory(point=self.point, address=address, size_class=SizeClass.L, capacity=5)
            for address in ("A-01-1", "A-01-2", "B-01-1", "A-01-9")
        ]
        self.cells = cells
        # Not a customer cell, though its address looks like zone A's: outside a count of zone A.
        CellFactory(point=self.point, address="A-02-1", kind=CellKind.CONSUMABLES, capacity=5)
        Cell.objects.filter(pk=cells[3].pk).update(is_active=False)
        on_a1 = [stored(self.point, cells[0], partner=partner) for _ in range(2)]
        on_a2 = stored(self.point, cells[1], partner=partner)
        on_b1 = stored(self.point, cells[2], partner=partner)
        not_placed = ShipmentFactory(point=self.point, partner=partner, status=Status.ACCEPTED)
        issued = ShipmentFactory(point=self.point, partner=partner, status=Status.ISSUED)
        expired = ShipmentFactory(point=self.point, partner=partner, status=Status.EXPIRED, cell=cells[0])
        foreign = ShipmentFactory(point=self.elsewhere, partner=partner, status=Status.STORED)
        # Namesakes: one label, two partners, one of them at the other point.
        here = stored(self.point, cells[0], partner=partner, barcode="ii70000000001")
        ShipmentFactory(
            point=self.elsewhere, partner=other_partner, barcode="ii70000000001", status=Status.STORED
        )
        self.cell_codes = [
            "A-01-1",
            "a-01-2",
            "ф-01-1",
            "B-01-1",
            "A-01-9",
            "Z-99-9",
            "inspection",
            "",
            "A-02-1",
        ]
        self.parcel_codes = [
            on_a1[0].barcode,
            on_a1[1].posting_number,
            on_a2.barcode.upper(),
            on_b1.barcode.replace("ii", "шш"),
            not_placed.barcode,
            issued.barcode,
            expired.barcode,
            foreign.barcode,
            here.barcode,
            "ii99999999999",
            "",
        ]
        self.actors = [
            operator_at(self.point),
            operator_at(self.point),
            operator_at(self.point, role=Role.SUPPORT),
            operator_at(self.elsewhere),
        ]
        self.count = inventory_start(
            actor=operator_at(self.point, role=Role.MANAGER), point=self.point, zone=zone
        )


# (what, code, who, scan id): what 0 = cell label, 1 = parcel, 2 = retire a cell, 3 = cancel the count.
ACTION = st.tuples(
    st.sampled_from([0, 0, 1, 1, 1, 1, 1, 2, 3]),
    st.integers(0, 10),
    st.sampled_from([0, 0, 0, 1, 2, 3]),
    st.integers(0, len(SCAN_IDS) - 1),
)


def _run(world: World, actions: list[tuple[int, int, int, int]]) -> list[Any]:
    answers: list[Any] = []
    for what, code, who, key in actions:
        if what == 2:
            Cell.objects.filter(pk=world.cells[code % 3].pk).update(is_active=False)
            continue
        if what == 3:
            if code == 0:  # rarely: most sequences keep their count open
                inventory_cancel(actor=world.actors[0], count=world.count)
            continue
        kind = ScanKind.CELL if what == 0 else ScanKind.PARCEL
        codes = world.cell_codes if kind == ScanKind.CELL else world.parcel_codes
        try:
            answer = inventory_scan_as(
                actor=world.actors[who],
                count_id=world.count.pk,
                kind=kind,
                code=codes[code % len(codes)],
                scan_id=SCAN_IDS[key],
            )
        except DomainError as error:
            answers.append(("error", str(error.code), str(error.message), error.details))
            continue
        scan = answer.scan
        answers.append(
            (
                str(scan.outcome),
                scan.code,
                answer.cell.address,
                scan.shipment.pk if scan.shipment else None,
                scan.shipment.posting_number if scan.shipment else None,
                scan.shipment_status,
                str(scan.reason),
                scan.from_cell.address if scan.from_cell else None,
                scan.moved,
                scan.problem_code,
                scan.scan_id,
                answer.replayed,
                answer.progress.as_dict(),
            )
        )
    return answers


def _state(world: World) -> dict[str, Any]:
    return {
        "scans": list(
            InventoryScan.objects.order_by("pk").values_list(
                "count_id",
                "kind",
                "operator_id",
                "cell__address",
                "raw_code",
                "code",
                "outcome",
                "shipment_id",
                "shipment_status",
                "reason",
                "from_cell__address",
                "moved",
                "problem_code",
                "problem",
                "scan_id",
                "at",
            )
        ),
        "count": list(InventoryCount.objects.filter(pk=world.count.pk).values_list("status", "finished_by")),
        "shipments": list(
            Shipment.objects.order_by("pk").values_list("pk", "status", "cell__address", "version", "visit")
        ),
        "events": list(
            ShipmentEvent.objects.order_by("pk").values_list(
                "shipment_id", "kind", "from_status", "to_status", "reason", "cell__address", "details", "at"
            )
        ),
        "cells": list(
            Cell.objects.order_by("point_id", "address").values_list("address", "is_active", "held")
        ),
    }


@given(zone=st.sampled_from(["", "A"]), actions=st.lists(ACTION, min_size=1, max_size=25))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@example(
    zone="", actions=[(1, 0, 0, 0), (0, 0, 0, 1), (1, 0, 0, 2), (1, 0, 0, 3), (1, 2, 0, 4), (1, 9, 0, 5)]
)
@example(
    zone="A", actions=[(0, 3, 0, 0), (0, 1, 0, 1), (1, 4, 0, 2), (1, 4, 0, 3), (1, 0, 0, 2), (1, 5, 1, 4)]
)
@example(
    zone="", actions=[(0, 0, 0, 0), (1, 7, 0, 1), (1, 8, 0, 2), (2, 0, 0, 0), (1, 6, 0, 3), (3, 0, 0, 0)]
)
@example(
    zone="", actions=[(0, 0, 2, 0), (0, 0, 3, 1), (0, 6, 0, 2), (1, 6, 0, 3), (1, 5, 0, 4), (1, 5, 0, 5)]
)
# The operator's current cell is their last cell scan (two cell scans, then a parcel of the first).
@example(zone="", actions=[(0, 0, 0, 0), (0, 1, 0, 1), (1, 0, 0, 2), (0, 0, 1, 3), (1, 2, 1, 4)])
# A customer-looking address on a special place: out of a count of zone A.
@example(zone="A", actions=[(0, 8, 0, 0), (0, 0, 0, 1), (1, 0, 0, 2)])
# A scanned cell retired afterwards leaves the progress's cells scanned.
@example(zone="", actions=[(0, 0, 0, 0), (2, 0, 0, 0), (0, 3, 0, 1), (1, 3, 0, 2)])
def test_the_function_and_the_python_path_write_the_same(zone, actions, clock, monkeypatch) -> None:
    clock.set(NOW)
    with transaction.atomic():
        world = World(zone)

        def both(database: bool) -> tuple[list[Any], dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(scan_database, "available", lambda: database)
                answers = _run(world, actions)
            return answers, _state(world)

        python_answers, python_state = isolated(lambda: both(False))
        database_answers, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    assert database_answers == python_answers
    for key in python_state:
        assert database_state[key] == python_state[key], key


def test_the_function_answers_found_and_defers_what_python_does(clock) -> None:
    """The function's own answers, not only their agreement with Python: it scans, refuses, and leaves
    the replay and the misplaced parcel to Python."""
    clock.set(NOW)
    world = World("")
    actor = world.actors[0]

    def call(kind: ScanKind, code: str, key: int) -> Any:
        with transaction.atomic():
            return scan_database.scan_in_database(
                actor=actor,
                count_id=world.count.pk,
                kind=kind,
                value=code,
                raw_code=code,
                scan_id=SCAN_IDS[key],
                now=NOW,
            )

    assert str(call(ScanKind.PARCEL, world.parcel_codes[0], 0).code) == "NO_CURRENT_CELL"
    _count, scan, cell, progress = call(ScanKind.CELL, "A-01-1", 0)
    expected = (scan.outcome, cell.address, progress.cells_scanned, progress.parcels_expected)
    assert expected == ("CELL", "A-01-1", 1, 6)  # six parcels on the point's shelves
    assert call(ScanKind.CELL, "A-01-1", 0) == "replay"
    _count, scan, cell, progress = call(ScanKind.PARCEL, world.parcel_codes[0], 1)
    assert (scan.outcome, scan.shipment_status, progress.parcels_found) == ("FOUND", "STORED", 1)
    assert call(ScanKind.PARCEL, world.parcel_codes[2].lower(), 2) == "misplaced"
    assert InventoryScan.objects.filter(count=world.count).count() == 2
    refused = call(ScanKind.CELL, "A-01-9", 3)
    assert (str(refused.code), refused.details) == ("CELL_RETIRED", {"cell": "A-01-9"})
    assert InventoryScan.objects.filter(scan_id=SCAN_IDS[3]).count() == 0
