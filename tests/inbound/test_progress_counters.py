"""Acceptance progress comes from counters the database keeps (migration 0005); after any sequence of scans,
undos and damage marks they equal a recount of the scans, and the progress a scan answers with is theirs."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvz.core.errors import DomainError
from pvz.inbound.counters import carriage_counters_drift, counters_repair
from pvz.inbound.models import Acceptance, ManifestTote
from pvz.inbound.selectors import acceptance_progress
from pvz.inbound.services import (
    acceptance_mark_damaged,
    acceptance_open,
    acceptance_scan,
    acceptance_undo_last,
)
from pvz.network.models import SizeClass
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.inbound.conftest import load_delivery

pytestmark = pytest.mark.django_db

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("scan"), st.integers(0, 9)),  # a manifest parcel (by index), or its tote
        st.tuples(st.just("tote"), st.integers(0, 2)),
        st.tuples(st.just("foreign"), st.integers(0, 1)),  # another point's parcel, scanned again and again
        st.tuples(st.just("unknown"), st.integers(0, 1)),
        st.tuples(st.just("undo"), st.integers(0, 1)),  # by the first or the second operator
        st.tuples(st.just("damage"), st.integers(0, 9)),
    ),
    max_size=25,
)


@given(actions=ACTIONS, auto_place=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_counters_equal_a_recount_after_any_sequence(actions, auto_place) -> None:
    point = PickupPointFactory()
    for index in range(3):
        CellFactory(point=point, address=f"A-01-{index + 1}", size_class=SizeClass.XL, capacity=3)
    carriage = load_delivery(point=point, partner=PartnerFactory(), parcels=10, totes=3)
    operators = [operator_at(point), operator_at(point)]
    acceptance = acceptance_open(actor=operators[0], carriage=carriage)
    parcels = [line.shipment for line in carriage.manifest_lines.select_related("shipment").order_by("pk")]
    totes = [mt.tote.barcode for mt in ManifestTote.objects.filter(carriage=carriage).select_related("tote")]
    foreign = [ShipmentFactory(point=PickupPointFactory()).barcode for _ in range(2)]
    for step, (kind, n) in enumerate(actions):
        operator = operators[step % 2]
        try:
            if kind == "scan":
                code = parcels[n].barcode
            elif kind == "tote":
                code = totes[n % len(totes)]
            elif kind == "foreign":
                code = foreign[n]
            elif kind == "unknown":
                code = f"ii9999999999{n}"
            if kind == "undo":
                acceptance_undo_last(actor=operators[n], acceptance=acceptance)
            elif kind == "damage":
                acceptance_mark_damaged(
                    actor=operator, acceptance=acceptance, shipment=parcels[n], note="мокрая"
                )
            else:
                acceptance_scan(
                    actor=operator,
                    acceptance=acceptance,
                    code=code,
                    scan_id=uuid.uuid4(),
                    auto_place=auto_place,
                )
        except DomainError:
            pass  # nothing to undo, a parcel not accepted here, no room: refused whole, nothing written
        assert carriage_counters_drift(carriage_id=carriage.pk) == [], (step, kind, n)


def test_the_progress_is_read_from_the_counters(delivery, acceptance) -> None:
    first = delivery.in_tote()[0]
    acceptance_scan(
        actor=delivery.operator,
        acceptance=acceptance,
        code=first.barcode,
        scan_id=uuid.uuid4(),
        auto_place=True,
    )
    # A counter written around the triggers shows in the progress: it is what the answer reads.
    Acceptance.objects.filter(pk=acceptance.pk).update(scanned=41)

    assert acceptance_progress(acceptance=acceptance).scanned == 41
    drifts = carriage_counters_drift(carriage_id=delivery.carriage.pk)
    assert [(d.table, d.field, d.kept, d.truth) for d in drifts] == [("acceptance", "scanned", 41, 1)]
    assert counters_repair(drifts) == 1
    assert acceptance_progress(acceptance=acceptance).scanned == 1


def test_a_tote_counts_its_own_parcels(delivery, acceptance) -> None:
    tote_lines = [line for line in delivery.lines() if line.tote is not None]
    tote = tote_lines[0].tote
    in_this_tote = [line.shipment for line in tote_lines if line.tote_id == tote.pk]

    for parcel in in_this_tote[:2]:
        acceptance_scan(
            actor=delivery.operator, acceptance=acceptance, code=parcel.barcode, scan_id=uuid.uuid4()
        )

    progress = acceptance_progress(acceptance=acceptance)
    [counted] = [t for t in progress.totes if t.tote_id == tote.pk]
    assert (counted.scanned, counted.expected) == (min(2, len(in_this_tote)), len(in_this_tote))
    assert (progress.scanned, progress.expected) == (min(2, len(in_this_tote)), len(delivery.lines()))
    assert all(t.scanned == 0 for t in progress.totes if t.tote_id != tote.pk)
