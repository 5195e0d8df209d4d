"""A shipment's status change: `shipment_transition` is the only way a shipment's status changes (through
`SHIPMENT.set`, the table in `shipments.statuses`), with its cell, visit and storage period, and exactly
one event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.network.models import Cell
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services.events import event_record, event_with_key, shipment_lock
from pvz.shipments.services.places import place_checked
from pvz.shipments.statuses import NEEDS_CELL, NEW_VISIT, OFF_SHELF, SHIPMENT, Status
from pvz.shipments.storage import storage_days, storage_deadline

log = get_logger(__name__)


@dataclass(frozen=True)
class TransitionResult:
    shipment: Shipment
    event: ShipmentEvent
    replayed: bool = False


def shipment_transition(
    *,
    actor: User | None,
    shipment_id: int,
    to_status: Status | str,
    reason: str = "",
    cell: Cell | None = None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
    precondition: Callable[[Shipment], None] | None = None,
    details: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move one shipment to `to_status` if the transition table allows it.

    Locks the shipment row, writes exactly one immutable event, and pushes the change to the point's
    devices after commit. A replayed idempotency key returns the first result and writes nothing.
    """
    to_status = Status(to_status)
    with transaction.atomic():
        first = event_with_key(
            idempotency_key, shipment_id=shipment_id, kind=EventKind.TRANSITION, to_status=to_status
        )
        if first is not None:
            return TransitionResult(Shipment.objects.get(pk=shipment_id), first, replayed=True)
        shipment = shipment_lock(shipment_id, expected_version)
        return shipment_transition_locked(
            actor=actor,
            shipment=shipment,
            to_status=to_status,
            reason=reason,
            cell=cell,
            idempotency_key=idempotency_key,
            precondition=precondition,
            details=details,
        )


def shipment_transition_locked(
    *,
    actor: User | None,
    shipment: Shipment,
    to_status: Status | str,
    reason: str = "",
    cell: Cell | None = None,
    idempotency_key: str | None = None,
    precondition: Callable[[Shipment], None] | None = None,
    details: dict[str, Any] | None = None,
    push: bool = True,
) -> TransitionResult:
    """`shipment_transition` for a caller that already holds the shipment's row lock in its open
    transaction (loaded with `point` and `partner`) and knows `idempotency_key` has not been used: the
    same checks and the one event, without re-reading the row. `shipment` is updated in place. It opens no
    savepoint, so a caller that goes on after catching its error must wrap it in its own
    `transaction.atomic()`. `push=False` leaves the live push to the caller (one per operation)."""
    from_status, now = transition_apply(
        shipment=shipment, to_status=to_status, cell=cell, precondition=precondition
    )
    event = event_record(
        shipment,
        kind=EventKind.TRANSITION,
        actor=actor,
        from_status=from_status,
        reason=reason,
        idempotency_key=idempotency_key,
        details=details,
        at=now,
        push=push,
    )
    log.info(
        "shipment_transition",
        shipment_id=shipment.pk,
        from_status=from_status,
        to_status=shipment.status,
        actor_id=getattr(actor, "pk", None),
    )
    return TransitionResult(shipment, event)


def transition_apply(
    *,
    shipment: Shipment,
    to_status: Status | str,
    cell: Cell | None = None,
    precondition: Callable[[Shipment], None] | None = None,
) -> tuple[Status, Any]:
    """The checks of a transition and its changes to the locked `shipment` in memory (status, cell, visit,
    storage period), nothing saved: `shipment_transition_locked` saves them with the event, and a caller
    that writes many transitions at once (the counter's finish) hands them to the database itself. A
    refusal is raised before the status changes. Returns the status it came from and the moment."""
    to_status = Status(to_status)
    from_status = Status(shipment.status)
    # The pair first, before the precondition and any change: `SHIPMENT.set` below checks it again.
    SHIPMENT.check(from_status, to_status)
    if precondition is not None:
        precondition(shipment)

    now = clock.now()
    if (from_status, to_status) in NEW_VISIT:
        shipment.visit += 1
        clear_storage(shipment)
    if to_status in NEEDS_CELL:
        target = cell or shipment.cell
        if target is None:
            raise DomainError(_("Укажите ячейку для размещения."), details={"field": "cell"})
        shipment.cell = place_checked(cell=target, shipment=shipment, status=to_status)
    elif to_status in OFF_SHELF:
        shipment.cell = None
    elif cell is not None:
        shipment.cell = place_checked(cell=cell, shipment=shipment, status=to_status)
    if (from_status, to_status) == (Status.STORED, Status.ACCEPTED):
        # Taken off the shelf again (an undone placement): the storage period starts anew when stored.
        clear_storage(shipment)
    if to_status == Status.STORED and from_status == Status.ACCEPTED:
        shipment.stored_at = now
        shipment.storage_deadline = storage_deadline(
            stored_at=now, days=storage_days(shipment.partner, shipment.point), point=shipment.point
        )
    SHIPMENT.set(shipment, to_status)
    return from_status, now


def clear_storage(shipment: Shipment) -> None:
    """Forget the storage period, and the one extension that belonged to it."""
    shipment.stored_at = None
    shipment.storage_deadline = None
    shipment.storage_extended_at = None
    shipment.storage_extended_by = None
