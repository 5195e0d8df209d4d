"""Counter endpoints of an issue session as a whole: the point's open sessions, opening (or joining) one,
reading it, verifying the customer by SMS code, the bags, the finish and the cancel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.counter.access import SESSION
from pvz.api.counter.rendering import customer_out, finish_out, session_out, sms_sent_out
from pvz.api.counter.schemas import (
    BagsIn,
    CounterCodeIn,
    FinishOut,
    OpenIn,
    SessionBriefOut,
    SessionOut,
    SmsSentOut,
)
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS, error_answer
from pvz.api.idempotency import idempotent
from pvz.api.permissions import point_of, requires, subject_of
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.counter import selectors, services, verification
from pvz.counter.identify import customer_identify
from pvz.counter.models import IssueSession, Verification
from pvz.shipments.models import Customer

router = Router()


@router.get(
    "/counter/points/{point_id}/sessions",
    response={200: list[SessionBriefOut], **READ_ERRORS},
    operation_id="counter_sessions_open",
    summary="Open issue sessions of a point",
)
@requires(Perm.OPERATE)
def sessions_open(request: HttpRequest, point_id: int) -> list[SessionBriefOut]:
    point = point_of(request)
    return [
        SessionBriefOut(
            id=s.pk,
            customer=customer_out(s.customer),
            verification=s.verification,
            opened_by=str(s.opened_by),
            opened_at=s.opened_at.astimezone(point.tz),
            lines=s.lines.count(),
        )
        for s in selectors.sessions_open(point=point)
    ]


@router.post(
    "/counter/points/{point_id}/sessions",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_session_open",
    summary="Open (or join) the customer's issue session",
    description=(
        "With `code` (pickup code or QR) the session is verified; with `customer_id` (from search) it is "
        "not, and issuing needs an SMS code. A customer's open session at this point is returned, not "
        "duplicated; a verified opening verifies it."
    ),
)
@idempotent
@requires(Perm.OPERATE)
def session_open(request: HttpRequest, point_id: int, payload: OpenIn) -> SessionOut:
    user, point = caller(request), point_of(request)
    if payload.code:
        found = customer_identify(code=payload.code, now=clock.now())
        customer, how = found.customer, found.verification
    elif payload.customer_id is not None:
        customer_or_none = Customer.objects.filter(
            pk=payload.customer_id, orders__shipments__point=point
        ).first()
        if customer_or_none is None:
            raise NotFound(details={"customer_id": payload.customer_id})
        customer, how = customer_or_none, Verification.NONE
    else:
        raise DomainError(_("Укажите код клиента или выберите клиента из поиска."), details={"field": "code"})
    session = services.session_open(actor=user, point=point, customer=customer, verification=how)
    session.point, session.customer = point, customer  # already read and checked above
    return session_out(session)


@router.get(
    "/counter/sessions/{session_id}",
    response={200: SessionOut, **READ_ERRORS},
    operation_id="counter_session_get",
    summary="An issue session with its lines, fetch list and the customer card",
)
@requires(Perm.OPERATE, via=SESSION)
def session_get(request: HttpRequest, session_id: int) -> SessionOut:
    return session_out(subject_of(request, IssueSession))


@router.post(
    "/counter/sessions/{session_id}/sms-code",
    response={200: SmsSentOut, **WRITE_ERRORS},
    operation_id="counter_sms_code_send",
    summary="Text a one-time code to the customer",
    description="One a minute and five an hour per customer: else 429 RATE_LIMITED with `retry_after`.",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def sms_code_send(request: HttpRequest, session_id: int) -> SmsSentOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return sms_sent_out(verification.session_sms_code_send(actor=user, session=session), session.point)


@router.post(
    "/counter/sessions/{session_id}/sms-code/verify",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_sms_code_verify",
    summary="Verify the session with the customer's SMS code",
    description="Wrong: 400 CODE_INVALID with attempts left; the 5th wrong try: CODE_EXHAUSTED.",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def sms_code_verify(
    request: HttpRequest, session_id: int, payload: CounterCodeIn
) -> SessionOut | Status[Any]:
    user, session = caller(request), subject_of(request, IssueSession)
    refusal = verification.session_sms_code_try(actor=user, session=session, code=payload.code)
    if refusal is not None:
        # Answered, not raised: the counted wrong try must stay saved with the request's stored answer.
        return error_answer(refusal)
    return session_out(selectors.session_get(user=user, session_id=session.pk))


@router.put(
    "/counter/sessions/{session_id}/bags",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_session_bags",
    summary="How many bags the customer took",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def session_bags(request: HttpRequest, session_id: int, payload: BagsIn) -> SessionOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return session_out(services.session_set_bags(actor=user, session=session, count=payload.count))


@router.post(
    "/counter/sessions/{session_id}/finish",
    response={200: FinishOut, **WRITE_ERRORS},
    operation_id="counter_session_finish",
    summary="Issue the taken parcels and return the refused ones, in one action",
    description=(
        "409 VERIFICATION_REQUIRED, ID_CHECK_REQUIRED, PAYMENT_REQUIRED or PARTIAL_REFUSAL_NOT_ALLOWED "
        "(with `details.lines`) change "
        "nothing. Otherwise each line gets its result: a parcel that stopped being issuable since its scan "
        "fails alone with its own code. A finished session: 409 SESSION_CLOSED."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def session_finish(request: HttpRequest, session_id: int) -> FinishOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return finish_out(services.session_finish(actor=user, session=session))


@router.post(
    "/counter/sessions/{session_id}/cancel",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_session_cancel",
    summary="Cancel the session: nothing is issued or refused",
)
@idempotent
@requires(Perm.OPERATE, via=SESSION)
def session_cancel(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = caller(request), subject_of(request, IssueSession)
    return session_out(services.session_cancel(actor=user, session=session))
