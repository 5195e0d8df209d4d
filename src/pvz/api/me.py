"""`/me`: who the caller is and at which points they work, with their roles there."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from pvz.accounts.selectors import points_with_roles
from pvz.api.auth import caller
from pvz.api.errors import SELF_READ_ERRORS
from pvz.api.permissions import requires_sign_in

router = Router(tags=["me"])


class PointRolesOut(Schema):
    id: int
    code: str
    name: str
    timezone: str = Field(description="IANA timezone of the point, e.g. Europe/Moscow.")
    roles: list[str] = Field(description="Caller's roles at this point, platform roles included.")


class MeSessionOut(Schema):
    user_id: int
    signed_in: bool = Field(description="Always true: a request without a live session is answered 401.")


class MeOut(Schema):
    phone: str = Field(description="E.164 phone number.")
    name: str
    points: list[PointRolesOut]


@router.get(
    "/me",
    response={200: MeOut, **SELF_READ_ERRORS},
    operation_id="me_get",
    summary="Current user",
    description="The signed-in user and the pickup points they may work at, with their roles at each.",
)
@requires_sign_in
def me_get(request: HttpRequest) -> MeOut:
    user = caller(request)
    return MeOut(
        phone=user.phone,
        name=user.full_name,
        points=[
            PointRolesOut(
                id=point.pk,
                code=point.code,
                name=point.name,
                timezone=point.timezone,
                roles=roles,
            )
            for point, roles in points_with_roles(user=user)
        ],
    )


@router.get(
    "/me/session",
    response={200: MeSessionOut, **SELF_READ_ERRORS},
    operation_id="me_session_get",
    summary="Is this session alive",
    description=(
        "The cheapest signed-in call: answers 200 while the session is alive (and refreshes its idle "
        "timeout, as every request does), 401 NOT_AUTHENTICATED or SESSION_ENDED otherwise. Devices use it "
        "to check their session before sending work queued while they were offline."
    ),
)
@requires_sign_in
def me_session_get(request: HttpRequest) -> MeSessionOut:
    return MeSessionOut(user_id=caller(request).pk, signed_in=True)
