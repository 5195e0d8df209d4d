"""«Выдача», a line's buttons on the session screen: inspect, try on, take, refuse (with a reason), the ID
check (document type and 4 digits) and the payment (card reference or cash, change shown); and the bags
the customer took."""

from __future__ import annotations

import decimal
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError
from pvz.counter import services
from pvz.counter.models import IdDocument, IssueSession, PaymentMethod
from pvz.web.counter.screen import (
    ActionForm,
    page_error,
    point_session,
    write_once,
)
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import form_error, valid_data


class RefuseForm(ActionForm):
    reason_id = forms.IntegerField(min_value=1)
    note = forms.CharField(max_length=500, required=False)


class IdCheckForm(ActionForm):
    document = forms.ChoiceField(choices=IdDocument.choices)
    last4 = forms.RegexField(regex=r"^\d{4}$")


class PaymentForm(ActionForm):
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=64, required=False)
    cash = forms.CharField(max_length=20, required=False)  # roubles as typed: "1500", "1 500,50"

    def cash_kop(self) -> int | None:
        raw = self.cleaned_data["cash"].replace(" ", "").replace("\xa0", "").replace(",", ".")
        if not raw:
            return None
        try:
            value = decimal.Decimal(raw)
        except decimal.InvalidOperation:
            raise DomainError(_("Введите полученную сумму в рублях."), details={"field": "cash"}) from None
        if value < 0 or value != value.quantize(decimal.Decimal("0.01")):
            raise DomainError(_("Введите полученную сумму в рублях."), details={"field": "cash"})
        return int(value * 100)


class BagsForm(ActionForm):
    count = forms.IntegerField(min_value=0, max_value=services.MAX_BAGS)


# ---- per line -------------------------------------------------------------------------------------------


def _line_write(request: PointRequest, session: IssueSession, line_id: int, action: str) -> dict[str, Any]:
    """The line action `action` with the posted fields; returns a JSON-native summary."""
    actor = request.user
    if action == "inspect":
        services.line_inspect(actor=actor, session=session, line_id=line_id)
    elif action == "try-on":
        services.line_try_on(actor=actor, session=session, line_id=line_id)
    elif action == "take":
        services.line_take(actor=actor, session=session, line_id=line_id)
    elif action == "refuse":
        data = valid_data(RefuseForm(request.POST))
        services.line_refuse(
            actor=actor, session=session, line_id=line_id, reason_id=data["reason_id"], note=data["note"]
        )
    elif action == "id-check":
        data = valid_data(IdCheckForm(request.POST))
        services.line_record_id_check(
            actor=actor, session=session, line_id=line_id, document=data["document"], last4=data["last4"]
        )
    elif action == "payment":
        payment = PaymentForm(request.POST)
        data = valid_data(payment)
        record = services.line_record_payment(
            actor=actor,
            session=session,
            line_id=line_id,
            method=data["method"],
            reference=data["reference"],
            cash_kop=payment.cash_kop(),
        )
        return {"change_kop": record.change_kop}
    else:
        raise Http404
    return {}


LINE_ACTIONS = ("inspect", "try-on", "take", "refuse", "id-check", "payment")


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_line(request: AtPointRequest, session_id: int, line_id: int, action: str) -> HttpResponse:
    """A line's buttons: inspect, try on, take, refuse (reason), ID check (type + 4 digits), payment."""
    if action not in LINE_ACTIONS:
        raise Http404
    session = point_session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return page_error(request, session, form_error(form), "line_error")
    payload = "&".join(
        f"{k}={v}" for k, v in sorted(request.POST.items()) if k not in ("action_id", "csrfmiddlewaretoken")
    )
    try:
        body = write_once(
            request,
            str(form.cleaned_data["action_id"]),
            f"{line_id}:{action}:{payload}",
            lambda: _line_write(request, session, line_id, action),
        )
    except DomainError as exc:
        return page_error(request, session, exc, "line_error")
    url = reverse("web:issue_session", args=[session.pk])
    if body.get("change_kop"):
        return redirect(f"{url}?change={body['change_kop']}")
    return redirect(url)


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_bags(request: AtPointRequest, session_id: int) -> HttpResponse:
    session = point_session(request, session_id)
    form = BagsForm(request.POST)
    if not form.is_valid():
        return page_error(request, session, form_error(form), "line_error")
    count = form.cleaned_data["count"]

    def run() -> dict[str, Any]:
        services.session_set_bags(actor=request.user, session=session, count=count)
        return {}

    try:
        write_once(request, str(form.cleaned_data["action_id"]), str(count), run)
    except DomainError as exc:
        return page_error(request, session, exc, "line_error")
    return redirect("web:issue_session", session_id=session.pk)
