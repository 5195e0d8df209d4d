"""Writes of inbound: ETA, arrival, acceptance by scan (open, scan, undo, damage, close) and tote moves.
One module per use case, re-exported here.

Every acceptance write locks the acceptance row first, so the scans of one carriage queue behind each
other (they take a few milliseconds) while progress, tote state and closing stay consistent; parcels are
then changed only through `shipment_transition` / `shipment_place` (a scan, which has locked the parcel
already, through their `_locked` forms), under their own row locks. Carriage, acceptance and tote statuses
change only through the tables of `inbound.statuses`.
"""

from pvz.inbound.scan_outcome import ScanOutcome
from pvz.inbound.services.acceptances import acceptance_open
from pvz.inbound.services.carriages import (
    DRIVER_NAME_MAX,
    MAX_ETA_AHEAD,
    PLATE_LETTERS,
    SEALS_MAX,
    ArrivalData,
    arrival_data_clean,
    carriage_audit,
    carriage_eta_update,
    carriage_register_arrival,
    plate_normalize,
)
from pvz.inbound.services.closing import acceptance_close
from pvz.inbound.services.corrections import (
    DAMAGE_NOTE_MAX,
    UndoResult,
    acceptance_mark_damaged,
    acceptance_undo_last,
)
from pvz.inbound.services.placing import shipment_place_as
from pvz.inbound.services.scanning import ACCEPTABLE, MAX_CODE_LENGTH, acceptance_scan
from pvz.inbound.services.totes import tote_send_back, tote_use_for_returns

__all__ = [
    "ACCEPTABLE",
    "DAMAGE_NOTE_MAX",
    "DRIVER_NAME_MAX",
    "MAX_CODE_LENGTH",
    "MAX_ETA_AHEAD",
    "PLATE_LETTERS",
    "SEALS_MAX",
    "ArrivalData",
    "ScanOutcome",
    "UndoResult",
    "acceptance_close",
    "acceptance_mark_damaged",
    "acceptance_open",
    "acceptance_scan",
    "acceptance_undo_last",
    "arrival_data_clean",
    "carriage_audit",
    "carriage_eta_update",
    "carriage_register_arrival",
    "plate_normalize",
    "shipment_place_as",
    "tote_send_back",
    "tote_use_for_returns",
]
