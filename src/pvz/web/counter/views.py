"""«Выдача», the start page, built for a scanner: the customer's pickup code or QR opens (or joins) a
verified session; a search by order, parcel or phone opens an unverified one, which the customer verifies
with an SMS code on the session screen. The point's open sessions are listed, and the sheet of command
barcodes is printed from here.

The session screen is `counter_screen` (what it shows, and how every write answers), its scans and finish
`counter_finish`, its per-line buttons `counter_lines`. Every rule lives in `pvz.counter`; views parse, call
one service or selector and render. Every write carries a client UUID (`scan_id` or `action_id`) kept with
its answer by `core.idempotency`, so a resent scan or press never acts twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.core.phone import phone_masked
from pvz.core.printing import code128_svg, svg_inline
from pvz.counter import selectors, services, verification
from pvz.counter.commands import REFUSE_COMMANDS, CounterCommand, command_barcode
from pvz.counter.identify import SearchHit, customer_identify, customer_search
from pvz.counter.models import IssueSession
from pvz.shipments.models import Customer
from pvz.web.counter.screen import (
    ANSWER,
    ActionForm,
    Answer,
    IssueScanForm,
    error_answer,
    page_error,
    point_session,
    write_once,
)
from pvz.web.permissions import AtPointRequest, require_point_perm
from pvz.web.scanner import form_error, from_scanner

HOME = "web/counter/home.html"
SESSIONS = "web/counter/sessions.html"
COMMANDS = "web/counter/commands.html"


class OpenForm(ActionForm):
    customer_id = forms.IntegerField(min_value=1)


class CodeForm(ActionForm):
    code = forms.CharField(max_length=20)


# ---- the start page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRow:
    session: IssueSession
    phone: str
    lines: int


@dataclass(frozen=True)
class HitRow:
    hit: SearchHit
    phone: str
    action_id: uuid.UUID  # one key per «Открыть» button


def _home_context(request: AtPointRequest, **extra: Any) -> dict[str, Any]:
    sessions = [
        OpenRow(session=s, phone=phone_masked(s.customer.phone), lines=s.lines.count())
        for s in selectors.sessions_open(point=request.point)
    ]
    hits = [
        HitRow(hit=hit, phone=phone_masked(hit.customer.phone), action_id=uuid.uuid4())
        for hit in extra.pop("hits", [])
    ]
    return {"sessions": sessions, "hits": hits, "scan_id": uuid.uuid4(), "action_id": uuid.uuid4(), **extra}


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_home(request: AtPointRequest) -> HttpResponse:
    """The start page; `?q=` searches customers by order, posting number, barcode or phone."""
    query = request.GET.get("q", "").strip()[:100]
    if not query:
        return render(request, HOME, _home_context(request))
    try:
        hits = customer_search(point=request.point, query=query)
    except DomainError as exc:
        return render(
            request, HOME, _home_context(request, q=query, search_error=exc), status=exc.http_status
        )
    return render(request, HOME, _home_context(request, q=query, hits=hits, searched=True))


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_sessions(request: AtPointRequest) -> HttpResponse:
    """The open-sessions list alone, refreshed by counter.js when the point changes."""
    return render(request, SESSIONS, _home_context(request))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_identify(request: AtPointRequest) -> HttpResponse:
    """The start page's scan field: a pickup code or QR opens (or joins) the customer's verified session."""
    point = request.point
    form = IssueScanForm(request.POST)
    raw = request.POST.get("code", "")
    try:
        if not form.is_valid() or not raw.strip():
            raise DomainError(_("Отсканируйте код получения или QR-код клиента."), details={"field": "code"})

        def run() -> dict[str, Any]:
            found = customer_identify(code=form.cleaned_data["code"], now=clock.now())
            session = services.session_open(
                actor=request.user, point=point, customer=found.customer, verification=found.verification
            )
            return {"session": session.pk}

        body = write_once(request, str(form.cleaned_data["scan_id"]), raw, run)
    except DomainError as exc:
        answer = error_answer(exc, raw)
        if from_scanner(request):
            return render(request, ANSWER, {"answer": answer}, status=answer.http_status)
        return render(request, HOME, _home_context(request, answer=answer), status=answer.http_status)
    url = reverse("web:issue_session", args=[body["session"]])
    if from_scanner(request):
        answer = Answer(kind="opened", sound="ok", text=str(_("Клиент подтверждён")), redirect=url)
        return render(request, ANSWER, {"answer": answer})
    return redirect(url)


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_open(request: AtPointRequest) -> HttpResponse:
    """«Открыть» on a search hit: an unverified session, which needs an SMS code before issuing."""
    point = request.point
    form = OpenForm(request.POST)
    if not form.is_valid():
        return render(request, HOME, _home_context(request, open_error=form_error(form)), status=422)
    customer_id = form.cleaned_data["customer_id"]

    def run() -> dict[str, Any]:
        # Only a customer with parcels at this point, as the search shows them.
        customer = Customer.objects.filter(pk=customer_id, orders__shipments__point=point).first()
        if customer is None:
            raise NotFound(details={"customer_id": customer_id})
        return {"session": services.session_open(actor=request.user, point=point, customer=customer).pk}

    try:
        body = write_once(request, str(form.cleaned_data["action_id"]), str(customer_id), run)
    except DomainError as exc:
        return render(request, HOME, _home_context(request, open_error=exc), status=exc.http_status)
    return redirect("web:issue_session", session_id=body["session"])


# ---- verification by SMS code ---------------------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_sms_send(request: AtPointRequest, session_id: int) -> HttpResponse:
    session = point_session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return page_error(request, session, form_error(form), "sms_error")

    def run() -> dict[str, Any]:
        verification.session_sms_code_send(actor=request.user, session=session)
        return {}

    try:
        write_once(request, str(form.cleaned_data["action_id"]), "sms", run)
    except DomainError as exc:
        return page_error(request, session, exc, "sms_error")
    return redirect(f"{reverse('web:issue_session', args=[session.pk])}?sms=sent")


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_sms_verify(request: AtPointRequest, session_id: int) -> HttpResponse:
    """The code the customer reads out. A wrong try is counted even though it is refused, so this is not
    wrapped in `_once` (whose transaction would undo the count); a resend is a harmless wrong try."""
    session = point_session(request, session_id)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return page_error(request, session, form_error(form), "code_error")
    try:
        verification.session_sms_code_verify(
            actor=request.user, session=session, code=form.cleaned_data["code"]
        )
    except DomainError as exc:
        return page_error(request, session, exc, "code_error")
    return redirect("web:issue_session", session_id=session.pk)


# ---- the printable command sheet ------------------------------------------------------------------------


def _barcode_svg(text: str) -> SafeString:
    return mark_safe(svg_inline(code128_svg(text, height_mm=20)))  # noqa: S308 -- drawn here from our own text


@dataclass(frozen=True)
class CommandSheetItem:
    code: str
    title: str
    svg: SafeString


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_commands(request: AtPointRequest) -> HttpResponse:
    """The sheet of command barcodes to print and keep at the counter; refusals use the default list."""
    items = [
        CommandSheetItem("#FINISH", str(_("Завершить выдачу")), _barcode_svg("#FINISH")),
        CommandSheetItem("#CANCEL", str(_("Отменить выдачу")), _barcode_svg("#CANCEL")),
    ]
    for number, reason in enumerate(selectors.refusal_reasons_for(partner=None)[:REFUSE_COMMANDS], start=1):
        code = command_barcode(CounterCommand.REFUSE, number)
        title = _("Отказ: %(reason)s") % {"reason": reason.title}
        items.append(CommandSheetItem(code, str(title), _barcode_svg(code)))
    return render(request, COMMANDS, {"items": items})
