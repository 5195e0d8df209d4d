"""The writes of a counter finish in one round trip: `pvz_issue_finish` (counter migration 0006) writes what
`services.session_finish` decided in Python — each parcel's row as the transition left it in memory, its
event and webhook row, each line's result — instead of a savepoint and four ORM statements per parcel."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection

from pvz.accounts.models import User
from pvz.core.clock import iso_utc
from pvz.core.sql import execute
from pvz.counter.models import IssueLine
from pvz.shipments.models import Shipment

_CALL = "SELECT pvz_issue_finish(%s::jsonb, %s)"


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Written:
    """One line's outcome to write: its result, and for a parcel that changed, the transition."""

    line: IssueLine
    shipment: Shipment | None = None  # changed in memory by `transition_apply`; None: nothing to write
    from_status: str = ""
    reason: str = ""
    key: str = ""
    details: dict[str, Any] | None = None
    at: dt.datetime | None = None


def _instant(value: Any) -> str:
    """Datetimes in full (DjangoJSONEncoder would cut them to milliseconds)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _row(item: Written) -> dict[str, Any]:
    row: dict[str, Any] = {
        "line": item.line.pk,
        "result": item.line.result,
        "result_code": item.line.result_code,
    }
    shipment = item.shipment
    if shipment is not None:
        assert item.at is not None
        row |= {
            "shipment": {
                "id": shipment.pk,
                "status": shipment.status,
                "cell_id": shipment.cell_id,
                "visit": shipment.visit,
                "stored_at": shipment.stored_at,
                "storage_deadline": shipment.storage_deadline,
                "storage_extended_at": shipment.storage_extended_at,
                "storage_extended_by_id": shipment.storage_extended_by_id,
                "point_id": shipment.point_id,
                "partner_id": shipment.partner_id,
                "order_id": shipment.order_id,
                "barcode": shipment.barcode,
                "posting_number": shipment.posting_number,
            },
            "from": item.from_status,
            "reason": item.reason,
            "key": item.key,
            "details": item.details or {},
            "now": item.at,
            "at": iso_utc(item.at),
        }
    return row


def finish_write(*, actor: User, items: list[Written]) -> None:
    """Write every line's outcome, in order, in the caller's transaction; each changed parcel's version
    goes up by one, as a save would."""
    execute(_CALL, [json.dumps([_row(item) for item in items], default=_instant), actor.pk])
    for item in items:
        if item.shipment is not None:
            item.shipment.version += 1
