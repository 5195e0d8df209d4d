"""The audit log: records of the caller's points (owners) or of everything (platform admins), newest
first, filtered like the «Журнал» screen and paginated by seq."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS
from pvz.api.permissions import point_for, requires
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, PermissionDenied
from pvz.staff.audit_log import PAGE_SIZE_MAX, AuditFilters, audit_page, audit_points, audit_sees_everything

router = Router(tags=["audit"])


class AuditQuery(Schema):
    point: int | None = Field(
        default=None,
        description="Only this point's records (404 if not the caller's, 403 without view_audit there). "
        "Absent: every point the caller may audit (platform admins: also records without a point).",
    )
    date_from: dt.date | None = Field(default=None, description="First day, in the point's timezone.")
    date_to: dt.date | None = Field(default=None, description="Last day (included), in the point's timezone.")
    action: str = Field(default="", max_length=40, description="Exact action, e.g. `shipment.transition`.")
    actor_phone: str = Field(default="", max_length=20, description="The actor's phone in any format.")
    object_id: str = Field(default="", max_length=64, description="Exact object id, e.g. a shipment id.")
    before: int | None = Field(default=None, ge=1, description="Only records with a smaller seq (next page).")
    limit: int = Field(default=50, ge=1, le=PAGE_SIZE_MAX)


class AuditRecordOut(Schema):
    seq: int
    at: dt.datetime = Field(description="In the record's point's timezone (platform timezone without one).")
    action: str
    actor_id: int | None
    actor_phone: str
    ip: str | None
    user_agent: str
    point_id: int | None
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPageOut(Schema):
    records: list[AuditRecordOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next (older) page; null at the end."
    )


def _out(record: AuditRecord) -> AuditRecordOut:
    tz = record.point.tz if record.point is not None else zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return AuditRecordOut(
        seq=record.seq,
        at=record.at.astimezone(tz),
        action=record.action,
        actor_id=record.actor_id,
        actor_phone=record.actor_phone,
        ip=record.ip,
        user_agent=record.user_agent,
        point_id=record.point_id,
        object_type=record.object_type,
        object_id=record.object_id,
        details=record.details,
        prev_hash=record.prev_hash,
        hash=record.hash,
    )


@router.get(
    "/audit",
    response={200: AuditPageOut, **READ_ERRORS},
    operation_id="audit_list",
    summary="The audit log, filtered and paginated",
    description=(
        "Append-only, hash-chained records of sign-ins, codes sent, denials, shipment changes, staff "
        "grants and exports. Owners see their points; platform admins everything; others 403."
    ),
)
@requires(
    Perm.VIEW_AUDIT, checked_by="the handler: the point is optional, in the query (platform-wide for admins)"
)
def audit_list(request: HttpRequest, query: Query[AuditQuery]) -> AuditPageOut:
    user = caller(request)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if query.point is not None:
        tz = point_for(user=user, point_id=query.point, perm=Perm.VIEW_AUDIT).tz
    elif not audit_sees_everything(user=user) and not audit_points(user=user).exists():
        raise PermissionDenied(details={"permission": str(Perm.VIEW_AUDIT)})
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise DomainError(_("Дата начала периода позже даты конца."), details={"field": "date_from"})
    filters = AuditFilters(
        date_from=query.date_from,
        date_to=query.date_to,
        action=query.action,
        actor_phone=query.actor_phone,
        object_id=query.object_id,
        point_id=query.point,
        tz=tz,
    )
    page = audit_page(user=user, filters=filters, before=query.before, limit=query.limit)
    return AuditPageOut(records=[_out(record) for record in page.records], next_before=page.next_before)
