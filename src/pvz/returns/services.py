"""Writes of customer returns: opening a return visit (the customer identified as at the counter) and
accepting a return — ISSUED → RETURNED → AWAITING_DISPATCH into the return zone, the numbered act, its
photos and the customer's confirmation, all in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.uploads import CleanPhoto, photo_clean
from pvz.counter.errors import VerificationRequired
from pvz.counter.identify import customer_identify
from pvz.counter.models import Verification
from pvz.network.models import Partner, PickupPoint
from pvz.returns.errors import NeverIssued, ReturnWindowClosed, WrongCustomer
from pvz.returns.models import CustomerReturn, ReturnCondition, ReturnPhoto, ReturnReason, ReturnVisit
from pvz.returns.notify import notification_return_accepted
from pvz.returns.selectors import issued_at, return_reasons_for, return_window_end
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.selectors import shipment_find
from pvz.shipments.services import return_zone_of, shipment_changed_push, shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

# A verified visit is good for this long after its verification; then the customer shows a code again.
VISIT_TTL = dt.timedelta(hours=1)
MAX_PHOTOS = 5
NOTE_MAX = 500
RETURNED_REASON = "customer_return"
TO_ZONE_REASON = "customer_return_to_zone"


def return_visit_open(
    *, actor: User, point: PickupPoint, code: str | None = None, customer_id: int | None = None
) -> ReturnVisit:
    """A return visit for the customer proven by a pickup code or QR (verified), or for a customer found
    by search, who must have parcels at this point (not verified: an SMS code first)."""
    now = clock.now()
    if code:
        found = customer_identify(code=code, now=now)
        customer, how, verified = found.customer, found.verification, now
    elif customer_id is not None:
        customer_or_none = Customer.objects.filter(pk=customer_id, orders__shipments__point=point).first()
        if customer_or_none is None:
            raise NotFound(details={"customer_id": customer_id})
        customer, how, verified = customer_or_none, Verification.NONE, None
    else:
        raise DomainError(
            _("Отсканируйте код клиента или выберите клиента из поиска."), details={"field": "code"}
        )
    with transaction.atomic():
        visit = ReturnVisit.objects.create(
            point=point,
            customer=customer,
            verification=how,
            verified_at=verified,
            opened_by=actor,
            opened_at=now,
        )
        audit_record(
            action="return.visit_opened",
            actor=actor,
            point_id=point.pk,
            obj=visit,
            details={"customer": customer.pk, "verification": how},
        )
    log.info("return_visit_opened", visit_id=visit.pk, verification=how, actor_id=actor.pk)
    return visit


def _check_visit(visit: ReturnVisit, now: dt.datetime) -> None:
    if not visit.is_verified or visit.verified_at is None:
        raise VerificationRequired(details={"visit_id": visit.pk})
    if now > visit.verified_at + VISIT_TTL:
        raise VerificationRequired(
            _("Подтверждение клиента устарело. Отсканируйте код получения ещё раз."),
            details={"visit_id": visit.pk},
        )


@dataclass(frozen=True)
class ReturnCheck:
    shipment: Shipment
    issued_at: dt.datetime
    until: dt.datetime


def _check_parcel(shipment: Shipment, visit: ReturnVisit, now: dt.datetime) -> ReturnCheck:
    """The parcel rules, in the order an operator needs them: issued at all, to this customer, in time."""
    if shipment.status != Status.ISSUED:
        if shipment.status in (Status.RETURNED, Status.AWAITING_DISPATCH, Status.DISPATCHED):
            message = _("Это отправление уже не у клиента (%(status)s): вернуть его нельзя.")
        else:
            message = _("Это отправление не выдавалось клиенту (%(status)s): вернуть можно только выданное.")
        raise NeverIssued(
            message % {"status": shipment.get_status_display()}, details={"status": shipment.status}
        )
    if shipment.order.customer_id != visit.customer_id:
        raise WrongCustomer(details={"posting_number": shipment.posting_number})
    issued = issued_at(shipment)
    if issued is None:  # an ISSUED parcel always has its event; a hand-edited row would not
        raise NeverIssued(details={"status": shipment.status})
    until = return_window_end(issued=issued, partner=shipment.partner)
    if now > until:
        local = until.astimezone(shipment.point.tz)
        raise ReturnWindowClosed(
            _("Срок возврата истёк %(until)s: принять возврат нельзя.")
            % {"until": local.strftime("%d.%m.%Y %H:%M:%S")},
            details={
                "window_ends_at": local.isoformat(),
                "return_window_days": shipment.partner.return_window_days,
            },
        )
    return ReturnCheck(shipment=shipment, issued_at=issued, until=until)


def return_check(*, actor: User, visit: ReturnVisit, code: str) -> ReturnCheck:
    """The scanned parcel (posting number or label barcode, any layout) if this visit's customer may return
    it now; the same refusals as `customer_return_create`. Writes nothing."""
    now = clock.now()
    _check_visit(visit, now)
    shipment = shipment_find(user=actor, code=code, point=visit.point)
    return _check_parcel(shipment, visit, now)


def _check_form(
    *, reason_id: int, condition: str, note: str, photos: Sequence[File[bytes]], partner: Partner
) -> tuple[ReturnReason, list[CleanPhoto]]:
    if condition not in ReturnCondition.values:
        raise DomainError(_("Выберите состояние товара."), details={"field": "condition"})
    if len(note) > NOTE_MAX:
        raise DomainError(_("Комментарий длиннее 500 символов."), details={"field": "note"})
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            _("Не больше %(max)s фото на возврат.") % {"max": MAX_PHOTOS},
            details={"field": "photos", "count": len(photos), "max": MAX_PHOTOS},
        )
    cleaned = [photo_clean(photo) for photo in photos]
    reason = next((r for r in return_reasons_for(partner=partner) if r.pk == reason_id), None)
    if reason is None:
        raise DomainError(_("Выберите причину возврата из списка."), details={"field": "reason_id"})
    return reason, cleaned


def customer_return_create(
    *,
    actor: User,
    visit: ReturnVisit,
    code: str,
    reason_id: int,
    condition: str,
    note: str = "",
    photos: Sequence[File[bytes]] = (),
    key: str | None = None,
) -> CustomerReturn:
    """Accept the scanned parcel back from the visit's (verified) customer: it must be ISSUED to them and
    within the partner's return window (`now <= issued + N days`). Writes ISSUED → RETURNED and RETURNED →
    AWAITING_DISPATCH into the return zone (one event each), the numbered act with its photos, and the
    customer's confirmation SMS, all or nothing. A replayed `key` returns the first return."""
    note = (note or "").strip()
    if key:
        first = CustomerReturn.objects.filter(idempotency_key=key).first()
        if first is not None:
            return _replayed(first, visit=visit, code=code)
    now = clock.now()
    _check_visit(visit, now)
    found = shipment_find(user=actor, code=code, point=visit.point)
    reason, cleaned = _check_form(
        reason_id=reason_id, condition=condition, note=note, photos=photos, partner=found.partner
    )
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("point", "partner", "order", "cell")
            .get(pk=found.pk)
        )
        check = _check_parcel(shipment, visit, now)
        zone = return_zone_of(point=shipment.point, actor=actor)
        details = {"reason": reason.code, "condition": condition, "visit_id": visit.pk}
        shipment_transition_locked(
            actor=actor,
            shipment=shipment,
            to_status=Status.RETURNED,
            reason=f"{RETURNED_REASON}:{reason.code}",
            idempotency_key=f"{key}:returned" if key else None,
            details=details,
            push=False,
        )
        shipment_transition_locked(
            actor=actor,
            shipment=shipment,
            to_status=Status.AWAITING_DISPATCH,
            reason=TO_ZONE_REASON,
            cell=zone,
            idempotency_key=f"{key}:zone" if key else None,
            details=details,
            push=False,
        )
        created = CustomerReturn.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}",
            point=shipment.point,
            visit=visit,
            customer_id=visit.customer_id,
            shipment=shipment,
            shipment_visit=shipment.visit,
            reason=reason,
            condition=condition,
            note=note,
            issued_at=check.issued_at,
            window_ends_at=check.until,
            accepted_by=actor,
            accepted_at=now,
            idempotency_key=key or None,
        )
        created.number = return_number(created.pk)
        created.save(update_fields=["number"])
        # Files last: every check has passed, so a failed transaction leaves at most an orphan file.
        for photo in cleaned:
            stored = ReturnPhoto(customer_return=created, content_type=photo.content_type, size=photo.size)
            stored.file.save(f"photo.{photo.extension}", photo.file, save=False)
            stored.save()
        notification_return_accepted(customer_return=created)
        audit_record(
            action="return.accepted",
            actor=actor,
            point_id=shipment.point_id,
            obj=created,
            details={
                "number": created.number,
                "shipment": shipment.pk,
                "visit": visit.pk,
                "reason": reason.code,
                "condition": condition,
                "photos": len(photos),
            },
        )
        shipment_changed_push(
            point_id=shipment.point_id,
            shipment_id=shipment.pk,
            status=shipment.status,
            from_status=Status.ISSUED,
            kind="customer_return",
        )
    log.info("customer_return_accepted", return_id=created.pk, shipment_id=shipment.pk, actor_id=actor.pk)
    return created


def return_number(pk: int) -> str:
    """The printed number of a return act: `RET-` and at least 7 digits."""
    return f"RET-{pk:07d}"


def _replayed(first: CustomerReturn, *, visit: ReturnVisit, code: str) -> CustomerReturn:
    shipment = first.shipment
    value = normalize_scan(code)
    same_parcel = value.lower() == shipment.barcode or value == shipment.posting_number
    if first.visit_id != visit.pk or not same_parcel:
        raise IdempotencyMismatch(details={"idempotency_key": first.idempotency_key})
    return first
