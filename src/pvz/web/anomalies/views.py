"""«Тревоги»: anomaly flags of the current point's staff, resolving them, and lifting suspensions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.anomalies.selectors import flags_at_point, may_lift_suspension, suspensions_at_point
from pvz.anomalies.services import anomaly_flag_resolve, suspension_lift
from pvz.audit.services import audit_access_denied
from pvz.core.errors import DomainError, NotFound, PermissionDenied
from pvz.web.permissions import AtPointRequest, require_point_perm


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def anomalies_list(request: AtPointRequest) -> HttpResponse:
    return render(
        request,
        "web/anomalies/list.html",
        {
            "flags": flags_at_point(point=request.point),
            "suspensions": list(suspensions_at_point(point=request.point)),
            "may_lift": may_lift_suspension(user=request.user, point=request.point),
        },
    )


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("web:anomalies"))


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def anomaly_resolve(request: AtPointRequest, flag_id: int) -> HttpResponse:
    try:
        anomaly_flag_resolve(actor=request.user, point=request.point, flag_id=flag_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Тревога закрыта."))
    return _back()


@require_point_perm(Perm.LIFT_SUSPENSION)
@require_POST
def suspension_lift_view(request: AtPointRequest, suspension_id: int) -> HttpResponse:
    """Owners of the point and platform admins; a manager gets 403, another point's suspension 404."""
    try:
        suspension_lift(actor=request.user, point=request.point, suspension_id=suspension_id)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        audit_access_denied(permission="lift_suspension", point_id=request.point.pk, path=request.path)
        raise DjangoPermissionDenied from exc
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    else:
        messages.success(request, _("Блокировка снята: сотрудник снова может работать."))
    return _back()
