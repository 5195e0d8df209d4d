"""Two implementations of the return-zone scan, the same results (docs/adr/0006-scan-hot-path.md).

On PostgreSQL the endpoint's work is one call of `pvz_return_zone_scan`; on SQLite, and on PostgreSQL for
a replayed key or a point without a return zone, it runs as Python. Random sequences of scans (every
status a parcel may be in, past and within its deadline and on it, namesakes, posting numbers, the
Russian layout, unknown and blank codes; by operators, by someone without "operate", at another point;
fresh and reused keys) run twice on the same world, once through Python only and once with the function,
each rolled back afterwards. Answers, errors and everything written must be the same. PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvz.accounts.roles import Role
from pvz.core.errors import DomainError
from pvz.network.models import Cell, CellKind
from pvz.network.services import special_places_ensure
from pvz.shipments import return_zone_database
from pvz.shipments.models import CustomerCell, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_to_return_zone_as
from pvz.shipments.statuses import Status
from tests.equivalence import isolated, outbox_rows
from tests.factories import (
    CellFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

NOW = dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC)


class World:
    def __init__(self) -> None:
        self.point = PickupPointFactory()
        self.elsewhere = PickupPointFactory()
        partner, other_partner = PartnerFactory(), PartnerFactory()
        special_places_ensure(actor=None, point=self.point)
        cells = [CellFactory(point=self.point, address=f"A-01-{n}", capacity=5) for n in range(1, 4)]
        inspection = Cell.objects.get(point=self.point, kind=CellKind.INSPECTION)

        def parcel(status: Status, cell: Cell | None = None, **fields: Any) -> Shipment:
            fields.setdefault("partner", partner)
            return ShipmentFactory(point=self.point, status=status, cell=cell, **fields)

        day = dt.timedelta(days=1)
        shipments = [
            parcel(Status.STORED, cells[0], storage_deadline=NOW - day, stored_at=NOW - 4 * day),  # 0 overdue
            parcel(Status.STORED, cells[0], storage_deadline=NOW + day, stored_at=NOW - day),  # 1 within
            parcel(Status.STORED, cells[1], storage_deadline=NOW, stored_at=NOW - day),  # 2 on it
            parcel(Status.STORED, cells[1]),  # 3 no deadline
            parcel(Status.EXPIRED, cells[1]),  # 4
            parcel(Status.CANCELLED, cells[2]),  # 5
            parcel(Status.REFUSED, inspection),  # 6
            parcel(Status.DAMAGED),  # 7 no cell
            parcel(Status.AWAITING_DISPATCH, Cell.objects.get(point=self.point, kind=CellKind.RETURN_ZONE)),
            parcel(Status.ACCEPTED),  # 9
            parcel(Status.ISSUED),  # 10
        ]
        # Namesakes: one label, two partners; the later changed one is found.
        older = parcel(Status.EXPIRED, cells[2], barcode="ii70000000001", partner=other_partner)
        newer = parcel(Status.CANCELLED, cells[2], barcode="ii70000000001")
        Shipment.objects.filter(pk=older.pk).update(updated_at=NOW - day)
        Shipment.objects.filter(pk=newer.pk).update(updated_at=NOW)
        foreign = ShipmentFactory(point=self.elsewhere, partner=partner, status=Status.EXPIRED)
        self.codes = [s.barcode for s in shipments] + [
            shipments[4].posting_number,
            shipments[5].barcode.upper(),
            shipments[6].barcode.replace("ii", "шш"),
            "ii70000000001",
            foreign.barcode,
            "ii99999999999",
            " ",
        ]
        self.actors = [
            operator_at(self.point),
            operator_at(self.point),
            operator_at(self.point, role=Role.SUPPORT),
            operator_at(self.elsewhere),
        ]


CODES = 18

ACTION = st.tuples(
    st.integers(0, CODES - 1),
    st.sampled_from([0, 0, 0, 1, 2, 3]),  # who
    st.sampled_from([0, 0, 0, 0, 1]),  # at this point, or at the other one
    st.integers(0, 5),  # the key, from a small pool so that some are reused
)


def _run(world: World, actions: list[tuple[int, int, int, int]]) -> list[Any]:
    answers: list[Any] = []
    for code, who, where, key in actions:
        point = (world.point, world.elsewhere)[where]
        try:
            scan = shipment_to_return_zone_as(
                actor=world.actors[who], point_id=point.pk, code=world.codes[code], key=f"k:{key}"
            )
        except DomainError as error:
            answers.append(("error", str(error.code), str(error.message), error.details))
            continue
        event = scan.event
        answers.append(
            (
                str(scan.outcome),
                scan.shipment.pk,
                str(scan.shipment.status),
                scan.shipment.posting_number,
                scan.shipment.cell.address if scan.shipment.cell else None,
                scan.zone.address if scan.zone else None,
                scan.from_cell,
                scan.from_status,
                scan.replayed,
                event
                and (
                    event.kind,
                    event.from_status,
                    event.to_status,
                    event.cell_id == (scan.zone.pk if scan.zone else None),  # ids differ: zones made anew
                    event.idempotency_key,
                    event.details,
                ),
            )
        )
    return answers


def _state() -> dict[str, Any]:
    return {
        "shipments": list(
            Shipment.objects.order_by("pk").values_list("pk", "status", "cell__address", "version", "visit")
        ),
        "events": list(
            ShipmentEvent.objects.order_by("pk").values_list(
                "shipment_id",
                "kind",
                "from_status",
                "to_status",
                "reason",
                "cell__address",
                "idempotency_key",
                "details",
                "visit",
                "actor_id",
                "point_id",
                "at",
            )
        ),
        "outbox": outbox_rows(),
        "cells": list(
            Cell.objects.order_by("point_id", "address").values_list("point_id", "address", "held")
        ),
        "customer_cells": sorted(CustomerCell.objects.values_list("customer_id", "cell__address", "stored")),
    }


@given(actions=st.lists(ACTION, min_size=1, max_size=25))
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@example(actions=[(0, 0, 0, 0), (0, 0, 0, 0), (1, 0, 0, 1), (2, 0, 0, 2), (3, 0, 0, 3), (13, 0, 0, 4)])
@example(actions=[(4, 0, 0, 0), (5, 1, 0, 0), (8, 0, 0, 1), (9, 2, 0, 2), (16, 0, 1, 3), (17, 0, 0, 4)])
def test_the_function_and_the_python_path_write_the_same(actions, clock, monkeypatch) -> None:
    clock.set(NOW)
    with transaction.atomic():
        world = World()
        assert len(world.codes) == CODES

        def both(database: bool) -> tuple[list[Any], dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(return_zone_database, "available", lambda: database)
                answers = _run(world, actions)
            return answers, _state()

        python_answers, python_state = isolated(lambda: both(False))
        database_answers, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    assert database_answers == python_answers
    for key in python_state:
        assert database_state[key] == python_state[key], key


@pytest.mark.parametrize(
    ("code", "who", "where", "expected"),
    [
        (0, 0, 1, "NOT_FOUND"),  # another point
        (0, 2, 0, "PERMISSION_DENIED"),
        (15, 0, 0, "NOT_FOUND"),  # another point's parcel
        (16, 0, 0, "NOT_FOUND"),  # no such parcel
        (1, 0, 0, "STORAGE_NOT_EXPIRED"),
        (2, 0, 0, "STORAGE_NOT_EXPIRED"),  # on the deadline itself
        (3, 0, 0, "STORAGE_NOT_EXPIRED"),
        (9, 0, 0, "INVALID_TRANSITION"),
        (10, 0, 0, "INVALID_TRANSITION"),
    ],
)
def test_the_function_itself_refuses(code, who, where, expected, clock) -> None:
    clock.set(NOW)
    world = World()
    events = ShipmentEvent.objects.count()
    with transaction.atomic():
        answered = return_zone_database.return_zone_in_database(
            actor=world.actors[who],
            point_id=(world.point, world.elsewhere)[where].pk,
            code=world.codes[code],
            value=world.codes[code],
            key="refused",
            now=NOW,
        )

    assert isinstance(answered, DomainError)
    assert str(answered.code) == expected
    assert ShipmentEvent.objects.count() == events


def test_the_function_moves_and_defers_what_python_does(clock) -> None:
    clock.set(NOW)
    world = World()

    def call(code: int, key: str) -> Any:
        with transaction.atomic():
            return return_zone_database.return_zone_in_database(
                actor=world.actors[0],
                point_id=world.point.pk,
                code=world.codes[code],
                value=world.codes[code],
                key=key,
                now=NOW,
            )

    moved = call(0, "m:1")
    assert (moved["outcome"], moved["from_status"], moved["from_cell"]) == ("moved", "EXPIRED", "A-01-1")
    assert call(0, "m:1") == "replay"
    assert call(0, "m:2")["outcome"] == "already"
    Cell.objects.filter(point=world.point, kind=CellKind.RETURN_ZONE).update(is_active=False)
    assert call(4, "m:3") == "no_zone"
    scan = shipment_to_return_zone_as(
        actor=world.actors[0], point_id=world.point.pk, code=world.codes[4], key="m:3"
    )
    assert (str(scan.outcome), scan.zone.kind) == ("moved", CellKind.RETURN_ZONE)
