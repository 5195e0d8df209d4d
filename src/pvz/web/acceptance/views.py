"""«Приёмка» before the scanning: the point's planned carriages (found by a scanned code too), and a
carriage's page with its arrival, its ETA and the start of its acceptance.

Views parse the request, call one inbound selector or service and render; every rule lives in
`pvz.inbound`. A carriage of another point (even one the user also works at) is a 404, so a page left
open after switching points cannot act on the wrong point.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.inbound import selectors, services
from pvz.inbound.models import AcceptanceStatus, Carriage
from pvz.web.permissions import AtPointRequest, require_point_perm
from pvz.web.scanner import at_this_point

LIST = "web/acceptance/list.html"
CARRIAGE = "web/acceptance/carriage.html"


# ---- forms ----------------------------------------------------------------------------------------------


class CarriageCodeForm(forms.Form):
    code = forms.CharField(max_length=100, strip=True)


class ArrivalForm(forms.Form):
    driver_name = forms.CharField(label=_("Водитель"), max_length=300, required=False)
    vehicle_plate = forms.CharField(label=_("Номер машины"), max_length=30, required=False)
    seal_numbers = forms.CharField(
        label=_("Пломбы"),
        max_length=400,
        required=False,
        help_text=_("Через пробел или запятую"),
    )

    def seals(self) -> list[str]:
        seals: str = self.cleaned_data["seal_numbers"]
        return seals.replace(",", " ").replace(";", " ").split()


class EtaForm(forms.Form):
    eta = forms.DateTimeField(
        label=_("Новое время прибытия"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


# ---- access ---------------------------------------------------------------------------------------------


def _carriage(request: AtPointRequest, carriage_id: int) -> Carriage:
    return at_this_point(
        request,
        lambda: selectors.carriage_get(user=request.user, carriage_id=carriage_id),
        lambda found: found.point_id,
    )


def point_tz(request: AtPointRequest) -> ZoneInfo:
    return request.point.tz


# ---- the section page: planned carriages ----------------------------------------------------------------


def _list_context(
    request: AtPointRequest, *, code: str = "", error: DomainError | None = None
) -> dict[str, Any]:
    return {
        "rows": selectors.carriages_planned(point=request.point, now=clock.now()),
        "totes": selectors.tote_balance(point=request.point),
        "code": code,
        "error": error,
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def acceptance_list(request: AtPointRequest) -> HttpResponse:
    return render(request, LIST, _list_context(request))


@require_point_perm(Perm.OPERATE)
@require_GET
def acceptance_find(request: AtPointRequest) -> HttpResponse:
    """The list's scan field: a carriage code (any keyboard layout) opens that carriage."""
    form = CarriageCodeForm(request.GET)
    if not form.is_valid():
        return redirect("web:acceptance_list")
    code = form.cleaned_data["code"]
    try:
        carriage = selectors.carriage_find(user=request.user, point=request.point, code=code)
    except DomainError as exc:
        return render(request, LIST, _list_context(request, code=code, error=exc), status=exc.http_status)
    return redirect("web:acceptance_carriage", carriage_id=carriage.pk)


# ---- the carriage page: arrival, ETA, start -----------------------------------------------------------


def _carriage_context(
    request: AtPointRequest,
    carriage: Carriage,
    *,
    arrival: ArrivalForm | None = None,
    eta: EtaForm | None = None,
    error: DomainError | None = None,
    eta_error: DomainError | None = None,
) -> dict[str, Any]:
    acceptances = list(carriage.acceptances.order_by("-opened_at", "-id"))
    local_eta = carriage.eta.astimezone(point_tz(request)).replace(tzinfo=None) if carriage.eta else None
    return {
        "carriage": carriage,
        "open_acceptance": next((a for a in acceptances if a.status == AcceptanceStatus.OPEN), None),
        "closed_acceptance": next((a for a in acceptances if a.status == AcceptanceStatus.CLOSED), None),
        "arrival_form": arrival
        or ArrivalForm(
            initial={
                "driver_name": carriage.driver_name,
                "vehicle_plate": carriage.vehicle_plate,
                "seal_numbers": " ".join(carriage.seal_numbers),
            }
        ),
        "eta_form": eta or EtaForm(initial={"eta": local_eta}),
        "can_manage": Perm.MANAGE_POINT in request.point_perms,
        "error": error,
        "eta_error": eta_error,
        "action_id": uuid.uuid4(),
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def carriage_page(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    return render(request, CARRIAGE, _carriage_context(request, carriage))


@require_point_perm(Perm.OPERATE)
@require_POST
def carriage_arrival(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    form = ArrivalForm(request.POST)
    if form.is_valid():
        try:
            services.carriage_register_arrival(
                actor=request.user,
                carriage=carriage,
                driver_name=form.cleaned_data["driver_name"],
                vehicle_plate=form.cleaned_data["vehicle_plate"],
                seal_numbers=form.seals(),
            )
        except DomainError as exc:
            context = _carriage_context(request, carriage, arrival=form, error=exc)
            return render(request, CARRIAGE, context, status=exc.http_status)
        return redirect("web:acceptance_carriage", carriage_id=carriage.pk)
    error = DomainError(details={"fields": {name: errs[0] for name, errs in form.errors.items()}})
    return render(
        request, CARRIAGE, _carriage_context(request, carriage, arrival=form, error=error), status=422
    )


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def carriage_eta(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    form = EtaForm(request.POST)
    if form.is_valid():
        # The manager types the point's wall-clock time, whatever the browser's own timezone is.
        eta: dt.datetime = form.cleaned_data["eta"].replace(tzinfo=point_tz(request))
        try:
            services.carriage_eta_update(actor=request.user, carriage=carriage, eta=eta)
        except DomainError as exc:
            context = _carriage_context(request, carriage, eta=form, eta_error=exc)
            return render(request, CARRIAGE, context, status=exc.http_status)
        return redirect("web:acceptance_carriage", carriage_id=carriage.pk)
    error = DomainError(_("Укажите дату и время прибытия."), details={"field": "eta"})
    return render(
        request, CARRIAGE, _carriage_context(request, carriage, eta=form, eta_error=error), status=422
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def acceptance_start(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    """«Начать приёмку»: opens the carriage's acceptance, or joins the one already open."""
    carriage = _carriage(request, carriage_id)
    try:
        acceptance = services.acceptance_open(actor=request.user, carriage=carriage)
    except DomainError as exc:
        return render(
            request, CARRIAGE, _carriage_context(request, carriage, error=exc), status=exc.http_status
        )
    return redirect("web:acceptance_screen", acceptance_id=acceptance.pk)
