"""«Закрытие точки»: start closing (reason, planned date), see what must still leave with links to the
screens that move it, and complete once the point is empty. Managers see the page; only the owner or a
platform admin may start, cancel or complete (the service refuses anyone else with 403)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.closing.selectors import closed_points_summary, point_leftovers, point_may_close
from pvz.closing.services import point_close_cancel, point_close_complete, point_close_start
from pvz.core.errors import DomainError
from pvz.network.models import PickupPoint
from pvz.web.closing.forms import CloseStartForm
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm, require_sign_in

PAGE = "web/closing/page.html"


def _page(
    request: PointRequest,
    point: PickupPoint,
    *,
    form: CloseStartForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "point": point,
        "leftovers": point_leftovers(point=point),
        "may_close": point_may_close(user=request.user, point=point),
        "form": form or CloseStartForm(),
        "error": error,
    }
    return render(request, PAGE, context, status=status)


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def closing(request: AtPointRequest) -> HttpResponse:
    return _page(request, request.point)


@require_point_perm(Perm.CLOSE_POINT)
@require_POST
def closing_start(request: AtPointRequest) -> HttpResponse:
    form = CloseStartForm(request.POST)
    if not form.is_valid():
        return _page(request, request.point, form=form, status=422)
    try:
        point_close_start(
            actor=request.user,
            point=request.point,
            reason=form.cleaned_data["reason"],
            planned_on=form.cleaned_data["planned_on"],
        )
    except DomainError as exc:
        return _page(request, request.point, form=form, error=exc, status=exc.http_status)
    return redirect("web:closing")


@require_point_perm(Perm.CLOSE_POINT)
@require_POST
def closing_cancel(request: AtPointRequest) -> HttpResponse:
    try:
        point_close_cancel(actor=request.user, point=request.point)
    except DomainError as exc:
        return _page(request, request.point, error=exc, status=exc.http_status)
    return redirect("web:closing")


@require_point_perm(Perm.CLOSE_POINT)
@require_POST
def closing_complete(request: AtPointRequest) -> HttpResponse:
    """On success the point is closed, so it is no longer anyone's current point: the answer is the page
    once more, saying so, with a link to choose another point."""
    try:
        closed = point_close_complete(actor=request.user, point=request.point)
    except DomainError as exc:
        return _page(request, request.point, error=exc, status=exc.http_status)
    return render(request, "web/closing/closed.html", {"point": closed})


@require_sign_in
@require_GET
def closed_points(request: PointRequest) -> HttpResponse:
    """«Закрытые точки»: the caller's closed points (all of them for platform admins) with the statistics
    kept after closing; no point needs to be chosen, since a closed point cannot be."""
    summaries = closed_points_summary(user=request.user)
    return render(request, "web/closing/history.html", {"summaries": summaries})
