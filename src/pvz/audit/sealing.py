"""Sealing the shipment history into the audit chain, in batches.

Every scan writes a `ShipmentEvent`; chaining each one through the single chain head would make every scan
of the network queue behind one row lock. Instead a periodic job appends one "seal" record per batch: the
sha256 of the batch's events, canonical and in id order, with the id range it covers. The seal is itself a
chained record, so editing, deleting or inserting a sealed event changes the recomputed digest, and
`verify_audit_chain` reports the seal that no longer matches.

Only events older than `SEAL_LAG` are sealed: ids are handed out at insert and rows become visible at commit,
so a transaction still open when the job runs could otherwise commit a lower id inside a sealed range.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from pvz.audit.models import AuditChainHead, AuditRecord
from pvz.audit.services import audit_record
from pvz.core import clock

SEAL_ACTION = "seal.shipment_events"
SEAL_LAG = dt.timedelta(minutes=1)
SEAL_BATCH = 10_000

# The fields of a shipment event that the digest covers: all of them.
EVENT_FIELDS = (
    "id",
    "kind",
    "shipment_id",
    "visit",
    "actor_id",
    "point_id",
    "from_status",
    "to_status",
    "reason",
    "cell_id",
    "idempotency_key",
    "details",
    "at",
)


def _events() -> Any:
    # Looked up by name: the audit app sits below the shipment app in the layers and imports none of it.
    return apps.get_model("shipments", "ShipmentEvent").objects


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def events_digest(rows: Iterable[dict[str, Any]]) -> str:
    """sha256 over the events' canonical JSON lines (sorted keys, no spaces, UTF-8), in the given order."""
    digest = hashlib.sha256()
    for row in rows:
        fields = {name: _canonical(row[name]) for name in EVENT_FIELDS}
        line = json.dumps(
            fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
        )
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _last_sealed_id() -> int:
    details = (
        AuditRecord.objects.filter(action=SEAL_ACTION)
        .order_by("-seq")
        .values_list("details", flat=True)
        .first()
    )
    return int(details["to_id"]) if details else 0


def shipment_events_seal(*, batch: int = SEAL_BATCH) -> AuditRecord | None:
    """Seal the next batch of unsealed events older than SEAL_LAG into one chained record; None when there
    is nothing to seal. Safe to run concurrently: the chain head's lock orders the sealers."""
    cutoff = clock.now() - SEAL_LAG
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        after_id = _last_sealed_id()
        rows: list[dict[str, Any]] = []
        for row in _events().filter(id__gt=after_id).order_by("id").values(*EVENT_FIELDS)[:batch]:
            if row["at"] > cutoff:
                break  # the range must be contiguous in id: stop at the first event still too young
            rows.append(row)
        if not rows:
            return None
        return audit_record(
            action=SEAL_ACTION,
            actor=None,
            point_id=None,
            object_type="shipmentevent",
            object_id=f"{rows[0]['id']}-{rows[-1]['id']}",
            details={
                "from_id": after_id + 1,
                "to_id": rows[-1]["id"],
                "count": len(rows),
                "digest": events_digest(rows),
            },
        )


def shipment_events_seal_all(*, batch: int = SEAL_BATCH) -> int:
    """Seal every batch that is due; returns how many events were sealed."""
    sealed = 0
    while (record := shipment_events_seal(batch=batch)) is not None:
        sealed += int(record.details["count"])
    return sealed


@dataclass(frozen=True)
class SealReport:
    seals: int
    events: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_seals_verify() -> SealReport:
    """Recompute every seal from the events now stored in its id range; the first mismatch is reported
    (an event edited, deleted or slipped in after sealing)."""
    seals = events = 0
    for seq, details in (
        AuditRecord.objects.filter(action=SEAL_ACTION)
        .order_by("seq")
        .values_list("seq", "details")
        .iterator()
    ):
        rows = list(
            _events()
            .filter(id__gte=details["from_id"], id__lte=details["to_id"])
            .order_by("id")
            .values(*EVENT_FIELDS)
        )
        if len(rows) != details["count"]:
            return SealReport(
                seals, events, seq, f"{details['count']} events were sealed, {len(rows)} are stored"
            )
        if events_digest(rows) != details["digest"]:
            return SealReport(seals, events, seq, "a sealed shipment event was changed")
        seals, events = seals + 1, events + len(rows)
    return SealReport(seals, events)
