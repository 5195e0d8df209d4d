"""Reads of inbound: planned carriages, acceptance progress, acts and totes, scoped to the caller's points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core.errors import DomainError, NotFound
from pvz.core.lookups import found
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.inbound.acts import DiscrepancyAct, discrepancy_act_build
from pvz.inbound.models import (
    Acceptance,
    AcceptanceScan,
    AcceptanceStatus,
    Carriage,
    CarriageFlow,
    CarriageStatus,
    ManifestLine,
    ManifestTote,
    ScanOutcomeKind,
    Tote,
    ToteStatus,
)
from pvz.network.models import PickupPoint
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from pvz.shipments.storage import start_of_local_day

# A carriage whose ETA is at most this far ahead (and that has not arrived) is "approaching".
APPROACHING_WITHIN = dt.timedelta(minutes=30)
NOT_ARRIVED = (CarriageStatus.PLANNED, CarriageStatus.IN_TRANSIT)


@dataclass(frozen=True)
class PlannedCarriage:
    carriage: Carriage
    expected_totes: int
    expected_shipments: int
    still_expected: int
    is_today: bool
    is_late: bool
    approaching: bool


@dataclass(frozen=True)
class ToteProgress:
    tote_id: int
    barcode: str
    status: str
    scanned: int
    expected: int


@dataclass(frozen=True)
class AcceptanceProgress:
    scanned: int
    expected: int
    surplus: int
    totes: tuple[ToteProgress, ...]
    # Distinct codes put aside so far: another point's parcels and partner labels without data.
    put_aside: int = 0


@dataclass(frozen=True)
class ToteLine:
    shipment: Shipment
    scanned: bool


def carriages_visible_to(*, user: User) -> QuerySet[Carriage]:
    return Carriage.objects.filter(point__in=points_for_user(user=user))


def carriage_get(*, user: User, carriage_id: int) -> Carriage:
    """A carriage of one of the caller's points; another point's carriage is not found, never forbidden."""
    carriages = carriages_visible_to(user=user).select_related("point", "partner")
    return found(carriages.filter(pk=carriage_id), carriage_id=carriage_id)


def carriage_find(*, user: User, point: PickupPoint, code: str) -> Carriage:
    """The carriage of `point` named by a scanned or typed code (`CAR-…`, any keyboard layout)."""
    guess = classify_scan(normalize_scan(code))
    carriage = None
    if guess.kind is ScanKind.CARRIAGE:
        carriage = (
            carriages_visible_to(user=user)
            .filter(point=point, number=guess.value)
            .select_related("point", "partner")
            .order_by("-created_at")
            .first()
        )
    if carriage is None:
        raise NotFound(
            _("Перевозка %(code)s не найдена на этой точке. Проверьте код на путевом листе.")
            % {"code": code},
            details={"code": code, "normalized": guess.value},
        )
    return carriage


def _with_manifest_counts(qs: QuerySet[Carriage]) -> QuerySet[Carriage]:
    return qs.annotate(
        n_totes=Count("manifest_totes", distinct=True),
        n_shipments=Count("manifest_lines", distinct=True),
        n_still_expected=Count(
            "manifest_lines", filter=Q(manifest_lines__shipment__status=Status.EXPECTED), distinct=True
        ),
    )


def carriages_planned(*, point: PickupPoint, now: dt.datetime) -> list[PlannedCarriage]:
    """Direct carriages of the point still to be received: today's, upcoming, late ones (ETA passed, not
    arrived) and those arrived or in acceptance; closed ones drop off. Soonest ETA first."""
    today = point.local_date(now)
    soon = now + APPROACHING_WITHIN
    day_start = start_of_local_day(today, point)
    rows = _with_manifest_counts(
        Carriage.objects.filter(point=point, flow=CarriageFlow.DIRECT)
        .exclude(status=CarriageStatus.CLOSED)
        .select_related("partner")
        .order_by("eta", "id")
    )
    result = []
    for carriage in rows:
        waiting = carriage.status in NOT_ARRIVED and carriage.eta is not None
        result.append(
            PlannedCarriage(
                carriage=carriage,
                expected_totes=carriage.n_totes,  # type: ignore[attr-defined]
                expected_shipments=carriage.n_shipments,  # type: ignore[attr-defined]
                still_expected=carriage.n_still_expected,  # type: ignore[attr-defined]
                is_today=carriage.eta is not None and point.local_date(carriage.eta) == today,
                is_late=waiting and carriage.eta < now,  # type: ignore[operator]
                approaching=waiting and day_start <= carriage.eta <= soon,  # type: ignore[operator]
            )
        )
    return result


def carriages_approaching(*, point: PickupPoint, now: dt.datetime) -> list[Carriage]:
    """Not-arrived direct carriages whose ETA is at most 30 minutes ahead (inclusive); a late one stays
    "approaching" until it arrives, but only from today's local midnight, so a forgotten carriage of an
    earlier day does not announce itself forever."""
    day_start = start_of_local_day(point.local_date(now), point)
    return list(
        Carriage.objects.filter(
            point=point,
            flow=CarriageFlow.DIRECT,
            status__in=NOT_ARRIVED,
            eta__gte=day_start,
            eta__lte=now + APPROACHING_WITHIN,
        )
        .select_related("partner")
        .order_by("eta", "id")
    )


def carriages_approaching_data(*, point: PickupPoint, now: dt.datetime) -> list[dict[str, Any]]:
    """The approaching carriages as the live notice shows them (JSON-ready, ETA in point time)."""
    return [
        {
            "id": c.pk,
            "number": c.number,
            "partner": c.partner.name,
            "eta": c.eta.astimezone(point.tz).isoformat() if c.eta else None,
            "minutes": max(0, int(((c.eta - now).total_seconds() + 59) // 60)) if c.eta else None,
        }
        for c in carriages_approaching(point=point, now=now)
    ]


def acceptance_progress_data(
    *, acceptance: Acceptance, progress: AcceptanceProgress | None = None
) -> dict[str, Any]:
    """An acceptance's progress as live pushes carry it (JSON-ready)."""
    progress = progress or acceptance_progress(acceptance=acceptance)
    return {
        "status": acceptance.status,
        "scanned": progress.scanned,
        "expected": progress.expected,
        "surplus": progress.surplus,
        "put_aside": progress.put_aside,
        "totes": [
            {"barcode": t.barcode, "status": t.status, "scanned": t.scanned, "expected": t.expected}
            for t in progress.totes
        ],
    }


def acceptance_shortage_count(*, acceptance: Acceptance) -> int:
    """How many manifest parcels closing the acceptance now would mark SHORTAGE (those still EXPECTED)."""
    return ManifestLine.objects.filter(
        carriage_id=acceptance.carriage_id, shipment__status=Status.EXPECTED
    ).count()


def acceptance_get(*, user: User, acceptance_id: int) -> Acceptance:
    acceptances = Acceptance.objects.filter(carriage__point__in=points_for_user(user=user), pk=acceptance_id)
    acceptances = acceptances.select_related("carriage__point", "carriage__partner", "opened_by", "closed_by")
    return found(acceptances, acceptance_id=acceptance_id)


def _accepted_here(acceptance: Acceptance) -> QuerySet[AcceptanceScan, int | None]:
    return AcceptanceScan.objects.filter(
        acceptance=acceptance, outcome=ScanOutcomeKind.ACCEPTED, undone_at__isnull=True
    ).values_list("shipment_id", flat=True)


def acceptance_progress(*, acceptance: Acceptance) -> AcceptanceProgress:
    """Scanned / expected for the whole carriage and each of its totes: a manifest parcel counts as
    scanned once a not-undone ACCEPTED scan of this acceptance exists for it. Read from the counters the
    database keeps (migration 0005) as they are in this transaction: two queries whatever the size of
    the carriage."""
    scanned, surplus, put_aside, expected = (
        Acceptance.objects.filter(pk=acceptance.pk)
        .values_list("scanned", "surplus", "put_aside", "carriage__expected_parcels")
        .get()
    )
    totes = tuple(
        ToteProgress(
            tote_id=manifest_tote.tote_id,
            barcode=manifest_tote.tote.barcode,
            status=manifest_tote.tote.status,
            scanned=manifest_tote.scanned,
            expected=manifest_tote.expected,
        )
        for manifest_tote in ManifestTote.objects.filter(carriage_id=acceptance.carriage_id)
        .select_related("tote")
        .order_by("tote__barcode")
    )
    return AcceptanceProgress(
        scanned=scanned, expected=expected, surplus=surplus, totes=totes, put_aside=put_aside
    )


def tote_counts(*, acceptance: Acceptance, tote: Tote) -> tuple[int, int]:
    """(scanned, expected) of a tote of the acceptance's carriage; (0, 0) for a tote not in its manifest."""
    row = (
        ManifestTote.objects.filter(carriage_id=acceptance.carriage_id, tote=tote)
        .values_list("scanned", "expected")
        .first()
    )
    return row or (0, 0)


def tote_lines(*, acceptance: Acceptance, tote: Tote) -> list[ToteLine]:
    """What the manifest puts in `tote`, each with whether this acceptance has scanned it."""
    accepted = set(_accepted_here(acceptance))
    lines = (
        ManifestLine.objects.filter(carriage_id=acceptance.carriage_id, tote=tote)
        .select_related("shipment")
        .order_by("shipment__posting_number")
    )
    return [ToteLine(shipment=line.shipment, scanned=line.shipment_id in accepted) for line in lines]


def acceptance_act(*, acceptance: Acceptance) -> DiscrepancyAct:
    """The discrepancy act of a closed acceptance, rebuilt from its stored rows."""
    if acceptance.status != AcceptanceStatus.CLOSED:
        raise DomainError(
            _("Акт о расхождениях появится после закрытия приёмки."),
            details={"acceptance_id": acceptance.pk},
        )
    return discrepancy_act_build(acceptance)


def tote_balance(*, point: PickupPoint) -> dict[str, int]:
    """How many totes of every status are at (or on their way to) the point; sent-back totes left it."""
    counts = dict.fromkeys(ToteStatus.values, 0)
    for row in Tote.objects.filter(point=point).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
