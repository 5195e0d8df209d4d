"""«Возвраты»: accepting a parcel back from a customer, scanner first and usable on a 360 px phone.

Scan the customer's pickup code or QR (or search and verify by SMS) → the customer's issued parcels with
"returnable until" → scan the parcel → reason, condition, note, photos (camera or upload) → confirm → the
return page with the label to print and the return zone the parcel goes to. Every rule lives in
`pvz.returns`; writes carry a per-form UUID kept with its answer by `core.idempotency`, so a resent form
never acts twice. Another point's visit, return or photo is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.core.phone import phone_masked
from pvz.counter.identify import customer_search
from pvz.returns import selectors, services, verification
from pvz.returns.labels import return_label_pdf
from pvz.returns.models import CustomerReturn, ReturnCondition, ReturnVisit
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import at_this_point, form_error, valid_data, write_once
from pvz.web.security import private_photo_response

HOME = "web/returns/home.html"
VISIT = "web/returns/visit.html"
FORM = "web/returns/form.html"
DONE = "web/returns/done.html"


class ScanForm(forms.Form):
    code = forms.CharField(max_length=200)
    action_id = forms.UUIDField()


class OpenForm(forms.Form):
    customer_id = forms.IntegerField(min_value=1)
    action_id = forms.UUIDField()


class SmsForm(forms.Form):
    action_id = forms.UUIDField()
    code = forms.CharField(max_length=20, required=False)


class ReturnForm(forms.Form):
    action_id = forms.UUIDField()
    code = forms.CharField(max_length=200)
    reason_id = forms.IntegerField(min_value=1)
    condition = forms.ChoiceField(choices=ReturnCondition.choices)
    note = forms.CharField(max_length=services.NOTE_MAX, required=False)


def _once(request: PointRequest, key: str, payload: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return write_once(request, "return", key, payload, lambda: (200, run()))


def _visit(request: AtPointRequest, visit_id: int) -> ReturnVisit:
    return at_this_point(
        request,
        lambda: selectors.visit_get(user=request.user, visit_id=visit_id),
        lambda found: found.point_id,
    )


def _return(request: AtPointRequest, return_id: int) -> CustomerReturn:
    return at_this_point(
        request,
        lambda: selectors.customer_return_get(user=request.user, return_id=return_id),
        lambda found: found.point_id,
    )


# ---- the start page: identify the customer --------------------------------------------------------------


def _home(request: PointRequest, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"action_id": uuid.uuid4(), **extra}
    return render(request, HOME, context, status=status)


@require_point_perm(Perm.OPERATE)
@require_GET
def returns_home(request: AtPointRequest) -> HttpResponse:
    """The start page; `?q=` searches customers by order, posting number, barcode or phone."""
    query = request.GET.get("q", "").strip()[:100]
    if not query:
        return _home(request)
    try:
        hits = customer_search(point=request.point, query=query)
    except DomainError as exc:
        return _home(request, exc.http_status, q=query, search_error=exc)
    rows = [
        {"hit": hit, "phone": phone_masked(hit.customer.phone), "action_id": uuid.uuid4()} for hit in hits
    ]
    return _home(request, q=query, hits=rows, searched=True)


def _visit_open(
    request: AtPointRequest, form: ScanForm | OpenForm, payload: str, open_visit: Callable[[], ReturnVisit]
) -> HttpResponse:
    """Open a visit once per form key (`payload`: what the form names); a refusal shows the start page."""
    try:
        body = _once(
            request, str(form.cleaned_data["action_id"]), payload, lambda: {"visit": open_visit().pk}
        )
    except DomainError as exc:
        return _home(request, exc.http_status, error=exc)
    return redirect("web:returns_visit", visit_id=body["visit"])


@require_point_perm(Perm.OPERATE)
@require_POST
def returns_identify(request: AtPointRequest) -> HttpResponse:
    """The customer's pickup code or QR scanned: a verified return visit."""
    point = request.point
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _home(request, 422, error=form_error(form))
    code = form.cleaned_data["code"]
    return _visit_open(
        request, form, code, lambda: services.return_visit_open(actor=request.user, point=point, code=code)
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def returns_open(request: AtPointRequest) -> HttpResponse:
    """«Открыть» on a search hit: an unverified visit, verified next by an SMS code."""
    point = request.point
    form = OpenForm(request.POST)
    if not form.is_valid():
        return _home(request, 422, error=form_error(form))
    customer_id = form.cleaned_data["customer_id"]
    return _visit_open(
        request,
        form,
        str(customer_id),
        lambda: services.return_visit_open(actor=request.user, point=point, customer_id=customer_id),
    )


# ---- the visit: verify, list the parcels, scan one ------------------------------------------------------


def _visit_page(request: PointRequest, visit: ReturnVisit, status: int = 200, **extra: Any) -> HttpResponse:
    rows = selectors.returnable_parcels(point=visit.point, customer=visit.customer, now=clock.now())
    context = {
        "visit": visit,
        "phone": phone_masked(visit.customer.phone),
        "rows": rows if visit.is_verified else [],
        "action_id": uuid.uuid4(),
        **extra,
    }
    return render(request, VISIT, context, status=status)


@require_point_perm(Perm.OPERATE)
@require_GET
def returns_visit(request: AtPointRequest, visit_id: int) -> HttpResponse:
    return _visit_page(request, _visit(request, visit_id))


@require_point_perm(Perm.OPERATE)
@require_POST
def returns_sms_send(request: AtPointRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    form = SmsForm(request.POST)
    if not form.is_valid():
        return _visit_page(request, visit, 422, sms_error=form_error(form))
    try:
        _once(
            request,
            str(form.cleaned_data["action_id"]),
            f"send:{visit.pk}",
            lambda: {"sent": verification.return_sms_code_send(actor=request.user, visit=visit).pk},
        )
    except DomainError as exc:
        return _visit_page(request, visit, exc.http_status, sms_error=exc)
    return _visit_page(request, visit, sms_sent=True)


@require_point_perm(Perm.OPERATE)
@require_POST
def returns_sms_verify(request: AtPointRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    form = SmsForm(request.POST)
    if not form.is_valid():
        return _visit_page(request, visit, 422, sms_error=form_error(form), sms_sent=True)
    # Not through `_once`: a wrong try must stay counted, and a stored refusal would roll it back.
    refusal = verification.return_sms_code_try(
        actor=request.user, visit=visit, code=form.cleaned_data["code"]
    )
    if refusal is not None:
        return _visit_page(request, visit, refusal.http_status, sms_error=refusal, sms_sent=True)
    return redirect("web:returns_visit", visit_id=visit.pk)


@require_point_perm(Perm.OPERATE)
@require_GET
def returns_parcel(request: AtPointRequest, visit_id: int) -> HttpResponse:
    """The parcel scanned (`?code=`): the return form if this customer may return it now, else the visit
    page with the refusal. Writes nothing."""
    visit = _visit(request, visit_id)
    code = request.GET.get("code", "")[:200]
    try:
        if not code.strip():
            raise DomainError(_("Отсканируйте штрихкод или номер отправления."), details={"field": "code"})
        check = services.return_check(actor=request.user, visit=visit, code=code)
    except DomainError as exc:
        return _visit_page(request, visit, exc.http_status, scan_error=exc, code=code)
    return _form_page(request, visit, check, code)


def _form_page(
    request: PointRequest,
    visit: ReturnVisit,
    check: services.ReturnCheck,
    code: str,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "visit": visit,
        "check": check,
        "code": code,
        "reasons": selectors.return_reasons_for(partner=check.shipment.partner),
        "conditions": ReturnCondition.choices,
        "action_id": uuid.uuid4(),
        "max_photos": services.MAX_PHOTOS,
        **extra,
    }
    return render(request, FORM, context, status=status)


@require_point_perm(Perm.OPERATE)
@require_POST
def returns_create(request: AtPointRequest, visit_id: int) -> HttpResponse:
    """Confirm: the return is accepted (or refused with nothing saved) and its page opens."""
    visit = _visit(request, visit_id)
    form = ReturnForm(request.POST)
    code = request.POST.get("code", "")
    photos = request.FILES.getlist("photos")
    try:
        data = valid_data(form)
        key = str(data["action_id"])
        payload = "|".join(
            [
                code,
                str(data["reason_id"]),
                data["condition"],
                data["note"],
                *(f"{p.name}:{p.size}" for p in photos),
            ]
        )
        body = _once(
            request,
            key,
            payload,
            lambda: {
                "return": services.customer_return_create(
                    actor=request.user,
                    visit=visit,
                    code=code,
                    reason_id=data["reason_id"],
                    condition=data["condition"],
                    note=data["note"],
                    photos=photos,
                    key=f"web-return:{request.user.pk}:{key}",
                ).pk
            },
        )
    except DomainError as exc:
        try:
            check = services.return_check(actor=request.user, visit=visit, code=code)
        except DomainError:
            return _visit_page(request, visit, exc.http_status, scan_error=exc, code=code)
        return _form_page(request, visit, check, code, exc.http_status, error=exc, chosen=request.POST)
    return redirect("web:return_page", return_id=body["return"])


# ---- the accepted return: label, act, photos ------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
@require_GET
def return_page(request: AtPointRequest, return_id: int) -> HttpResponse:
    found = _return(request, return_id)
    return render(
        request, DONE, {"ret": found, "shipment": found.shipment, "photos": list(found.photos.all())}
    )


@require_point_perm(Perm.OPERATE)
@require_GET
def return_label(request: AtPointRequest, return_id: int) -> HttpResponse:
    found = _return(request, return_id)
    response = HttpResponse(return_label_pdf(customer_return=found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    return response


@require_point_perm(Perm.VIEW_POINT)
@require_GET
def return_photo(request: AtPointRequest, photo_id: int) -> HttpResponse:
    """A return photo, only to staff of the return's point (any other photo is a 404); never cached."""
    try:
        photo = selectors.return_photo_get(user=request.user, photo_id=photo_id)
    except NotFound:
        raise Http404 from None
    return private_photo_response(photo.file, photo.content_type)
