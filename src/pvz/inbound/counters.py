"""The acceptance counters the database keeps (migration 0005), checked against the rows they count.

A scan answers with its carriage's progress read from counters, not recounted; this recounts, for a test
and for `python -m pvz check_counters`, which also repairs what differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from pvz.inbound.models import (
    Acceptance,
    AcceptanceScan,
    Carriage,
    ManifestLine,
    ManifestTote,
    ScanOutcomeKind,
)

_NOT_UNDONE = Q(undone_at__isnull=True)
_ASIDE = (ScanOutcomeKind.OTHER_POINT, ScanOutcomeKind.UNKNOWN_LABEL)


@dataclass(frozen=True)
class CounterDrift:
    table: str
    row_id: int
    field: str
    kept: int
    truth: int


def _acceptance_truth(acceptance_id: int) -> dict[str, int]:
    scans = AcceptanceScan.objects.filter(acceptance_id=acceptance_id)
    return scans.aggregate(
        scanned=Count("pk", filter=_NOT_UNDONE & Q(outcome=ScanOutcomeKind.ACCEPTED)),
        surplus=Count("pk", filter=_NOT_UNDONE & Q(outcome=ScanOutcomeKind.SURPLUS)),
        put_aside=Count("code", distinct=True, filter=_NOT_UNDONE & Q(outcome__in=_ASIDE)),
    )


def _manifest_tote_truth(manifest_tote: ManifestTote) -> dict[str, int]:
    return {
        "expected": ManifestLine.objects.filter(
            carriage_id=manifest_tote.carriage_id, tote_id=manifest_tote.tote_id
        ).count(),
        "scanned": AcceptanceScan.objects.filter(
            _NOT_UNDONE,
            acceptance__carriage_id=manifest_tote.carriage_id,
            tote_id=manifest_tote.tote_id,
            outcome=ScanOutcomeKind.ACCEPTED,
        ).count(),
    }


def carriage_counters_drift(*, carriage_id: int) -> list[CounterDrift]:
    """Every counter of a carriage, its manifest totes and its acceptances that differs from its rows."""
    drifts: list[CounterDrift] = []
    carriage = Carriage.objects.get(pk=carriage_id)
    truth = ManifestLine.objects.filter(carriage_id=carriage_id).count()
    if carriage.expected_parcels != truth:
        drifts.append(
            CounterDrift("carriage", carriage_id, "expected_parcels", carriage.expected_parcels, truth)
        )
    for manifest_tote in ManifestTote.objects.filter(carriage_id=carriage_id):
        for field, value in _manifest_tote_truth(manifest_tote).items():
            if getattr(manifest_tote, field) != value:
                drifts.append(
                    CounterDrift(
                        "manifest_tote", manifest_tote.pk, field, getattr(manifest_tote, field), value
                    )
                )
    for acceptance in Acceptance.objects.filter(carriage_id=carriage_id):
        for field, value in _acceptance_truth(acceptance.pk).items():
            if getattr(acceptance, field) != value:
                drifts.append(
                    CounterDrift("acceptance", acceptance.pk, field, getattr(acceptance, field), value)
                )
    return drifts


_MODELS: dict[str, type[Carriage] | type[ManifestTote] | type[Acceptance]] = {
    "carriage": Carriage,
    "manifest_tote": ManifestTote,
    "acceptance": Acceptance,
}


def counters_repair(drifts: list[CounterDrift]) -> int:
    """Set each drifted counter to its truth (by a plain UPDATE, which the triggers do not watch)."""
    for drift in drifts:
        _MODELS[drift.table].objects.filter(pk=drift.row_id).update(**{drift.field: drift.truth})
    return len(drifts)
