"""The point's home page: today's workload, kept current over a websocket."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.backups.selectors import backup_state
from pvz.shipments.selectors import point_dashboard_counts
from pvz.web.permissions import AtPointRequest, require_point_perm


@require_point_perm(Perm.VIEW_POINT)
def dashboard(request: AtPointRequest) -> HttpResponse:
    counts = point_dashboard_counts(point=request.point)
    context: dict[str, object] = {"counts": counts}
    # Owners (and platform admins) answer for the data: they see when it was last saved.
    if user_can(user=request.user, perm=Perm.VIEW_AUDIT, point=request.point):
        context["backups"] = backup_state()
    return render(request, "web/home/dashboard.html", context)
