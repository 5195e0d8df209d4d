"""Two implementations of placing an accepted parcel, the same results (docs/adr/0006-scan-hot-path.md).

On PostgreSQL the place endpoint's work is one call of `pvz_shipment_place`; on SQLite, and on PostgreSQL
for a replayed key, it runs as Python. Random sequences of placements (suggested cell or a scanned one,
in every spelling: unknown, inactive, special, too small, full, of another point; by an operator, by
someone without "operate", by an operator of another point; with fresh and reused keys) run twice on the
same world, once through Python only and once with the function, each rolled back afterwards. Answers,
errors and everything written must be the same. PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvz.accounts.roles import Role
from pvz.core.errors import DomainError
from pvz.inbound import place_database
from pvz.inbound.services import shipment_place_as
from pvz.network.models import Cell, CellKind, PartnerPoint, SizeClass
from pvz.notifications.models import Notification
from pvz.shipments.models import CustomerCell, Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.equivalence import isolated, outbox_rows
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

# What the operator scans as the cell: nothing (the suggestion), each cell, spellings, and wrong ones.
CELL_CODES = [
    None,
    "A-01-1",  # S, one place
    "A-01-2",  # S, two places
    "A-01-3",  # M, the customer's cell
    "A-01-4",  # L, one place
    "a-01-5",  # XL, lower case
    "ф-01-2",  # the Russian keyboard layout: A-01-2
    "A-01-6",  # retired
    "RZ-1",  # the return zone: a special place
    "B-01-1",  # a cell of another point only
    "Z-99-9",  # no such cell
    " ",  # blank after normalising
]


class World:
    def __init__(self, timezone: str) -> None:
        self.point = PickupPointFactory(timezone=timezone)
        self.partner = PartnerFactory()
        PartnerPoint.objects.create(partner=self.partner, point=self.point, storage_days=3)
        for n, (size, capacity) in enumerate(
            [(SizeClass.S, 1), (SizeClass.S, 2), (SizeClass.M, 2), (SizeClass.L, 1), (SizeClass.XL, 2)]
        ):
            CellFactory(point=self.point, address=f"A-01-{n + 1}", size_class=size, capacity=capacity)
        CellFactory(point=self.point, address="A-01-6", size_class=SizeClass.M, is_active=False)
        CellFactory(point=self.point, address="RZ-1", kind=CellKind.RETURN_ZONE, size_class=SizeClass.XL)
        elsewhere = PickupPointFactory()
        CellFactory(point=elsewhere, address="B-01-1")
        regular = CustomerFactory()
        # Regular's parcel on the shelf already: the customer's cell comes first.
        ShipmentFactory(
            point=self.point,
            partner=self.partner,
            order=OrderFactory(partner=self.partner, customer=regular),
            status=Status.STORED,
            cell=Cell.objects.get(point=self.point, address="A-01-3"),
        )
        sizes = [SizeClass.S, SizeClass.S, SizeClass.M, SizeClass.S, SizeClass.L, SizeClass.XL, SizeClass.S]
        self.shipments = [
            ShipmentFactory(
                point=self.point,
                partner=self.partner,
                order=OrderFactory(
                    partner=self.partner,
                    customer=regular if n % 3 == 0 else CustomerFactory(),
                ),
                status=Status.ACCEPTED,
                size_class=size,
            )
            for n, size in enumerate(sizes)
        ]
        # Taken off the shelf again: ACCEPTED, still counted in its cell.
        self.shipments.append(
            ShipmentFactory(
                point=self.point,
                partner=self.partner,
                status=Status.ACCEPTED,
                cell=Cell.objects.get(point=self.point, address="A-01-1"),
            )
        )
        self.shipments += [
            ShipmentFactory(point=self.point, partner=self.partner, status=Status.EXPECTED),
            ShipmentFactory(point=elsewhere, partner=self.partner, status=Status.ACCEPTED),
        ]
        self.actors = [
            operator_at(self.point),
            operator_at(self.point),
            operator_at(self.point, role=Role.SUPPORT),  # sees every point, may not operate
            operator_at(elsewhere),
        ]


ACTION = st.tuples(
    st.integers(0, 9),  # the parcel (see World.shipments)
    st.integers(0, len(CELL_CODES) - 1),
    st.sampled_from([0, 0, 0, 1, 2, 3]),  # who
    st.integers(0, 6),  # the key, from a small pool so that some are reused
)


def _run(world: World, actions: list[tuple[int, int, int, int]], prefix: str) -> list[Any]:
    answers: list[Any] = []
    for parcel, cell_code, who, key in actions:
        try:
            placement = shipment_place_as(
                actor=world.actors[who],
                shipment_id=world.shipments[parcel].pk,
                cell_code=CELL_CODES[cell_code],
                idempotency_key=f"{prefix}:{key}",
            )
        except DomainError as error:
            answers.append(("error", str(error.code), str(error.message), error.details))
            continue
        event = placement.event
        answers.append(
            (
                placement.shipment.pk,
                str(placement.shipment.status),
                placement.shipment.version,
                placement.cell.address,
                placement.suggested,
                placement.replayed,
                (event.kind, event.from_status, event.to_status, event.reason, event.cell_id),
                event.idempotency_key,
            )
        )
    return answers


def _state(world: World) -> dict[str, Any]:
    return {
        "shipments": list(
            Shipment.objects.order_by("pk").values_list(
                "pk", "status", "cell__address", "version", "visit", "stored_at", "storage_deadline"
            )
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
            Cell.objects.filter(point=world.point).order_by("address").values_list("address", "held")
        ),
        "customer_cells": sorted(CustomerCell.objects.values_list("customer_id", "cell__address", "stored")),
        "notifications": [
            (row[0], row[1], row[2], re.sub(r"/c/[^/]+/", "/c/…/", row[3]), *row[4:])
            for row in Notification.objects.order_by("dedup_key").values_list(
                "dedup_key", "kind", "recipient", "text", "status", "shipment_id", "customer_id"
            )
        ],
    }


@given(
    actions=st.lists(ACTION, min_size=1, max_size=25),
    timezone=st.sampled_from(["Europe/Moscow", "Asia/Vladivostok", "America/Santiago"]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
# The parcel taken off the shelf goes back into its own full cell, named or suggested; a reused key.
@example(actions=[(7, 1, 0, 0)], timezone="Europe/Moscow")
@example(actions=[(7, 0, 0, 0), (1, 0, 0, 1), (1, 0, 0, 1), (2, 0, 0, 1)], timezone="Asia/Vladivostok")
def test_the_function_and_the_python_path_write_the_same(actions, timezone, clock, monkeypatch) -> None:
    clock.set(dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC))
    with transaction.atomic():
        world = World(timezone)

        def both(database: bool) -> tuple[list[Any], dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(place_database, "available", lambda: database)
                answers = _run(world, actions, prefix="k")
            return answers, _state(world)

        python_answers, python_state = isolated(lambda: both(False))
        database_answers, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    assert database_answers == python_answers
    for key in python_state:
        assert database_state[key] == python_state[key], key


@pytest.mark.parametrize(
    ("parcel", "cell_code", "who", "code"),
    [
        (9, 0, 0, "NOT_FOUND"),  # another point's parcel
        (0, 0, 2, "PERMISSION_DENIED"),  # support sees the point but may not operate
        (0, 10, 0, "NOT_FOUND"),  # no such cell
        (0, 9, 0, "NOT_FOUND"),  # another point's cell
        (0, 11, 0, "NOT_FOUND"),  # blank
        (0, 7, 0, "NOT_FOUND"),  # retired
        (0, 8, 0, "VALIDATION_FAILED"),  # the return zone is no customer cell
        (4, 1, 0, "CELL_TOO_SMALL"),  # L into S
        (8, 0, 0, "INVALID_TRANSITION"),  # EXPECTED
        (0, 1, 0, "CELL_FULL"),  # A-01-1 holds the parcel taken off it
        (0, 0, 0, "NO_FREE_CELL"),  # every cell retired (below)
    ],
)
def test_the_function_itself_refuses(parcel, cell_code, who, code, clock) -> None:
    """The property test compares answers; this checks that each refusal is the function's own (the
    Python path is not reached) and that it writes nothing."""
    clock.set(dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC))
    world = World("Europe/Moscow")
    if code == "NO_FREE_CELL":
        Cell.objects.filter(point=world.point).update(is_active=False)
    events = ShipmentEvent.objects.count()
    address = CELL_CODES[cell_code]
    with transaction.atomic():
        answered = place_database.place_in_database(
            actor=world.actors[who],
            shipment_id=world.shipments[parcel].pk,
            address=None if address is None else address.strip().upper(),
            raw_cell=address,
            idempotency_key="refused",
            now=clock.now(),
        )

    assert isinstance(answered, DomainError)
    assert str(answered.code) == code
    assert ShipmentEvent.objects.count() == events


def test_the_function_places_and_a_replay_goes_to_python(clock, monkeypatch) -> None:
    clock.set(dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC))
    world = World("Europe/Moscow")
    calls: list[Any] = []
    real = place_database.place_in_database
    monkeypatch.setattr(place_database, "place_in_database", lambda **k: calls.append(real(**k)) or calls[-1])

    first = shipment_place_as(
        actor=world.actors[0], shipment_id=world.shipments[1].pk, cell_code=None, idempotency_key="p:1"
    )
    again = shipment_place_as(
        actor=world.actors[0], shipment_id=world.shipments[1].pk, cell_code=None, idempotency_key="p:1"
    )

    assert isinstance(calls[0], place_database.Placement) and calls[1] == place_database.REPLAY
    assert (first.cell.address, first.replayed, again.cell.address, again.replayed) == (
        "A-01-2", False, "A-01-2", True,
    )  # fmt: skip
    assert Shipment.objects.get(pk=world.shipments[1].pk).status == Status.STORED
