"""The global scan box: whatever was scanned, open the page of what it is at this point."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pvz.accounts.roles import Perm
from pvz.scanning.selectors import ScanTarget, scan_resolve
from pvz.web.permissions import AtPointRequest, require_point_perm
from pvz.web.scan.forms import ScanForm


@require_point_perm(Perm.VIEW_POINT)
@require_GET
def scan(request: AtPointRequest) -> HttpResponse:
    form = ScanForm(request.GET)
    if not form.is_valid():
        return redirect("web:search")
    result = scan_resolve(user=request.user, point=request.point, raw=form.cleaned_data["code"])
    if result.shipment is not None:
        return redirect("web:shipment", shipment_id=result.shipment.pk)
    status = 404 if result.target is ScanTarget.NOT_FOUND else 200
    return render(request, f"web/scan/{result.target}.html", {"result": result}, status=status)
