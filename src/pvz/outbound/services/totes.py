"""Totes of a return carriage: a tote filled with returns (scanned in, then sealed) and an empty tote that
goes back with the carriage. A tote's own status moves only through the inbound tote lifecycle
(`tote_use_for_returns`, and `tote_send_back` at the hand-over)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.core.scan import ScanKind
from pvz.inbound.models import Carriage, CarriageStatus, Tote, ToteStatus
from pvz.inbound.services import tote_use_for_returns
from pvz.outbound.errors import WrongPartner
from pvz.outbound.models import DispatchTote, DispatchToteKind
from pvz.outbound.services.carriages import carriage_push, code_scanned, lock_open_carriage
from pvz.shipments.errors import InvalidTransition

log = get_logger(__name__)

_SEAL = re.compile(r"[0-9A-ZА-ЯЁ]{4,20}")


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
    kind, value = code_scanned(code)
    if kind is not ScanKind.TOTE:
        raise DomainError(
            _("Это не штрихкод тары. Тара выглядит так: %%101%%12345678901."), details={"code": value}
        )
    return value


def _repeat(carriage: Carriage, tote: Tote, kind: DispatchToteKind, other_kind: Promise) -> ToteScan | None:
    """The harmless repeat when `tote` is already in the carriage as `kind`; CONFLICT saying `other_kind`
    (with `%(tote)s`) when it is there as the other kind; None when it is not there."""
    row = _in_open_carriage(carriage, tote)
    if row is None:
        return None
    if row.kind != kind:
        raise Conflict(other_kind % {"tote": tote.barcode}, details={"tote": tote.barcode})
    return ToteScan(dispatch_tote=row, created=False)


def return_tote_scan(*, actor: User, carriage: Carriage, code: str) -> ToteScan:
    """A tote to fill with returns: an EMPTY tote of the partner at this point (→ RETURNS), or a barcode
    never seen, registered here. The same tote again is a harmless repeat."""
    barcode = _tote_barcode(code)
    with transaction.atomic():
        locked = lock_open_carriage(carriage)
        tote = _tote_of(locked, barcode)
        registered = False
        if tote is None:
            tote = Tote.objects.create(
                partner=locked.partner, barcode=barcode, point=locked.point, status=ToteStatus.EMPTY
            )
            registered = True
        as_empty = _("Тара %(tote)s уже добавлена в эту отправку как пустая.")
        repeat = _repeat(locked, tote, DispatchToteKind.RETURNS, as_empty)
        if repeat is not None:
            return repeat
        _check_empty_here(locked, tote)
        tote = tote_use_for_returns(actor=actor, tote=tote, point=locked.point)
        row = DispatchTote.objects.create(
            carriage=locked, tote=tote, kind=DispatchToteKind.RETURNS, added_by=actor, added_at=clock.now()
        )
        carriage_push(locked, tote=barcode)
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
        locked = lock_open_carriage(carriage)
        tote = _tote_of(locked, barcode)
        if tote is None:
            raise NotFound(
                _("Тара %(tote)s не найдена на этой точке.") % {"tote": barcode}, details={"tote": barcode}
            )
        with_returns = _("Тара %(tote)s уже в этой отправке с возвратами.")
        repeat = _repeat(locked, tote, DispatchToteKind.EMPTY, with_returns)
        if repeat is not None:
            return repeat
        _check_empty_here(locked, tote)
        row = DispatchTote.objects.create(
            carriage=locked, tote=tote, kind=DispatchToteKind.EMPTY, added_by=actor, added_at=clock.now()
        )
        carriage_push(locked, tote=barcode)
    log.info("return_empty_tote_added", carriage_id=locked.pk, tote_id=tote.pk, actor_id=actor.pk)
    return ToteScan(dispatch_tote=row, created=True)


def lock_return_tote(carriage: Carriage, tote_id: int) -> DispatchTote:
    """The carriage's tote for returns, locked; NOT_FOUND (pointing at the tote field) otherwise."""
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
        locked = lock_open_carriage(carriage)
        row = lock_return_tote(locked, tote_id)
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
        carriage_push(locked, tote=row.tote.barcode, sealed=True)
    log.info("return_tote_sealed", carriage_id=locked.pk, tote_id=row.tote_id, actor_id=actor.pk)
    return row
