"""Counter endpoints of one parcel in an issue session: the scan that adds it, then what the customer does
with it (inspect, try on, refuse, take after all) and what the operator records (ID check, payment)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.counter.access import SESSION
from pvz.api.counter.rendering import line_fresh_out, line_out
from pvz.api.counter.schemas import (
    CounterCodeIn,
    CounterScanOut,
    IdCheckIn,
    LineOut,
    PaymentIn,
    PaymentOut,
    RefuseIn,
)
from pvz.api.errors import WRITE_ERRORS
from pvz.api.idempotency import idempotent
from pvz.api.permissions import requires, subject_of
from pvz.counter import services
from pvz.counter.models import IssueSession

router = Router()


@router.post(
    "/counter/sessions/{session_id}/scans",
    response={200: CounterScanOut, **WRITE_ERRORS},
    operation_id="counter_session_scan",
    summary="Scan a parcel into the session",
    description=(
        "Refused with nothing recorded: 404 NOT_FOUND, 409 WRONG_CUSTOMER, ALREADY_ISSUED, STORAGE_EXPIRED, "
        "INVALID_TRANSITION or CONFLICT (in another open session). A repeat is a no-op (`created: false`)."
    ),
)
@idempotent
@requires(Perm.OPERATE, checked_by="the scan service, in the round trip of the scan itself (hot path)")
def session_scan(request: HttpRequest, session_id: int, payload: CounterCodeIn) -> CounterScanOut:
    outcome = services.session_scan_as(actor=caller(request), session_id=session_id, code=payload.code)
    message = _("Отправление добавлено в выдачу.") if outcome.created else _("Это отправление уже в выдаче.")
    line = line_out(outcome.line) if outcome.complete else line_fresh_out(outcome.line)
    return CounterScanOut(created=outcome.created, message=str(message), line=line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/inspect",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_inspect",
    summary="The customer inspects the parcel",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_inspect(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return line_fresh_out(services.line_inspect(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/try-on",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_try_on",
    summary="The customer tries the parcel on",
    description="Only where the partner allows it (`try_on_allowed`); else 409 TRY_ON_NOT_ALLOWED.",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_try_on(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return line_fresh_out(services.line_try_on(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/refuse",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_refuse",
    summary="The customer refuses the parcel (with a reason)",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_refuse(request: HttpRequest, session_id: int, line_id: int, payload: RefuseIn) -> LineOut:
    user, session = caller(request), subject_of(request, IssueSession)
    line = services.line_refuse(
        actor=user, session=session, line_id=line_id, reason_id=payload.reason_id, note=payload.note
    )
    return line_fresh_out(line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/take",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_take",
    summary="The customer takes the parcel after all (undo a refusal, end an inspection or a try-on)",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_take(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return line_fresh_out(services.line_take(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/id-check",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_id_check",
    summary="Record the identity document seen (type and last 4 digits only)",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_id_check(request: HttpRequest, session_id: int, line_id: int, payload: IdCheckIn) -> LineOut:
    user, session = caller(request), subject_of(request, IssueSession)
    line = services.line_record_id_check(
        actor=user, session=session, line_id=line_id, document=payload.document, last4=payload.last4
    )
    return line_fresh_out(line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/payment",
    response={200: PaymentOut, **WRITE_ERRORS},
    operation_id="counter_line_payment",
    summary="Record the payment of the amount due (card reference or cash)",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def line_payment(request: HttpRequest, session_id: int, line_id: int, payload: PaymentIn) -> PaymentOut:
    user, session = caller(request), subject_of(request, IssueSession)
    record = services.line_record_payment(
        actor=user,
        session=session,
        line_id=line_id,
        method=payload.method,
        reference=payload.reference,
        cash_kop=payload.cash_kop,
    )
    return PaymentOut(line=line_fresh_out(record.line), change_kop=record.change_kop)
