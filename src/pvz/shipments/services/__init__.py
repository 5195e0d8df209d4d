"""Writes on shipments, one module per use case, re-exported here: a status change (`transition`, the only
way a shipment's status changes), a move to another place (`move`), the expiry of a storage period
(`expiry`), its extension (`extension`) and the scan-out into the return zone (`return_zone`). The row lock,
the idempotency look-up and the one event they share are in `events`, the rules of where a parcel may lie
in `places`."""

from pvz.shipments.services.events import event_with_key, shipment_changed_push, shipment_lock
from pvz.shipments.services.expiry import (
    EXPIRY_REASON,
    shipments_expire_overdue,
)
from pvz.shipments.services.extension import (
    EXTENSION_DAYS_MAX,
    EXTENSION_DAYS_MIN,
    Extension,
    shipment_extend_storage,
)
from pvz.shipments.services.move import shipment_move
from pvz.shipments.services.return_zone import (
    RETURN_ZONE_REASON,
    RETURN_ZONE_REASONS,
    ReturnZoneOutcome,
    ReturnZoneScan,
    return_zone_of,
    shipment_to_return_zone,
    shipment_to_return_zone_as,
)
from pvz.shipments.services.transition import (
    TransitionResult,
    shipment_transition,
    shipment_transition_locked,
    transition_apply,
)

__all__ = [
    "EXPIRY_REASON",
    "EXTENSION_DAYS_MAX",
    "EXTENSION_DAYS_MIN",
    "RETURN_ZONE_REASON",
    "RETURN_ZONE_REASONS",
    "Extension",
    "ReturnZoneOutcome",
    "ReturnZoneScan",
    "TransitionResult",
    "event_with_key",
    "return_zone_of",
    "shipment_changed_push",
    "shipment_extend_storage",
    "shipment_lock",
    "shipment_move",
    "shipment_to_return_zone",
    "shipment_to_return_zone_as",
    "shipment_transition",
    "shipment_transition_locked",
    "shipments_expire_overdue",
    "transition_apply",
]
