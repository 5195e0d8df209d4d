"""Creating a return carriage («Отправка»); and what every write on one starts from: the carriage's lock,
its live push and the scanned code.

Every write locks the carriage row first (`lock_open_carriage`), so the scans of one carriage queue behind
each other and a hand-over sees a settled carriage.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.sms import sms_send
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.codes import code_new
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.inbound.models import Carriage, CarriageFlow, CarriageStatus
from pvz.inbound.outbox import outbox_carriage_event
from pvz.inbound.services import carriage_audit
from pvz.network.models import Partner, PickupPoint
from pvz.outbound.errors import CarriageClosed
from pvz.outbound.models import Dispatch
from pvz.outbound.selectors import partners_of_point

log = get_logger(__name__)

MAX_CODE_LENGTH = 200


def carriage_push(carriage: Carriage, **data: Any) -> None:
    """Tell the point's screens that the return carriage changed (after commit)."""
    after_commit(
        point_changed,
        carriage.point_id,
        topic="return_carriage",
        data={"id": carriage.pk, "status": carriage.status, **data},
    )


def lock_open_carriage(carriage: Carriage) -> Carriage:
    """The return carriage, locked; CARRIAGE_CLOSED once handed over."""
    locked = (
        Carriage.objects.select_for_update(of=("self",))
        .select_related("point", "partner")
        .filter(pk=carriage.pk, flow=CarriageFlow.RETURN)
        .first()
    )
    if locked is None:
        raise NotFound(details={"carriage_id": carriage.pk})
    if locked.status == CarriageStatus.CLOSED:
        raise CarriageClosed(details={"carriage_id": locked.pk, "number": locked.number})
    return locked


def code_scanned(code: str) -> tuple[ScanKind, str]:
    """What a scanned or typed code is (kind and normalized value); VALIDATION_FAILED for an empty or
    overlong one."""
    normalized = normalize_scan(code)
    if not normalized or len(code) > MAX_CODE_LENGTH:
        raise DomainError(
            _("Пустой или слишком длинный код. Отсканируйте этикетку ещё раз."), details={"code": code}
        )
    guess = classify_scan(normalized)
    return guess.kind, guess.value


def _number_for(partner: Partner, point: PickupPoint) -> str:
    """RET-<local date>-<n>: n counts this partner's return carriages of that day, from 1."""
    prefix = f"RET-{point.local_date(clock.now()):%Y%m%d}-"
    taken = Carriage.objects.filter(partner=partner, number__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


def return_carriage_create(
    *, actor: User, point: PickupPoint, partner_id: int, courier_phone: str = ""
) -> Carriage:
    """A new return carriage for a partner of the point, with the courier's 6-digit one-time code (sent
    by SMS to `courier_phone` when given). One open return carriage per partner and point: a second is
    CONFLICT naming the open one."""
    phone = normalize_phone(courier_phone) if courier_phone.strip() else ""
    partner = next((p for p in partners_of_point(point=point) if p.pk == partner_id), None)
    if partner is None:
        raise NotFound(
            _("Этот партнёр не работает с точкой."), details={"field": "partner_id", "partner_id": partner_id}
        )
    code = code_new()
    with transaction.atomic():
        # Serialises creations for the partner: the "one open" check and the day's number stay exact.
        Partner.objects.select_for_update().get(pk=partner.pk)
        open_one = (
            Carriage.objects.filter(point=point, partner=partner, flow=CarriageFlow.RETURN)
            .exclude(status=CarriageStatus.CLOSED)
            .first()
        )
        if open_one is not None:
            raise Conflict(
                _("У партнёра уже есть открытая отправка %(number)s: добавляйте в неё.")
                % {"number": open_one.number},
                details={"carriage_id": open_one.pk, "number": open_one.number},
            )
        now = clock.now()
        carriage = Carriage.objects.create(
            partner=partner,
            point=point,
            number=_number_for(partner, point),
            flow=CarriageFlow.RETURN,
            status=CarriageStatus.PLANNED,
        )
        Dispatch.objects.create(
            carriage=carriage, courier_code=code, courier_phone=phone, created_by=actor, created_at=now
        )
        if phone:
            text = gettext("Код для получения отправки %(number)s в %(point)s: %(code)s") % {
                "number": carriage.number,
                "point": point.name,
                "code": code,
            }
            after_commit(sms_send, phone=phone, text=text)
        carriage_audit("dispatch.created", carriage, actor=actor, partner=partner.pk, code_texted=bool(phone))
        outbox_carriage_event(carriage, at=now)  # the partner's webhook: one INSERT, this transaction
        carriage_push(carriage, created=True)
    log.info("return_carriage_created", carriage_id=carriage.pk, partner_id=partner.pk, actor_id=actor.pk)
    return carriage
