"""The inventory scans in one round trip: the PostgreSQL function `pvz_inventory_scan` (migration 0002,
docs/adr/0006-scan-hot-path.md) does what `services.inventory_scan_as` does in Python and answers with
JSON, turned here into the same `ScanAnswer`.

It defers to Python for a replayed scan id and for a MISPLACED parcel (its move goes through
`shipment_move`). Refusals come back as codes, checked in the Python path's order, and are returned (not
raised) as that path's DomainErrors: the function refuses before it writes anything.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import connection

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.sql_access import operate_access_args
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.sql import fetch_json, loaded
from pvz.inventory.errors import (
    CellRetired,
    InventoryClosed,
    NoCurrentCell,
    cell_out_of_scope,
    cell_retired,
    cell_unknown,
)
from pvz.inventory.models import InventoryCount, InventoryScan, ScanKind
from pvz.inventory.selectors import CountProgress
from pvz.network.models import Cell
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import AT_POINT

_CALL = "SELECT pvz_inventory_scan(%s, %s, %s, %s::text[], %s::text[], %s, %s, %s, %s, %s::text[], %s)"
_AT_POINT = sorted(str(status) for status in AT_POINT)

DEFER = ("replay", "misplaced")


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


def scan_in_database(
    *,
    actor: User,
    count_id: int,
    kind: ScanKind,
    value: str,
    raw_code: str,
    scan_id: uuid.UUID,
    now: dt.datetime,
) -> Any:
    """One scan through `pvz_inventory_scan` in the caller's transaction (`value`: the code as the Python
    path records it). Answers (the count as loaded, the scan, its cell, the progress), the refusal (a
    DomainError to raise once the caller's block is left), or a string from DEFER."""
    answer = fetch_json(
        _CALL,
        [
            count_id,
            *operate_access_args(actor),
            str(kind),
            value,
            raw_code,
            scan_id,
            _AT_POINT,
            now,
        ],
    )
    if answer.get("defer") in DEFER:
        return str(answer["defer"])
    error = answer.get("error")
    if error is not None:
        return _refusal(error, answer, count_id=count_id, value=value)
    return _answer(
        answer,
        actor=actor,
        count_id=count_id,
        kind=kind,
        value=value,
        raw_code=raw_code,
        scan_id=scan_id,
        now=now,
    )


def _refusal(error: str, answer: dict[str, Any], *, count_id: int, value: str) -> DomainError:
    if error == "NOT_FOUND":
        return NotFound(details={"inventory_id": count_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": answer["point_id"], "permission": str(Perm.OPERATE)})
    if error == "INVENTORY_CLOSED":
        return InventoryClosed(details={"inventory_id": count_id, "status": answer["status"]})
    if error == "CELL_NOT_FOUND":
        return cell_unknown(value)
    if error == "CELL_RETIRED":
        if answer.get("current"):
            return CellRetired(details={"cell": answer["cell"]})
        return cell_retired(answer["cell"])
    if error == "CELL_OUT_OF_SCOPE":
        return cell_out_of_scope(answer["cell"], answer["zone"])
    if error == "NO_CURRENT_CELL":
        return NoCurrentCell(details={"code": value})
    raise RuntimeError(f"pvz_inventory_scan answered an unknown error {error!r}")


def _answer(
    answer: dict[str, Any],
    *,
    actor: User,
    count_id: int,
    kind: ScanKind,
    value: str,
    raw_code: str,
    scan_id: uuid.UUID,
    now: dt.datetime,
) -> tuple[InventoryCount, InventoryScan, Cell, CountProgress]:
    count = loaded(
        InventoryCount, id=count_id, point_id=answer["point_id"], zone=answer["zone"], status="open"
    )
    cell = loaded(
        Cell, id=answer["cell"]["id"], point_id=answer["point_id"], address=answer["cell"]["address"]
    )
    shipment = None
    if answer["shipment_id"] is not None:
        shipment = loaded(
            Shipment,
            id=answer["shipment_id"],
            point_id=answer["point_id"],
            posting_number=answer["posting_number"],
        )
    scan = loaded(
        InventoryScan,
        id=answer["id"],
        count=count,
        kind=kind,
        operator=actor,
        cell=cell,
        raw_code=raw_code,
        code=value,
        outcome=answer["outcome"],
        shipment=shipment,
        shipment_status=answer["shipment_status"],
        reason=answer["reason"],
        scan_id=scan_id,
        at=now,
    )
    return count, scan, cell, CountProgress(**answer["progress"])
