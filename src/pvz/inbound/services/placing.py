"""Placing an accepted parcel for a caller of the place endpoint: the caller's access and the cell code
checked, then one PostgreSQL call (`inbound.place_database`) or `shipment_place`."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint
from pvz.inbound import place_database
from pvz.inbound.placement import Placement, shipment_place
from pvz.network.models import Cell
from pvz.shipments.selectors import shipment_get

log = get_logger(__name__)


def shipment_place_as(
    *, actor: User, shipment_id: int, cell_code: str | None, idempotency_key: str | None
) -> Placement:
    """Place an accepted parcel for `actor` (the place endpoint): NOT_FOUND for a parcel of a point the
    caller does not work at, PERMISSION_DENIED without "operate" there, NOT_FOUND for a cell code that
    names no cell of the parcel's point; then `shipment_place` into that cell, or the suggested one when
    `cell_code` is None. On PostgreSQL it is one call of `pvz_shipment_place` (`inbound.place_database`);
    a replayed key goes the Python way."""
    address = None if cell_code is None else normalize_scan(cell_code).upper()
    if place_database.available() and fits_bigint(shipment_id):
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answered = place_database.place_in_database(
                actor=actor,
                shipment_id=shipment_id,
                address=address,
                raw_cell=cell_code,
                idempotency_key=idempotency_key,
                now=clock.now(),
            )
        if isinstance(answered, DomainError):
            raise answered
        if isinstance(answered, Placement):
            log.info(
                "shipment_placed",
                shipment_id=shipment_id,
                cell=answered.cell.address,
                suggested=answered.suggested,
                actor_id=actor.pk,
            )
            return answered
    shipment = shipment_get(user=actor, shipment_id=shipment_id)
    if not user_can(user=actor, perm=Perm.OPERATE, point=shipment.point):
        raise PermissionDenied(details={"point": shipment.point_id, "permission": str(Perm.OPERATE)})
    cell = None
    if address is not None:
        cell = Cell.objects.filter(point=shipment.point, address=address).first()
        if cell is None:
            raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address or cell_code})
    return shipment_place(actor=actor, shipment_id=shipment.pk, cell=cell, idempotency_key=idempotency_key)
