"""«Инвентаризация»: start a count, the scan screen built for a scanner, the finish with the missing list,
the printable report.

Views parse the request, call one inventory selector or service and render; every rule lives in
`pvz.inventory`. A count of another point (even one the user also works at) is a 404. Operators scan in a
running count; starting, finishing, cancelling and the report need *manage point*. Each scan carries a
client UUID that the service takes as its idempotency key, so a resent scan never acts twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.inventory import selectors, services
from pvz.inventory.models import CountStatus, InventoryCount, ScanOutcome, UnknownReason
from pvz.inventory.selectors import CountProgress
from pvz.inventory.services import ScanAnswer
from pvz.network.models import Cell
from pvz.shipments.statuses import Status
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import ScanForm, answer_status, scan_response, unreadable

HOME = "web/inventory/home.html"
SCREEN = "web/inventory/screen.html"
ANSWER = "web/inventory/answer.html"
FINISH = "web/inventory/finish.html"
REPORT = "web/inventory/report.html"


class StartForm(forms.Form):
    zone = forms.CharField(max_length=2, required=False)


@dataclass(frozen=True)
class Answer:
    """What the answer panel shows: the scan's outcome and the operator's current cell, or a refusal."""

    cell: Cell | None
    progress: CountProgress
    result: ScanAnswer | None = None
    error: DomainError | None = None
    raw: str = ""

    @property
    def kind(self) -> str:
        return str(self.result.outcome) if self.result is not None else "error"

    @property
    def sound(self) -> str:
        """Which sound scanner.js plays: on its place, a neutral repeat or a cell, put aside, refused."""
        if self.result is None:
            return "error"
        scan = self.result.scan
        if scan.outcome == ScanOutcome.FOUND:
            return "ok"
        if scan.outcome in (ScanOutcome.CELL, ScanOutcome.REPEAT):
            return "prompt"
        if scan.outcome == ScanOutcome.MISPLACED:
            return "warning" if scan.moved else "error"
        return "error" if scan.reason == UnknownReason.NOT_FOUND else "warning"

    @property
    def http_status(self) -> int:
        return answer_status(self)

    @property
    def status_label(self) -> str:
        status = self.result.scan.shipment_status if self.result is not None else ""
        return str(Status(status).label) if status else ""


def _count(request: PointRequest, count_id: int) -> InventoryCount:
    try:
        return selectors.count_get(user=request.user, count_id=count_id, point=request.point)
    except NotFound:
        raise Http404 from None


def _home_context(request: AtPointRequest, error: DomainError | None = None) -> dict[str, Any]:
    return {
        "open_count": selectors.count_open_of_point(point=request.point),
        "zones": selectors.zones_of_point(point=request.point),
        "counts": selectors.counts_of_point(point=request.point, limit=20),
        "can_manage": Perm.MANAGE_POINT in request.point_perms,
        "error": error,
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def inventory_home(request: AtPointRequest) -> HttpResponse:
    return render(request, HOME, _home_context(request))


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def inventory_start(request: AtPointRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        error = DomainError(_("Выберите зону из списка или всю точку."), details={"field": "zone"})
        return render(request, HOME, _home_context(request, error), status=error.http_status)
    try:
        count = services.inventory_start(
            actor=request.user, point=request.point, zone=form.cleaned_data["zone"]
        )
    except DomainError as exc:
        return render(request, HOME, _home_context(request, exc), status=exc.http_status)
    return redirect("web:inventory_screen", count_id=count.pk)


def _screen_context(request: PointRequest, count: InventoryCount, answer: Answer | None) -> dict[str, Any]:
    return {
        "count": count,
        "answer": answer,
        "cell": answer.cell
        if answer is not None
        else selectors.current_cell(count=count, operator=request.user),
        "progress": answer.progress if answer is not None else selectors.count_progress(count=count),
        "can_manage": Perm.MANAGE_POINT in request.point_perms,
        # Without JavaScript the form posts as it is, so the page carries a fresh key for that one scan.
        "scan_id": uuid.uuid4(),
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def inventory_screen(request: AtPointRequest, count_id: int) -> HttpResponse:
    count = _count(request, count_id)
    if count.status != CountStatus.OPEN:
        if count.status == CountStatus.FINISHED and Perm.MANAGE_POINT in request.point_perms:
            return redirect("web:inventory_report", count_id=count.pk)
        return redirect("web:inventory_home")
    return render(request, SCREEN, _screen_context(request, count, None))


@require_point_perm(Perm.OPERATE)
@require_POST
def inventory_scan(request: AtPointRequest, count_id: int) -> HttpResponse:
    count = _count(request, count_id)
    form = ScanForm(request.POST)
    raw = request.POST.get("code", "")
    try:
        if not form.is_valid():
            raise unreadable(form)
        result = services.inventory_scan(
            actor=request.user,
            count=count,
            code=form.cleaned_data["code"],
            scan_id=form.cleaned_data["scan_id"],
        )
        answer = Answer(cell=result.cell, progress=result.progress, result=result, raw=raw)
    except DomainError as exc:
        answer = Answer(
            cell=selectors.current_cell(count=count, operator=request.user),
            progress=selectors.count_progress(count=count),
            error=exc,
            raw=raw,
        )
    return scan_response(
        request,
        answer,
        partial=ANSWER,
        page=SCREEN,
        page_context=lambda: _screen_context(request, count, answer),
        partial_context={"count": count, "cell": answer.cell, "progress": answer.progress},
    )


@require_point_perm(Perm.MANAGE_POINT)
def inventory_finish(request: AtPointRequest, count_id: int) -> HttpResponse:
    """GET: the missing list, a checkbox per parcel to write off as LOST; POST: finish, then the report."""
    count = _count(request, count_id)
    if count.status == CountStatus.FINISHED:
        return redirect("web:inventory_report", count_id=count.pk)
    error: DomainError | None = None
    confirmed: set[int] = set()
    if request.method == "POST":
        try:
            confirmed = {int(value) for value in request.POST.getlist("confirmed")}
        except ValueError:
            error = DomainError(details={"field": "confirmed"})
        if error is None:
            try:
                services.inventory_finish(actor=request.user, count=count, confirmed_missing_ids=confirmed)
            except DomainError as exc:
                error = exc
            else:
                return redirect("web:inventory_report", count_id=count.pk)
    elif request.method != "GET":
        return HttpResponse(status=405)
    if count.status != CountStatus.OPEN and error is None:
        error = DomainError(
            _("Эта инвентаризация отменена: завершать нечего."), code=ErrorCode.INVENTORY_CLOSED
        )
    context = {
        "count": count,
        "missing": selectors.missing_parcels(count=count) if count.status == CountStatus.OPEN else [],
        "progress": selectors.count_progress(count=count),
        "confirmed": confirmed,
        "error": error,
    }
    return render(request, FINISH, context, status=error.http_status if error is not None else 200)


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def inventory_cancel(request: AtPointRequest, count_id: int) -> HttpResponse:
    count = _count(request, count_id)
    try:
        services.inventory_cancel(actor=request.user, count=count)
    except DomainError as exc:
        return render(request, HOME, _home_context(request, exc), status=exc.http_status)
    return redirect("web:inventory_home")


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def inventory_report(request: AtPointRequest, count_id: int) -> HttpResponse:
    count = _count(request, count_id)
    try:
        report = selectors.count_report(count=count)
    except DomainError as exc:
        return render(request, REPORT, {"error": exc, "count": count}, status=exc.http_status)
    return render(request, REPORT, {"report": report, "count": count, "tz": count.point.tz})
