"""The lifecycle of an inventory count as data (`pvz.core.lifecycle`): a count is open until it is finished
with its report or cancelled without one, and then stays as it is. Its status changes only through `COUNT`."""

from __future__ import annotations

from pvz.core.lifecycle import Lifecycle
from pvz.inventory.errors import InventoryClosed
from pvz.inventory.models import CountStatus

C = CountStatus

COUNT: Lifecycle[CountStatus] = Lifecycle(
    "inventory count",
    CountStatus,
    {
        C.OPEN: {C.FINISHED, C.CANCELLED},
        C.FINISHED: set(),
        C.CANCELLED: set(),
    },
    # The use cases refuse a closed count with INVENTORY_CLOSED before they get here; the table's own
    # refusal says the same in the same words.
    message=InventoryClosed.default_message,
)
