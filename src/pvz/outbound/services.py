"""Writes of return carriages («Отправка»): create, scan totes and parcels in, remove, seal, add empty
totes, and the hand-over to the courier.

Every write locks the carriage row first, so the scans of one carriage queue behind each other and a
hand-over sees a settled carriage. Parcels change status only at the hand-over, through
`shipment_transition_locked` (one event each); totes move only through the inbound tote lifecycle.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.sms import sms_send
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.codes import CODE_LENGTH, code_new
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.inbound.models import Carriage, CarriageFlow, CarriageStatus, Tote, ToteStatus
from pvz.inbound.outbox import outbox_carriage_event
from pvz.inbound.services import tote_send_back, tote_use_for_returns
from pvz.network.models import Partner, PickupPoint
from pvz.outbound.acts import handover_act_build
from pvz.outbound.errors import (
    AlreadyIssued,
    CarriageClosed,
    CourierCodeExhausted,
    CourierCodeInvalid,
    HandoverBlocked,
    ToteSealed,
    WrongPartner,
)
from pvz.outbound.models import ConfirmMethod, Dispatch, DispatchLine, DispatchTote, DispatchToteKind
from pvz.outbound.notify import notifications_returned_to_sender
from pvz.outbound.selectors import partners_of_point
from pvz.shipments.errors import InvalidTransition, StorageNotExpired
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

CODE_MAX_ATTEMPTS = 5
COURIER_NAME_MAX = 200
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_CODE_LENGTH = 200
HANDOVER_REASON = "handed_to_courier"
_SEAL = re.compile(r"[0-9A-ZА-ЯЁ]{4,20}")
_PNG = b"\x89PNG\r\n\x1a\n"


# ---- helpers --------------------------------------------------------------------------------------------


def _push(carriage: Carriage, **data: Any) -> None:
    after_commit(
        point_changed,
        carriage.point_id,
        topic="return_carriage",
        data={"id": carriage.pk, "status": carriage.status, **data},
    )


def _lock_open(carriage: Carriage) -> Carriage:
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


def _scanned(code: str) -> tuple[ScanKind, str]:
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


# ---- create ---------------------------------------------------------------------------------------------


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
        audit_record(
            action="dispatch.created",
            actor=actor,
            point_id=point.pk,
            obj=carriage,
            details={"number": carriage.number, "partner": partner.pk, "code_texted": bool(phone)},
        )
        outbox_carriage_event(carriage, at=now)  # the partner's webhook: one INSERT, this transaction
        _push(carriage, created=True)
    log.info("return_carriage_created", carriage_id=carriage.pk, partner_id=partner.pk, actor_id=actor.pk)
    return carriage


# ---- totes ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToteScan:
    dispatch_tote: DispatchTote
    created: bool  # False: the tote was already in this carriage (a harmless repeat)
    registered: bool = False  # a tote barcode the system did not know, registered at the point now


def _tote_of(carriage: Carriage, barcode: str) -> Tote | None:
    """The partner's tote with this barcode, locked; WRONG_PARTNER when only another partner's tote at
    this point has it."""
    tote = Tote.objects.select_for_update().filter(partner=carriage.partner, barcode=barcode).first()
    if tote is None and Tote.objects.filter(barcode=barcode, point=carriage.point).exists():
        raise WrongPartner(
            _("Тара %(tote)s принадлежит другому партнёру.") % {"tote": barcode}, details={"tote": barcode}
        )
    return tote


def _in_open_carriage(carriage: Carriage, tote: Tote) -> DispatchTote | None:
    """The tote's row in an open return carriage; CONFLICT when that carriage is another one."""
    row = (
        DispatchTote.objects.filter(tote=tote)
        .exclude(carriage__status=CarriageStatus.CLOSED)
        .select_related("carriage", "tote")
        .first()
    )
    if row is not None and row.carriage_id != carriage.pk:
        raise Conflict(
            _("Тара %(tote)s уже в отправке %(number)s.")
            % {"tote": tote.barcode, "number": row.carriage.number},
            details={"tote": tote.barcode, "carriage_id": row.carriage_id},
        )
    return row


def _tote_barcode(code: str) -> str:
    kind, value = _scanned(code)
    if kind is not ScanKind.TOTE:
        raise DomainError(
            _("Это не штрихкод тары. Тара выглядит так: %%101%%12345678901."), details={"code": value}
        )
    return value


def return_tote_scan(*, actor: User, carriage: Carriage, code: str) -> ToteScan:
    """A tote to fill with returns: an EMPTY tote of the partner at this point (→ RETURNS), or a barcode
    never seen, registered here. The same tote again is a harmless repeat."""
    barcode = _tote_barcode(code)
    with transaction.atomic():
        locked = _lock_open(carriage)
        tote = _tote_of(locked, barcode)
        registered = False
        if tote is None:
            tote = Tote.objects.create(
                partner=locked.partner, barcode=barcode, point=locked.point, status=ToteStatus.EMPTY
            )
            registered = True
        row = _in_open_carriage(locked, tote)
        if row is not None:
            if row.kind != DispatchToteKind.RETURNS:
                raise Conflict(
                    _("Тара %(tote)s уже добавлена в эту отправку как пустая.") % {"tote": barcode},
                    details={"tote": barcode},
                )
            return ToteScan(dispatch_tote=row, created=False)
        _check_empty_here(locked, tote)
        tote = tote_use_for_returns(actor=actor, tote=tote, point=locked.point)
        row = DispatchTote.objects.create(
            carriage=locked, tote=tote, kind=DispatchToteKind.RETURNS, added_by=actor, added_at=clock.now()
        )
        _push(locked, tote=barcode)
    log.info("return_tote_added", carriage_id=locked.pk, tote_id=tote.pk, actor_id=actor.pk)
    return ToteScan(dispatch_tote=row, created=True, registered=registered)


def _check_empty_here(carriage: Carriage, tote: Tote) -> None:
    if tote.point_id != carriage.point_id:
        raise NotFound(
            _("Тары %(tote)s нет на этой точке.") % {"tote": tote.barcode}, details={"tote": tote.barcode}
        )
    if tote.status != ToteStatus.EMPTY:
        raise InvalidTransition(
            _("Тара %(tote)s не пустая (%(status)s): возьмите пустую тару.")
            % {"tote": tote.barcode, "status": ToteStatus(tote.status).label},
            details={"tote": tote.barcode, "status": tote.status},
        )


def return_empty_tote_add(*, actor: User, carriage: Carriage, code: str) -> ToteScan:
    """An EMPTY tote of the partner at this point goes back with the carriage (it stays EMPTY until the
    hand-over sends it back). The same tote again is a harmless repeat."""
    barcode = _tote_barcode(code)
    with transaction.atomic():
        locked = _lock_open(carriage)
        tote = _tote_of(locked, barcode)
        if tote is None:
            raise NotFound(
                _("Тара %(tote)s не найдена на этой точке.") % {"tote": barcode}, details={"tote": barcode}
            )
        row = _in_open_carriage(locked, tote)
        if row is not None:
            if row.kind != DispatchToteKind.EMPTY:
                raise Conflict(
                    _("Тара %(tote)s уже в этой отправке с возвратами.") % {"tote": barcode},
                    details={"tote": barcode},
                )
            return ToteScan(dispatch_tote=row, created=False)
        _check_empty_here(locked, tote)
        row = DispatchTote.objects.create(
            carriage=locked, tote=tote, kind=DispatchToteKind.EMPTY, added_by=actor, added_at=clock.now()
        )
        _push(locked, tote=barcode)
    log.info("return_empty_tote_added", carriage_id=locked.pk, tote_id=tote.pk, actor_id=actor.pk)
    return ToteScan(dispatch_tote=row, created=True)


def _lock_return_tote(carriage: Carriage, tote_id: int) -> DispatchTote:
    row = (
        DispatchTote.objects.select_for_update(of=("self",))
        .select_related("tote")
        .filter(pk=tote_id, carriage=carriage, kind=DispatchToteKind.RETURNS)
        .first()
    )
    if row is None:
        raise NotFound(
            _("Сначала отсканируйте тару для возвратов."), details={"tote_id": tote_id, "field": "tote"}
        )
    return row


def return_tote_seal(*, actor: User, carriage: Carriage, tote_id: int, seal_number: str = "") -> DispatchTote:
    """Seal a return tote (the seal number is optional): nothing more goes in or out of it. Sealing
    again with the same number (or none) is a no-op; with another number it is CONFLICT."""
    seal = seal_number.strip().upper()
    if seal and not _SEAL.fullmatch(seal):
        raise DomainError(
            _("Номер пломбы — от 4 до 20 букв и цифр."),
            details={"field": "seal_number", "value": seal_number},
        )
    with transaction.atomic():
        locked = _lock_open(carriage)
        row = _lock_return_tote(locked, tote_id)
        if row.sealed_at is not None:
            if seal and seal != row.seal_number:
                raise Conflict(
                    _("Тара %(tote)s уже опломбирована пломбой %(seal)s.")
                    % {"tote": row.tote.barcode, "seal": row.seal_number or "—"},
                    details={"tote": row.tote.barcode, "seal_number": row.seal_number},
                )
            return row
        row.seal_number = seal
        row.sealed_at = clock.now()
        row.save(update_fields=["seal_number", "sealed_at"])
        audit_record(
            action="dispatch.tote_sealed",
            actor=actor,
            point_id=locked.point_id,
            obj=row.tote,
            details={"carriage": locked.pk, "number": locked.number, "tote": row.tote.barcode, "seal": seal},
        )
        _push(locked, tote=row.tote.barcode, sealed=True)
    log.info("return_tote_sealed", carriage_id=locked.pk, tote_id=row.tote_id, actor_id=actor.pk)
    return row


# ---- parcels --------------------------------------------------------------------------------------------


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
    _kind, value = _scanned(code)
    with transaction.atomic():
        locked = _lock_open(carriage)
        row = _lock_return_tote(locked, tote_id)
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
        _push(locked, parcel=shipment.posting_number)
    log.info("return_parcel_added", carriage_id=locked.pk, shipment_id=shipment.pk, actor_id=actor.pk)
    return ParcelScan(line=line, created=True)


def return_parcel_remove(*, actor: User, carriage: Carriage, shipment_id: int) -> Shipment:
    """Take a parcel out of its tote again, before that tote is sealed; the parcel keeps waiting."""
    with transaction.atomic():
        locked = _lock_open(carriage)
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
        _push(locked, removed=shipment.posting_number)
    log.info("return_parcel_removed", carriage_id=locked.pk, shipment_id=shipment_id, actor_id=actor.pk)
    return shipment


# ---- hand-over ------------------------------------------------------------------------------------------


def signature_check(signature: File) -> None:
    """A drawn signature: a PNG (by its first bytes) of at most 512 KB; VALIDATION_FAILED otherwise."""
    size = signature.size or 0
    if size == 0 or size > MAX_SIGNATURE_BYTES:
        raise DomainError(
            _("Подпись пустая или слишком большая. Попросите курьера расписаться ещё раз."),
            details={"field": "signature", "size": size},
        )
    signature.seek(0)
    head = signature.read(len(_PNG))
    signature.seek(0)
    if head != _PNG:
        raise DomainError(_("Подпись должна быть изображением PNG."), details={"field": "signature"})


def _problems(carriage: Carriage) -> tuple[list[dict[str, Any]], list[tuple[DispatchLine, Shipment]]]:
    """What stops the hand-over (each parcel no longer waiting, each unsealed tote, each tote that moved)
    and the lines with their parcels, locked."""
    problems: list[dict[str, Any]] = []
    lines = list(
        DispatchLine.objects.filter(carriage=carriage).select_related("tote__tote").order_by("shipment_id")
    )
    locked = {
        s.pk: s
        for s in Shipment.objects.select_for_update(of=("self",))
        .select_related("point", "partner")
        .filter(pk__in=[line.shipment_id for line in lines])
        .order_by("pk")
    }
    pairs = []
    for line in lines:
        shipment = locked[line.shipment_id]
        pairs.append((line, shipment))
        if shipment.status != Status.AWAITING_DISPATCH or shipment.visit != line.visit:
            problems.append(
                {
                    "posting_number": shipment.posting_number,
                    "code": "INVALID_TRANSITION",
                    "status": shipment.status,
                    "message": str(
                        _("%(posting)s: статус «%(status)s», отправление больше не ждёт отправки.")
                        % {"posting": shipment.posting_number, "status": Status(shipment.status).label}
                    ),
                }
            )
    totes = list(DispatchTote.objects.filter(carriage=carriage).select_related("tote").order_by("pk"))
    for row in totes:
        tote = Tote.objects.select_for_update().get(pk=row.tote_id)
        expected = ToteStatus.RETURNS if row.kind == DispatchToteKind.RETURNS else ToteStatus.EMPTY
        if row.kind == DispatchToteKind.RETURNS and row.sealed_at is None:
            problems.append(
                {
                    "tote": tote.barcode,
                    "code": "TOTE_NOT_SEALED",
                    "message": str(_("Тара %(tote)s не опломбирована.") % {"tote": tote.barcode}),
                }
            )
        elif tote.status != expected or tote.point_id != carriage.point_id:
            problems.append(
                {
                    "tote": tote.barcode,
                    "code": "INVALID_TRANSITION",
                    "status": tote.status,
                    "message": str(_("Тара %(tote)s уже не на месте.") % {"tote": tote.barcode}),
                }
            )
    if not lines and not totes:
        problems.append({"code": "VALIDATION_FAILED", "message": str(_("В отправке ничего нет."))})
    return problems, pairs


def _code_refusal(dispatch: Dispatch, code: str) -> DomainError | None:
    """None when `code` is the courier's code; else the refusal, the wrong try counted."""
    if dispatch.code_attempts >= CODE_MAX_ATTEMPTS:
        return CourierCodeExhausted()
    typed = re.sub(r"\s+", "", code or "")
    if len(typed) == CODE_LENGTH and hmac.compare_digest(typed.encode(), dispatch.courier_code.encode()):
        return None
    dispatch.code_attempts += 1
    dispatch.save(update_fields=["code_attempts"])
    left = CODE_MAX_ATTEMPTS - dispatch.code_attempts
    if left == 0:
        return CourierCodeExhausted()
    return CourierCodeInvalid(
        _("Код курьера неверный. Осталось попыток: %(left)s.") % {"left": left},
        details={"attempts_left": left},
    )


def return_carriage_hand_over(
    *,
    actor: User,
    carriage: Carriage,
    courier_code: str | None = None,
    courier_name: str = "",
    signature: File | None = None,
) -> Dispatch | DomainError:
    """Hand the carriage to the courier, confirmed by the courier's code or by a drawn signature with
    the courier's name: every parcel → DISPATCHED (one event each), every tote → sent back, the carriage
    closes and the act is stored. All or nothing: any problem is HANDOVER_BLOCKED listing them all.

    A wrong code is counted (5 wrong → CODE_EXHAUSTED, the signature still works) and the refusal is
    returned, not raised, so that a caller inside a transaction keeps the count; call it inside
    `transaction.atomic()` or an idempotent request."""
    name = courier_name.strip()
    if (courier_code is None) == (signature is None):
        raise DomainError(
            _("Подтвердите передачу кодом курьера или его подписью."), details={"field": "method"}
        )
    if signature is not None:
        if not name or len(name) > COURIER_NAME_MAX:
            raise DomainError(_("Укажите имя курьера (до 200 символов)."), details={"field": "courier_name"})
        signature_check(signature)
    with transaction.atomic():
        locked = _lock_open(carriage)
        dispatch = Dispatch.objects.select_for_update().get(carriage=locked)
        if courier_code is not None and dispatch.code_attempts >= CODE_MAX_ATTEMPTS:
            return CourierCodeExhausted()
        problems, pairs = _problems(locked)
        if problems:
            raise HandoverBlocked(details={"problems": problems})
        if courier_code is not None:
            refusal = _code_refusal(dispatch, courier_code)
            if refusal is not None:
                audit_record(
                    action="dispatch.code_refused",
                    actor=actor,
                    point_id=locked.point_id,
                    obj=locked,
                    details={
                        "number": locked.number,
                        "error": str(refusal.code),
                        "attempts": dispatch.code_attempts,
                    },
                )
                log.info("return_handover_code_refused", carriage_id=locked.pk, actor_id=actor.pk)
                return refusal
        now = clock.now()
        for line, shipment in pairs:
            shipment_transition_locked(
                actor=actor,
                shipment=shipment,
                to_status=Status.DISPATCHED,
                reason=HANDOVER_REASON,
                idempotency_key=f"handover:{locked.pk}:{shipment.pk}:{line.visit}",
                details={"carriage": locked.number, "tote": line.tote.tote.barcode},
                push=False,
            )
        totes = list(DispatchTote.objects.filter(carriage=locked).select_related("tote").order_by("pk"))
        for row in totes:
            tote_send_back(actor=actor, tote=row.tote, point=locked.point)
        dispatch.method = ConfirmMethod.SIGNATURE if signature is not None else ConfirmMethod.CODE
        dispatch.courier_name = name
        dispatch.handed_over_at = now
        dispatch.handed_over_by = actor
        if signature is not None:
            dispatch.signature.save("signature.png", signature, save=False)
        locked.status = CarriageStatus.CLOSED
        locked.closed_at = now
        locked.driver_name = name
        locked.save(update_fields=["status", "closed_at", "driver_name", "updated_at"])
        dispatch.act = handover_act_build(carriage=locked, dispatch=dispatch, at=now)
        dispatch.save()
        audit_record(
            action="dispatch.handed_over",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "number": locked.number,
                "method": dispatch.method,
                "parcels": len(pairs),
                "totes": len(totes),
            },
        )
        outbox_carriage_event(locked, at=now)
        _push(locked, dispatched=len(pairs))
        after_commit(notifications_returned_to_sender, shipment_ids=[shipment.pk for _, shipment in pairs])
    log.info("return_carriage_handed_over", carriage_id=locked.pk, parcels=len(pairs), actor_id=actor.pk)
    return dispatch
