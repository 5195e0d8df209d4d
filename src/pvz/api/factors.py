"""`/me/factors`: the caller's second factors (e-mail codes, an authenticator app, backup codes), and
`/points/{point_id}/factor-policy`: whether a point requires a second factor of its staff.

Not `@idempotent`: the idempotency store would keep the answers, and enrolment answers carry a secret
and backup codes that must be shown once only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, SELF_READ_ERRORS, SELF_WRITE_ERRORS, ErrorOut
from pvz.api.permissions import point_of, requires, requires_sign_in
from pvz.audit.context import client_ip
from pvz.factors import services
from pvz.factors.models import FactorMethod
from pvz.factors.selectors import factor_summary, point_factor_policy

router = Router(tags=["factors"])

# A factor being removed may not exist (404).
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**SELF_WRITE_ERRORS, 404: ErrorOut}


class FactorsOut(Schema):
    email: str | None = Field(description="The e-mail address, confirmed or waiting for its code.")
    email_confirmed: bool
    totp: bool = Field(description="An authenticator app is confirmed.")
    totp_pending: bool = Field(description="Enrolment of an app started and not confirmed yet.")
    backup_codes_left: int = Field(description="Unused backup codes (0 without an app).")
    required: bool = Field(description="A point of the caller requires a second factor.")


class EmailIn(Schema):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FactorCodeIn(Schema):
    code: str = Field(max_length=20, description="6 digits (app or e-mail code) or a backup code.")


class SixDigitsIn(Schema):
    code: str = Field(pattern=r"^\d{6}$")


class TotpEnrolmentOut(Schema):
    secret: str = Field(description="Base32 secret, shown only until the app is confirmed.")
    otpauth_uri: str = Field(description="What the enrolment QR carries.")


class BackupCodesOut(Schema):
    backup_codes: list[str] = Field(description="Ten single-use codes, shown this once.")


class PolicyOut(Schema):
    point_id: int
    require_second_factor: bool
    set_by_id: int | None
    updated_at: dt.datetime | None


class PolicyIn(Schema):
    require_second_factor: bool


def _factors(request: HttpRequest) -> FactorsOut:
    summary = factor_summary(user=caller(request))
    return FactorsOut(
        email=summary.email,
        email_confirmed=summary.email_confirmed,
        totp=summary.totp,
        totp_pending=summary.totp_pending,
        backup_codes_left=summary.backup_codes_left,
        required=summary.required,
    )


@router.get(
    "/me/factors",
    response={200: FactorsOut, **SELF_READ_ERRORS},
    operation_id="me_factors_get",
    summary="The caller's second factors",
)
@requires_sign_in
def me_factors_get(request: HttpRequest) -> FactorsOut:
    return _factors(request)


@router.post(
    "/me/factors/email",
    response={202: FactorsOut, **_WRITE_ERRORS},
    operation_id="me_factors_email_add",
    summary="Set the e-mail address and mail it a confirmation code",
    description="A confirmed address must be deleted first (409 CONFLICT). Codes: one a minute, five an "
    "hour (429 RATE_LIMITED).",
)
@requires_sign_in
def me_factors_email_add(request: HttpRequest, payload: EmailIn) -> Status[Any]:
    services.email_factor_add(user=caller(request), email=payload.email, ip=client_ip(request))
    return Status(202, _factors(request))


@router.post(
    "/me/factors/email/confirm",
    response={200: FactorsOut, **_WRITE_ERRORS},
    operation_id="me_factors_email_confirm",
    summary="Confirm the e-mail address with the code mailed to it",
    description="Wrong codes: 400 CODE_INVALID (5 tries, then CODE_EXHAUSTED); after 10 minutes "
    "CODE_EXPIRED; repeated failures lock out (429 LOCKED_OUT).",
)
@requires_sign_in
def me_factors_email_confirm(request: HttpRequest, payload: SixDigitsIn) -> FactorsOut:
    services.email_factor_confirm(user=caller(request), code=payload.code, ip=client_ip(request))
    return _factors(request)


@router.post(
    "/me/factors/email/code",
    response={204: None, **_WRITE_ERRORS},
    operation_id="me_factors_email_code_send",
    summary="Mail a code to the confirmed address (to delete a factor without an app)",
)
@requires_sign_in
def me_factors_email_code_send(request: HttpRequest) -> Status[Any]:
    services.email_second_factor_send(user=caller(request), ip=client_ip(request))
    return Status(204, None)


@router.post(
    "/me/factors/totp",
    response={201: TotpEnrolmentOut, **_WRITE_ERRORS},
    operation_id="me_factors_totp_start",
    summary="Start enrolling an authenticator app",
    description="A new secret (replacing an unconfirmed one). A confirmed app must be deleted first (409).",
)
@requires_sign_in
def me_factors_totp_start(request: HttpRequest) -> Status[Any]:
    enrolment = services.totp_enrol_start(user=caller(request))
    return Status(201, TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri))


@router.post(
    "/me/factors/totp/confirm",
    response={200: BackupCodesOut, **_WRITE_ERRORS},
    operation_id="me_factors_totp_confirm",
    summary="Confirm the app with a current code; get ten backup codes",
    description="The code of the current 30-second step, or of the one before or after, is accepted.",
)
@requires_sign_in
def me_factors_totp_confirm(request: HttpRequest, payload: SixDigitsIn) -> BackupCodesOut:
    codes = services.totp_enrol_confirm(user=caller(request), code=payload.code, ip=client_ip(request))
    return BackupCodesOut(backup_codes=codes)


@router.post(
    "/me/factors/backup-codes",
    response={200: BackupCodesOut, **_WRITE_ERRORS},
    operation_id="me_factors_backup_codes_regenerate",
    summary="Replace the backup codes",
    description="Ten new codes; every earlier one stops working. Needs a confirmed app (else 409).",
)
@requires_sign_in
def me_factors_backup_codes_regenerate(request: HttpRequest) -> BackupCodesOut:
    return BackupCodesOut(backup_codes=services.backup_codes_regenerate(user=caller(request)))


_DELETE_DESCRIPTION = (
    "Needs a current code of the caller's second factor (app code or backup code when an app is confirmed, "
    "else an e-mail code from `POST /me/factors/email/code`); an unconfirmed one goes without, and one the "
    "caller does not have is already deleted (200). The last factor of someone whose point requires one "
    "cannot go (409 CONFLICT)."
)


def _delete(request: HttpRequest, method: FactorMethod, payload: FactorCodeIn) -> FactorsOut:
    services.factor_remove(user=caller(request), method=method, code=payload.code, ip=client_ip(request))
    return _factors(request)


@router.delete(
    "/me/factors/totp",
    response={200: FactorsOut, **_WRITE_ERRORS},
    operation_id="me_factors_totp_delete",
    summary="Remove the authenticator app and its backup codes",
    description=_DELETE_DESCRIPTION,
)
@requires_sign_in
def me_factors_totp_delete(request: HttpRequest, payload: FactorCodeIn) -> FactorsOut:
    return _delete(request, FactorMethod.TOTP, payload)


@router.delete(
    "/me/factors/email",
    response={200: FactorsOut, **_WRITE_ERRORS},
    operation_id="me_factors_email_delete",
    summary="Remove the e-mail factor",
    description=_DELETE_DESCRIPTION,
)
@requires_sign_in
def me_factors_email_delete(request: HttpRequest, payload: FactorCodeIn) -> FactorsOut:
    return _delete(request, FactorMethod.EMAIL, payload)


def _policy(request: HttpRequest) -> PolicyOut:
    point = point_of(request)
    policy = point_factor_policy(point=point)
    return PolicyOut(
        point_id=point.pk,
        require_second_factor=policy is not None and policy.require_second_factor,
        set_by_id=policy.set_by_id if policy else None,
        updated_at=policy.updated_at if policy else None,
    )


@router.get(
    "/points/{point_id}/factor-policy",
    response={200: PolicyOut, **READ_BY_ID_ERRORS},
    operation_id="point_factor_policy_get",
    summary="Whether the point requires a second factor of its staff",
)
@requires(Perm.VIEW_POINT)
def point_factor_policy_get(request: HttpRequest, point_id: int) -> PolicyOut:
    return _policy(request)


@router.put(
    "/points/{point_id}/factor-policy",
    response={200: PolicyOut, **_WRITE_ERRORS},
    operation_id="point_factor_policy_put",
    summary="Require (or stop requiring) a second factor of the point's staff",
    description="Owners of the point and platform admins only (others 403). Applies from each person's "
    "next sign-in.",
)
@requires(Perm.SET_FACTOR_POLICY)
def point_factor_policy_put(request: HttpRequest, point_id: int, payload: PolicyIn) -> PolicyOut:
    user = caller(request)
    point = point_of(request)
    services.point_factor_policy_set(actor=user, point=point, required=payload.require_second_factor)
    return _policy(request)
