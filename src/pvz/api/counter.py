"""Counter endpoints: find and verify the customer, then an issue session (scan, inspect, refuse, ID check,
payment, bags, finish, cancel).

Handlers parse, check that the caller holds *operate* at the session's point, call one service or selector
and render. Another point's session is 404, never 403; every endpoint needs *operate* (customer data is
issuing work), and every state change takes an `Idempotency-Key`.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorOut, error_answer
from pvz.api.idempotency import idempotent
from pvz.api.permissions import point_for, requires
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.core.phone import phone_masked
from pvz.counter import selectors, services, verification
from pvz.counter.identify import customer_identify, customer_search
from pvz.counter.models import IssueLine, IssueSession, Verification
from pvz.counter.selectors import CustomerCard, id_check_needed
from pvz.counter.services import FinishResult
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer, Shipment

router = Router(tags=["counter"])


# ---- schemas --------------------------------------------------------------------------------------------


class CustomerOut(Schema):
    id: int
    name: str
    phone_masked: str = Field(description="Masked, e.g. +7 916 ***-**-67.")


class CounterParcelOut(Schema):
    id: int
    posting_number: str
    barcode: str
    partner: str
    status: str
    cell: str | None
    point_id: int
    storage_deadline: dt.datetime | None = Field(description="Last moment of storage, in the point's time.")
    amount_due_kop: int
    id_check_needed: bool = Field(description="Flagged by the partner or value at/above its threshold.")
    try_on_allowed: bool = Field(description="The partner lets the customer try it on (inspecting: always).")
    partial_refusal_allowed: bool = Field(
        description="false: the order is taken whole or refused whole (PARTIAL_REFUSAL_NOT_ALLOWED)."
    )
    fragile: bool = Field(description="Handle with care.")


class ElsewhereOut(Schema):
    parcel: CounterParcelOut
    point_name: str | None = Field(description="STORED at another point: its name; else on its way (null).")


class CardOut(Schema):
    customer: CustomerOut
    ready: list[CounterParcelOut] = Field(description="«Готово к выдаче»: STORED here, by cell address.")
    in_transit: list[ElsewhereOut] = Field(description="«В пути»: EXPECTED/ACCEPTED, or STORED elsewhere.")
    done: list[CounterParcelOut] = Field(description="«Завершено»: finished here in the last 30 days.")


class CounterCodeIn(Schema):
    code: str = Field(min_length=1, max_length=200, description="Pickup code or QR token, any layout.")


class IdentifyOut(Schema):
    verification: str = Field(description="pickup_code or qr.")
    card: CardOut


class CounterSearchQuery(Schema):
    q: str = Field(min_length=1, max_length=100, description="Order, posting number, barcode or phone.")


class CounterSearchHitOut(Schema):
    customer: CustomerOut
    shipments: list[CounterParcelOut] = Field(description="The customer's parcels at this point, any status.")


class OpenIn(Schema):
    code: str | None = Field(
        default=None, max_length=200, description="Pickup code or QR token: the session is verified."
    )
    customer_id: int | None = Field(
        default=None, description="A customer found by search: the session needs an SMS code."
    )


class RefusalReasonOut(Schema):
    id: int
    code: str
    title: str


class LineOut(Schema):
    id: int
    shipment: CounterParcelOut
    state: str = Field(description="taken, inspecting, trying_on or refused.")
    scanned_at: dt.datetime
    refusal_reason: RefusalReasonOut | None
    refusal_note: str
    id_check_needed: bool
    id_document: str = Field(description="Type of the document seen; empty until checked.")
    id_last4: str
    payment_needed: bool = Field(description="Amount due and no payment recorded yet.")
    payment_method: str = Field(description="card, cash, or empty.")
    paid_kop: int
    result: str = Field(description="After the finish: issued, refused or failed; empty before.")
    result_code: str = Field(description="The error code of a failed line.")


class FetchCellOut(Schema):
    cell: str
    shipments: list[CounterParcelOut]


class SessionOut(Schema):
    id: int
    point_id: int
    status: str = Field(description="open, finished or cancelled.")
    customer: CustomerOut
    verification: str = Field(description="none, pickup_code, qr or sms.")
    verified_at: dt.datetime | None
    opened_by: str
    opened_at: dt.datetime
    first_scan_at: dt.datetime | None
    finished_at: dt.datetime | None
    bags: int
    issued_count: int
    refused_count: int
    lines: list[LineOut]
    fetch: list[FetchCellOut] = Field(description="Parcels ready here and not scanned yet, by cell address.")
    card: CardOut


class SessionBriefOut(Schema):
    id: int
    customer: CustomerOut
    verification: str
    opened_by: str
    opened_at: dt.datetime
    lines: int


class CounterScanOut(Schema):
    created: bool = Field(description="False: the parcel was already in this session; nothing changed.")
    message: str
    line: LineOut


class RefuseIn(Schema):
    reason_id: int
    note: str = Field(default="", max_length=500)


class IdCheckIn(Schema):
    document: str = Field(
        description="passport_rf, foreign_passport, driver_license, military_id or residence_permit."
    )
    last4: str = Field(min_length=4, max_length=4, description="The last 4 digits; never the full number.")


class PaymentIn(Schema):
    method: str = Field(description="card or cash.")
    reference: str = Field(default="", max_length=64, description="Card: the terminal's operation reference.")
    cash_kop: int | None = Field(default=None, ge=0, description="Cash received, kopecks (≥ amount due).")


class PaymentOut(Schema):
    line: LineOut
    change_kop: int


class BagsIn(Schema):
    count: int = Field(ge=0, le=50)


class LineResultOut(Schema):
    line_id: int
    shipment_id: int
    posting_number: str
    result: str = Field(description="issued, refused or failed.")
    code: str | None = Field(description="Error code of a failed line, e.g. STORAGE_EXPIRED.")
    message: str | None


class FinishOut(Schema):
    session: SessionOut
    results: list[LineResultOut]


class SmsSentOut(Schema):
    sent_at: dt.datetime
    expires_at: dt.datetime


# ---- rendering ------------------------------------------------------------------------------------------


def _local(moment: dt.datetime | None, point: PickupPoint) -> dt.datetime | None:
    return moment.astimezone(point.tz) if moment else None


def _customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(id=customer.pk, name=customer.name, phone_masked=phone_masked(customer.phone))


def _parcel_out(shipment: Shipment) -> CounterParcelOut:
    return CounterParcelOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        partner=shipment.partner.name,
        status=shipment.status,
        cell=shipment.cell.address if shipment.cell else None,
        point_id=shipment.point_id,
        storage_deadline=_local(shipment.storage_deadline, shipment.point),
        amount_due_kop=shipment.amount_due_kop,
        id_check_needed=id_check_needed(shipment),
        try_on_allowed=shipment.try_on_allowed,
        partial_refusal_allowed=shipment.partial_refusal_allowed,
        fragile=shipment.fragile,
    )


def _card_out(card: CustomerCard) -> CardOut:
    return CardOut(
        customer=_customer_out(card.customer),
        ready=[_parcel_out(s) for s in card.ready],
        in_transit=[
            ElsewhereOut(parcel=_parcel_out(p.shipment), point_name=p.point_name) for p in card.in_transit
        ],
        done=[_parcel_out(s) for s in card.done],
    )


def _line_out(line: IssueLine) -> LineOut:
    shipment = line.shipment
    reason = line.refusal_reason
    return LineOut(
        id=line.pk,
        shipment=_parcel_out(shipment),
        state=line.state,
        scanned_at=line.scanned_at.astimezone(shipment.point.tz),
        refusal_reason=RefusalReasonOut(id=reason.pk, code=reason.code, title=reason.title)
        if reason
        else None,
        refusal_note=line.refusal_note,
        id_check_needed=id_check_needed(shipment),
        id_document=line.id_document,
        id_last4=line.id_last4,
        payment_needed=shipment.amount_due_kop > 0 and line.paid_at is None,
        payment_method=line.payment_method,
        paid_kop=line.paid_kop,
        result=line.result,
        result_code=line.result_code,
    )


def _session_out(session: IssueSession, lines: list[IssueLine] | None = None) -> SessionOut:
    """The session as the counter screen shows it; `lines`: the session's lines with their parcels, when
    the caller has them in hand (else read, in scan order)."""
    point = session.point
    if lines is None:
        # A line is written with the session's first scan, so a session never scanned has none to read.
        lines = [] if session.first_scan_at is None else selectors.session_lines(session=session)
    card = selectors.customer_card(point=point, customer=session.customer, now=clock.now())
    return SessionOut(
        id=session.pk,
        point_id=session.point_id,
        status=session.status,
        customer=_customer_out(session.customer),
        verification=session.verification,
        verified_at=_local(session.verified_at, point),
        opened_by=str(session.opened_by),
        opened_at=session.opened_at.astimezone(point.tz),
        first_scan_at=_local(session.first_scan_at, point),
        finished_at=_local(session.finished_at, point),
        bags=session.bags,
        issued_count=session.issued_count,
        refused_count=session.refused_count,
        lines=[_line_out(line) for line in lines],
        # The parcels still to fetch are the card's ready ones not yet scanned: no query of their own.
        fetch=[
            FetchCellOut(cell=cell.address, shipments=[_parcel_out(s) for s in cell.shipments])
            for cell in selectors.fetch_cells(card.ready, scanned={line.shipment_id for line in lines})
        ],
        card=_card_out(card),
    )


def _finish_out(result: FinishResult) -> FinishOut:
    # The lines and parcels as the finish left them (each parcel changed in place), in scan order.
    lines = []
    for outcome in result.lines:
        outcome.line.shipment = outcome.shipment
        lines.append(outcome.line)
    lines.sort(key=lambda line: (line.scanned_at, line.pk))
    return FinishOut(
        session=_session_out(result.session, lines),
        results=[
            LineResultOut(
                line_id=o.line.pk,
                shipment_id=o.shipment.pk,
                posting_number=o.shipment.posting_number,
                result=o.result,
                code=str(o.error.code) if o.error else None,
                message=str(o.error.message) if o.error else None,
            )
            for o in result.lines
        ],
    )


# ---- access ---------------------------------------------------------------------------------------------


def _point(request: HttpRequest, point_id: int) -> tuple[User, PickupPoint]:
    user = caller(request)
    return user, point_for(user=user, point_id=point_id, perm=Perm.OPERATE)


def _session(request: HttpRequest, session_id: int) -> tuple[User, IssueSession]:
    user = caller(request)
    return user, selectors.session_get(user=user, session_id=session_id, perm=Perm.OPERATE)


def _line(line: IssueLine) -> LineOut:
    fresh = (
        IssueLine.objects.select_related(
            "shipment__partner", "shipment__cell", "shipment__point", "refusal_reason"
        )
        .filter(pk=line.pk)
        .get()
    )
    return _line_out(fresh)


# ---- finding the customer -------------------------------------------------------------------------------


@router.get(
    "/counter/points/{point_id}/refusal-reasons",
    response={200: list[RefusalReasonOut], **READ_ERRORS},
    operation_id="counter_refusal_reasons",
    summary="Refusal reasons (a partner's own list, else the default one)",
)
@requires(Perm.OPERATE)
def refusal_reasons(
    request: HttpRequest, point_id: int, partner_id: int | None = None
) -> list[RefusalReasonOut]:
    point = _point(request, point_id)[1]
    partner = point.partners.filter(pk=partner_id).first() if partner_id is not None else None
    return [
        RefusalReasonOut(id=r.pk, code=r.code, title=r.title)
        for r in selectors.refusal_reasons_for(partner=partner)
    ]


@router.post(
    "/counter/points/{point_id}/identify",
    response={200: IdentifyOut, **READ_ERRORS, 400: ErrorOut},
    operation_id="counter_identify",
    summary="Verify a pickup code or QR token and show the customer card",
    description=(
        "Changes nothing (a POST only to keep codes out of URLs). Wrong 4 digits or a tampered QR: "
        "400 CODE_INVALID; a QR older than 300 s: 400 CODE_EXPIRED; unknown number: 404."
    ),
)
@requires(Perm.OPERATE)
def identify(request: HttpRequest, point_id: int, payload: CounterCodeIn) -> IdentifyOut:
    point = _point(request, point_id)[1]
    now = clock.now()
    found = customer_identify(code=payload.code, now=now)
    return IdentifyOut(
        verification=found.verification,
        card=_card_out(selectors.customer_card(point=point, customer=found.customer, now=now)),
    )


@router.get(
    "/counter/points/{point_id}/customers/search",
    response={200: list[CounterSearchHitOut], **READ_ERRORS},
    operation_id="counter_customer_search",
    summary="Find customers with parcels here by order, posting number, barcode or phone",
    description="Not a verification: a session opened from a hit needs an SMS code before issuing.",
)
@requires(Perm.OPERATE)
def customers_search(
    request: HttpRequest, point_id: int, query: Query[CounterSearchQuery]
) -> list[CounterSearchHitOut]:
    point = _point(request, point_id)[1]
    return [
        CounterSearchHitOut(
            customer=_customer_out(hit.customer), shipments=[_parcel_out(s) for s in hit.shipments]
        )
        for hit in customer_search(point=point, query=query.q)
    ]


# ---- sessions -------------------------------------------------------------------------------------------


@router.get(
    "/counter/points/{point_id}/sessions",
    response={200: list[SessionBriefOut], **READ_ERRORS},
    operation_id="counter_sessions_open",
    summary="Open issue sessions of a point",
)
@requires(Perm.OPERATE)
def sessions_open(request: HttpRequest, point_id: int) -> list[SessionBriefOut]:
    point = _point(request, point_id)[1]
    return [
        SessionBriefOut(
            id=s.pk,
            customer=_customer_out(s.customer),
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
    user, point = _point(request, point_id)
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
    return _session_out(session)


@router.get(
    "/counter/sessions/{session_id}",
    response={200: SessionOut, **READ_ERRORS},
    operation_id="counter_session_get",
    summary="An issue session with its lines, fetch list and the customer card",
)
@requires(Perm.OPERATE)
def session_get(request: HttpRequest, session_id: int) -> SessionOut:
    return _session_out(_session(request, session_id)[1])


@router.post(
    "/counter/sessions/{session_id}/sms-code",
    response={200: SmsSentOut, **WRITE_ERRORS},
    operation_id="counter_sms_code_send",
    summary="Text a one-time code to the customer",
    description="One a minute and five an hour per customer: else 429 RATE_LIMITED with `retry_after`.",
)
@idempotent
@requires(Perm.OPERATE)
def sms_code_send(request: HttpRequest, session_id: int) -> SmsSentOut:
    user, session = _session(request, session_id)
    sent = verification.session_sms_code_send(actor=user, session=session)
    return SmsSentOut(
        sent_at=sent.created_at.astimezone(session.point.tz),
        expires_at=sent.expires_at.astimezone(session.point.tz),
    )


@router.post(
    "/counter/sessions/{session_id}/sms-code/verify",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_sms_code_verify",
    summary="Verify the session with the customer's SMS code",
    description="Wrong: 400 CODE_INVALID with attempts left; the 5th wrong try: CODE_EXHAUSTED.",
)
@idempotent
@requires(Perm.OPERATE)
def sms_code_verify(request: HttpRequest, session_id: int, payload: CounterCodeIn) -> SessionOut | Status:
    user, session = _session(request, session_id)
    refusal = verification.session_sms_code_try(actor=user, session=session, code=payload.code)
    if refusal is not None:
        # Answered, not raised: the counted wrong try must stay saved with the request's stored answer.
        return error_answer(refusal)
    return _session_out(selectors.session_get(user=user, session_id=session.pk))


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
@requires(Perm.OPERATE)
def session_scan(request: HttpRequest, session_id: int, payload: CounterCodeIn) -> CounterScanOut:
    outcome = services.session_scan_as(actor=caller(request), session_id=session_id, code=payload.code)
    message = _("Отправление добавлено в выдачу.") if outcome.created else _("Это отправление уже в выдаче.")
    line = _line_out(outcome.line) if outcome.complete else _line(outcome.line)
    return CounterScanOut(created=outcome.created, message=str(message), line=line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/inspect",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_inspect",
    summary="The customer inspects the parcel",
)
@idempotent
@requires(Perm.OPERATE)
def line_inspect(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = _session(request, session_id)
    return _line(services.line_inspect(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/try-on",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_try_on",
    summary="The customer tries the parcel on",
    description="Only where the partner allows it (`try_on_allowed`); else 409 TRY_ON_NOT_ALLOWED.",
)
@idempotent
@requires(Perm.OPERATE)
def line_try_on(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = _session(request, session_id)
    return _line(services.line_try_on(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/refuse",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_refuse",
    summary="The customer refuses the parcel (with a reason)",
)
@idempotent
@requires(Perm.OPERATE)
def line_refuse(request: HttpRequest, session_id: int, line_id: int, payload: RefuseIn) -> LineOut:
    user, session = _session(request, session_id)
    line = services.line_refuse(
        actor=user, session=session, line_id=line_id, reason_id=payload.reason_id, note=payload.note
    )
    return _line(line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/take",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_take",
    summary="The customer takes the parcel after all (undo a refusal, end an inspection or a try-on)",
)
@idempotent
@requires(Perm.OPERATE)
def line_take(request: HttpRequest, session_id: int, line_id: int) -> LineOut:
    user, session = _session(request, session_id)
    return _line(services.line_take(actor=user, session=session, line_id=line_id))


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/id-check",
    response={200: LineOut, **WRITE_ERRORS},
    operation_id="counter_line_id_check",
    summary="Record the identity document seen (type and last 4 digits only)",
)
@idempotent
@requires(Perm.OPERATE)
def line_id_check(request: HttpRequest, session_id: int, line_id: int, payload: IdCheckIn) -> LineOut:
    user, session = _session(request, session_id)
    line = services.line_record_id_check(
        actor=user, session=session, line_id=line_id, document=payload.document, last4=payload.last4
    )
    return _line(line)


@router.post(
    "/counter/sessions/{session_id}/lines/{line_id}/payment",
    response={200: PaymentOut, **WRITE_ERRORS},
    operation_id="counter_line_payment",
    summary="Record the payment of the amount due (card reference or cash)",
)
@idempotent
@requires(Perm.OPERATE)
def line_payment(request: HttpRequest, session_id: int, line_id: int, payload: PaymentIn) -> PaymentOut:
    user, session = _session(request, session_id)
    record = services.line_record_payment(
        actor=user,
        session=session,
        line_id=line_id,
        method=payload.method,
        reference=payload.reference,
        cash_kop=payload.cash_kop,
    )
    return PaymentOut(line=_line(record.line), change_kop=record.change_kop)


@router.put(
    "/counter/sessions/{session_id}/bags",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_session_bags",
    summary="How many bags the customer took",
)
@idempotent
@requires(Perm.OPERATE)
def session_bags(request: HttpRequest, session_id: int, payload: BagsIn) -> SessionOut:
    user, session = _session(request, session_id)
    return _session_out(services.session_set_bags(actor=user, session=session, count=payload.count))


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
@requires(Perm.OPERATE)
def session_finish(request: HttpRequest, session_id: int) -> FinishOut:
    user, session = _session(request, session_id)
    return _finish_out(services.session_finish(actor=user, session=session))


@router.post(
    "/counter/sessions/{session_id}/cancel",
    response={200: SessionOut, **WRITE_ERRORS},
    operation_id="counter_session_cancel",
    summary="Cancel the session: nothing is issued or refused",
)
@idempotent
@requires(Perm.OPERATE)
def session_cancel(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = _session(request, session_id)
    return _session_out(services.session_cancel(actor=user, session=session))
