"""What every write of an inventory count shares: the count's row lock, taken first so the writes of one count
queue, and its live push to the point's devices after commit."""

from __future__ import annotations

from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import NotFound
from pvz.inventory.errors import InventoryClosed
from pvz.inventory.models import CountStatus, InventoryCount
from pvz.inventory.selectors import CountProgress, count_progress

# Why a shipment event was written by a count (reason of its MOVE and LOST events).
REASON = "inventory"


def count_push(count: InventoryCount, progress: CountProgress | None = None) -> None:
    after_commit(
        point_changed,
        count.point_id,
        topic="inventory",
        data={
            "inventory_id": count.pk,
            "status": count.status,
            "zone": count.zone,
            **(progress or count_progress(count=count)).as_dict(),
        },
    )


def count_lock(count_id: int) -> InventoryCount:
    try:
        return InventoryCount.objects.select_for_update(of=("self",)).select_related("point").get(pk=count_id)
    except InventoryCount.DoesNotExist:
        raise NotFound(details={"inventory_id": count_id}) from None


def count_lock_open(count: InventoryCount) -> InventoryCount:
    """The count locked, if it is still open; else INVENTORY_CLOSED."""
    locked = count_lock(count.pk)
    if locked.status != CountStatus.OPEN:
        raise InventoryClosed(details={"inventory_id": locked.pk, "status": locked.status})
    return locked
