"""Placing an accepted parcel in one round trip: the PostgreSQL function `pvz_shipment_place` (migration
0007, docs/adr/0006-scan-hot-path.md) does what the API's place endpoint does in Python (the caller's
access, the named cell, the lock, the checks, the transition with its event and webhook row, the cell
pick) and answers with JSON, turned here into the same `Placement`.

It defers to Python only for a replayed event key. Refusals come back as error codes, checked in the
Python path's order, and are returned (not raised) as the DomainErrors that path raises: the function
refuses before it writes anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.sql_access import operate_access_args
from pvz.core.clock import iso_utc
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.sql import fetch_json, loaded
from pvz.inbound.placement import TAKE_ATTEMPTS, NoFreeCell, Placement
from pvz.inbound.scan_database import notify_ready
from pvz.network.models import Cell
from pvz.shipments.errors import CellFull, CellTooSmall, InvalidTransition
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_changed_push
from pvz.shipments.statuses import Status

_CALL = "SELECT pvz_shipment_place(%s, %s, %s, %s::text[], %s::text[], %s, %s, %s, %s, %s)"

REPLAY = "replay"


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


def place_in_database(
    *,
    actor: User,
    shipment_id: int,
    address: str | None,
    raw_cell: str | None,
    idempotency_key: str | None,
    now: dt.datetime,
) -> Placement | DomainError | str:
    """ACCEPTED → STORED through `pvz_shipment_place` in the caller's transaction: into the cell at
    `address` (the normalised scan of `raw_cell`) or, when None, the suggested one. Answers the
    Placement, the refusal (to raise once the caller's block is left), or REPLAY when the key was used
    (the caller runs the Python path). The live push is queued for after the commit."""
    answer = fetch_json(
        _CALL,
        [
            shipment_id,
            *operate_access_args(actor),
            address,
            idempotency_key or None,
            now,
            iso_utc(now),
            TAKE_ATTEMPTS,
        ],
    )
    if answer.get("defer") == REPLAY:
        return REPLAY
    error = answer.get("error")
    if error is not None:
        return _refusal(error, answer, shipment_id=shipment_id, address=address, raw_cell=raw_cell)
    return _placement(answer, actor=actor, idempotency_key=idempotency_key, now=now)


def _refusal(
    error: str, answer: dict[str, Any], *, shipment_id: int, address: str | None, raw_cell: str | None
) -> DomainError:
    """The DomainError the Python path raises for the function's error code (same code, message and
    details)."""
    if error == "NOT_FOUND":
        return NotFound(details={"shipment_id": shipment_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": answer["point_id"], "permission": str(Perm.OPERATE)})
    if error == "CELL_UNKNOWN":
        return NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address or raw_cell})
    if error == "INVALID_TRANSITION":
        return InvalidTransition(details={"from": Status(answer["from"]), "to": Status.STORED})
    if error == "CELL_NOT_HERE":
        return NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address})
    if error == "CELL_SPECIAL":
        return DomainError(_("В ячейку %(cell)s нельзя положить заказ клиента.") % {"cell": address})
    if error == "CELL_TOO_SMALL":
        return CellTooSmall(details={"cell": address, "size_class": answer["size_class"]})
    if error == "CELL_FULL":
        return CellFull(details={"cell": address, "capacity": answer["capacity"]})
    if error == "NO_FREE_CELL":
        return NoFreeCell(details={"size_class": answer["size_class"]})
    raise RuntimeError(f"pvz_shipment_place answered an unknown error {error!r}")


def _placement(
    answer: dict[str, Any], *, actor: User, idempotency_key: str | None, now: dt.datetime
) -> Placement:
    cell = loaded(Cell, **answer["cell"])
    shipment = loaded(Shipment, **answer["shipment"])
    shipment.cell = cell
    event = loaded(
        ShipmentEvent,
        id=answer["event_id"],
        kind=EventKind.TRANSITION,
        shipment_id=shipment.pk,
        visit=shipment.visit,
        actor_id=actor.pk,
        point_id=shipment.point_id,
        from_status=Status.ACCEPTED,
        to_status=Status.STORED,
        reason="placed",
        cell_id=cell.pk,
        idempotency_key=idempotency_key or None,
        details={},
        at=now,
    )
    if answer.get("ready"):
        notify_ready(shipment, answer["ready"])
    shipment_changed_push(
        point_id=shipment.point_id,
        shipment_id=shipment.pk,
        status=Status.STORED,
        from_status=Status.ACCEPTED,
        kind=EventKind.TRANSITION,
    )
    return Placement(shipment, cell, event, suggested=answer["suggested"])
