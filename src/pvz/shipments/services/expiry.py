"""The end of a storage period: every STORED parcel past its deadline → EXPIRED, by the job or when the
parcel is scanned out before the job got to it; both write the same one event under the same key."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.shipments.errors import InvalidTransition, StorageNotExpired
from pvz.shipments.models import Shipment
from pvz.shipments.services.transition import shipment_transition, shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

# The expiry of a STORED parcel past its deadline, by the job or noticed at a scan: the same reason and the
# same key, so whichever comes first writes the one event and the other finds nothing left to do.
EXPIRY_REASON = "storage_deadline_passed"


def expiry_key(shipment_id: int, visit: int) -> str:
    return f"expire:{shipment_id}:{visit}"


def shipments_expire_overdue(*, batch_size: int = 500) -> int:
    """Move every STORED shipment whose deadline has passed to EXPIRED; touch nothing else.

    Each shipment changes in its own transaction under its row lock, and the deadline is re-checked
    there, so a parcel issued or extended meanwhile is left alone. Running it again changes nothing.
    """
    now = clock.now()
    candidates = list(
        Shipment.objects.filter(status=Status.STORED, storage_deadline__lt=now)
        .order_by("storage_deadline", "pk")
        .values_list("pk", "visit")[:batch_size]
    )

    def still_overdue(shipment: Shipment) -> None:
        if shipment.storage_deadline is None or shipment.storage_deadline >= now:
            raise InvalidTransition(_("Срок хранения ещё не истёк."))

    batch_expired = 0
    for pk, visit in candidates:
        try:
            result = shipment_transition(
                actor=None,
                shipment_id=pk,
                to_status=Status.EXPIRED,
                reason=EXPIRY_REASON,
                idempotency_key=expiry_key(pk, visit),
                precondition=still_overdue,
            )
        except InvalidTransition:
            continue
        batch_expired += 0 if result.replayed else 1
    if batch_expired:
        log.info("shipments_expired", count=batch_expired)
    if len(candidates) == batch_size and batch_expired:
        batch_expired += shipments_expire_overdue(batch_size=batch_size)
    return batch_expired


def shipment_expire_on_scan(shipment: Shipment) -> None:
    """A STORED parcel (locked) scanned out after its deadline, before the job got to it: expire it now, as
    the job would have. Within the deadline (`now <= deadline`) it stays: STORAGE_NOT_EXPIRED."""
    deadline = shipment.storage_deadline
    if deadline is None or clock.now() <= deadline:
        raise StorageNotExpired(
            details={
                "storage_deadline": deadline.astimezone(shipment.point.tz).isoformat() if deadline else None
            }
        )
    shipment_transition_locked(
        actor=None,
        shipment=shipment,
        to_status=Status.EXPIRED,
        reason=EXPIRY_REASON,
        idempotency_key=expiry_key(shipment.pk, shipment.visit),
        push=False,
    )
