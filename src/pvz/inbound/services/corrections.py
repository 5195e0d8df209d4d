"""Correcting an open acceptance: undoing the operator's last scan, and marking an accepted parcel damaged;
a parcel already placed comes off its shelf first, its "ready" notice withdrawn."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError
from pvz.core.logging import get_logger
from pvz.core.uploads import photo_clean
from pvz.inbound.errors import AcceptanceClosed, NothingToUndo
from pvz.inbound.models import (
    Acceptance,
    AcceptanceDamage,
    AcceptanceScan,
    AcceptanceStatus,
    ScanOutcomeKind,
)
from pvz.inbound.selectors import AcceptanceProgress, acceptance_progress
from pvz.inbound.services.acceptances import acceptance_lock, acceptance_push
from pvz.inbound.services.totes import tote_settle
from pvz.network.models import Cell, CellKind
from pvz.notifications.services import notification_withdraw_ready
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status

log = get_logger(__name__)

DAMAGE_NOTE_MAX = 500


@dataclass(frozen=True)
class UndoResult:
    scan: AcceptanceScan
    progress: AcceptanceProgress
    shipment: Shipment | None
    # The "ready for pickup" SMS had already gone out and cannot be called back.
    notification_already_sent: bool


def _unplace(*, actor: User, shipment: Shipment, key: str, reason: str) -> bool:
    """STORED → ACCEPTED for a parcel placed during this acceptance; returns whether its SMS was sent."""
    sent = notification_withdraw_ready(shipment=shipment, reason="parcel taken off the shelf at acceptance")
    shipment_transition(
        actor=actor, shipment_id=shipment.pk, to_status=Status.ACCEPTED, reason=reason, idempotency_key=key
    )
    return sent


def _lock_shipment(shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",)).select_related("order", "point").get(pk=shipment_id)
    )


def acceptance_undo_last(*, actor: User, acceptance: Acceptance) -> UndoResult:
    """Undo the caller's own last not-undone scan of an open acceptance: an accepted (or surplus) parcel
    goes back to the status it had before the scan, off its shelf; other scans are just struck out."""
    with transaction.atomic():
        locked = acceptance_lock(acceptance.pk)
        if locked.status != AcceptanceStatus.OPEN:
            raise AcceptanceClosed(details={"acceptance_id": locked.pk})
        scan = (
            AcceptanceScan.objects.filter(acceptance=locked, operator=actor, undone_at__isnull=True)
            .select_related("tote")
            .order_by("-created_at", "-id")
            .first()
        )
        if scan is None:
            raise NothingToUndo()
        sent = False
        shipment = None
        if scan.outcome in (ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS) and scan.shipment_id:
            shipment = _lock_shipment(scan.shipment_id)
            if AcceptanceDamage.objects.filter(acceptance=locked, shipment=shipment).exists():
                raise Conflict(
                    _("Отправление уже отмечено повреждённым: этот скан отменить нельзя."),
                    details={"posting_number": shipment.posting_number},
                )
            if shipment.status == Status.STORED:
                sent = _unplace(
                    actor=actor, shipment=shipment, key=f"undo:{scan.scan_id}:unplace", reason="undo"
                )
            elif shipment.status != Status.ACCEPTED:
                raise InvalidTransition(details={"from": shipment.status, "to": scan.shipment_status_before})
            shipment = shipment_transition(
                actor=actor,
                shipment_id=shipment.pk,
                to_status=scan.shipment_status_before,
                reason="undo",
                idempotency_key=f"undo:{scan.scan_id}",
                details={"acceptance_id": locked.pk},
            ).shipment
        scan.undone_at = clock.now()
        scan.save(update_fields=["undone_at"])
        if scan.tote is not None and scan.outcome != ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE:
            tote_settle(scan.tote, locked)
        progress = acceptance_progress(acceptance=locked)
        acceptance_push(locked, progress)
    log.info("acceptance_scan_undone", acceptance_id=locked.pk, outcome=scan.outcome, actor_id=actor.pk)
    return UndoResult(scan=scan, progress=progress, shipment=shipment, notification_already_sent=sent)


def acceptance_mark_damaged(
    *,
    actor: User,
    acceptance: Acceptance,
    shipment: Shipment,
    note: str,
    photo: File[bytes] | None = None,
) -> AcceptanceDamage:
    """A parcel accepted in this open acceptance (placed or not) → DAMAGED, into the point's inspection
    place when it has one, with the note and optional photo for the act."""
    note = note.strip()
    if not note or len(note) > DAMAGE_NOTE_MAX:
        raise DomainError(_("Опишите повреждение (до 500 символов)."), details={"field": "note"})
    cleaned = photo_clean(photo) if photo is not None else None
    with transaction.atomic():
        locked = acceptance_lock(acceptance.pk)
        if locked.status != AcceptanceStatus.OPEN:
            raise AcceptanceClosed(details={"acceptance_id": locked.pk})
        accepted_here = AcceptanceScan.objects.filter(
            acceptance=locked,
            shipment_id=shipment.pk,
            outcome__in=(ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS),
            undone_at__isnull=True,
        ).first()
        if accepted_here is None:
            raise InvalidTransition(
                _("Повреждение отмечают у отправления, принятого в этой приёмке. Сначала отсканируйте его."),
                details={"shipment_id": shipment.pk},
            )
        if AcceptanceDamage.objects.filter(acceptance=locked, shipment_id=shipment.pk).exists():
            raise Conflict(
                _("Повреждение этого отправления уже отмечено."), details={"shipment_id": shipment.pk}
            )
        current = _lock_shipment(shipment.pk)
        if current.status == Status.STORED:
            _unplace(
                actor=actor,
                shipment=current,
                key=f"damage:{locked.pk}:{current.pk}:unplace",
                reason="damaged_at_acceptance",
            )
        inspection = (
            Cell.objects.filter(point_id=current.point_id, kind=CellKind.INSPECTION, is_active=True)
            .order_by("address")
            .first()
        )
        shipment_transition(
            actor=actor,
            shipment_id=current.pk,
            to_status=Status.DAMAGED,
            cell=inspection,
            reason="damaged_at_acceptance",
            idempotency_key=f"damage:{locked.pk}:{current.pk}",
            details={"acceptance_id": locked.pk, "note": note},
        )
        damage = AcceptanceDamage(
            acceptance=locked, shipment=current, note=note, created_by=actor, created_at=clock.now()
        )
        if cleaned is not None:
            damage.photo.save(f"photo.{cleaned.extension}", cleaned.file, save=False)
        damage.save()
        audit_record(
            action="acceptance.damaged",
            actor=actor,
            point_id=current.point_id,
            obj=current,
            details={"acceptance": locked.pk, "damage": damage.pk, "photo": photo is not None},
        )
        acceptance_push(locked, acceptance_progress(acceptance=locked))
    log.info("acceptance_damage_marked", acceptance_id=locked.pk, shipment_id=shipment.pk, actor_id=actor.pk)
    return damage
