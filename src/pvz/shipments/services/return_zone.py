"""Parcels leaving the point: a scan sends an expired, cancelled, refused or damaged parcel from wherever it
lies into the point's return zone (→ AWAITING_DISPATCH), where it waits for a return carriage; on
PostgreSQL in one database call."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import point_access
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint
from pvz.network.models import Cell, CellKind, PickupPoint
from pvz.network.services import special_places_ensure
from pvz.shipments import return_zone_database
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.selectors import shipment_find
from pvz.shipments.services.events import event_with_key, shipment_lock
from pvz.shipments.services.expiry import shipment_expire_on_scan
from pvz.shipments.services.transition import shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

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
        first = event_with_key(
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
        shipment = shipment_lock(found.pk, None)
        if shipment.status == Status.AWAITING_DISPATCH:
            return ReturnZoneScan(shipment, ReturnZoneOutcome.ALREADY, shipment.cell)
        if shipment.status == Status.STORED:
            shipment_expire_on_scan(shipment)
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
