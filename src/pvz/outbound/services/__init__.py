"""Writes of return carriages («Отправка»): create, scan totes and parcels in, remove, seal, add empty
totes, and the hand-over to the courier. One module per use case, re-exported here.

Every write locks the carriage row first, so the scans of one carriage queue behind each other and a
hand-over sees a settled carriage. Parcels change status only at the hand-over, through
`shipment_transition_locked` (one event each); totes move only through the inbound tote lifecycle, and the
carriage closes through `inbound.statuses.CARRIAGE`.
"""

from pvz.outbound.services.carriages import (
    MAX_CODE_LENGTH,
    carriage_push,
    code_scanned,
    lock_open_carriage,
    return_carriage_create,
)
from pvz.outbound.services.handover import (
    CODE_MAX_ATTEMPTS,
    COURIER_NAME_MAX,
    HANDOVER_REASON,
    MAX_SIGNATURE_BYTES,
    return_carriage_hand_over,
    signature_check,
)
from pvz.outbound.services.parcels import (
    ParcelScan,
    return_parcel_remove,
    return_parcel_scan,
)
from pvz.outbound.services.totes import (
    ToteScan,
    lock_return_tote,
    return_empty_tote_add,
    return_tote_scan,
    return_tote_seal,
)

__all__ = [
    "CODE_MAX_ATTEMPTS",
    "COURIER_NAME_MAX",
    "HANDOVER_REASON",
    "MAX_CODE_LENGTH",
    "MAX_SIGNATURE_BYTES",
    "ParcelScan",
    "ToteScan",
    "carriage_push",
    "code_scanned",
    "lock_open_carriage",
    "lock_return_tote",
    "return_carriage_create",
    "return_carriage_hand_over",
    "return_empty_tote_add",
    "return_parcel_remove",
    "return_parcel_scan",
    "return_tote_scan",
    "return_tote_seal",
    "signature_check",
]
