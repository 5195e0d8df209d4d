"""What happens to one scanned parcel before the finish: inspection, try-on, taken, refused, the ID
check and the payment recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError
from pvz.core.logging import get_logger
from pvz.core.lookups import found
from pvz.counter.errors import (
    TryOnNotAllowed,
)
from pvz.counter.models import (
    IdDocument,
    IssueLine,
    IssueSession,
    LineState,
    PaymentMethod,
)
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services.sessions import lock_open_session
from pvz.counter.statuses import LINE

log = get_logger(__name__)

REFUSAL_NOTE_MAX = 500
PAYMENT_REFERENCE_MAX = 64
_LAST4 = re.compile(r"\d{4}")


# ---- per line -------------------------------------------------------------------------------------------


def _lock_line(session: IssueSession, line_id: int) -> tuple[IssueSession, IssueLine]:
    locked = lock_open_session(session)
    line = found(
        IssueLine.objects.select_for_update(of=("self",))
        .select_related("shipment__partner", "refusal_reason")
        .filter(session=locked, pk=line_id),
        line_id=line_id,
    )
    return locked, line


def _audit_line(action: str, *, actor: User, session: IssueSession, line: IssueLine, **details: str) -> None:
    """A line's change is audited on its parcel, with the session it belongs to."""
    audit_record(
        action=action,
        actor=actor,
        point_id=session.point_id,
        obj=line.shipment,
        details={"session": session.pk, **details},
    )


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
        # A refused parcel is not looked at: a form error (its refusal is undone first), not a conflict.
        if not LINE.allowed(line.state, state):
            raise DomainError(LINE.message, details={"line_id": line.pk})
        if state == LineState.TRYING_ON and not line.shipment.try_on_allowed:
            raise TryOnNotAllowed(details={"line_id": line.pk})
        LINE.set(line, state)
        line.save(update_fields=["state"])
    return line


def line_take(*, actor: User, session: IssueSession, line_id: int) -> IssueLine:
    """The customer takes the parcel after all: ends an inspection or undoes a refusal."""
    with transaction.atomic():
        line = _lock_line(session, line_id)[1]
        LINE.set(line, LineState.TAKEN)
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
        LINE.set(line, LineState.REFUSED)
        line.refusal_reason = reason
        line.refusal_note = note
        line.save(update_fields=["state", "refusal_reason", "refusal_note"])
        _audit_line("issue.refused", actor=actor, session=locked, line=line, reason=reason.code)
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
        _audit_line("issue.id_checked", actor=actor, session=locked, line=line, document=document)
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
