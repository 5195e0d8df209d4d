"""Writes of issuing at the counter: open a session, scan parcels into it, record inspection, refusal,
ID check, payment and bags, then finish (issue and refuse in one action) or cancel.

Every write locks the session row first, so the actions on one customer's session queue. A parcel is
changed only by `session_finish`, through `shipment_transition_locked` under its row lock (rows locked in
id order, so two finishes can never deadlock); everything before the finish only records intent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint, loaded
from pvz.counter import finish_database, hooks, scan_database
from pvz.counter.commands import command_classify
from pvz.counter.errors import (
    AlreadyIssued,
    IdCheckRequired,
    PartialRefusalNotAllowed,
    PaymentRequired,
    SessionClosed,
    StorageExpired,
    TryOnNotAllowed,
    VerificationRequired,
    WrongCustomer,
)
from pvz.counter.models import (
    IdDocument,
    IssueLine,
    IssueSession,
    LineResult,
    LineState,
    PaymentMethod,
    RefusalReason,
    SessionStatus,
    Verification,
)
from pvz.counter.selectors import id_check_needed, refusal_reasons_for, session_get, split_order_lines
from pvz.counter.typed import typed_issued_count, typed_parcel_record
from pvz.network.models import Cell, Partner, PickupPoint
from pvz.shipments.counters import cells_lock
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.services import return_zone_of, shipment_transition_locked, transition_apply
from pvz.shipments.statuses import Status

log = get_logger(__name__)

MAX_BAGS = 50
REFUSAL_NOTE_MAX = 500
PAYMENT_REFERENCE_MAX = 64
_LAST4 = re.compile(r"\d{4}")


# ---- sessions -------------------------------------------------------------------------------------------


def session_open(
    *, actor: User, point: PickupPoint, customer: Customer, verification: Verification = Verification.NONE
) -> IssueSession:
    """The customer's open session at `point`, opened now if there is none. A verified opening (code or
    QR) verifies an unverified open session; a verification already recorded is kept."""
    with transaction.atomic():
        # Serialises openings for one customer, so two counters cannot both open a session for them.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        now = clock.now()
        session = (
            IssueSession.objects.select_for_update(of=("self",))
            .filter(point=point, customer=customer, status=SessionStatus.OPEN)
            .first()
        )
        if session is None:
            session = IssueSession.objects.create(
                point=point,
                customer=customer,
                opened_by=actor,
                opened_at=now,
                verification=verification,
                verified_at=now if verification != Verification.NONE else None,
            )
            audit_record(
                action="issue.opened",
                actor=actor,
                point_id=point.pk,
                obj=session,
                details={"customer": customer.pk, "verification": verification},
            )
            log.info("issue_session_opened", session_id=session.pk, actor_id=actor.pk, how=verification)
        elif verification != Verification.NONE and not session.is_verified:
            session.verification, session.verified_at = verification, now
            session.save(update_fields=["verification", "verified_at", "updated_at"])
            audit_record(
                action="issue.verified",
                actor=actor,
                point_id=point.pk,
                obj=session,
                details={"customer": customer.pk, "verification": verification},
            )
            log.info("issue_session_verified", session_id=session.pk, actor_id=actor.pk, how=verification)
    return session


def lock_open_session(session: IssueSession) -> IssueSession:
    """The session locked for a write, with its point and customer; SESSION_CLOSED once it has ended."""
    locked = (
        IssueSession.objects.select_for_update(of=("self",))
        .select_related("point", "customer")
        .get(pk=session.pk)
    )
    if locked.status != SessionStatus.OPEN:
        raise SessionClosed(details={"session_id": locked.pk, "status": locked.status})
    return locked


def session_cancel(*, actor: User, session: IssueSession) -> IssueSession:
    """End the session without issuing or refusing anything; its parcels stay where they are."""
    with transaction.atomic():
        locked = lock_open_session(session)
        locked.status = SessionStatus.CANCELLED
        locked.finished_at = clock.now()
        locked.finished_by = actor
        locked.save(update_fields=["status", "finished_at", "finished_by", "updated_at"])
        audit_record(action="issue.cancelled", actor=actor, point_id=locked.point_id, obj=locked)
        _push(locked)
    log.info("issue_session_cancelled", session_id=locked.pk, actor_id=actor.pk)
    return locked


def session_set_bags(*, actor: User, session: IssueSession, count: int) -> IssueSession:
    """How many bags the customer took (0–50)."""
    if not 0 <= count <= MAX_BAGS:
        raise DomainError(_("Количество пакетов — от 0 до 50."), details={"field": "count", "max": MAX_BAGS})
    with transaction.atomic():
        locked = lock_open_session(session)
        locked.bags = count
        locked.save(update_fields=["bags", "updated_at"])
    return locked


def _push(session: IssueSession) -> None:
    after_commit(
        point_changed,
        session.point_id,
        topic="issue",
        data={
            "session": session.pk,
            "status": session.status,
            "issued": session.issued_count,
            "refused": session.refused_count,
        },
    )


# ---- scanning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanOutcome:
    line: IssueLine
    created: bool  # False: the parcel was already in this session; nothing changed
    # The line carries its shipment with partner, cell and point as they are now (no need to read it again).
    complete: bool = False


_NOT_AT_POINT = _("Отправление %(code)s не найдено на этой точке.")
_IN_ANOTHER_SESSION = _("Отправление уже в другой выдаче (сотрудник %(operator)s).")


def shipment_issue_error(
    *, shipment: Shipment, session: IssueSession, now: dt.datetime
) -> DomainError | None:
    """Why `shipment` cannot be issued in `session` now, or None. DOMAIN rule 3: the session's customer's,
    at its point, STORED, and `now <= storage_deadline` (the deadline instant itself is still in time)."""
    posting = {"posting_number": shipment.posting_number, "shipment_id": shipment.pk}
    if shipment.point_id != session.point_id:
        return NotFound(_("Отправления нет на этой точке."), details=posting)
    if shipment.order.customer_id != session.customer_id:
        return WrongCustomer(details=posting)
    if shipment.status == Status.ISSUED:
        return AlreadyIssued(details=posting)
    if shipment.status == Status.EXPIRED or (
        shipment.status == Status.STORED
        and shipment.storage_deadline is not None
        and now > shipment.storage_deadline
    ):
        return StorageExpired(details=posting)
    if shipment.status == Status.CANCELLED:
        return InvalidTransition(
            _("Отменено партнёром, уберите в зону возврата: выдать его нельзя."),
            details={**posting, "status": shipment.status},
        )
    if shipment.status != Status.STORED:
        return InvalidTransition(
            _("Отправление не готово к выдаче: статус «%(status)s».")
            % {"status": Status(shipment.status).label},
            details={**posting, "status": shipment.status},
        )
    return None


def session_scan(*, actor: User, session: IssueSession, code: str) -> ScanOutcome:
    """Put the scanned parcel (posting number or label barcode, any keyboard layout) into the session.

    Refused at the scan, with nothing recorded: NOT_FOUND (not at this point), WRONG_CUSTOMER,
    ALREADY_ISSUED, STORAGE_EXPIRED, INVALID_TRANSITION (not ready), CONFLICT (in another open session,
    naming its operator). Scanning a parcel already in this session changes nothing."""
    value = normalize_scan(code)
    if not value:
        raise DomainError(_("Отсканируйте штрихкод отправления."), details={"field": "code"})
    command = command_classify(value)
    if command is not None:
        raise DomainError(
            _("Это служебный штрихкод, а не отправление."), details={"command": str(command), "code": code}
        )
    with transaction.atomic():
        locked = lock_open_session(session)
        found = (
            Shipment.objects.filter(point=locked.point)
            .filter(Q(barcode=value.lower()) | Q(posting_number=value))
            .order_by("-updated_at")
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise NotFound(_NOT_AT_POINT % {"code": code}, details={"code": code, "normalized": value})
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "point", "partner", "cell")
            .get(pk=found)
        )
        posting = {"posting_number": shipment.posting_number, "shipment_id": shipment.pk}
        if shipment.order.customer_id != locked.customer_id:
            raise WrongCustomer(details=posting)
        existing = locked.lines.filter(shipment=shipment).first()
        if existing is not None:
            return ScanOutcome(line=existing, created=False)
        elsewhere = (
            IssueLine.objects.filter(shipment=shipment, session__status=SessionStatus.OPEN)
            .select_related("session__opened_by")
            .first()
        )
        if elsewhere is not None:
            operator = elsewhere.session.opened_by
            raise Conflict(
                _IN_ANOTHER_SESSION % {"operator": operator},
                details={**posting, "session_id": elsewhere.session_id, "operator": str(operator)},
            )
        now = clock.now()
        error = shipment_issue_error(shipment=shipment, session=locked, now=now)
        if error is not None:
            raise error
        line = IssueLine.objects.create(session=locked, shipment=shipment, scanned_at=now, scanned_by=actor)
        if value.lower() != shipment.barcode:  # found by posting number: typed in, not the label scanned
            typed_parcel_record(line=line)
        if locked.first_scan_at is None:
            locked.first_scan_at = now
            locked.save(update_fields=["first_scan_at", "updated_at"])
    return ScanOutcome(line=line, created=True)


def session_scan_as(*, actor: User, session_id: int, code: str) -> ScanOutcome:
    """`session_scan` for a caller named by `session_id` (the scan endpoint): NOT_FOUND for a session of a
    point the caller does not work at, PERMISSION_DENIED without "operate" there. On PostgreSQL one call of
    `pvz_counter_scan` (`counter.scan_database`); a blank code or a command barcode goes the Python way."""
    value = normalize_scan(code)
    if value and command_classify(value) is None and scan_database.available() and fits_bigint(session_id):
        now = clock.now()
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answer = scan_database.scan_in_database(actor=actor, session_id=session_id, value=value, now=now)
            if "existing" in answer:
                outcome = ScanOutcome(line=IssueLine.objects.get(pk=answer["existing"]), created=False)
        if "error" in answer:
            raise _scan_refusal(answer, session_id=session_id, code=code, value=value, now=now)
        if "existing" in answer:
            return outcome
        return _scanned(answer, actor=actor, session_id=session_id, now=now)
    session = session_get(user=actor, session_id=session_id)
    if not user_can(user=actor, perm=Perm.OPERATE, point=session.point):
        raise PermissionDenied(details={"point": session.point_id, "permission": str(Perm.OPERATE)})
    return session_scan(actor=actor, session=session, code=code)


def _scan_refusal(
    answer: dict[str, Any], *, session_id: int, code: str, value: str, now: dt.datetime
) -> DomainError:
    """The Python path's refusal for the function's error code (same code, message and details)."""
    error = answer["error"]
    posting = {"posting_number": answer.get("posting_number"), "shipment_id": answer.get("shipment_id")}
    if error == "NOT_FOUND":
        return NotFound(details={"session_id": session_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": answer["point_id"], "permission": str(Perm.OPERATE)})
    if error == "SESSION_CLOSED":
        return SessionClosed(details={"session_id": session_id, "status": answer["status"]})
    if error == "SHIPMENT_UNKNOWN":
        return NotFound(_NOT_AT_POINT % {"code": code}, details={"code": code, "normalized": value})
    if error == "WRONG_CUSTOMER":
        return WrongCustomer(details=posting)
    if error == "CONFLICT":
        return Conflict(
            _IN_ANOTHER_SESSION % {"operator": answer["operator"]},
            details={**posting, "session_id": answer["session_id"], "operator": answer["operator"]},
        )
    if error == "NOT_ISSUABLE":
        # The same rule decides the message: run on what the function read under the lock.
        deadline = answer["storage_deadline"]
        shipment = loaded(
            Shipment,
            id=answer["shipment_id"],
            posting_number=answer["posting_number"],
            status=answer["status"],
            storage_deadline=dt.datetime.fromisoformat(deadline) if deadline else None,
            point_id=0,
        )
        shipment.order = loaded(Order, customer_id=0)
        refusal = shipment_issue_error(
            shipment=shipment, session=loaded(IssueSession, point_id=0, customer_id=0), now=now
        )
        assert refusal is not None, answer
        return refusal
    raise RuntimeError(f"pvz_counter_scan answered an unknown error {error!r}")


def _scanned(answer: dict[str, Any], *, actor: User, session_id: int, now: dt.datetime) -> ScanOutcome:
    data = answer["shipment"]
    deadline = data.pop("storage_deadline")
    shipment = loaded(
        Shipment, **data, storage_deadline=dt.datetime.fromisoformat(deadline) if deadline else None
    )
    shipment.partner = loaded(Partner, **answer["partner"])
    shipment.cell = loaded(Cell, **answer["cell"]) if answer["cell"] else None
    shipment.point = loaded(PickupPoint, **answer["point"])
    line = loaded(
        IssueLine,
        id=answer["line"],
        session_id=session_id,
        shipment=shipment,
        state=LineState.TAKEN,
        scanned_at=now,
        scanned_by=actor,
    )
    return ScanOutcome(line=line, created=True, complete=True)


# ---- per line -------------------------------------------------------------------------------------------


def _lock_line(session: IssueSession, line_id: int) -> tuple[IssueSession, IssueLine]:
    locked = lock_open_session(session)
    line = (
        IssueLine.objects.select_for_update(of=("self",))
        .select_related("shipment__partner", "refusal_reason")
        .filter(session=locked, pk=line_id)
        .first()
    )
    if line is None:
        raise NotFound(details={"line_id": line_id})
    return locked, line


def line_inspect(*, actor: User, session: IssueSession, line_id: int) -> IssueLine:
    """The customer inspects the parcel (shown in the session): always allowed. Still taken at the finish
    unless refused."""
    return _line_look(session, line_id, LineState.INSPECTING)


def line_try_on(*, actor: User, session: IssueSession, line_id: int) -> IssueLine:
    """The customer tries the parcel on: only where its partner allows it (the manifest's
    `try_on_allowed`), else TRY_ON_NOT_ALLOWED and the line stays as it was."""
    return _line_look(session, line_id, LineState.TRYING_ON)


def _line_look(session: IssueSession, line_id: int, state: LineState) -> IssueLine:
    with transaction.atomic():
        line = _lock_line(session, line_id)[1]
        if line.state == LineState.REFUSED:
            raise DomainError(
                _("Отправление в отказе. Сначала отмените отказ."), details={"line_id": line.pk}
            )
        if state == LineState.TRYING_ON and not line.shipment.try_on_allowed:
            raise TryOnNotAllowed(details={"line_id": line.pk})
        line.state = state
        line.save(update_fields=["state"])
    return line


def line_take(*, actor: User, session: IssueSession, line_id: int) -> IssueLine:
    """The customer takes the parcel after all: ends an inspection or undoes a refusal."""
    with transaction.atomic():
        line = _lock_line(session, line_id)[1]
        line.state = LineState.TAKEN
        line.refusal_reason = None
        line.refusal_note = ""
        line.save(update_fields=["state", "refusal_reason", "refusal_note"])
    return line


def line_refuse(
    *, actor: User, session: IssueSession, line_id: int, reason_id: int, note: str = ""
) -> IssueLine:
    """The customer refuses the parcel, for one of its partner's refusal reasons."""
    note = note.strip()
    if len(note) > REFUSAL_NOTE_MAX:
        raise DomainError(_("Комментарий — не длиннее 500 символов."), details={"field": "note"})
    with transaction.atomic():
        locked, line = _lock_line(session, line_id)
        reason = next(
            (r for r in refusal_reasons_for(partner=line.shipment.partner) if r.pk == reason_id), None
        )
        if reason is None:
            raise DomainError(_("Выберите причину отказа из списка."), details={"field": "reason_id"})
        line.state = LineState.REFUSED
        line.refusal_reason = reason
        line.refusal_note = note
        line.save(update_fields=["state", "refusal_reason", "refusal_note"])
        audit_record(
            action="issue.refused",
            actor=actor,
            point_id=locked.point_id,
            obj=line.shipment,
            details={"session": locked.pk, "reason": reason.code},
        )
    return line


def line_record_id_check(
    *, actor: User, session: IssueSession, line_id: int, document: str, last4: str
) -> IssueLine:
    """The operator saw an identity document: its type (fixed list) and last 4 digits, nothing more."""
    last4 = (last4 or "").strip()
    problems: dict[str, str] = {}
    if document not in IdDocument.values:
        problems["document"] = str(_("Выберите тип документа из списка."))
    if not _LAST4.fullmatch(last4):
        problems["last4"] = str(_("Введите ровно 4 последние цифры номера документа."))
    if problems:
        raise DomainError(details={"fields": problems})
    with transaction.atomic():
        locked, line = _lock_line(session, line_id)
        line.id_document, line.id_last4, line.id_checked_at = document, last4, clock.now()
        line.save(update_fields=["id_document", "id_last4", "id_checked_at"])
        audit_record(
            action="issue.id_checked",
            actor=actor,
            point_id=locked.point_id,
            obj=line.shipment,
            details={"session": locked.pk, "document": document},
        )
    return line


@dataclass(frozen=True)
class PaymentRecord:
    line: IssueLine
    change_kop: int


def line_record_payment(
    *,
    actor: User,
    session: IssueSession,
    line_id: int,
    method: str,
    reference: str = "",
    cash_kop: int | None = None,
) -> PaymentRecord:
    """Payment of the amount due: by card (the terminal's reference) or in cash (at least the amount due;
    the change is returned). Recorded once; no terminal integration."""
    reference = (reference or "").strip()
    with transaction.atomic():
        line = _lock_line(session, line_id)[1]
        due = line.shipment.amount_due_kop
        if due <= 0:
            raise DomainError(_("За это отправление платить не нужно."), details={"amount_due_kop": 0})
        if line.paid_at is not None:
            raise Conflict(_("Оплата уже записана."), details={"line_id": line.pk, "paid_kop": line.paid_kop})
        change = 0
        if method == PaymentMethod.CARD:
            if not 1 <= len(reference) <= PAYMENT_REFERENCE_MAX:
                raise DomainError(
                    _("Введите номер операции с чека терминала (до 64 символов)."),
                    details={"field": "reference"},
                )
            line.payment_reference, line.cash_received_kop = reference, None
        elif method == PaymentMethod.CASH:
            if cash_kop is None or cash_kop < due:
                raise DomainError(
                    _("Получено меньше суммы к оплате (%(due)s коп.).") % {"due": due},
                    details={"field": "cash_kop", "amount_due_kop": due},
                )
            line.payment_reference, line.cash_received_kop = "", cash_kop
            change = cash_kop - due
        else:
            raise DomainError(_("Способ оплаты: карта или наличные."), details={"field": "method"})
        line.payment_method, line.paid_kop, line.paid_at = method, due, clock.now()
        line.save(
            update_fields=["payment_method", "payment_reference", "cash_received_kop", "paid_kop", "paid_at"]
        )
    return PaymentRecord(line=line, change_kop=change)


# ---- finishing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineOutcome:
    line: IssueLine
    shipment: Shipment
    result: LineResult
    error: DomainError | None = None


@dataclass(frozen=True)
class FinishResult:
    session: IssueSession
    lines: tuple[LineOutcome, ...]


def _blocking(line: IssueLine, shipment: Shipment, *, splits_order: bool) -> list[type[DomainError]]:
    """What stops the finish at this still-issuable line: its order sold whole split by this visit, and,
    for a parcel being taken, a missing ID check or payment."""
    problems: list[type[DomainError]] = [PartialRefusalNotAllowed] if splits_order else []
    if line.state == LineState.REFUSED:
        return problems
    if id_check_needed(shipment) and line.id_checked_at is None:
        problems.append(IdCheckRequired)
    if shipment.amount_due_kop > 0 and line.paid_at is None:
        problems.append(PaymentRequired)
    return problems


# A finish refused for several reasons answers with the first of these that applies.
_BLOCKING_ORDER: tuple[type[DomainError], ...] = (PartialRefusalNotAllowed, IdCheckRequired, PaymentRequired)


def session_finish(*, actor: User, session: IssueSession) -> FinishResult:
    """One action for the whole visit: taken parcels → ISSUED (out of their cells), refused → REFUSED into
    the point's return zone, unscanned ones untouched.

    Refused as a whole, changing nothing: not verified (VERIFICATION_REQUIRED), nothing scanned, or a
    taken parcel without its ID check (ID_CHECK_REQUIRED) or payment (PAYMENT_REQUIRED), or an order sold
    whole that this visit splits into taken and refused parcels (PARTIAL_REFUSAL_NOT_ALLOWED), every such
    line listed in `details.lines`. A parcel that stopped being issuable since its scan (deadline passed,
    issued elsewhere) gets its own error in its line while the others go through (DOMAIN rule 3)."""
    with transaction.atomic():
        locked = lock_open_session(session)
        if not locked.is_verified:
            raise VerificationRequired(details={"session_id": locked.pk})
        lines = list(locked.lines.select_related("refusal_reason").order_by("shipment_id"))
        if not lines:
            raise DomainError(
                _("В выдаче нет ни одного отправления. Отсканируйте посылки или отмените выдачу."),
                details={"session_id": locked.pk},
            )
        # Locked in id order, the same order every finish uses, so two finishes cannot deadlock.
        shipments = {
            s.pk: s
            for s in Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "point", "partner", "cell")
            .filter(pk__in=[line.shipment_id for line in lines])
            .order_by("pk")
        }
        now = clock.now()
        invalid: dict[int, DomainError] = {}
        for line in lines:
            error = shipment_issue_error(shipment=shipments[line.shipment_id], session=locked, now=now)
            if error is not None:
                invalid[line.pk] = error
        issuable = [(line, shipments[line.shipment_id]) for line in lines if line.pk not in invalid]
        split = split_order_lines(issuable)
        blocking = [
            {"line_id": line.pk, "posting_number": shipment.posting_number, "code": str(problem.code)}
            for line, shipment in issuable
            for problem in _blocking(line, shipment, splits_order=line.pk in split)
        ]
        if blocking:
            codes = {b["code"] for b in blocking}
            first = next(error for error in _BLOCKING_ORDER if str(error.code) in codes)
            raise first(details={"lines": blocking})

        # The parcels leave their cells one by one, and each decrements its cell's counter under the cell's
        # row lock (shipments.counters): those locks are taken here first, in id order, for the same reason.
        cells_lock(shipment.cell_id for shipment in shipments.values())
        if finish_database.available():
            outcomes = _finish_lines_at_once(actor, locked, lines, shipments, invalid)
        else:
            outcomes = [
                _finish_line(actor, locked, line, shipments[line.shipment_id], invalid.get(line.pk))
                for line in lines
            ]
        locked.status = SessionStatus.FINISHED
        locked.finished_at = now
        locked.finished_by = actor
        locked.issued_count = sum(o.result == LineResult.ISSUED for o in outcomes)
        locked.refused_count = sum(o.result == LineResult.REFUSED for o in outcomes)
        locked.typed_issued = typed_issued_count(
            line_ids=[o.line.pk for o in outcomes if o.result == LineResult.ISSUED]
        )
        locked.save()
        audit_record(
            action="issue.finished",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "issued": locked.issued_count,
                "refused": locked.refused_count,
                "failed": len(invalid),
                "payment": sorted(
                    {
                        o.line.payment_method
                        for o in outcomes
                        if o.result == LineResult.ISSUED and o.line.paid_at
                    }
                ),
            },
        )
        _push(locked)
    hooks.finished(locked)
    log.info(
        "issue_session_finished",
        session_id=locked.pk,
        actor_id=actor.pk,
        issued=locked.issued_count,
        refused=locked.refused_count,
        failed=len(invalid),
    )
    return FinishResult(session=locked, lines=tuple(outcomes))


def _finish_line(
    actor: User, session: IssueSession, line: IssueLine, shipment: Shipment, error: DomainError | None
) -> LineOutcome:
    if error is None:
        refused = line.state == LineState.REFUSED
        reason: RefusalReason | None = line.refusal_reason
        try:
            # Its own savepoint: a failure here leaves this parcel untouched and the others going on.
            with transaction.atomic():
                shipment_transition_locked(
                    actor=actor,
                    shipment=shipment,
                    to_status=Status.REFUSED if refused else Status.ISSUED,
                    reason=f"refused:{reason.code}" if refused and reason else "issued",
                    cell=return_zone_of(point=session.point, actor=actor) if refused else None,
                    idempotency_key=f"issue:{session.pk}:{shipment.pk}",
                    details={"session": session.pk, "refusal": reason.title if refused and reason else ""},
                    push=False,
                )
        except DomainError as exc:
            error = exc
        else:
            line.result = LineResult.REFUSED if refused else LineResult.ISSUED
            line.result_code = ""
            line.save(update_fields=["result", "result_code"])
            return LineOutcome(line=line, shipment=shipment, result=LineResult(line.result))
    line.result, line.result_code = LineResult.FAILED, str(error.code)
    line.save(update_fields=["result", "result_code"])
    return LineOutcome(line=line, shipment=shipment, result=LineResult.FAILED, error=error)


def _finish_lines_at_once(
    actor: User,
    session: IssueSession,
    lines: list[IssueLine],
    shipments: dict[int, Shipment],
    invalid: dict[int, DomainError],
) -> list[LineOutcome]:
    """`_finish_line` for every line, decided here the same way (the transition's checks and changes by
    `transition_apply`, in memory), then written in one call (`finish_database`, PostgreSQL). A refused
    transition changes nothing in memory before it is refused, so nothing needs undoing."""
    outcomes: list[LineOutcome] = []
    items: list[finish_database.Written] = []
    for line in lines:
        shipment = shipments[line.shipment_id]
        error = invalid.get(line.pk)
        if error is None:
            refused = line.state == LineState.REFUSED
            reason: RefusalReason | None = line.refusal_reason
            try:
                from_status, at = transition_apply(
                    shipment=shipment,
                    to_status=Status.REFUSED if refused else Status.ISSUED,
                    cell=return_zone_of(point=session.point, actor=actor) if refused else None,
                )
            except DomainError as exc:
                error = exc
            else:
                line.result = LineResult.REFUSED if refused else LineResult.ISSUED
                line.result_code = ""
                items.append(
                    finish_database.Written(
                        line=line,
                        shipment=shipment,
                        from_status=from_status,
                        reason=f"refused:{reason.code}" if refused and reason else "issued",
                        key=f"issue:{session.pk}:{shipment.pk}",
                        details={
                            "session": session.pk,
                            "refusal": reason.title if refused and reason else "",
                        },
                        at=at,
                    )
                )
                log.info(
                    "shipment_transition",
                    shipment_id=shipment.pk,
                    from_status=from_status,
                    to_status=shipment.status,
                    actor_id=actor.pk,
                )
                outcomes.append(LineOutcome(line=line, shipment=shipment, result=LineResult(line.result)))
                continue
        line.result, line.result_code = LineResult.FAILED, str(error.code)
        items.append(finish_database.Written(line=line))
        outcomes.append(LineOutcome(line=line, shipment=shipment, result=LineResult.FAILED, error=error))
    finish_database.finish_write(actor=actor, items=items)
    return outcomes


# ---- refusal by command barcode -------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandRefusal:
    line: IssueLine
    reason: RefusalReason


def line_refuse_last(*, actor: User, session: IssueSession, number: int) -> CommandRefusal:
    """#REFUSE<n>: refuse the parcel scanned into the session most recently (whatever its state, so a
    second command only changes the reason), for the n-th (1-based) reason of its partner's list as the
    screen numbers it. Nothing scanned yet, or no such reason: VALIDATION_FAILED, nothing changed."""
    with transaction.atomic():
        locked = lock_open_session(session)
        last = locked.lines.select_related("shipment__partner").order_by("-scanned_at", "-id").first()
        if last is None:
            raise DomainError(
                _("Сначала отсканируйте отправление, от которого отказывается клиент, затем команду отказа."),
                details={"command": "refuse", "number": number},
            )
        reasons = refusal_reasons_for(partner=last.shipment.partner)
        if not 1 <= number <= len(reasons):
            raise DomainError(
                _("Причины отказа с номером %(number)s нет в списке (всего причин: %(count)s).")
                % {"number": number, "count": len(reasons)},
                details={"command": "refuse", "number": number, "reasons": len(reasons)},
            )
        reason = reasons[number - 1]
        line = line_refuse(actor=actor, session=locked, line_id=last.pk, reason_id=reason.pk)
    return CommandRefusal(line=line, reason=reason)
