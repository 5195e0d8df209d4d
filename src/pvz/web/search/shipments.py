"""The shipment card: everything about one parcel at the current point, with its full history; and the
storage extension (продление) offered on it."""

from __future__ import annotations

import uuid

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipment_get, shipment_history
from pvz.shipments.services import EXTENSION_DAYS_MAX, EXTENSION_DAYS_MIN, shipment_extend_storage
from pvz.shipments.statuses import Status, allowed_next
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm


class ExtendForm(forms.Form):
    # The range is checked by the service, so a refusal reads the same here and in the API.
    days = forms.IntegerField()
    key = forms.UUIDField()


def _shipment_here(request: PointRequest, shipment_id: int) -> Shipment:
    try:
        # A card belongs to the point being worked at, even when the user also works at the parcel's point.
        return shipment_get(user=request.user, shipment_id=shipment_id, point=request.point)
    except NotFound:
        raise Http404 from None


def _can_extend(request: PointRequest, shipment: Shipment) -> bool:
    return (
        Perm.OPERATE in request.point_perms
        and shipment.status == Status.STORED
        and shipment.storage_extended_at is None
        and shipment.storage_deadline is not None
        and clock.now() <= shipment.storage_deadline
    )


def _card(request: PointRequest, shipment: Shipment, *, error: DomainError | None = None) -> HttpResponse:
    order = list(Status)
    context = {
        "shipment": shipment,
        "customer": shipment.order.customer,
        "history": shipment_history(shipment=shipment),
        "next_statuses": sorted(allowed_next(shipment.status), key=order.index),
        "can_extend": _can_extend(request, shipment),
        "extension_days": range(EXTENSION_DAYS_MIN, EXTENSION_DAYS_MAX + 1),
        # One key per rendered form: a double click or a resent form extends once.
        "extension_key": uuid.uuid4(),
        "error": error,
    }
    return render(request, "web/search/shipment.html", context, status=error.http_status if error else 200)


@require_point_perm(Perm.VIEW_POINT)
def shipment_card(request: AtPointRequest, shipment_id: int) -> HttpResponse:
    return _card(request, _shipment_here(request, shipment_id))


@require_point_perm(Perm.OPERATE)
@require_POST
def shipment_extend(request: AtPointRequest, shipment_id: int) -> HttpResponse:
    shipment = _shipment_here(request, shipment_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        error = DomainError(details=form.errors.get_json_data())
        return _card(request, shipment, error=error)
    try:
        shipment_extend_storage(
            actor=request.user,
            shipment=shipment,
            days=form.cleaned_data["days"],
            key=f"web-extend:{form.cleaned_data['key']}",
        )
    except DomainError as exc:
        return _card(request, _shipment_here(request, shipment_id), error=exc)
    return redirect("web:shipment", shipment_id=shipment.pk)
