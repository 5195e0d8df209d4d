"""Parcels of a return carriage: scanned into an unsealed return tote, or taken out of it again. A parcel's
status does not change here; it becomes DISPATCHED only at the hand-over."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.core.errors import Conflict, NotFound
from pvz.core.logging import get_logger
from pvz.inbound.models import Carriage
from pvz.outbound.errors import AlreadyIssued, ToteSealed, WrongPartner
from pvz.outbound.models import DispatchLine
from pvz.outbound.services.carriages import carriage_push, code_scanned, lock_open_carriage
from pvz.outbound.services.totes import lock_return_tote
from pvz.shipments.errors import InvalidTransition, StorageNotExpired
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status

log = get_logger(__name__)


@dataclass(frozen=True)
class ParcelScan:
    line: DispatchLine
    created: bool  # False: the parcel was already in this carriage (a harmless repeat)


def _find_here(carriage: Carriage, value: str) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("point", "partner", "cell")
        .filter(point=carriage.point)
        .filter(Q(barcode=value.lower()) | Q(posting_number=value))
        .order_by("-updated_at")
        .first()
    )
    if shipment is None:
        raise NotFound(
            _("Отправление %(code)s не найдено на этой точке.") % {"code": value}, details={"code": value}
        )
    return shipment


def _check_eligible(shipment: Shipment) -> None:
    """DOMAIN rule 6: only AWAITING_DISPATCH parcels go back."""
    status = Status(shipment.status)
    if status == Status.AWAITING_DISPATCH:
        return
    if status == Status.ISSUED:
        raise AlreadyIssued(details={"posting_number": shipment.posting_number})
    deadline = shipment.storage_deadline
    if status == Status.STORED and (deadline is None or clock.now() <= deadline):
        raise StorageNotExpired(
            details={
                "posting_number": shipment.posting_number,
                "storage_deadline": deadline.astimezone(shipment.point.tz).isoformat() if deadline else None,
            }
        )
    raise InvalidTransition(
        _("Отправление «%(status)s»: сначала положите его в зону возврата, потом в тару.")
        % {"status": status.label},
        details={"posting_number": shipment.posting_number, "status": status},
    )


def return_parcel_scan(*, actor: User, carriage: Carriage, tote_id: int, code: str) -> ParcelScan:
    """Put a scanned parcel into a return tote of the carriage: only an AWAITING_DISPATCH parcel of the
    carriage's partner at its point, into an unsealed tote. Already in this carriage: a harmless repeat;
    in another carriage: CONFLICT. Nothing is written on a refusal."""
    _kind, value = code_scanned(code)
    with transaction.atomic():
        locked = lock_open_carriage(carriage)
        row = lock_return_tote(locked, tote_id)
        if row.sealed_at is not None:
            raise ToteSealed(details={"tote": row.tote.barcode})
        shipment = _find_here(locked, value)
        if shipment.partner_id != locked.partner_id:
            raise WrongPartner(
                details={"posting_number": shipment.posting_number, "partner": shipment.partner.name}
            )
        line = (
            DispatchLine.objects.filter(shipment=shipment, visit=shipment.visit)
            .select_related("carriage", "tote__tote", "shipment")
            .first()
        )
        if line is not None:
            if line.carriage_id != locked.pk:
                raise Conflict(
                    _("Отправление уже в отправке %(number)s.") % {"number": line.carriage.number},
                    details={"posting_number": shipment.posting_number, "carriage_id": line.carriage_id},
                )
            return ParcelScan(line=line, created=False)
        _check_eligible(shipment)
        line = DispatchLine.objects.create(
            carriage=locked,
            tote=row,
            shipment=shipment,
            visit=shipment.visit,
            added_by=actor,
            added_at=clock.now(),
        )
        carriage_push(locked, parcel=shipment.posting_number)
    log.info("return_parcel_added", carriage_id=locked.pk, shipment_id=shipment.pk, actor_id=actor.pk)
    return ParcelScan(line=line, created=True)


def return_parcel_remove(*, actor: User, carriage: Carriage, shipment_id: int) -> Shipment:
    """Take a parcel out of its tote again, before that tote is sealed; the parcel keeps waiting."""
    with transaction.atomic():
        locked = lock_open_carriage(carriage)
        line = (
            DispatchLine.objects.select_for_update(of=("self",))
            .select_related("tote__tote", "shipment")
            .filter(carriage=locked, shipment_id=shipment_id)
            .first()
        )
        if line is None:
            raise NotFound(_("Этого отправления нет в отправке."), details={"shipment_id": shipment_id})
        if line.tote.sealed_at is not None:
            raise ToteSealed(
                _("Тара %(tote)s опломбирована: достать из неё отправление нельзя.")
                % {"tote": line.tote.tote.barcode},
                details={"tote": line.tote.tote.barcode},
            )
        shipment = line.shipment
        line.delete()
        carriage_push(locked, removed=shipment.posting_number)
    log.info("return_parcel_removed", carriage_id=locked.pk, shipment_id=shipment_id, actor_id=actor.pk)
    return shipment
