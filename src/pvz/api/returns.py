"""Customer returns («Возврат от покупателя»): open a return visit (the customer's pickup code or QR, or a
customer found by the counter's search verified by an SMS code), list the parcels the customer may return,
accept a return (multipart, with photos), read it, and print its label.

Every endpoint needs *operate* at the point: another point's visit or return is 404, a role without
*operate* 403; every state change takes an `Idempotency-Key`. Rules: `pvz.returns`, docs/domain.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.counter import SmsSentOut, sms_sent_out
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS, error_answer
from pvz.api.idempotency import event_key, idempotent
from pvz.api.permissions import Lookup, point_of, requires, subject_of
from pvz.api.rendering import pdf_answer, pdf_documented, point_local
from pvz.core import clock
from pvz.core.phone import phone_masked
from pvz.returns import selectors, services, verification
from pvz.returns.labels import return_label_pdf
from pvz.returns.models import CustomerReturn, ReturnVisit
from pvz.returns.selectors import Returnable

router = Router(tags=["returns"])


class ReturnReasonOut(Schema):
    id: int
    code: str
    title: str


class VisitIn(Schema):
    code: str | None = Field(
        default=None, max_length=200, description="Pickup code or QR token: the visit is verified."
    )
    customer_id: int | None = Field(
        default=None, description="A customer found by the counter's search: verify with an SMS code."
    )


class ReturnCodeIn(Schema):
    code: str = Field(min_length=1, max_length=20, description="The 6-digit SMS code.")


class ReturnableOut(Schema):
    shipment_id: int
    posting_number: str
    barcode: str
    partner: str
    issued_at: dt.datetime
    returnable_until: dt.datetime = Field(description="Last instant a return is accepted (inclusive).")
    is_open: bool = Field(description="False: the window has closed (RETURN_WINDOW_CLOSED).")


class VisitOut(Schema):
    id: int
    point_id: int
    customer_id: int
    customer_name: str
    phone_masked: str
    verification: str = Field(description="none, pickup_code, qr or sms.")
    verified_at: dt.datetime | None
    parcels: list[ReturnableOut] = Field(description="The customer's issued parcels of this point.")


class ReturnForm(Schema):
    code: str = Field(min_length=1, max_length=200, description="Posting number or label barcode.")
    reason_id: int
    condition: str = Field(description="new, used or damaged.")
    note: str = Field(default="", max_length=500)


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    url: str = Field(description="Staff-only page serving the photo (session sign-in, same point).")


class ReturnOut(Schema):
    id: int
    number: str
    point_id: int
    visit_id: int
    customer_id: int
    shipment_id: int
    posting_number: str
    status: str = Field(description="The parcel's status now (AWAITING_DISPATCH after the return).")
    cell: str | None = Field(description="Where the parcel is now: the return zone.")
    reason: ReturnReasonOut
    condition: str
    note: str
    issued_at: dt.datetime
    window_ends_at: dt.datetime
    accepted_by: str
    accepted_at: dt.datetime
    photos: list[PhotoOut]
    label_url: str


def _returnable_out(row: Returnable) -> ReturnableOut:
    point = row.shipment.point
    return ReturnableOut(
        shipment_id=row.shipment.pk,
        posting_number=row.shipment.posting_number,
        barcode=row.shipment.barcode,
        partner=row.shipment.partner.name,
        issued_at=row.issued_at.astimezone(point.tz),
        returnable_until=row.until.astimezone(point.tz),
        is_open=row.is_open,
    )


def _visit_out(visit: ReturnVisit) -> VisitOut:
    point = visit.point
    rows = selectors.returnable_parcels(point=point, customer=visit.customer, now=clock.now())
    return VisitOut(
        id=visit.pk,
        point_id=point.pk,
        customer_id=visit.customer_id,
        customer_name=visit.customer.name,
        phone_masked=phone_masked(visit.customer.phone),
        verification=visit.verification,
        verified_at=point_local(visit.verified_at, point),
        parcels=[_returnable_out(row) for row in rows] if visit.is_verified else [],
    )


def _return_out(found: CustomerReturn) -> ReturnOut:
    point = found.point
    shipment = found.shipment
    return ReturnOut(
        id=found.pk,
        number=found.number,
        point_id=point.pk,
        visit_id=found.visit_id,
        customer_id=found.customer_id,
        shipment_id=shipment.pk,
        posting_number=shipment.posting_number,
        status=shipment.status,
        cell=shipment.cell.address if shipment.cell else None,
        reason=ReturnReasonOut(id=found.reason.pk, code=found.reason.code, title=found.reason.title),
        condition=found.condition,
        note=found.note,
        issued_at=found.issued_at.astimezone(point.tz),
        window_ends_at=found.window_ends_at.astimezone(point.tz),
        accepted_by=str(found.accepted_by),
        accepted_at=found.accepted_at.astimezone(point.tz),
        photos=[
            PhotoOut(id=p.pk, content_type=p.content_type, size=p.size, url=f"/returns/photos/{p.pk}/")
            for p in found.photos.all()
        ],
        label_url=f"/api/v1/returns/{found.pk}/label.pdf",
    )


# A return visit or a customer return named in the path: of one of the caller's points (else 404), the
# permission checked at its point by `@requires(…, via=…)`.
VISIT = Lookup("visit_id", lambda user, visit_id: selectors.visit_get(user=user, visit_id=visit_id))
RETURN = Lookup(
    "return_id", lambda user, return_id: selectors.customer_return_get(user=user, return_id=return_id)
)


@router.get(
    "/returns/points/{point_id}/reasons",
    response={200: list[ReturnReasonOut], **READ_ERRORS},
    operation_id="returns_reasons",
    summary="Return reasons (a partner's own list, else the default one)",
)
@requires(Perm.OPERATE)
def reasons(request: HttpRequest, point_id: int, partner_id: int | None = None) -> list[ReturnReasonOut]:
    point = point_of(request)
    partner = point.partners.filter(pk=partner_id).first() if partner_id is not None else None
    return [
        ReturnReasonOut(id=r.pk, code=r.code, title=r.title)
        for r in selectors.return_reasons_for(partner=partner)
    ]


@router.post(
    "/returns/points/{point_id}/visits",
    response={201: VisitOut, **WRITE_ERRORS},
    operation_id="returns_visit_open",
    summary="Identify the customer bringing parcels back",
    description=(
        "With `code` (pickup code or QR, as at the counter) the visit is verified and lists the customer's "
        "issued parcels with their return deadline; with `customer_id` (from "
        "`GET /counter/points/{point_id}/customers/search`) it needs an SMS code first."
    ),
)
@idempotent
@requires(Perm.OPERATE)
def visit_open(request: HttpRequest, point_id: int, payload: VisitIn) -> Status[Any]:
    user, point = caller(request), point_of(request)
    visit = services.return_visit_open(
        actor=user, point=point, code=payload.code, customer_id=payload.customer_id
    )
    return Status(201, _visit_out(selectors.visit_get(user=user, visit_id=visit.pk)))


@router.get(
    "/returns/visits/{visit_id}",
    response={200: VisitOut, **READ_ERRORS},
    operation_id="returns_visit_get",
    summary="A return visit with the customer's returnable parcels (empty until verified)",
)
@requires(Perm.OPERATE, via=VISIT)
def visit_get(request: HttpRequest, visit_id: int) -> VisitOut:
    return _visit_out(subject_of(request, ReturnVisit))


@router.post(
    "/returns/visits/{visit_id}/sms-code",
    response={200: SmsSentOut, **WRITE_ERRORS},
    operation_id="returns_sms_code_send",
    summary="Text a one-time code to the customer",
    description="One a minute and five an hour per customer (counter codes included): else 429.",
)
@idempotent
@requires(Perm.OPERATE, via=VISIT)
def sms_code_send(request: HttpRequest, visit_id: int) -> SmsSentOut:
    user, visit = caller(request), subject_of(request, ReturnVisit)
    return sms_sent_out(verification.return_sms_code_send(actor=user, visit=visit), visit.point)


@router.post(
    "/returns/visits/{visit_id}/sms-code/verify",
    response={200: VisitOut, **WRITE_ERRORS},
    operation_id="returns_sms_code_verify",
    summary="Verify the visit with the customer's SMS code",
    description="Wrong: 400 CODE_INVALID with attempts left; the 5th wrong try: CODE_EXHAUSTED.",
)
@idempotent
@requires(Perm.OPERATE, via=VISIT)
def sms_code_verify(request: HttpRequest, visit_id: int, payload: ReturnCodeIn) -> VisitOut | Status[Any]:
    user, visit = caller(request), subject_of(request, ReturnVisit)
    refusal = verification.return_sms_code_try(actor=user, visit=visit, code=payload.code)
    if refusal is not None:
        # Answered, not raised: the counted wrong try must stay saved with the request's stored answer.
        return error_answer(refusal)
    return _visit_out(selectors.visit_get(user=user, visit_id=visit.pk))


@router.post(
    "/returns/visits/{visit_id}/returns",
    response={201: ReturnOut, **WRITE_ERRORS},
    operation_id="returns_create",
    summary="Accept a parcel back from the visit's customer (multipart, optional photos)",
    description=(
        "The parcel (posting number or label barcode) must be ISSUED here to this customer (else 409 "
        "INVALID_TRANSITION or WRONG_CUSTOMER) and within the partner's return window, `now <= issued + N "
        "days` (else 409 RETURN_WINDOW_CLOSED). Up to 5 photos, JPEG/PNG/WebP by content, 10 MB each (else "
        "422). The parcel goes ISSUED → RETURNED → AWAITING_DISPATCH into the return zone; nothing is saved "
        "when anything fails."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=VISIT)
def return_create(
    request: HttpRequest,
    visit_id: int,
    form: Form[ReturnForm],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[Any]:
    user, visit = caller(request), subject_of(request, ReturnVisit)
    created = services.customer_return_create(
        actor=user,
        visit=visit,
        code=form.code,
        reason_id=form.reason_id,
        condition=form.condition,
        note=form.note,
        photos=list(photos or []),
        key=event_key(request, user, "return"),
    )
    return Status(201, _return_out(selectors.customer_return_get(user=user, return_id=created.pk)))


@router.get(
    "/returns/{return_id}",
    response={200: ReturnOut, **READ_ERRORS},
    operation_id="returns_get",
    summary="A customer return (the return act as data)",
)
@requires(Perm.OPERATE, via=RETURN)
def return_get(request: HttpRequest, return_id: int) -> ReturnOut:
    return _return_out(subject_of(request, CustomerReturn))


@router.get(
    "/returns/{return_id}/label.pdf",
    response={200: None, **READ_ERRORS},
    operation_id="returns_label_pdf",
    summary="The return label (PDF, 58 × 60 mm, Code128 of the return and posting numbers)",
    openapi_extra=pdf_documented("The label."),
)
@requires(Perm.OPERATE, via=RETURN)
def return_label(request: HttpRequest, return_id: int) -> HttpResponse:
    found = subject_of(request, CustomerReturn)
    return pdf_answer(return_label_pdf(customer_return=found), f"{found.number}.pdf")
