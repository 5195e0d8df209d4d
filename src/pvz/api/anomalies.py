"""Anomaly flags of a point's staff («Тревоги»): list, resolve, and lift a suspension."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.anomalies.models import AnomalyFlag, Suspension
from pvz.anomalies.selectors import LIST_LIMIT, flags_at_point, suspensions_at_point
from pvz.anomalies.services import anomaly_flag_resolve, suspension_lift
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS
from pvz.api.permissions import point_of, requires

router = Router(tags=["anomalies"])


class FlagOut(Schema):
    id: int
    rule: str = Field(
        description="unscanned_issues, sms_verifications, outside_hours or manual_codes (see docs/domain.md)."
    )
    rule_title: str
    user_id: int
    user_phone: str
    details: dict[str, Any]
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by_id: int | None


class SuspensionOut(Schema):
    id: int
    user_id: int
    user_phone: str
    flag_id: int | None
    created_at: dt.datetime
    lifted_at: dt.datetime | None


class AnomaliesOut(Schema):
    flags: list[FlagOut] = Field(description=f"Open first, then newest first; at most {LIST_LIMIT}.")
    suspensions: list[SuspensionOut] = Field(description="Active suspensions of the point's staff.")


class AnomaliesQuery(Schema):
    open_only: bool = Field(default=False, description="Only flags nobody has resolved yet.")


def _flag_out(flag: AnomalyFlag) -> FlagOut:
    return FlagOut(
        id=flag.pk,
        rule=flag.rule,
        rule_title=str(flag.get_rule_display()),
        user_id=flag.user_id,
        user_phone=flag.user.phone,
        details=flag.details,
        created_at=flag.created_at,
        resolved_at=flag.resolved_at,
        resolved_by_id=flag.resolved_by_id,
    )


def _suspension_out(suspension: Suspension) -> SuspensionOut:
    return SuspensionOut(
        id=suspension.pk,
        user_id=suspension.user_id,
        user_phone=suspension.user.phone,
        flag_id=suspension.flag_id,
        created_at=suspension.created_at,
        lifted_at=suspension.lifted_at,
    )


@router.get(
    "/points/{point_id}/anomalies",
    response={200: AnomaliesOut, **READ_ERRORS},
    operation_id="anomalies_list",
    summary="Anomaly flags and suspensions of the point's staff",
    description="Owners, managers and platform admins (the manage-point permission).",
)
@requires(Perm.MANAGE_POINT)
def anomalies_list(request: HttpRequest, point_id: int, query: Query[AnomaliesQuery]) -> AnomaliesOut:
    point = point_of(request)
    return AnomaliesOut(
        flags=[_flag_out(flag) for flag in flags_at_point(point=point, open_only=query.open_only)],
        suspensions=[_suspension_out(s) for s in suspensions_at_point(point=point)],
    )


@router.post(
    "/points/{point_id}/anomalies/{flag_id}/resolve",
    response={200: FlagOut, **WRITE_ERRORS},
    operation_id="anomaly_resolve",
    summary="Resolve an anomaly flag",
    description="Marks the flag resolved by the caller; resolving a resolved flag changes nothing.",
)
@requires(Perm.MANAGE_POINT)
def anomaly_resolve(request: HttpRequest, point_id: int, flag_id: int) -> FlagOut:
    user = caller(request)
    point = point_of(request)
    flag = anomaly_flag_resolve(actor=user, point=point, flag_id=flag_id)
    return _flag_out(flag)


@router.post(
    "/points/{point_id}/suspensions/{suspension_id}/lift",
    response={200: SuspensionOut, **WRITE_ERRORS},
    operation_id="suspension_lift",
    summary="Lift a suspension",
    description=(
        "Lets the suspended employee work again. Only the point's owner or a platform admin: a manager "
        "gets 403 PERMISSION_DENIED; a lifted suspension 409 CONFLICT."
    ),
)
@requires(Perm.LIFT_SUSPENSION)
def suspension_lift_endpoint(request: HttpRequest, point_id: int, suspension_id: int) -> SuspensionOut:
    user = caller(request)
    point = point_of(request)
    return _suspension_out(suspension_lift(actor=user, point=point, suspension_id=suspension_id))
