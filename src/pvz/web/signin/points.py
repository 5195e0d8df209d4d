"""Choosing the point to work at, and switching to another one without signing out."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from pvz.accounts.selectors import points_for_user
from pvz.web.middleware import POINT_SESSION_KEY
from pvz.web.permissions import PointRequest, require_sign_in
from pvz.web.signin.forms import PointChoiceForm


@require_sign_in
@require_http_methods(["GET", "POST"])
def pick_point(request: PointRequest) -> HttpResponse:
    points = points_for_user(user=request.user)
    if request.method == "POST":
        form = PointChoiceForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest()
        point = points.filter(pk=form.cleaned_data["point_id"]).first()
        if point is None:
            raise Http404
        request.session[POINT_SESSION_KEY] = point.pk
        next_url = form.cleaned_data["next"]
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("web:dashboard")
    return render(
        request, "web/signin/pick_point.html", {"points": points, "next": request.GET.get("next", "")}
    )
