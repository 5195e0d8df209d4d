"""Writes on shipments. `shipment_transition` is the only way a shipment's status changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.shipments.errors import CellFull, CellTooSmall, IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import AT_POINT, NEEDS_CELL, NEW_VISIT, OFF_SHELF, Status, is_allowed
from pvz.shipments.storage import storage_days, storage_deadline

log = get_logger(__name__)


@dataclass(frozen=True)
class TransitionResult:
    shipment: Shipment
    event: ShipmentEvent
    replayed: bool = False


def _check_cell_fits(*, cell: Cell, shipment: Shipment) -> None:
    """A shipment goes only into an active regular cell of its own point, that fits it and has room."""
    if cell.point_id != shipment.point_id or not cell.is_active:
        raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": cell.address})
    if cell.kind != CellKind.REGULAR:
        raise DomainError(_("В ячейку %(cell)s нельзя положить заказ клиента.") % {"cell": cell.address})
    if SizeClass.rank(shipment.size_class) > SizeClass.rank(cell.size_class):
        raise CellTooSmall(details={"cell": cell.address, "size_class": shipment.size_class})
    held = Shipment.objects.filter(cell=cell, status__in=AT_POINT).exclude(pk=shipment.pk).count()
    if held >= cell.capacity:
        raise CellFull(details={"cell": cell.address, "capacity": cell.capacity})


def _check_special_place(*, cell: Cell, shipment: Shipment) -> None:
    """Outside STORED a parcel may only be put in a special place (inspection, return zone, transit) of
    its point; customer cells are filled only through STORED, where their capacity is checked."""
    if cell.point_id != shipment.point_id or not cell.is_active:
        raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": cell.address})
    if cell.kind == CellKind.REGULAR:
        raise DomainError(
            _("В этом статусе отправление кладут в служебное место, а не в ячейку %(cell)s.")
            % {"cell": cell.address}
        )


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
        if idempotency_key:
            first = ShipmentEvent.objects.filter(idempotency_key=idempotency_key).first()
            if first is not None:
                if first.shipment_id != shipment_id or first.to_status != to_status:
                    raise IdempotencyMismatch(details={"idempotency_key": idempotency_key})
                return TransitionResult(Shipment.objects.get(pk=shipment_id), first, replayed=True)

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
        from_status = Status(shipment.status)
        if not is_allowed(from_status, to_status):
            raise InvalidTransition(details={"from": from_status, "to": to_status})
        if precondition is not None:
            precondition(shipment)

        now = clock.now()
        if (from_status, to_status) in NEW_VISIT:
            shipment.visit += 1
            shipment.stored_at = None
            shipment.storage_deadline = None
        if to_status in NEEDS_CELL:
            target = cell or shipment.cell
            if target is None:
                raise DomainError(_("Укажите ячейку для размещения."), details={"field": "cell"})
            target = Cell.objects.select_for_update().get(pk=target.pk)
            _check_cell_fits(cell=target, shipment=shipment)
            shipment.cell = target
        elif to_status in OFF_SHELF:
            shipment.cell = None
        elif cell is not None:
            _check_special_place(cell=cell, shipment=shipment)
            shipment.cell = cell
        if to_status == Status.STORED and from_status == Status.ACCEPTED:
            shipment.stored_at = now
            shipment.storage_deadline = storage_deadline(
                stored_at=now, days=storage_days(shipment.partner, shipment.point), point=shipment.point
            )

        shipment.status = to_status
        shipment.version += 1
        shipment.save()
        event = ShipmentEvent.objects.create(
            shipment=shipment,
            visit=shipment.visit,
            actor=actor,
            point=shipment.point,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            cell=shipment.cell,
            idempotency_key=idempotency_key or None,
            details=details or {},
            at=now,
        )
        after_commit(
            point_changed,
            shipment.point_id,
            topic="shipment",
            data={"id": shipment.pk, "status": to_status, "from": from_status},
        )
    log.info(
        "shipment_transition",
        shipment_id=shipment.pk,
        from_status=from_status,
        to_status=to_status,
        actor_id=getattr(actor, "pk", None),
    )
    return TransitionResult(shipment, event)


def shipments_expire_overdue(*, batch_size: int = 500) -> int:
    """Move every STORED shipment whose deadline has passed to EXPIRED; touch nothing else.

    Each shipment changes in its own transaction under its row lock, and the deadline is re-checked
    there, so a parcel issued or extended meanwhile is left alone. Running it again changes nothing.
    """
    now = clock.now()
    candidates = list(
        Shipment.objects.filter(status=Status.STORED, storage_deadline__lt=now)
        .order_by("storage_deadline", "pk")
        .values_list("pk", "visit")[:batch_size]
    )

    def still_overdue(shipment: Shipment) -> None:
        if shipment.storage_deadline is None or shipment.storage_deadline >= now:
            raise InvalidTransition(_("Срок хранения ещё не истёк."))

    batch_expired = 0
    for pk, visit in candidates:
        try:
            result = shipment_transition(
                actor=None,
                shipment_id=pk,
                to_status=Status.EXPIRED,
                reason="storage_deadline_passed",
                idempotency_key=f"expire:{pk}:{visit}",
                precondition=still_overdue,
            )
        except InvalidTransition:
            continue
        batch_expired += 0 if result.replayed else 1
    if batch_expired:
        log.info("shipments_expired", count=batch_expired)
    if len(candidates) == batch_size and batch_expired:
        batch_expired += shipments_expire_overdue(batch_size=batch_size)
    return batch_expired
