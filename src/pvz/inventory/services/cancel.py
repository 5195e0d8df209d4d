"""Cancelling an open count: it stops without a report and nothing is written off."""

from __future__ import annotations

from django.db import transaction

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.inventory.errors import InventoryClosed
from pvz.inventory.models import CountStatus, InventoryCount
from pvz.inventory.services.counts import count_lock, count_push
from pvz.inventory.statuses import COUNT

log = get_logger(__name__)


def inventory_cancel(*, actor: User, count: InventoryCount) -> InventoryCount:
    """Stop an open count without a report: nothing is written off. Parcels it already moved stay where
    they were found (each move was a correction with its own event). Cancelling again changes nothing."""
    with transaction.atomic():
        locked = count_lock(count.pk)
        if locked.status == CountStatus.CANCELLED:
            return locked
        if locked.status != CountStatus.OPEN:
            raise InventoryClosed(details={"inventory_id": locked.pk, "status": locked.status})
        COUNT.set(locked, CountStatus.CANCELLED)
        locked.finished_by = actor
        locked.finished_at = clock.now()
        locked.save(update_fields=["status", "finished_by", "finished_at"])
        audit_record(
            action="inventory.cancelled",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"zone": locked.zone},
        )
        count_push(locked)
    log.info("inventory_cancelled", inventory_id=locked.pk, actor_id=actor.pk)
    return locked
