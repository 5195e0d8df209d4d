"""Reading the audit log, scoped to the caller: platform admins see every record, owners the records
of the points where they hold VIEW_AUDIT; records without a point (sign-ins) only platform admins."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import ROLE_PERMS, Perm
from pvz.accounts.selectors import perms_at_point
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError
from pvz.core.phone import normalize_phone
from pvz.network.models import PickupPoint

PAGE_SIZE_MAX = 200


@dataclass(frozen=True)
class AuditFilters:
    """Dates are whole days in `tz` (the point's zone), both ends included."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    action: str = ""
    actor_phone: str = ""
    object_id: str = ""
    point_id: int | None = None
    tz: zoneinfo.ZoneInfo | None = None


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    # Pass as `before` for the next (older) page; None on the last page.
    next_before: int | None


def audit_sees_everything(*, user: User) -> bool:
    return Perm.VIEW_AUDIT in perms_at_point(user=user, point=None)


def audit_points(*, user: User) -> QuerySet[PickupPoint]:
    """The points whose records `user` may read."""
    if not user.is_authenticated or not user.is_active:
        return PickupPoint.objects.none()
    if audit_sees_everything(user=user):
        return PickupPoint.objects.all()
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.VIEW_AUDIT in perms]
    point_ids = Membership.objects.filter(user=user, is_active=True, role__in=roles).values("point_id")
    return PickupPoint.objects.filter(pk__in=point_ids)


def _phone_or_raw(value: str) -> str:
    try:
        return normalize_phone(value)
    except DomainError:  # not a phone: match it as typed rather than fail the whole page
        return value.strip()


def audit_records(*, user: User, filters: AuditFilters) -> QuerySet[AuditRecord]:
    """Visible records matching `filters`, newest first."""
    records = AuditRecord.objects.select_related("point").order_by("-seq")
    if not audit_sees_everything(user=user):
        records = records.filter(point__in=audit_points(user=user))
    if filters.point_id is not None:
        records = records.filter(point_id=filters.point_id)
    tz = filters.tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if filters.date_from is not None:
        records = records.filter(at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=tz))
    if filters.date_to is not None:
        next_day = filters.date_to + dt.timedelta(days=1)
        records = records.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=tz))
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.actor_phone:
        records = records.filter(actor_phone=_phone_or_raw(filters.actor_phone))
    if filters.object_id:
        records = records.filter(object_id=filters.object_id.strip())
    return records


def audit_page(*, user: User, filters: AuditFilters, before: int | None, limit: int) -> AuditPage:
    """One page of `audit_records`, keyset-paginated by seq (older than `before`)."""
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    records = audit_records(user=user, filters=filters)
    if before is not None:
        records = records.filter(seq__lt=before)
    rows = list(records[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(records=rows, next_before=rows[-1].seq if more else None)


def audit_rows_for_export(*, user: User, filters: AuditFilters) -> Iterator[AuditRecord]:
    return audit_records(user=user, filters=filters).iterator(chunk_size=1000)
