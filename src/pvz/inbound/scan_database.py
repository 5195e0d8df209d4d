"""An acceptance scan of a parcel in one round trip: the PostgreSQL function `pvz_acceptance_scan`
(migration 0006, docs/adr/0006-scan-hot-path.md) does the Python path's work on the server and answers
with JSON, turned here into the same `ScanOutcome`.

The function changes nothing and says "defer" when the scan needs Python: a replayed scan id, a code
that names no parcel (its outcome depends on the partners' label patterns, which are Python regular
expressions), namesakes (asked once more with whether the code is the carriage partner's label); the
caller then runs the Python path in the same transaction. Refusals come back as error codes and are
raised as the same DomainErrors the Python path raises.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.sql_access import operate_access_args
from pvz.core.clock import iso_utc
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.sql import fetch_json, loaded
from pvz.inbound.errors import AcceptanceClosed
from pvz.inbound.models import Acceptance, AcceptanceScan, Carriage, ScanOutcomeKind, Tote
from pvz.inbound.placement import TAKE_ATTEMPTS
from pvz.inbound.scan_outcome import ScanOutcome
from pvz.inbound.selectors import AcceptanceProgress, ToteProgress
from pvz.network.barcodes import barcode_matches
from pvz.network.models import Cell, Partner, PickupPoint
from pvz.notifications.services import notification_shipment_ready
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import Customer, Order, Shipment

_CALL = "SELECT pvz_acceptance_scan(%s, %s, %s, %s::text[], %s::text[], %s, %s, %s::uuid, %s, %s, %s, %s, %s)"


@dataclass(frozen=True)
class Deferred:
    """The scan needs the Python path (why: "replay", "unknown")."""

    why: str


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


def scan_in_database(
    *,
    actor: User,
    acceptance_id: int,
    raw_code: str,
    code: str,
    scan_id: uuid.UUID,
    auto_place: bool,
    now: dt.datetime,
) -> ScanOutcome | Deferred | DomainError:
    """One parcel scan through `pvz_acceptance_scan`, in the caller's transaction (see the module doc).
    The caller's access is checked there: NOT_FOUND for an acceptance of a point the caller does not work
    at, PERMISSION_DENIED without "operate" there, as `acceptance_get` and `require_perm` answer.

    A refusal is returned, not raised: the function refuses before writing anything, so the caller can
    leave its transaction block cleanly and raise it then (no savepoint needed around the call)."""
    answer = _call(actor, acceptance_id, raw_code, code, scan_id, auto_place, now, label_pref=None)
    if answer.get("defer") == "namesakes":
        patterns = Partner.objects.filter(carriages__acceptances=acceptance_id).values_list(
            "barcode_patterns", flat=True
        )
        label_pref = any(barcode_matches(p, code) for p in patterns if p)
        answer = _call(actor, acceptance_id, raw_code, code, scan_id, auto_place, now, label_pref=label_pref)
    error = answer.get("error")
    if error == "NOT_FOUND":
        return NotFound(details={"acceptance_id": acceptance_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": answer["point_id"], "permission": str(Perm.OPERATE)})
    if error == "IDEMPOTENCY_MISMATCH":
        return IdempotencyMismatch(details={"scan_id": str(scan_id)})
    if error == "ACCEPTANCE_CLOSED":
        return AcceptanceClosed(details={"acceptance_id": acceptance_id})
    if error is not None:
        raise RuntimeError(f"pvz_acceptance_scan answered an unknown error {error!r}")
    if "defer" in answer:
        return Deferred(answer["defer"])
    return _outcome(answer, actor=actor, acceptance_id=acceptance_id, raw_code=raw_code, code=code,
                    scan_id=scan_id, auto_place=auto_place, now=now)  # fmt: skip


def _call(
    actor: User,
    acceptance_id: int,
    raw_code: str,
    code: str,
    scan_id: uuid.UUID,
    auto_place: bool,
    now: dt.datetime,
    *,
    label_pref: bool | None,
) -> dict[str, Any]:
    params = [
        acceptance_id,
        *operate_access_args(actor),
        code,
        raw_code,
        str(scan_id),
        auto_place,
        now,
        iso_utc(now),
        label_pref,
        TAKE_ATTEMPTS,
    ]
    return fetch_json(_CALL, params)


def _outcome(
    answer: dict[str, Any],
    *,
    actor: User,
    acceptance_id: int,
    raw_code: str,
    code: str,
    scan_id: uuid.UUID,
    auto_place: bool,
    now: dt.datetime,
) -> ScanOutcome:
    assert answer["acceptance"]["id"] == acceptance_id
    kind = ScanOutcomeKind(answer["outcome"])
    cell = loaded(Cell, **answer["cell"]) if answer["cell"] else None
    tote = loaded(Tote, **answer["tote"]) if answer["tote"] else None
    shipment = loaded(Shipment, **answer["shipment"])
    if cell is not None and shipment.cell_id == cell.pk:
        shipment.cell = cell
    about = answer["acceptance"]
    acceptance = loaded(Acceptance, id=about["id"], status=about["status"], carriage_id=about["carriage_id"])
    acceptance.carriage = loaded(Carriage, id=about["carriage_id"], point_id=about["point_id"])
    scan = AcceptanceScan(
        id=answer["scan_pk"],
        acceptance=acceptance,
        operator=actor,
        raw_code=raw_code,
        code=code,
        outcome=kind,
        auto_place=auto_place,
        shipment=shipment,
        tote=tote,
        cell=cell,
        placed=answer["placed"],
        scan_id=scan_id,
        created_at=now,
    )
    scan._state.adding = False
    progress = _progress(answer["progress"])
    if answer.get("ready"):
        notify_ready(shipment, answer["ready"])
    return ScanOutcome(
        kind=kind,
        scan=scan,
        progress=progress,
        shipment=shipment,
        tote=tote,
        cell=cell,
        placed=answer["placed"],
        tote_progress=next((t for t in progress.totes if tote is not None and t.tote_id == tote.pk), None),
    )


def _progress(data: dict[str, Any]) -> AcceptanceProgress:
    return AcceptanceProgress(
        scanned=data["scanned"],
        expected=data["expected"],
        surplus=data["surplus"],
        put_aside=data["put_aside"],
        totes=tuple(
            ToteProgress(
                tote_id=t["tote_id"],
                barcode=t["barcode"],
                status=t["status"],
                scanned=t["scanned"],
                expected=t["expected"],
            )
            for t in data["totes"]
        ),
    )


def notify_ready(shipment: Shipment, ready: dict[str, Any]) -> None:
    """The "ready for pickup" SMS, from what the function read (no query): the same service the Python
    path calls, told that this visit has none yet (the function looked, under the parcel's lock)."""
    customer = loaded(Customer, **ready["customer"])
    shipment.order = loaded(Order, id=shipment.order_id, number=ready["order_number"], customer=customer)
    shipment.point = loaded(PickupPoint, id=shipment.point_id, **ready["point"])
    shipment.partner = loaded(Partner, id=shipment.partner_id, **ready["partner"])
    shipment.stored_at = dt.datetime.fromisoformat(ready["stored_at"])
    shipment.storage_deadline = dt.datetime.fromisoformat(ready["storage_deadline"])
    notification_shipment_ready(shipment=shipment, first_of_visit=True)
