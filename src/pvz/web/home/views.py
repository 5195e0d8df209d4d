"""The point's home page: today's workload, kept current over a websocket."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pvz.accounts.roles import Perm
from pvz.shipments.selectors import point_dashboard_counts
from pvz.web.permissions import AtPointRequest, require_point_perm


@require_point_perm(Perm.VIEW_POINT)
def dashboard(request: AtPointRequest) -> HttpResponse:
    counts = point_dashboard_counts(point=request.point)
    return render(request, "web/home/dashboard.html", {"counts": counts})
