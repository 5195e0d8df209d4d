"""Writes on shipments. `shipment_transition` is the only way a shipment's status changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import point_access
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, ErrorCode, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint
from pvz.network.models import Cell, CellKind, PickupPoint, SizeClass
from pvz.network.services import special_places_ensure
from pvz.shipments import return_zone_database
from pvz.shipments.counters import cells_lock
from pvz.shipments.errors import (
    AlreadyExtended,
    CellFull,
    CellTooSmall,
    IdempotencyMismatch,
    InvalidTransition,
    StorageExpired,
    StorageNotExpired,
)
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.outbox import outbox_shipment_event
from pvz.shipments.selectors import shipment_find
from pvz.shipments.statuses import AT_POINT, NEEDS_CELL, NEW_VISIT, OFF_SHELF, Status, is_allowed, is_movable
from pvz.shipments.storage import end_of_local_day, storage_days, storage_deadline

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
    # `cell` was read under its lock, so its counter is exact; the parcel itself does not count.
    held = cell.held - (1 if shipment.cell_id == cell.pk and shipment.status in AT_POINT else 0)
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
        first = _first_with_key(
            idempotency_key, shipment_id=shipment_id, kind=EventKind.TRANSITION, to_status=to_status
        )
        if first is not None:
            return TransitionResult(Shipment.objects.get(pk=shipment_id), first, replayed=True)
        shipment = _lock(shipment_id, expected_version)
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
    event = _record(
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
    if not is_allowed(from_status, to_status):
        raise InvalidTransition(details={"from": from_status, "to": to_status})
    if precondition is not None:
        precondition(shipment)

    now = clock.now()
    if (from_status, to_status) in NEW_VISIT:
        shipment.visit += 1
        _clear_storage(shipment)
    if to_status in NEEDS_CELL:
        target = cell or shipment.cell
        if target is None:
            raise DomainError(_("Укажите ячейку для размещения."), details={"field": "cell"})
        shipment.cell = _place_checked(cell=target, shipment=shipment, status=to_status)
    elif to_status in OFF_SHELF:
        shipment.cell = None
    elif cell is not None:
        shipment.cell = _place_checked(cell=cell, shipment=shipment, status=to_status)
    if (from_status, to_status) == (Status.STORED, Status.ACCEPTED):
        # Taken off the shelf again (an undone placement): the storage period starts anew when stored.
        _clear_storage(shipment)
    if to_status == Status.STORED and from_status == Status.ACCEPTED:
        shipment.stored_at = now
        shipment.storage_deadline = storage_deadline(
            stored_at=now, days=storage_days(shipment.partner, shipment.point), point=shipment.point
        )
    shipment.status = to_status
    return from_status, now


def _clear_storage(shipment: Shipment) -> None:
    """Forget the storage period, and the one extension that belonged to it."""
    shipment.stored_at = None
    shipment.storage_deadline = None
    shipment.storage_extended_at = None
    shipment.storage_extended_by = None


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
        first = _first_with_key(idempotency_key, shipment_id=shipment_id, kind=EventKind.MOVE, cell=cell)
        if first is not None:
            return TransitionResult(Shipment.objects.get(pk=shipment_id), first, replayed=True)
        shipment = _lock(shipment_id, expected_version)
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
        shipment.cell = _place_checked(cell=cell, shipment=shipment, status=status)
        event = _record(
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


def _first_with_key(
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


def _lock(shipment_id: int, expected_version: int | None) -> Shipment:
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


def _place_checked(*, cell: Cell, shipment: Shipment, status: Status) -> Cell:
    """The cell a parcel in `status` may go into, locked: customer cells for STORED, special places else."""
    if status in NEEDS_CELL:
        locked = Cell.objects.select_for_update().get(pk=cell.pk)
        _check_cell_fits(cell=locked, shipment=shipment)
        return locked
    _check_special_place(cell=cell, shipment=shipment)
    return cell


def _record(
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
    after_commit(
        point_changed,
        shipment.point_id,
        topic="shipment",
        data={"id": shipment.pk, "status": shipment.status, "from": from_status, "kind": kind},
    )
    return event


# The expiry of a STORED parcel past its deadline, by the job or noticed at a scan: the same reason and the
# same key, so whichever comes first writes the one event and the other finds nothing left to do.
EXPIRY_REASON = "storage_deadline_passed"


def _expiry_key(shipment_id: int, visit: int) -> str:
    return f"expire:{shipment_id}:{visit}"


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
                reason=EXPIRY_REASON,
                idempotency_key=_expiry_key(pk, visit),
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


# --- Storage extension (продление)

EXTENSION_DAYS_MIN, EXTENSION_DAYS_MAX = 1, 7


@dataclass(frozen=True)
class Extension:
    shipment: Shipment
    event: ShipmentEvent
    previous_deadline: dt.datetime
    replayed: bool = False


def _check_extension_days(days: object) -> int:
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not (EXTENSION_DAYS_MIN <= days <= EXTENSION_DAYS_MAX)
    ):
        raise DomainError(
            _("Продлить можно на %(min)s–%(max)s дней.")
            % {"min": EXTENSION_DAYS_MIN, "max": EXTENSION_DAYS_MAX},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "days", "min": EXTENSION_DAYS_MIN, "max": EXTENSION_DAYS_MAX, "value": days},
        )
    return days


def shipment_extend_storage(
    *, actor: User | None, shipment: Shipment, days: int, key: str | None
) -> Extension:
    """Move the storage deadline of a STORED parcel by `days` (1–7) local days, once per visit, while
    `now <= deadline`; the new deadline is again the end of a local day. Writes one EXTENSION event (from
    = to = STORED, old and new deadline in `details`); a replayed key returns it and writes nothing."""
    days = _check_extension_days(days)
    with transaction.atomic():
        first = _first_with_key(key, shipment_id=shipment.pk, kind=EventKind.EXTENSION)
        if first is not None:
            if first.details.get("days") != days:
                raise IdempotencyMismatch(details={"idempotency_key": key})
            return Extension(
                Shipment.objects.get(pk=shipment.pk),
                first,
                dt.datetime.fromisoformat(first.details["old_deadline"]),
                replayed=True,
            )
        locked = _lock(shipment.pk, None)
        if locked.status != Status.STORED or locked.storage_deadline is None:
            raise InvalidTransition(
                _("Продлить хранение можно только отправлению на хранении. Это — «%(status)s».")
                % {"status": locked.get_status_display()},
                details={"status": locked.status},
            )
        if locked.storage_extended_at is not None:
            raise AlreadyExtended(details={"extended_at": locked.storage_extended_at.isoformat()})
        now = clock.now()
        previous = locked.storage_deadline
        if now > previous:
            raise StorageExpired(
                details={"storage_deadline": previous.astimezone(locked.point.tz).isoformat()}
            )
        point = locked.point
        locked.storage_deadline = end_of_local_day(
            point.local_date(previous) + dt.timedelta(days=days), point
        )
        locked.storage_extended_at = now
        locked.storage_extended_by = actor
        event = _record(
            locked,
            kind=EventKind.EXTENSION,
            actor=actor,
            from_status=Status.STORED,
            reason="storage_extended",
            idempotency_key=key,
            details={
                "days": days,
                "old_deadline": previous.isoformat(),
                "new_deadline": locked.storage_deadline.isoformat(),
            },
            at=now,
        )
        audit_record(
            action="shipment.extended",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "days": days,
                "event": event.pk,
                "new_deadline": locked.storage_deadline.astimezone(dt.UTC).isoformat(),
            },
        )
    log.info(
        "shipment_storage_extended", shipment_id=locked.pk, days=days, actor_id=getattr(actor, "pk", None)
    )
    return Extension(locked, event, previous)


# --- Parcels out of the flow's statuses into the return zone

RETURN_ZONE_REASON = "expired_to_return_zone"
# Statuses whose parcels a scan sends into the return zone (→ AWAITING_DISPATCH), with the event's reason.
RETURN_ZONE_REASONS: dict[Status, str] = {
    Status.EXPIRED: RETURN_ZONE_REASON,
    Status.CANCELLED: "cancelled_to_return_zone",
    Status.REFUSED: "refused_to_return_zone",
    Status.DAMAGED: "damaged_to_return_zone",
}


class ReturnZoneOutcome(StrEnum):
    MOVED = "moved"  # EXPIRED / CANCELLED / REFUSED / DAMAGED → AWAITING_DISPATCH, now in the return zone
    ALREADY = "already"  # was already waiting for dispatch: nothing changed


@dataclass(frozen=True)
class ReturnZoneScan:
    shipment: Shipment
    outcome: ReturnZoneOutcome
    zone: Cell | None
    from_cell: str | None = None
    event: ShipmentEvent | None = None
    replayed: bool = False
    from_status: Status | None = None


def return_zone_of(*, point: PickupPoint, actor: User | None) -> Cell:
    """The point's return-zone special place, created (with the other special places) if it is missing."""
    zone = Cell.objects.filter(point=point, kind=CellKind.RETURN_ZONE, is_active=True).order_by("pk").first()
    if zone is None:
        special_places_ensure(actor=actor, point=point)
        zone = Cell.objects.get(point=point, kind=CellKind.RETURN_ZONE, is_active=True)
    return zone


def shipment_to_return_zone(*, actor: User, point: PickupPoint, code: str, key: str | None) -> ReturnZoneScan:
    """A scanned parcel that is leaving the point (storage expired, cancelled by the partner, refused,
    damaged at acceptance) goes from wherever it lies into the point's return zone and waits for a return
    carriage: → AWAITING_DISPATCH. A STORED parcel past its deadline is expired first (the job's event,
    same key); within its deadline it is STORAGE_NOT_EXPIRED. A parcel already AWAITING_DISPATCH is a
    harmless repeat; another point's parcel is NOT_FOUND."""
    found = shipment_find(user=actor, code=code, point=point)
    zone = return_zone_of(point=point, actor=actor)
    with transaction.atomic():
        first = _first_with_key(
            key, shipment_id=found.pk, kind=EventKind.TRANSITION, to_status=Status.AWAITING_DISPATCH
        )
        if first is not None:
            again = Shipment.objects.select_related("cell", "partner", "point").get(pk=found.pk)
            return ReturnZoneScan(
                again,
                ReturnZoneOutcome.MOVED,
                zone,
                first.details.get("from_cell"),
                first,
                replayed=True,
                from_status=Status(first.from_status),
            )
        shipment = _lock(found.pk, None)
        if shipment.status == Status.AWAITING_DISPATCH:
            return ReturnZoneScan(shipment, ReturnZoneOutcome.ALREADY, shipment.cell)
        if shipment.status == Status.STORED:
            _expire_on_scan(shipment)
        from_status = Status(shipment.status)
        if from_status not in RETURN_ZONE_REASONS:
            raise InvalidTransition(
                _(
                    "В зону возврата сканируют отправления с истёкшим сроком, отменённые партнёром, "
                    "отказные и повреждённые. Это — «%(status)s»."
                )
                % {"status": shipment.get_status_display()},
                details={"status": shipment.status},
            )
        from_cell = shipment.cell.address if shipment.cell else None
        result = shipment_transition_locked(
            actor=actor,
            shipment=shipment,
            to_status=Status.AWAITING_DISPATCH,
            reason=RETURN_ZONE_REASONS[from_status],
            cell=zone,
            idempotency_key=key,
            details={"from_cell": from_cell},
            push=False,
        )
        after_commit(
            point_changed,
            point.pk,
            topic="shipment",
            data={"id": shipment.pk, "status": shipment.status, "from": from_status, "kind": "return_zone"},
        )
    log.info(
        "shipment_to_return_zone",
        shipment_id=shipment.pk,
        from_status=from_status,
        from_cell=from_cell,
        actor_id=actor.pk,
    )
    return ReturnZoneScan(
        result.shipment, ReturnZoneOutcome.MOVED, zone, from_cell, result.event, from_status=from_status
    )


def shipment_to_return_zone_as(*, actor: User, point_id: int, code: str, key: str | None) -> ReturnZoneScan:
    """`shipment_to_return_zone` for a caller named by `point_id` (the return-zone endpoint): NOT_FOUND
    for a point the caller does not work at, PERMISSION_DENIED without "operate" there. On PostgreSQL one
    call of `pvz_return_zone_scan` (`shipments.return_zone_database`); a replayed key, a blank code and a
    point without a return zone go the Python way."""
    value = normalize_scan(code)
    if value and return_zone_database.available() and fits_bigint(point_id):
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answered = return_zone_database.return_zone_in_database(
                actor=actor, point_id=point_id, code=code, value=value, key=key, now=clock.now()
            )
            if isinstance(answered, dict) and answered["outcome"] == "moved":
                after_commit(
                    point_changed,
                    point_id,
                    topic="shipment",
                    data={
                        "id": answered["shipment"].pk,
                        "status": Status.AWAITING_DISPATCH,
                        "from": answered["from_status"],
                        "kind": "return_zone",
                    },
                )
        if isinstance(answered, DomainError):
            raise answered
        if isinstance(answered, dict):
            scan = ReturnZoneScan(**{**answered, "outcome": ReturnZoneOutcome(answered["outcome"])})
            if scan.outcome is ReturnZoneOutcome.MOVED:
                log.info(
                    "shipment_to_return_zone",
                    shipment_id=scan.shipment.pk,
                    from_status=scan.from_status,
                    from_cell=scan.from_cell,
                    actor_id=actor.pk,
                )
            return scan
    access = point_access(user=actor, point_id=point_id)
    if access is None:
        raise NotFound(details={"point": point_id})
    point, perms = access
    if Perm.OPERATE not in perms:
        raise PermissionDenied(details={"point": point.pk, "permission": str(Perm.OPERATE)})
    return shipment_to_return_zone(actor=actor, point=point, code=code, key=key)


def _expire_on_scan(shipment: Shipment) -> None:
    """A STORED parcel scanned out after its deadline, before the job got to it: expire it now, as the
    job would have. Within the deadline (`now <= deadline`) it stays: STORAGE_NOT_EXPIRED."""
    deadline = shipment.storage_deadline
    if deadline is None or clock.now() <= deadline:
        raise StorageNotExpired(
            details={
                "storage_deadline": deadline.astimezone(shipment.point.tz).isoformat() if deadline else None
            }
        )
    shipment_transition_locked(
        actor=None,
        shipment=shipment,
        to_status=Status.EXPIRED,
        reason=EXPIRY_REASON,
        idempotency_key=_expiry_key(shipment.pk, shipment.visit),
        push=False,
    )
