"""The two implementations of an acceptance scan give the same results (docs/adr/0006-scan-hot-path.md).

On PostgreSQL a parcel scan runs as one call of `pvz_acceptance_scan`; on SQLite, and on PostgreSQL for
what the function leaves to Python, it runs as Python. Random sequences of scans (every kind of code,
auto and manual placement, two operators, resent scan ids), undos and damage marks are run twice on the
same world: once through Python only, once with the function, each rolled back afterwards. Everything
either writes must be the same: each answer (outcome, parcel, cell, tote, progress, message), the
parcels, their events and webhook rows, the scan rows, the counters, the totes and the notifications.
PostgreSQL only (SQLite has only the Python path).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvz.core.errors import DomainError
from pvz.inbound import scan_database
from pvz.inbound.models import Acceptance, AcceptanceScan, ManifestTote, Tote
from pvz.inbound.services import (
    acceptance_mark_damaged,
    acceptance_open,
    acceptance_scan,
    acceptance_undo_last,
)
from pvz.network.models import Cell, PartnerPoint, SizeClass
from pvz.notifications.models import Notification
from pvz.shipments.models import CustomerCell, Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.equivalence import isolated, outbox_rows
from tests.factories import (
    CellFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)
from tests.inbound.conftest import load_delivery

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

CODES = 24  # how many codes the world offers (see `World.codes`)


class World:
    """One point with a few small cells, a carriage to accept and every other kind of code."""

    def __init__(self, timezone: str) -> None:
        self.point = PickupPointFactory(timezone=timezone)
        self.partner = PartnerFactory(barcode_patterns=[r"ii\d{11}"])
        other_partner = PartnerFactory()
        PartnerPoint.objects.create(partner=self.partner, point=self.point, storage_days=3)
        sizes = [SizeClass.S, SizeClass.S, SizeClass.M, SizeClass.L, SizeClass.XL]
        for n, size in enumerate(sizes):
            CellFactory(point=self.point, address=f"A-01-{n + 1}", size_class=size, capacity=2)
        self.carriage = load_delivery(point=self.point, partner=self.partner, seed=13, parcels=12, totes=2)
        self.operators = [operator_at(self.point), operator_at(self.point)]
        manifest = [
            line.shipment for line in self.carriage.manifest_lines.select_related("shipment").order_by("pk")
        ]
        # A customer of the carriage who already has a parcel on the shelf (the customer's cell first).
        customer = manifest[0].order.customer
        stored = ShipmentFactory(
            point=self.point,
            partner=self.partner,
            order=OrderFactory(partner=self.partner, customer=customer),
            status=Status.STORED,
            cell=Cell.objects.get(point=self.point, address="A-01-3"),
            size_class=SizeClass.S,
        )
        waiting = ShipmentFactory(point=self.point, partner=self.partner, status=Status.ACCEPTED)
        shortage = ShipmentFactory(point=self.point, partner=self.partner, status=Status.SHORTAGE)
        stray = ShipmentFactory(point=self.point, partner=self.partner)  # this point's, not in this carriage
        elsewhere = ShipmentFactory(point=PickupPointFactory(), partner=self.partner)
        # Namesakes: the same label at this point from another partner, and the carriage partner's own.
        ShipmentFactory(point=self.point, partner=other_partner, barcode="ii70000000001")
        ShipmentFactory(point=self.point, partner=self.partner, barcode="ii70000000001")
        ShipmentFactory(point=PickupPointFactory(), partner=other_partner, barcode="ii70000000002")
        ShipmentFactory(point=self.point, partner=self.partner, barcode="ii70000000002")
        totes = [
            mt.tote.barcode
            for mt in ManifestTote.objects.filter(carriage=self.carriage).select_related("tote")
        ]
        self.codes = (
            [s.barcode for s in manifest[:8]]
            + [manifest[8].posting_number, manifest[9].barcode.replace("ii", "шш")]
            + [stored.barcode, waiting.barcode, shortage.barcode, stray.barcode, elsewhere.barcode]
            + ["ii70000000001", "ii70000000002", "ii99999999999", "4600000000001", "12345-0001-1"]
            + totes[:2]
            + [manifest[10].barcode, manifest[11].barcode]
        )
        assert len(self.codes) == CODES
        self.acceptance = acceptance_open(actor=self.operators[0], carriage=self.carriage)
        self.shipments = [manifest[n] for n in range(12)]


ACTION = st.one_of(
    st.tuples(st.just("scan"), st.integers(0, CODES - 1), st.booleans(), st.integers(0, 1)),
    st.tuples(st.just("resend"), st.integers(0, 40), st.booleans(), st.integers(0, 1)),
    st.tuples(st.just("undo"), st.just(0), st.just(False), st.integers(0, 1)),
    st.tuples(st.just("damage"), st.integers(0, 11), st.just(False), st.integers(0, 1)),
)


def _answer(outcome: Any) -> dict[str, Any]:
    progress = outcome.progress
    return {
        "kind": str(outcome.kind),
        "message": outcome.message,
        "shipment": (outcome.shipment.pk, outcome.shipment.status) if outcome.shipment else None,
        "cell": outcome.cell.address if outcome.cell else None,
        "placed": outcome.placed,
        "tote": outcome.tote.barcode if outcome.tote else None,
        "tote_progress": outcome.tote_progress,
        "progress": (
            progress.scanned,
            progress.expected,
            progress.surplus,
            progress.put_aside,
            progress.totes,
        ),
        "replayed": outcome.replayed,
        "scan": (outcome.scan.code, outcome.scan.raw_code, str(outcome.scan.scan_id), outcome.scan.placed),
    }


def _run(world: World, actions: list[tuple[str, int, bool, int]], scan_ids: list[uuid.UUID]) -> list[Any]:
    answers: list[Any] = []
    sent: list[tuple[str, uuid.UUID, bool]] = []
    for step, (kind, n, auto, who) in enumerate(actions):
        actor = world.operators[who]
        try:
            if kind == "scan":
                code, scan_id = world.codes[n], scan_ids[step]
                sent.append((code, scan_id, auto))
                answers.append(
                    _answer(
                        acceptance_scan(
                            actor=actor,
                            acceptance_id=world.acceptance.pk,
                            code=code,
                            scan_id=scan_id,
                            auto_place=auto,
                        )
                    )
                )
            elif kind == "resend" and sent:
                code, scan_id, first_auto = sent[n % len(sent)]
                # The same scan again, or the same scan id with another mode (IDEMPOTENCY_MISMATCH).
                answers.append(
                    _answer(
                        acceptance_scan(
                            actor=actor,
                            acceptance_id=world.acceptance.pk,
                            code=code,
                            scan_id=scan_id,
                            auto_place=first_auto or auto,
                        )
                    )
                )
            elif kind == "undo":
                result = acceptance_undo_last(actor=actor, acceptance=world.acceptance)
                answers.append(("undo", result.scan.code, result.notification_already_sent))
            elif kind == "damage":
                acceptance_mark_damaged(
                    actor=actor, acceptance=world.acceptance, shipment=world.shipments[n], note="вмятина"
                )
                answers.append(("damage", n))
        except DomainError as error:
            answers.append(("error", str(error.code), error.details))
    return answers


def _state(world: World) -> dict[str, Any]:
    """Everything a scan may write, without surrogate keys that differ between runs."""
    shipments = Shipment.objects.order_by("pk")
    return {
        "shipments": list(
            shipments.values_list(
                "pk",
                "status",
                "cell__address",
                "version",
                "visit",
                "stored_at",
                "storage_deadline",
                "tote_id",
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
        "scans": list(
            AcceptanceScan.objects.order_by("pk").values_list(
                "acceptance_id",
                "operator_id",
                "raw_code",
                "code",
                "outcome",
                "auto_place",
                "shipment_id",
                "tote__barcode",
                "label_partner_id",
                "cell__address",
                "shipment_status_before",
                "placed",
                "scan_id",
                "created_at",
                "undone_at",
            )
        ),
        "cells": list(
            Cell.objects.filter(point=world.point).order_by("address").values_list("address", "held")
        ),
        "customer_cells": sorted(CustomerCell.objects.values_list("customer_id", "cell__address", "stored")),
        "acceptance": list(
            Acceptance.objects.filter(pk=world.acceptance.pk).values_list(
                "status", "scanned", "surplus", "put_aside"
            )
        ),
        "totes": list(Tote.objects.order_by("barcode").values_list("barcode", "status", "point_id")),
        "manifest_totes": list(
            ManifestTote.objects.order_by("tote__barcode").values_list("tote__barcode", "expected", "scanned")
        ),
        "notifications": [
            # The customer page link is signed with the wall clock's second, and a withdrawn message's key
            # names its own id: both compared without those.
            (
                re.sub(r":withdrawn:\d+$", ":withdrawn", row[0]),
                *row[1:4],
                re.sub(r"/c/[^/]+/", "/c/…/", row[4]),
                *row[5:],
            )
            for row in Notification.objects.order_by("dedup_key").values_list(
                "dedup_key", "kind", "channel", "recipient", "text", "status", "shipment_id", "customer_id"
            )
        ],
    }


@given(
    actions=st.lists(ACTION, min_size=1, max_size=30),
    timezone=st.sampled_from(["Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad", "America/Santiago"]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_function_and_the_python_path_write_the_same(actions, timezone, clock, monkeypatch) -> None:
    clock.set(dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC))  # 23:30 in Moscow: the local day matters
    scan_ids = [uuid.uuid4() for _ in actions]
    with transaction.atomic():
        world = World(timezone)

        def both(database: bool) -> tuple[list[Any], dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(scan_database, "available", lambda: database)
                answers = _run(world, actions, scan_ids)
            return answers, _state(world)

        python_answers, python_state = isolated(lambda: both(False))
        database_answers, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    assert database_answers == python_answers
    for key in python_state:
        assert database_state[key] == python_state[key], key


def test_the_function_is_used_for_a_parcel_scan(monkeypatch, delivery, acceptance) -> None:
    """The equivalence above is worth something only if the function really answers the scans."""
    calls = []
    real = scan_database._call
    monkeypatch.setattr(scan_database, "_call", lambda *a, **k: calls.append(a) or real(*a, **k))

    outcome = acceptance_scan(
        actor=delivery.operator,
        acceptance_id=acceptance.pk,
        code=delivery.shipments()[0].barcode,
        scan_id=uuid.uuid4(),
        auto_place=True,
    )

    assert (str(outcome.kind), outcome.placed, len(calls)) == ("ACCEPTED", True, 1)


def test_an_operator_of_another_point_gets_not_found_and_nothing_is_written(delivery, acceptance) -> None:
    stranger = operator_at(PickupPointFactory())
    scans = AcceptanceScan.objects.count()

    with pytest.raises(DomainError) as refused:
        acceptance_scan(
            actor=stranger,
            acceptance_id=acceptance.pk,
            code=delivery.shipments()[0].barcode,
            scan_id=uuid.uuid4(),
            auto_place=True,
        )

    assert (refused.value.code, refused.value.details) == ("NOT_FOUND", {"acceptance_id": acceptance.pk})
    assert AcceptanceScan.objects.count() == scans
    assert Shipment.objects.get(pk=delivery.shipments()[0].pk).status == Status.EXPECTED
