"""Starting a count of the whole point or of one zone; a point has at most one open count."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.cells.selectors import zone_normalize
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError
from pvz.core.logging import get_logger
from pvz.inventory.models import CountStatus, InventoryCount
from pvz.inventory.selectors import zones_of_point
from pvz.inventory.services.counts import count_push
from pvz.network.models import PickupPoint

log = get_logger(__name__)


def inventory_start(*, actor: User, point: PickupPoint, zone: str | None = None) -> InventoryCount:
    """Open a count of the whole point (no zone) or of one zone that has active customer cells. A point
    has at most one open count: a second start is CONFLICT and names the open one."""
    zone_value = zone_normalize(zone or "")
    if zone_value and zone_value not in zones_of_point(point=point):
        raise DomainError(
            _("В зоне «%(zone)s» нет действующих ячеек. Выберите зону из списка.") % {"zone": zone_value},
            details={"field": "zone", "zone": zone_value},
        )
    open_count = InventoryCount.objects.filter(point=point, status=CountStatus.OPEN).first()
    if open_count is not None:
        raise _already_open(open_count)
    try:
        with transaction.atomic():
            count = InventoryCount.objects.create(
                point=point, zone=zone_value, started_by=actor, started_at=clock.now()
            )
            audit_record(
                action="inventory.started",
                actor=actor,
                point_id=point.pk,
                obj=count,
                details={"zone": zone_value},
            )
            count_push(count)
    except IntegrityError:
        # Two managers started at the same moment: the database constraint let one through.
        raise _already_open(InventoryCount.objects.get(point=point, status=CountStatus.OPEN)) from None
    log.info("inventory_started", inventory_id=count.pk, zone=zone_value, actor_id=actor.pk)
    return count


def _already_open(count: InventoryCount) -> Conflict:
    return Conflict(
        _("На точке уже идёт инвентаризация (№ %(id)s). Завершите или отмените её.") % {"id": count.pk},
        details={"inventory_id": count.pk},
    )
