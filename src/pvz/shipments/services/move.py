"""Moving a parcel that is at the point into another place without changing its status: a STORED parcel
into another customer cell, any other parcel at the point into a special place; one MOVE event."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.network.models import Cell
from pvz.shipments.counters import cells_lock
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import EventKind, Shipment
from pvz.shipments.services.events import event_record, event_with_key, shipment_lock
from pvz.shipments.services.places import place_checked
from pvz.shipments.services.transition import TransitionResult
from pvz.shipments.statuses import Status, is_movable

log = get_logger(__name__)


def shipment_move(
    *,
    actor: User | None,
    shipment_id: int,
    cell: Cell,
    reason: str = "",
    idempotency_key: str | None = None,
    expected_version: int | None = None,
) -> TransitionResult:
    """Put a parcel that is at the point into another place, keeping its status: a STORED parcel into
    another customer cell (same fit and capacity rules as placing it), any other parcel at the point into
    a special place. Writes exactly one MOVE event (from == to status)."""
    with transaction.atomic():
        first = event_with_key(idempotency_key, shipment_id=shipment_id, kind=EventKind.MOVE, cell=cell)
        if first is not None:
            return TransitionResult(Shipment.objects.get(pk=shipment_id), first, replayed=True)
        shipment = shipment_lock(shipment_id, expected_version)
        status = Status(shipment.status)
        if not is_movable(status):
            raise InvalidTransition(
                _("Отправление в этом статусе нельзя переложить."), details={"status": status}
            )
        if shipment.cell_id == cell.pk:
            raise DomainError(
                _("Отправление уже лежит в ячейке %(cell)s.") % {"cell": cell.address},
                details={"cell": cell.address},
            )
        from_cell = shipment.cell.address if shipment.cell else None
        # Out of one counted cell into another: both counters' row locks, in id order (shipments.counters).
        cells_lock([shipment.cell_id, cell.pk])
        shipment.cell = place_checked(cell=cell, shipment=shipment, status=status)
        event = event_record(
            shipment,
            kind=EventKind.MOVE,
            actor=actor,
            from_status=status,
            reason=reason,
            idempotency_key=idempotency_key,
            details={"from_cell": from_cell},
            at=clock.now(),
        )
    log.info(
        "shipment_moved", shipment_id=shipment.pk, cell=cell.address, actor_id=getattr(actor, "pk", None)
    )
    return TransitionResult(shipment, event)
