"""A tote's status at the point: settled from the acceptance scans as it arrives and is emptied, then moved
by hand (to collect returns, or back out with a courier)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core.errors import InvalidTransition, NotFound
from pvz.core.logging import get_logger
from pvz.inbound.models import Acceptance, Tote, ToteStatus
from pvz.inbound.selectors import tote_counts
from pvz.inbound.statuses import TOTE
from pvz.network.models import PickupPoint

log = get_logger(__name__)

# The moves a person makes, where `TOTE` allows them (from EMPTY, or from RETURNS to SENT_BACK); arrival
# (IN_TRANSIT → FULL → EMPTY) follows the acceptance scans, and a partner's manifest sends a tote out
# again (→ IN_TRANSIT).
BY_HAND = frozenset({ToteStatus.RETURNS, ToteStatus.SENT_BACK})


def tote_settle(
    tote: Tote, acceptance: Acceptance, *, arrived: bool = False, scanned_in: bool = False
) -> Tote:
    """Bring a manifest tote's status in line with the scans: here (FULL) once it or anything in it was
    scanned, EMPTY when everything the manifest put in it is accepted, FULL again if an undo reopens it.
    `scanned_in`: the caller has just accepted a parcel of this tote."""
    locked = Tote.objects.select_for_update().get(pk=tote.pk)
    status = ToteStatus(locked.status)
    scanned, expected = tote_counts(acceptance=acceptance, tote=locked)
    if status == ToteStatus.IN_TRANSIT and (arrived or scanned_in or scanned > 0):
        status = ToteStatus.FULL
    if status in (ToteStatus.FULL, ToteStatus.EMPTY):
        status = ToteStatus.EMPTY if scanned >= expected else ToteStatus.FULL
    if status != locked.status:
        TOTE.set(locked, status)
        locked.point = acceptance.carriage.point
        locked.save(update_fields=["status", "point", "updated_at"])
    return locked


def _tote_move(*, actor: User | None, tote: Tote, point: PickupPoint, to: ToteStatus) -> Tote:
    with transaction.atomic():
        locked = Tote.objects.select_for_update().filter(pk=tote.pk, point=point).first()
        if locked is None:
            raise NotFound(details={"tote": tote.barcode})
        refusal = _("Тару %(tote)s в этом состоянии так использовать нельзя.") % {"tote": locked.barcode}
        if to not in BY_HAND:
            raise InvalidTransition(refusal, details={"from": locked.status, "to": to})
        previous = TOTE.set(locked, to, message=refusal)
        # A tote sent back has left the point and no longer counts in its balance.
        locked.point = None if to == ToteStatus.SENT_BACK else point
        locked.save(update_fields=["status", "point", "updated_at"])
        audit_record(
            action="tote.moved",
            actor=actor,
            point_id=point.pk,
            obj=locked,
            details={"tote": locked.barcode, "from": previous, "to": to},
        )
    log.info("tote_moved", tote_id=locked.pk, status=to, actor_id=getattr(actor, "pk", None))
    return locked


def tote_use_for_returns(*, actor: User | None, tote: Tote, point: PickupPoint) -> Tote:
    """An empty tote at the point starts collecting returns."""
    return _tote_move(actor=actor, tote=tote, point=point, to=ToteStatus.RETURNS)


def tote_send_back(*, actor: User | None, tote: Tote, point: PickupPoint) -> Tote:
    """An empty tote, or one full of returns, leaves the point with a courier."""
    return _tote_move(actor=actor, tote=tote, point=point, to=ToteStatus.SENT_BACK)
