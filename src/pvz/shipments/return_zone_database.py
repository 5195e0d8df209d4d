"""The return-zone scan in one round trip: the PostgreSQL function `pvz_return_zone_scan` (migration
0008, docs/adr/0006-scan-hot-path.md) does what `services.shipment_to_return_zone_as` does in Python and
answers with JSON, turned here into the same `ReturnZoneScan`.

It defers to Python for a replayed key and for a point that has no return zone yet. Refusals come back as
codes, checked in the Python path's order, and are returned (not raised) as that path's DomainErrors: the
function refuses before it writes anything.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.sql_access import operate_access_args
from pvz.core.clock import iso_utc
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.sql import fetch_json, loaded
from pvz.network.models import Cell
from pvz.shipments.errors import InvalidTransition, StorageNotExpired
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.statuses import Status

_CALL = "SELECT pvz_return_zone_scan(%s, %s, %s, %s::text[], %s::text[], %s, %s, %s, %s)"

DEFER = ("replay", "no_zone")

# What the Python path says about a status that does not go to the return zone (shipments.services).
NOT_FOR_RETURN_ZONE = _(
    "В зону возврата сканируют отправления с истёкшим сроком, отменённые партнёром, "
    "отказные и повреждённые. Это — «%(status)s»."
)


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


def return_zone_in_database(
    *, actor: User, point_id: int, code: str, value: str, key: str | None, now: dt.datetime
) -> Any:
    """One scan through `pvz_return_zone_scan` in the caller's transaction (`value`: the scan `code`
    normalised, not empty). Answers the fields of a `ReturnZoneScan` as a dict, the refusal (a
    DomainError to raise once the caller's block is left), or a string from DEFER."""
    answer = fetch_json(
        _CALL,
        [
            point_id,
            *operate_access_args(actor),
            value,
            key or None,
            now,
            iso_utc(now),
        ],
    )
    if answer.get("defer") in DEFER:
        return str(answer["defer"])
    error = answer.get("error")
    if error is not None:
        return _refusal(error, answer, point_id=point_id, code=code, value=value)
    return _scan(answer, actor=actor, point_id=point_id, key=key, now=now)


def _refusal(error: str, answer: dict[str, Any], *, point_id: int, code: str, value: str) -> DomainError:
    if error == "NOT_FOUND":
        return NotFound(details={"point": point_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": point_id, "permission": str(Perm.OPERATE)})
    if error == "SHIPMENT_UNKNOWN":
        return NotFound(details={"code": code, "normalized": value})
    if error == "STORAGE_NOT_EXPIRED":
        deadline = answer["storage_deadline"]
        local = (
            dt.datetime.fromisoformat(deadline).astimezone(zoneinfo.ZoneInfo(answer["timezone"])).isoformat()
            if deadline
            else None
        )
        return StorageNotExpired(details={"storage_deadline": local})
    if error == "INVALID_TRANSITION":
        status = Status(answer["status"])
        return InvalidTransition(NOT_FOR_RETURN_ZONE % {"status": status.label}, details={"status": status})
    raise RuntimeError(f"pvz_return_zone_scan answered an unknown error {error!r}")


def _scan(
    answer: dict[str, Any], *, actor: User, point_id: int, key: str | None, now: dt.datetime
) -> dict[str, Any]:
    data = answer["shipment"]
    cell = loaded(Cell, **answer["cell"]) if answer["cell"] else None
    shipment = loaded(
        Shipment,
        id=data["id"],
        status=data["status"],
        point_id=point_id,
        posting_number=data["posting_number"],
        version=data["version"],
        cell_id=data["cell_id"],
    )
    shipment.cell = cell
    if answer["outcome"] == "already":
        return {"shipment": shipment, "outcome": "already", "zone": cell}
    from_status = Status(answer["from_status"])
    event = loaded(
        ShipmentEvent,
        id=answer["event_id"],
        kind=EventKind.TRANSITION,
        shipment_id=shipment.pk,
        actor_id=actor.pk,
        point_id=point_id,
        from_status=from_status,
        to_status=Status.AWAITING_DISPATCH,
        cell_id=cell.pk if cell else None,
        idempotency_key=key or None,
        details={"from_cell": answer["from_cell"]},
        at=now,
    )
    return {
        "shipment": shipment,
        "outcome": "moved",
        "zone": cell,
        "from_cell": answer["from_cell"],
        "event": event,
        "from_status": from_status,
    }
