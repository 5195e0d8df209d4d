"""Closing an acceptance: the manifest parcels not scanned become SHORTAGE, the totes that arrived are
emptied, the acceptance and its carriage are closed, and the discrepancy act is built."""

from __future__ import annotations

from django.db import transaction

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.inbound.acts import DiscrepancyAct, discrepancy_act_build, shortage_key_prefix
from pvz.inbound.models import (
    Acceptance,
    AcceptanceStatus,
    CarriageStatus,
    ManifestLine,
    ManifestTote,
    Tote,
    ToteStatus,
)
from pvz.inbound.selectors import acceptance_progress
from pvz.inbound.services.acceptances import acceptance_lock, acceptance_push
from pvz.inbound.services.carriages import carriage_lock, carriage_push
from pvz.inbound.statuses import ACCEPTANCE, CARRIAGE, TOTE
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status

log = get_logger(__name__)


def acceptance_close(*, actor: User, acceptance: Acceptance) -> DiscrepancyAct:
    """Close the acceptance: every manifest parcel still EXPECTED → SHORTAGE (one event each), the totes
    that arrived are emptied, the carriage is closed; returns the discrepancy act. Closing a closed
    acceptance changes nothing and returns the same act."""
    with transaction.atomic():
        locked = acceptance_lock(acceptance.pk)
        if locked.status == AcceptanceStatus.CLOSED:
            return discrepancy_act_build(locked)
        carriage = carriage_lock(locked.carriage_id)
        now = clock.now()

        def still_expected(shipment: Shipment) -> None:
            # ACCEPTED → SHORTAGE exists in the table (for undo); a close must only touch unscanned ones.
            if shipment.status != Status.EXPECTED:
                raise InvalidTransition(details={"status": shipment.status})

        missing = ManifestLine.objects.filter(carriage=carriage, shipment__status=Status.EXPECTED)
        shortage = 0
        for shipment_id in missing.order_by("shipment_id").values_list("shipment_id", flat=True):
            try:
                shipment_transition(
                    actor=actor,
                    shipment_id=shipment_id,
                    to_status=Status.SHORTAGE,
                    reason="not_in_carriage",
                    idempotency_key=f"{shortage_key_prefix(locked.pk)}{shipment_id}",
                    precondition=still_expected,
                    details={"acceptance_id": locked.pk, "carriage": carriage.number},
                )
                shortage += 1
            except InvalidTransition:
                continue  # accepted elsewhere a moment ago: not missing after all
        # What is left in a tote that arrived is the shortage: the tote itself is empty now.
        TOTE.update(
            Tote.objects.filter(pk__in=ManifestTote.objects.filter(carriage=carriage).values("tote_id")),
            from_statuses=[ToteStatus.FULL],
            to_status=ToteStatus.EMPTY,
            updated_at=now,
        )
        ACCEPTANCE.set(locked, AcceptanceStatus.CLOSED)
        locked.closed_at = now
        locked.closed_by = actor
        locked.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        CARRIAGE.set(carriage, CarriageStatus.CLOSED)
        carriage.closed_at = now
        carriage.save(update_fields=["status", "closed_at", "updated_at"])
        locked.carriage = carriage
        acceptance_push(locked, acceptance_progress(acceptance=locked))
        carriage_push(carriage, now)
        act = discrepancy_act_build(locked)
        audit_record(
            action="acceptance.closed",
            actor=actor,
            point_id=carriage.point_id,
            obj=locked,
            details={"carriage": carriage.pk, "number": carriage.number, **act.counts},
        )
    log.info("acceptance_closed", acceptance_id=locked.pk, shortage=shortage, actor_id=actor.pk)
    return act
