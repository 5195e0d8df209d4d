"""The shipment card: everything about one parcel at the current point, with its full history."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from pvz.accounts.roles import Perm
from pvz.core.errors import NotFound
from pvz.shipments.selectors import shipment_get, shipment_history
from pvz.shipments.statuses import Status, allowed_next
from pvz.web.permissions import PointRequest, require_point_perm


@require_point_perm(Perm.VIEW_POINT)
def shipment_card(request: PointRequest, shipment_id: int) -> HttpResponse:
    assert request.point is not None  # guaranteed by require_point_perm
    try:
        # A card belongs to the point being worked at, even when the user also works at the parcel's point.
        shipment = shipment_get(user=request.user, shipment_id=shipment_id, point=request.point)
    except NotFound:
        raise Http404 from None
    order = list(Status)
    context = {
        "shipment": shipment,
        "customer": shipment.order.customer,
        "history": shipment_history(shipment=shipment),
        "next_statuses": sorted(allowed_next(shipment.status), key=order.index),
    }
    return render(request, "web/shipment.html", context)
