"""Cancellation of a stored shipment by its partner (отмена партнёром).

The partner API of the integration issue calls `shipment_cancel`; the parcel stays in its cell, flagged as
cancelled on every device of the point, until a scan sends it to the return zone
(`shipments.services.shipment_to_return_zone`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import event_with_key, shipment_lock, shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

# The reason of the STORED → CANCELLED event; the partner's own words go into `details.cancel_reason`.
CANCEL_REASON = "partner_cancelled"
CANCEL_REASON_MAX = 200


@dataclass(frozen=True)
class Cancellation:
    shipment: Shipment
    # The STORED → CANCELLED event of this visit (the earlier one when `already`: nothing was written).
    event: ShipmentEvent
    already: bool = False
    replayed: bool = False


def _check_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > CANCEL_REASON_MAX:
        raise DomainError(
            _("Укажите причину отмены (до %(max)s символов).") % {"max": CANCEL_REASON_MAX},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "reason", "max": CANCEL_REASON_MAX},
        )
    return text


def shipment_cancel(*, actor: User | None, shipment: Shipment, reason: str, key: str | None) -> Cancellation:
    """STORED → CANCELLED, one event with the partner's reason; the parcel keeps its cell until scanned
    out. A parcel already cancelled in this visit (still CANCELLED, or already moved on to the return zone)
    is a harmless repeat that writes nothing; any other status is INVALID_TRANSITION. A replayed key
    returns the first cancellation."""
    text = _check_reason(reason)
    with transaction.atomic():
        first = event_with_key(
            key, shipment_id=shipment.pk, kind=EventKind.TRANSITION, to_status=Status.CANCELLED
        )
        if first is not None:
            return Cancellation(Shipment.objects.get(pk=shipment.pk), first, replayed=True)
        locked = shipment_lock(shipment.pk, None)
        if locked.status != Status.STORED:
            earlier = ShipmentEvent.objects.filter(
                shipment=locked, visit=locked.visit, to_status=Status.CANCELLED
            ).last()
            if earlier is not None:
                return Cancellation(locked, earlier, already=True)
            raise InvalidTransition(
                _("Отменить можно только отправление на хранении. Это — «%(status)s».")
                % {"status": locked.get_status_display()},
                details={"status": locked.status},
            )
        result = shipment_transition_locked(
            actor=actor,
            shipment=locked,
            to_status=Status.CANCELLED,
            reason=CANCEL_REASON,
            idempotency_key=key,
            details={"cancel_reason": text},
        )
        audit_record(
            action="shipment.cancelled",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"event": result.event.pk},
        )
    log.info("shipment_cancelled", shipment_id=locked.pk, actor_id=getattr(actor, "pk", None))
    return Cancellation(result.shipment, result.event)
