"""Opening and closing points.

Opening: anyone may submit an application (multipart, no sign-in; at most `PVZ_APPLICATIONS_PER_IP_PER_HOUR`
per IP address an hour and one pending per phone); platform admins list, read, approve or reject them.
Closing: the owner (or a platform admin) starts closing a point, reads what must still leave, and completes
it once the point is empty. Rules: `pvz.onboarding`, `pvz.network.services`, docs/domain.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS
from pvz.api.permissions import point_of, requires
from pvz.audit.context import client_ip
from pvz.closing.selectors import point_leftovers
from pvz.closing.services import point_close_cancel, point_close_complete, point_close_start
from pvz.network.models import PickupPoint
from pvz.onboarding import selectors, services
from pvz.onboarding.models import ApplicationStatus, PointApplication
from pvz.web.permissions import ACCESS_PUBLIC

router = Router(tags=["onboarding"])


class ApplicationIn(Schema):
    applicant_name: str = Field(max_length=200)
    phone: str = Field(max_length=32, description="Any common format; stored as E.164.")
    email: str = Field(max_length=254)
    legal_entity: str = Field(default="", max_length=200)
    inn: str = Field(default="", max_length=12, description="10 digits (organisation) or 12 (sole trader).")
    address: str = Field(max_length=400)
    area_m2: int = Field(ge=1, le=1_000_000, description="Floor area in square metres, 5–10000.")
    opening_hours: str = Field(max_length=200)


class ApplicationSubmittedOut(Schema):
    number: str = Field(description="The application number the applicant is told (also sent by SMS).")


class ApplicationOut(Schema):
    id: int
    number: str
    status: ApplicationStatus
    applicant_name: str
    phone: str
    email: str
    legal_entity: str
    inn: str
    address: str
    area_m2: int
    opening_hours: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    reject_reason: str
    point_id: int | None
    owner_id: int | None
    photo_ids: list[int]


class ApproveIn(Schema):
    code: str = Field(max_length=40, description="The new point's code: latin letters, digits, dashes.")
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Moscow", max_length=64)
    capacity: int = Field(ge=1, le=100_000)


class RejectIn(Schema):
    reason: str = Field(max_length=500, description="Required; texted to the applicant.")


class LeftoversOut(Schema):
    to_issue: int
    to_return: int
    in_return_zone: int
    inbound_carriages: int
    return_carriages: int
    totes: int
    total: int


class ClosingOut(Schema):
    point_id: int
    status: str = Field(description="open, closing or closed.")
    closing_started_at: dt.datetime | None
    closing_reason: str
    closing_planned_on: dt.date | None
    closed_at: dt.datetime | None
    leftovers: LeftoversOut


class CloseStartIn(Schema):
    reason: str = Field(max_length=500)
    planned_on: dt.date | None = Field(default=None, description="Not before today at the point.")


def _application_out(application: PointApplication) -> ApplicationOut:
    return ApplicationOut(
        id=application.pk,
        number=application.number,
        status=ApplicationStatus(application.status),
        applicant_name=application.applicant_name,
        phone=application.phone,
        email=application.email,
        legal_entity=application.legal_entity,
        inn=application.inn,
        address=application.address,
        area_m2=application.area_m2,
        opening_hours=application.opening_hours,
        submitted_at=application.submitted_at,
        reviewed_at=application.reviewed_at,
        reject_reason=application.reject_reason,
        point_id=application.point_id,
        owner_id=application.owner_id,
        photo_ids=[photo.pk for photo in application.photos.all()],
    )


def _closing_out(point: PickupPoint) -> ClosingOut:
    leftovers = point_leftovers(point=point)
    return ClosingOut(
        point_id=point.pk,
        status=point.status,
        closing_started_at=point.closing_started_at,
        closing_reason=point.closing_reason,
        closing_planned_on=point.closing_planned_on,
        closed_at=point.closed_at,
        leftovers=LeftoversOut(**leftovers.as_dict(), total=leftovers.total),
    )


def _public(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Declares an endpoint open to anyone (for the permission matrix, like `web.permissions.public_page`)."""
    handler.access = ACCESS_PUBLIC  # type: ignore[attr-defined]
    return handler


# ---- opening ------------------------------------------------------------------------------------------


@router.post(
    "/point-applications",
    auth=None,
    response={201: ApplicationSubmittedOut, **WRITE_ERRORS},
    operation_id="point_applications_submit",
    summary="Apply to open a pickup point (public, multipart, up to 5 photos)",
    description=(
        "No sign-in. 422 VALIDATION_FAILED names the field; 409 CONFLICT when the phone already has a "
        "pending application; 429 RATE_LIMITED past the per-IP limit. The applicant is texted the number."
    ),
)
@_public
def application_submit(
    request: HttpRequest,
    form: Form[ApplicationIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[Any]:
    application = services.application_submit(
        form=services.ApplicationForm(**form.dict()), photos=list(photos or []), ip=client_ip(request)
    )
    return Status(201, ApplicationSubmittedOut(number=application.number))


@router.get(
    "/point-applications",
    response={200: list[ApplicationOut], **READ_ERRORS},
    operation_id="point_applications_list",
    summary="Opening applications, newest first (platform admins)",
)
@requires(Perm.ADMIN_PLATFORM, platform=True)
def applications_list(request: HttpRequest, status: ApplicationStatus | None = None) -> list[ApplicationOut]:
    found = selectors.applications_list(user=caller(request), status=status or "")
    return [_application_out(application) for application in found]


@router.get(
    "/point-applications/{application_id}",
    response={200: ApplicationOut, **READ_ERRORS},
    operation_id="point_applications_get",
    summary="One opening application (platform admins)",
)
@requires(Perm.ADMIN_PLATFORM, platform=True)
def application_get(request: HttpRequest, application_id: int) -> ApplicationOut:
    return _application_out(selectors.application_get(user=caller(request), application_id=application_id))


@router.post(
    "/point-applications/{application_id}/approve",
    response={200: ApplicationOut, **WRITE_ERRORS},
    operation_id="point_applications_approve",
    summary="Approve: create the point, the owner's account and the owner role (platform admins)",
    description="All or nothing. 409 CONFLICT when already reviewed or when the code is taken.",
)
@requires(Perm.ADMIN_PLATFORM, platform=True)
def application_approve(request: HttpRequest, application_id: int, payload: ApproveIn) -> ApplicationOut:
    user = caller(request)
    application = selectors.application_get(user=user, application_id=application_id)
    services.application_approve(
        actor=user, application=application, draft=services.PointDraft(**payload.dict())
    )
    return _application_out(selectors.application_get(user=user, application_id=application_id))


@router.post(
    "/point-applications/{application_id}/reject",
    response={200: ApplicationOut, **WRITE_ERRORS},
    operation_id="point_applications_reject",
    summary="Reject with a reason, texted to the applicant (platform admins)",
)
@requires(Perm.ADMIN_PLATFORM, platform=True)
def application_reject(request: HttpRequest, application_id: int, payload: RejectIn) -> ApplicationOut:
    user = caller(request)
    application = selectors.application_get(user=user, application_id=application_id)
    services.application_reject(actor=user, application=application, reason=payload.reason)
    return _application_out(selectors.application_get(user=user, application_id=application_id))


# ---- closing ------------------------------------------------------------------------------------------


@router.get(
    "/points/{point_id}/closing",
    response={200: ClosingOut, **READ_ERRORS},
    operation_id="points_closing_get",
    summary="The point's closing state and what must still leave it",
)
@requires(Perm.MANAGE_POINT)
def closing_get(request: HttpRequest, point_id: int) -> ClosingOut:
    return _closing_out(point_of(request))


@router.post(
    "/points/{point_id}/closing/start",
    response={200: ClosingOut, **WRITE_ERRORS},
    operation_id="points_closing_start",
    summary="Start closing: no new deliveries from now on (owner or platform admin)",
)
@requires(Perm.CLOSE_POINT)
def closing_start(request: HttpRequest, point_id: int, payload: CloseStartIn) -> ClosingOut:
    user = caller(request)
    point = point_of(request)
    return _closing_out(
        point_close_start(actor=user, point=point, reason=payload.reason, planned_on=payload.planned_on)
    )


@router.post(
    "/points/{point_id}/closing/cancel",
    response={200: ClosingOut, **WRITE_ERRORS},
    operation_id="points_closing_cancel",
    summary="Cancel closing: the point takes deliveries again (owner or platform admin)",
)
@requires(Perm.CLOSE_POINT)
def closing_cancel(request: HttpRequest, point_id: int) -> ClosingOut:
    user = caller(request)
    point = point_of(request)
    return _closing_out(point_close_cancel(actor=user, point=point))


@router.post(
    "/points/{point_id}/closing/complete",
    response={200: ClosingOut, **WRITE_ERRORS},
    operation_id="points_closing_complete",
    summary="Complete closing once the point is empty (owner or platform admin)",
    description="409 CONFLICT with `details.remaining` (counts by kind) while anything is left.",
)
@requires(Perm.CLOSE_POINT)
def closing_complete(request: HttpRequest, point_id: int) -> ClosingOut:
    user = caller(request)
    point = point_of(request)
    return _closing_out(point_close_complete(actor=user, point=point))
