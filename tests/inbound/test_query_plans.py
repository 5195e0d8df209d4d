"""Query discipline (issue 13): no step of the cell pick, the acceptance progress or an inventory count's
progress reads more rows than the point has cells, however many parcels it stores — checked on
PostgreSQL's actual plans (EXPLAIN ANALYZE of every statement they send, and of the cell pick inside
`pvz_cell_candidate`), after ANALYZE, on a point that stores eight parcels per cell beside other points of
the same size.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection

from pvz.accounts.roles import Role
from pvz.inbound.migrations import __name__ as migrations_package
from pvz.inbound.placement import _fitting_sizes, _own_cell, cell_suggest
from pvz.inbound.selectors import acceptance_progress
from pvz.inbound.services import acceptance_open, acceptance_scan
from pvz.inventory.selectors import count_progress
from pvz.inventory.services import inventory_scan_cell, inventory_scan_parcel, inventory_start
from pvz.network.models import Cell, PickupPoint, SizeClass
from pvz.shipments.models import Order, Shipment
from pvz.shipments.statuses import Status
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)
from tests.inbound.conftest import load_delivery

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans"),
]

CELLS = 60  # per point
STORED_PER_CELL = 8
SIZES = [SizeClass.S, SizeClass.M, SizeClass.L, SizeClass.XL]


def _stock(point: PickupPoint, partner: Any, customers: list[Any]) -> None:
    cells = Cell.objects.bulk_create(
        Cell(point=point, address=f"A-{n // 10:02d}-{n % 10}", size_class=SIZES[n % 4], capacity=10)
        for n in range(CELLS)
    )
    orders = Order.objects.bulk_create(
        OrderFactory.build(partner=partner, customer=customers[n % len(customers)])
        for n in range(CELLS * STORED_PER_CELL)
    )
    Shipment.objects.bulk_create(
        ShipmentFactory.build(
            point=point,
            partner=partner,
            order=order,
            status=Status.STORED,
            cell=cells[n % CELLS],
            size_class=SizeClass.S,
        )
        for n, order in enumerate(orders)
    )


@pytest.fixture
def world(clock) -> dict[str, Any]:
    partner = PartnerFactory()
    customers = CustomerFactory.create_batch(40)
    points = [PickupPointFactory() for _ in range(4)]
    for point in points:
        _stock(point, partner, customers)
    point = points[0]
    carriage = load_delivery(point=point, partner=partner, parcels=30, totes=3)
    operator = operator_at(point)
    acceptance = acceptance_open(actor=operator, carriage=carriage)
    for line in carriage.manifest_lines.select_related("shipment").order_by("pk")[:10]:
        acceptance_scan(
            actor=operator,
            acceptance=acceptance,
            code=line.shipment.barcode,
            scan_id=uuid.uuid4(),
            auto_place=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    waiting = carriage.manifest_lines.select_related("shipment").order_by("-pk")[0].shipment
    # A parcel of a customer with parcels on the shelf already: the pick's first tier has something to find.
    regular = ShipmentFactory(
        point=point, partner=partner, order=OrderFactory(partner=partner, customer=customers[0]),
        status=Status.ACCEPTED,
    )  # fmt: skip
    return {"point": point, "acceptance": acceptance, "parcels": [waiting, regular]}


def _examined(plan: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """(relation, rows read) for every scan node of a plan: the rows it returned and the rows it read and
    threw away, times its loops."""
    relation = plan.get("Relation Name") or plan.get("Index Name")
    if relation is not None:
        rows = (
            plan.get("Actual Rows", 0)
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        )
        yield relation, rows * plan.get("Actual Loops", 1)
    for child in plan.get("Plans", []):
        yield from _examined(child)


@contextmanager
def _plans() -> Iterator[list[tuple[str, list[tuple[str, float]]]]]:
    """Every SELECT run inside, explained (EXPLAIN ANALYZE) right after it on the same connection."""
    seen: list[tuple[str, list[tuple[str, float]]]] = []

    def explain(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            seen.append((sql, list(_examined(plan[0]["Plan"]))))
        return result

    with connection.execute_wrapper(explain):
        yield seen


def _widest(rows: list[tuple[str, float]]) -> float:
    """The most rows one node of a plan read: an index probe reads a few, a scan of the point's cells
    reads CELLS, a scan of its parcels (or of every point's cells) more."""
    return max((count for _, count in rows), default=0)


def test_the_cell_pick_reads_at_most_the_points_cells(world) -> None:
    for parcel in world["parcels"]:
        with _plans() as plans:
            assert cell_suggest(shipment=parcel) is not None

        assert plans, "the pick ran no SELECT"
        for sql, rows in plans:
            assert _widest(rows) <= CELLS, (sql[:200], rows)
            assert not any(name.startswith("shipments_shipment") for name, _ in rows), (sql[:200], rows)


def test_the_cell_pick_of_the_database_function_reads_at_most_the_points_cells(world) -> None:
    """`pvz_cell_candidate`'s query (inbound migration 0006), explained as a prepared statement with the
    function's parameters in place."""
    module = __import__(f"{migrations_package}.0006_acceptance_scan_function", fromlist=["FUNCTIONS"])
    body = re.search(
        r"CREATE FUNCTION pvz_cell_candidate\(.*?RETURN \((.*?)\);\s*END", module.FUNCTIONS, re.DOTALL
    )
    assert body is not None
    query = body.group(1)
    for n, name in enumerate(("p_point", "p_sizes", "p_customer", "p_own", "p_exclude"), start=1):
        query = re.sub(rf"\b{name}\b", f"${n}", query)
    connection.ensure_connection()
    # Client-side binding: the statement's own $n must reach the server as text, not as parameters.
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute(f"PREPARE pick(bigint, text[], bigint, bigint, bigint[]) AS {query}")
        try:
            for parcel in world["parcels"]:
                cursor.execute(
                    "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE pick(%s, %s::text[], %s, %s, %s::bigint[])",
                    [
                        parcel.point_id,
                        _fitting_sizes(parcel),
                        parcel.order.customer_id,
                        _own_cell(parcel),
                        [],
                    ],
                )
                plan = cursor.fetchone()[0]
                plan = plan if isinstance(plan, list) else json.loads(plan)
                rows = list(_examined(plan[0]["Plan"]))
                assert _widest(rows) <= CELLS, rows
                assert not any(name.startswith("shipments_shipment") for name, _ in rows), rows
        finally:
            cursor.execute("DEALLOCATE pick")


def test_the_progress_reads_a_few_rows(world) -> None:
    with _plans() as plans:
        progress = acceptance_progress(acceptance=world["acceptance"])

    assert progress.scanned == 10
    assert len(plans) == 2
    for sql, rows in plans:
        assert _widest(rows) <= CELLS, (sql[:200], rows)
        assert not any(name.startswith(("shipments_shipment", "inbound_acceptancescan")) for name, _ in rows)


def test_the_inventory_progress_reads_at_most_the_points_cells(world) -> None:
    """A count's progress after more parcel scans than the point has cells: it reads the scope's cells
    and the count's cell scans, never its parcel scans (kept as counters) nor the parcels."""
    point = world["point"]
    operator = operator_at(point)
    count = inventory_start(actor=operator_at(point, role=Role.MANAGER), point=point)
    scanned = 0
    for cell in Cell.objects.filter(point=point).order_by("address")[:10]:
        inventory_scan_cell(actor=operator, count=count, code=cell.address, scan_id=uuid.uuid4())
        for parcel in Shipment.objects.filter(cell=cell).order_by("pk"):
            inventory_scan_parcel(actor=operator, count=count, code=parcel.barcode, scan_id=uuid.uuid4())
            scanned += 1
    assert scanned > CELLS
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    with _plans() as plans:
        progress = count_progress(count=count)

    assert (progress.cells_scanned, progress.parcels_found) == (10, scanned)
    for sql, rows in plans:
        assert _widest(rows) <= CELLS, (sql[:200], rows)
        assert not any(name.startswith("shipments_shipment") for name, _ in rows), (sql[:200], rows)


def test_the_check_can_fail(world) -> None:
    """What the checks above would see from a query that counts the point's parcels."""
    with _plans() as plans:
        Shipment.objects.filter(point=world["point"], status=Status.STORED).count()

    assert _widest(plans[0][1]) > CELLS
