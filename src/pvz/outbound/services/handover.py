"""The hand-over of a return carriage to the courier, confirmed by the courier's one-time code or by a
drawn signature: all or nothing. Parcels change status here only, through `shipment_transition_locked`
(one event each); totes are sent back through the inbound tote lifecycle and the carriage closes through
`CARRIAGE`."""

from __future__ import annotations

import hmac
import re
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.core.codes import CODE_LENGTH
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.inbound.models import Carriage, CarriageStatus, Tote, ToteStatus
from pvz.inbound.outbox import outbox_carriage_event
from pvz.inbound.services import carriage_audit, tote_send_back
from pvz.inbound.statuses import CARRIAGE
from pvz.outbound.acts import handover_act_build
from pvz.outbound.errors import CourierCodeExhausted, CourierCodeInvalid, HandoverBlocked
from pvz.outbound.models import ConfirmMethod, Dispatch, DispatchLine, DispatchTote, DispatchToteKind
from pvz.outbound.notify import notifications_returned_to_sender
from pvz.outbound.services.carriages import carriage_push, lock_open_carriage
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

CODE_MAX_ATTEMPTS = 5
COURIER_NAME_MAX = 200
MAX_SIGNATURE_BYTES = 512 * 1024
HANDOVER_REASON = "handed_to_courier"
_PNG = b"\x89PNG\r\n\x1a\n"


def signature_check(signature: File[bytes]) -> None:
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
    signature: File[bytes] | None = None,
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
        locked = lock_open_carriage(carriage)
        dispatch = Dispatch.objects.select_for_update().get(carriage=locked)
        if courier_code is not None and dispatch.code_attempts >= CODE_MAX_ATTEMPTS:
            return CourierCodeExhausted()
        problems, pairs = _problems(locked)
        if problems:
            raise HandoverBlocked(details={"problems": problems})
        if courier_code is not None:
            refusal = _code_refusal(dispatch, courier_code)
            if refusal is not None:
                carriage_audit(
                    "dispatch.code_refused",
                    locked,
                    actor=actor,
                    error=str(refusal.code),
                    attempts=dispatch.code_attempts,
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
        CARRIAGE.set(locked, CarriageStatus.CLOSED)
        locked.closed_at = now
        locked.driver_name = name
        locked.save(update_fields=["status", "closed_at", "driver_name", "updated_at"])
        dispatch.act = handover_act_build(carriage=locked, dispatch=dispatch, at=now)
        dispatch.save()
        carriage_audit(
            "dispatch.handed_over",
            locked,
            actor=actor,
            method=dispatch.method,
            parcels=len(pairs),
            totes=len(totes),
        )
        outbox_carriage_event(locked, at=now)
        carriage_push(locked, dispatched=len(pairs))
        after_commit(notifications_returned_to_sender, shipment_ids=[shipment.pk for _, shipment in pairs])
    log.info("return_carriage_handed_over", carriage_id=locked.pk, parcels=len(pairs), actor_id=actor.pk)
    return dispatch
