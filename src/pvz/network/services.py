"""Writes on points: the special places every point has, and the point's row locked for a delivery.
Regular cells (from a pattern, size, capacity, retiring) are `pvz.cells`; closing a point is `pvz.closing`;
partner settings are `pvz.partners.partner_settings`.
"""

from __future__ import annotations

from django.db import transaction

from pvz.audit.context import Actor
from pvz.audit.services import audit_record
from pvz.core.logging import get_logger
from pvz.network.errors import PointClosed, PointClosing
from pvz.network.models import Cell, CellKind, PickupPoint, PointStatus, SizeClass

log = get_logger(__name__)

# Fixed addresses of the special places, one of each kind per point. The demo network uses the same ones.
SPECIAL_PLACES: tuple[tuple[str, CellKind], ...] = (
    ("INSPECTION", CellKind.INSPECTION),
    ("RETURNS", CellKind.RETURN_ZONE),
    ("TRANSIT", CellKind.TRANSIT),
    ("CONSUMABLES", CellKind.CONSUMABLES),
)
# Special places take whatever is put aside; their capacity is not checked by placement.
SPECIAL_PLACE_CAPACITY = 500


def special_places_ensure(*, actor: Actor | None, point: PickupPoint) -> list[Cell]:
    """The point's four special places, created if missing and brought back into work if retired.
    Running it again changes nothing."""
    places = []
    created_now: list[str] = []
    with transaction.atomic():
        for address, kind in SPECIAL_PLACES:
            cell, created = Cell.objects.select_for_update().get_or_create(
                point=point,
                address=address,
                defaults={"kind": kind, "size_class": SizeClass.XL, "capacity": SPECIAL_PLACE_CAPACITY},
            )
            if not created and not cell.is_active:
                cell.is_active = True
                cell.save(update_fields=["is_active", "updated_at"])
                created = True
            if created:
                created_now.append(address)
                log.info(
                    "special_place_ensured",
                    actor_id=actor.pk if actor else None,
                    point_id=point.pk,
                    cell=address,
                    kind=kind,
                )
            places.append(cell)
        if created_now:
            audit_record(
                action="cell.special_places",
                actor=actor,
                point_id=point.pk,
                obj=point,
                details={"cells": created_now},
            )
    return places


# ---- the point's row ---------------------------------------------------------------------------------


def point_lock(point: PickupPoint) -> PickupPoint:
    """The point's row, locked: manifest loading locks it too, so no delivery slips in while it changes."""
    return PickupPoint.objects.select_for_update().get(pk=point.pk)


def point_lock_for_delivery(*, point: PickupPoint) -> PickupPoint:
    """The point's row, locked for the caller's transaction, when it takes new deliveries (OPEN);
    POINT_CLOSING / POINT_CLOSED otherwise. Carriages announced before closing began are not new
    deliveries: they are still accepted, and the point cannot complete closing until they are closed."""
    locked = point_lock(point)
    if locked.status == PointStatus.CLOSING:
        raise PointClosing(details={"point": locked.pk, "status": locked.status})
    if locked.status == PointStatus.CLOSED or not locked.is_active:
        raise PointClosed(details={"point": locked.pk, "status": locked.status})
    return locked
