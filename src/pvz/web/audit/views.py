"""«Журнал»: the audit log of the caller's points, filtered, paginated by seq, exported as CSV."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pvz.accounts.roles import Perm
from pvz.audit.models import AuditRecord
from pvz.audit.services import audit_record
from pvz.staff.audit_log import AuditFilters, audit_page, audit_rows_for_export
from pvz.web.audit.forms import AuditFilterForm
from pvz.web.permissions import AtPointRequest, require_point_perm

PAGE_SIZE = 50
CSV_HEADER = (
    "seq",
    "at",
    "action",
    "actor_phone",
    "ip",
    "user_agent",
    "point",
    "object_type",
    "object_id",
    "details",
    "hash",
)
# A cell starting with one of these is a formula to a spreadsheet; a plain +7… phone is not.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE = re.compile(r"\+\d{1,15}")


def _filters(request: AtPointRequest) -> tuple[AuditFilterForm, AuditFilters | None]:
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    if not request.GET:
        form.is_valid()  # an empty form: no filters, the current point
        return form, AuditFilters(point_id=request.point.pk, tz=request.point.tz)
    return form, form.filters(point=request.point)


@require_point_perm(Perm.VIEW_AUDIT)
@require_GET
def audit_list(request: AtPointRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = None
    if filters is not None:
        before = request.GET.get("before", "")
        page = audit_page(
            user=request.user,
            filters=filters,
            before=int(before) if before.isdigit() else None,
            limit=PAGE_SIZE,
        )
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "web/audit/list.html", {"form": form, "page": page, "query": query.urlencode()})


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PHONE.fullmatch(text):
        return "'" + text
    return text


def _csv_row(record: AuditRecord) -> list[str]:
    point = record.point  # selected with the record
    at = record.at.astimezone(point.tz) if point is not None else record.at
    return [
        _cell(value)
        for value in (
            record.seq,
            at.isoformat(),
            record.action,
            record.actor_phone,
            record.ip,
            record.user_agent,
            point.name if point is not None else "",
            record.object_type,
            record.object_id,
            json.dumps(record.details, ensure_ascii=False, sort_keys=True),
            record.hash,
        )
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[AuditRecord]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)  # the BOM makes Excel read the file as UTF-8
    for record in rows:
        yield writer.writerow(_csv_row(record))


@require_point_perm(Perm.VIEW_AUDIT)
@require_GET
def audit_export(request: AtPointRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return render(request, "web/audit/list.html", {"form": form, "page": None, "query": ""}, status=400)
    audit_record(
        action="export.csv",
        object_type="audit",
        details={"filters": {name: value for name, value in request.GET.items() if value}},
    )
    response = StreamingHttpResponse(
        _csv_lines(audit_rows_for_export(user=request.user, filters=filters)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response  # type: ignore[return-value]  # the permission decorator's View type names HttpResponse
