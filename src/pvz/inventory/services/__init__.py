"""Writes of inventory counts, one module per use case, re-exported here: start, cancel, scan a cell or a
parcel (`scanning`), finish with the confirmed missing. Rules: `docs/domain.md` § Inventory.

Every write locks the count row first (`counts`), so the scans of one count queue behind each other (a few
milliseconds each) and finishing cannot interleave with a scan. Parcels change only through
`shipment_move` (a misplaced parcel is put where it was found) and `shipment_transition` (a confirmed
missing parcel → LOST), each with its one shipment event; the count's own status only through
`inventory.statuses.COUNT`.
"""

from pvz.inventory.services.cancel import inventory_cancel
from pvz.inventory.services.counts import REASON
from pvz.inventory.services.finish import inventory_finish
from pvz.inventory.services.scanning import (
    MAX_CODE_LENGTH,
    ScanAnswer,
    inventory_scan,
    inventory_scan_as,
    inventory_scan_cell,
    inventory_scan_parcel,
)
from pvz.inventory.services.start import inventory_start

__all__ = [
    "MAX_CODE_LENGTH",
    "REASON",
    "ScanAnswer",
    "inventory_cancel",
    "inventory_finish",
    "inventory_scan",
    "inventory_scan_as",
    "inventory_scan_cell",
    "inventory_scan_parcel",
    "inventory_start",
]
