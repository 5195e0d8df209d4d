"""The steps every shipment write shares: the row lock, the look-up of an idempotency key already used, and
the one event a change records (saved with the shipment, reported to the outbox, pushed after commit)."""

from __future__ import annotations

from typing import Any

from pvz.accounts.models import User
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, NotFound
from pvz.network.models import Cell
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.outbox import outbox_shipment_event
from pvz.shipments.statuses import Status


def event_with_key(
    key: str | None,
    *,
    shipment_id: int,
    kind: EventKind,
    to_status: Status | None = None,
    cell: Cell | None = None,
) -> ShipmentEvent | None:
    """The event an idempotency key already produced, if the request is the same; a different request
    with a used key is IDEMPOTENCY_MISMATCH."""
    if not key:
        return None
    first = ShipmentEvent.objects.filter(idempotency_key=key).first()
    if first is None:
        return None
    same = first.shipment_id == shipment_id and first.kind == kind
    if to_status is not None:
        same = same and first.to_status == to_status
    if cell is not None:
        same = same and first.cell_id == cell.pk
    if not same:
        raise IdempotencyMismatch(details={"idempotency_key": key})
    return first


def shipment_lock(shipment_id: int, expected_version: int | None) -> Shipment:
    """The shipment's row, locked (with its point and partner); CONFLICT if it is no longer at
    `expected_version`."""
    try:
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("point", "partner")
            .get(pk=shipment_id)
        )
    except Shipment.DoesNotExist:
        raise NotFound(details={"shipment_id": shipment_id}) from None
    if expected_version is not None and shipment.version != expected_version:
        raise Conflict(details={"current_status": shipment.status, "version": shipment.version})
    return shipment


def event_record(
    shipment: Shipment,
    *,
    kind: EventKind,
    actor: User | None,
    from_status: Status,
    reason: str,
    idempotency_key: str | None,
    details: dict[str, Any] | None,
    at: Any,
    push: bool = True,
) -> ShipmentEvent:
    """Save the shipment and its one event, and push the change to the point after commit."""
    shipment.version += 1
    shipment.save()
    event = ShipmentEvent.objects.create(
        kind=kind,
        shipment=shipment,
        visit=shipment.visit,
        actor=actor,
        point=shipment.point,
        from_status=from_status,
        to_status=shipment.status,
        reason=reason,
        cell=shipment.cell,
        idempotency_key=idempotency_key or None,
        details=details or {},
        at=at,
    )
    outbox_shipment_event(event)
    if not push:
        return event
    shipment_changed_push(
        point_id=shipment.point_id,
        shipment_id=shipment.pk,
        status=shipment.status,
        from_status=from_status,
        kind=kind,
    )
    return event


def shipment_changed_push(
    *, point_id: int, shipment_id: int, status: str, from_status: str, kind: str
) -> None:
    """After commit, tell the point's screens that a shipment moved from `from_status` to `status`
    (`kind`: the event kind, or the use case that moved it)."""
    after_commit(
        point_changed,
        point_id,
        topic="shipment",
        data={"id": shipment_id, "status": status, "from": from_status, "kind": kind},
    )
