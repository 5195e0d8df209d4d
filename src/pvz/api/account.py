"""`/me/security` and `/me/password`: the caller's own sign-in settings (the optional password).

Not `@idempotent`: the idempotency store keeps a fingerprint of the request body, and a fast hash of a
password must never be stored. A replayed change is harmless anyway: it fails on the current password.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from pvz.accounts.passwords import password_change, password_is_set, password_reset_request, password_set
from pvz.api.auth import caller
from pvz.api.errors import SELF_READ_ERRORS, SELF_WRITE_ERRORS
from pvz.api.permissions import requires_sign_in
from pvz.audit.context import client_ip
from pvz.core.errors import DomainError, ErrorCode

router = Router(tags=["me"])


class SecurityOut(Schema):
    has_password: bool = Field(description="Whether the caller may also sign in with phone and password.")


class PasswordIn(Schema):
    new_password: str = Field(
        max_length=128, description="At least 10 characters, not common, not only digits."
    )
    current_password: str | None = Field(
        default=None, max_length=128, description="Required to change an existing password."
    )
    code: str | None = Field(
        default=None,
        pattern=r"^\d{6}$",
        description="Required to set the first password: the code texted by `POST /me/password/code`.",
    )


def _security(request: HttpRequest) -> SecurityOut:
    return SecurityOut(has_password=password_is_set(caller(request)))


@router.get(
    "/me/security",
    response={200: SecurityOut, **SELF_READ_ERRORS},
    operation_id="me_security_get",
    summary="The caller's sign-in settings",
    description="Whether the caller has set a password (phone + SMS code always works).",
)
@requires_sign_in
def me_security_get(request: HttpRequest) -> SecurityOut:
    return _security(request)


@router.post(
    "/me/password/code",
    response={204: None, **SELF_WRITE_ERRORS},
    operation_id="me_password_code_send",
    summary="Text the caller a code for setting their first password",
    description="One a minute and five an hour (and the daily SMS limits): else 429 RATE_LIMITED.",
)
@requires_sign_in
def me_password_code_send(request: HttpRequest) -> Status[Any]:
    password_reset_request(phone=caller(request).phone, ip=client_ip(request))
    return Status(204, None)


@router.post(
    "/me/password",
    response={200: SecurityOut, **SELF_WRITE_ERRORS},
    operation_id="me_password_set",
    summary="Set the first password or change the current one",
    description=(
        "Without a password yet: send `code` (from `POST /me/password/code`) and `new_password`. With one: "
        "send `current_password` and `new_password`; a wrong one is 400 PASSWORD_INVALID and counts towards "
        "the password lockout (429 LOCKED_OUT). A weak password is 422 PASSWORD_WEAK with "
        "`details.reasons`. The calling session stays signed in."
    ),
)
@requires_sign_in
def me_password_set(request: HttpRequest, payload: PasswordIn) -> SecurityOut:
    user = caller(request)
    ip = client_ip(request)
    if password_is_set(user):
        if payload.current_password is None:
            raise DomainError(details={"field": "current_password"}, code=ErrorCode.VALIDATION_FAILED)
        password_change(
            user=user, current_password=payload.current_password, new_password=payload.new_password, ip=ip
        )
    else:
        if payload.code is None:
            raise DomainError(details={"field": "code"}, code=ErrorCode.VALIDATION_FAILED)
        password_set(user=user, code=payload.code, new_password=payload.new_password, ip=ip)
    update_session_auth_hash(request, user)
    return _security(request)
