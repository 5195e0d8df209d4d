"""«Выдача»: the counter screens, built for a scanner.

The start page takes the customer's pickup code or QR (verified session) or searches an order, parcel or
phone (unverified session: SMS code first) and lists the point's open sessions. The session screen scans
parcels, takes per-line actions and finishes in one action: Enter in the empty scan field (counter.js
posts to `finish`), the `#FINISH` command barcode or the button. Every rule lives in `pvz.counter`; views
parse, call one service or selector and render. Every write carries a client UUID (`scan_id` or
`action_id`) kept with its answer by `core.idempotency`, so a resent scan or press never acts twice.
Another point's session is a 404.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.idempotency import idempotency_fingerprint, idempotent_call
from pvz.core.phone import phone_masked
from pvz.core.printing import code128_svg, svg_inline
from pvz.counter import selectors, services, verification
from pvz.counter.commands import REFUSE_COMMANDS, CounterCommand, command_barcode, command_parse
from pvz.counter.errors import AlreadyIssued, StorageExpired, WrongCustomer
from pvz.counter.identify import SearchHit, customer_identify, customer_search
from pvz.counter.models import (
    IdDocument,
    IssueLine,
    IssueSession,
    LineResult,
    LineState,
    PaymentMethod,
    RefusalReason,
    SessionStatus,
)
from pvz.shipments.models import Customer
from pvz.web.permissions import PointRequest, require_point_perm
from pvz.web.speech import cell_address_spoken
from pvz.web.templatetags.pvz_format import rub

HOME = "web/counter/home.html"
SESSIONS = "web/counter/sessions.html"
SESSION = "web/counter/session.html"
LIVE = "web/counter/live.html"
ANSWER = "web/counter/answer.html"
RESULT = "web/counter/result.html"
COMMANDS = "web/counter/commands.html"
# Sent by static/pvz/scanner.js and counter.js: such a request gets only the answer partial.
SCANNER_HEADER = "X-Pvz-Scanner"

# What a failed line's code means on the result page (the finish stores only the code).
_FAILURE_MESSAGES: dict[str, Any] = {
    ErrorCode.STORAGE_EXPIRED: StorageExpired.default_message,
    ErrorCode.ALREADY_ISSUED: AlreadyIssued.default_message,
    ErrorCode.WRONG_CUSTOMER: WrongCustomer.default_message,
    ErrorCode.NOT_FOUND: _("Отправления нет на этой точке."),
    ErrorCode.INVALID_TRANSITION: _("Отправление не готово к выдаче."),
}


# ---- forms ----------------------------------------------------------------------------------------------


class ScanForm(forms.Form):
    code = forms.CharField(max_length=200, strip=False, required=False)
    scan_id = forms.UUIDField()


class ActionForm(forms.Form):
    action_id = forms.UUIDField()


class OpenForm(ActionForm):
    customer_id = forms.IntegerField(min_value=1)


class CodeForm(ActionForm):
    code = forms.CharField(max_length=20)


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


def _form_error(form: forms.Form) -> DomainError:
    fields = {name: str(errors[0]) for name, errors in form.errors.items()}
    return DomainError(_("Проверьте введённые данные."), details={"fields": fields})


# ---- what the screens show ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: IssueLine
    reasons: list[RefusalReason]
    needs_id: bool
    needs_payment: bool
    splits_order: bool = False  # its order is sold whole and this visit takes part and refuses part

    @property
    def due(self) -> str:
        return rub(self.line.shipment.amount_due_kop)

    @property
    def offers_try_on(self) -> bool:
        """«Примерка» is offered where the partner allows it, to a parcel taken or being inspected."""
        state = self.line.state
        return self.line.shipment.try_on_allowed and state in (LineState.TAKEN, LineState.INSPECTING)

    @property
    def blocked(self) -> bool:
        return self.splits_order or (
            self.line.state != LineState.REFUSED and (self.needs_id or self.needs_payment)
        )


def _line_views(session: IssueSession) -> list[LineView]:
    lines = selectors.session_lines(session=session)
    split = selectors.split_order_lines((line, line.shipment) for line in lines)
    views = []
    for line in lines:
        shipment = line.shipment
        views.append(
            LineView(
                line=line,
                reasons=selectors.refusal_reasons_for(partner=shipment.partner),
                needs_id=selectors.id_check_needed(shipment) and line.id_checked_at is None,
                needs_payment=shipment.amount_due_kop > 0 and line.paid_at is None,
                splits_order=line.pk in split,
            )
        )
    return views


@dataclass(frozen=True)
class Answer:
    """The answer panel of a scan or a finish: what happened, its sound, and where to go next."""

    kind: str  # taken, already, refused, finished, cancelled, opened, error
    sound: str  # ok, prompt, warning, error (scanner.js)
    text: str = ""
    posting: str = ""
    error: DomainError | None = None
    raw: str = ""
    redirect: str = ""
    spoken: str = ""
    blocking: list[dict[str, Any]] = field(default_factory=list)

    @property
    def http_status(self) -> int:
        return self.error.http_status if self.error is not None else 200


def _error_answer(error: DomainError, raw: str = "") -> Answer:
    lines = error.details.get("lines") if isinstance(error.details, dict) else None
    return Answer(kind="error", sound="error", error=error, raw=raw, blocking=list(lines or []))


def _stored_error(body: dict[str, Any]) -> DomainError:
    stored = body["error"]
    return DomainError(stored["message"], code=stored["code"], details=stored["details"])


def _once(request: PointRequest, key: str, payload: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a write once per client key; a replay returns the first answer. Raises the (stored) error."""
    done = idempotent_call(
        scope=f"user:{request.user.pk}",
        key=f"web-issue:{key}",
        fingerprint=idempotency_fingerprint(method="POST", path=request.path, body=payload.encode()),
        run=lambda: (200, run()),
        actor=request.user,
    )
    if "error" in done.body:
        raise _stored_error(done.body)
    return dict(done.body)


# ---- access ---------------------------------------------------------------------------------------------


def _session(request: PointRequest, session_id: int) -> IssueSession:
    try:
        session = selectors.session_get(user=request.user, session_id=session_id)
    except NotFound:
        raise Http404 from None
    if request.point is None or session.point_id != request.point.pk:
        raise Http404
    return session


def _scanner(request: PointRequest) -> bool:
    return bool(request.headers.get(SCANNER_HEADER))


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


def _home_context(request: PointRequest, **extra: Any) -> dict[str, Any]:
    assert request.point is not None  # guaranteed by require_point_perm
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
def issue_home(request: PointRequest) -> HttpResponse:
    """The start page; `?q=` searches customers by order, posting number, barcode or phone."""
    assert request.point is not None
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
def issue_sessions(request: PointRequest) -> HttpResponse:
    """The open-sessions list alone, refreshed by counter.js when the point changes."""
    return render(request, SESSIONS, _home_context(request))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_identify(request: PointRequest) -> HttpResponse:
    """The start page's scan field: a pickup code or QR opens (or joins) the customer's verified session."""
    assert request.point is not None
    point = request.point
    form = ScanForm(request.POST)
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

        body = _once(request, str(form.cleaned_data["scan_id"]), raw, run)
    except DomainError as exc:
        answer = _error_answer(exc, raw)
        if _scanner(request):
            return render(request, ANSWER, {"answer": answer}, status=answer.http_status)
        return render(request, HOME, _home_context(request, answer=answer), status=answer.http_status)
    url = reverse("web:issue_session", args=[body["session"]])
    if _scanner(request):
        answer = Answer(kind="opened", sound="ok", text=str(_("Клиент подтверждён")), redirect=url)
        return render(request, ANSWER, {"answer": answer})
    return redirect(url)


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_open(request: PointRequest) -> HttpResponse:
    """«Открыть» on a search hit: an unverified session, which needs an SMS code before issuing."""
    assert request.point is not None
    point = request.point
    form = OpenForm(request.POST)
    if not form.is_valid():
        return render(request, HOME, _home_context(request, open_error=_form_error(form)), status=422)
    customer_id = form.cleaned_data["customer_id"]

    def run() -> dict[str, Any]:
        # Only a customer with parcels at this point, as the search shows them.
        customer = Customer.objects.filter(pk=customer_id, orders__shipments__point=point).first()
        if customer is None:
            raise NotFound(details={"customer_id": customer_id})
        return {"session": services.session_open(actor=request.user, point=point, customer=customer).pk}

    try:
        body = _once(request, str(form.cleaned_data["action_id"]), str(customer_id), run)
    except DomainError as exc:
        return render(request, HOME, _home_context(request, open_error=exc), status=exc.http_status)
    return redirect("web:issue_session", session_id=body["session"])


# ---- the session screen ---------------------------------------------------------------------------------


def _refusal_legend(session: IssueSession, lines: list[LineView]) -> list[RefusalReason]:
    """The reasons #REFUSE1…9 name right now: those of the last scanned parcel's partner."""
    if lines:
        return lines[-1].reasons[:REFUSE_COMMANDS]
    return selectors.refusal_reasons_for(partner=None)[:REFUSE_COMMANDS]


def _live_context(session: IssueSession, answer: Answer | None) -> dict[str, Any]:
    lines = _line_views(session)
    fetch = selectors.fetch_list(session=session)
    return {
        "session": session,
        "answer": answer,
        "lines": lines,
        "fetch": fetch,
        "fetch_spoken": cell_address_spoken(fetch[0].address) if fetch and fetch[0].address != "—" else "",
        "action_id": uuid.uuid4(),
        "blocked": [view for view in lines if view.blocked],
        "legend": _refusal_legend(session, lines),
        "id_documents": IdDocument.choices,
    }


def _session_context(
    request: PointRequest, session: IssueSession, answer: Answer | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        **_live_context(session, answer),
        "card": selectors.customer_card(point=session.point, customer=session.customer, now=clock.now()),
        "phone": phone_masked(session.customer.phone),
        "counts": selectors.session_line_counts(session=session),
        "scan_id": uuid.uuid4(),
        **extra,
    }


def _respond(request: PointRequest, session: IssueSession, answer: Answer) -> HttpResponse:
    if _scanner(request):
        if answer.redirect:
            return render(request, ANSWER, {"answer": answer})
        session.refresh_from_db()
        return render(request, LIVE, _live_context(session, answer), status=answer.http_status)
    if answer.redirect:
        return redirect(answer.redirect)
    session.refresh_from_db()
    page = render(request, SESSION, _session_context(request, session, answer))
    page.status_code = answer.http_status
    return page


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_session(request: PointRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if session.status == SessionStatus.FINISHED:
        return redirect("web:issue_result", session_id=session.pk)
    if session.status == SessionStatus.CANCELLED:
        return redirect("web:issue_home")
    return render(request, SESSION, _session_context(request, session))


def _next_cell_spoken(session: IssueSession) -> str:
    fetch = selectors.fetch_list(session=session)
    return cell_address_spoken(fetch[0].address) if fetch and fetch[0].address != "—" else ""


def _scan_body(request: PointRequest, session: IssueSession, code: str) -> dict[str, Any]:
    parsed = command_parse(code)
    if parsed is None:
        outcome = services.session_scan(actor=request.user, session=session, code=code)
        return {
            "kind": "taken" if outcome.created else "already",
            "posting": outcome.line.shipment.posting_number,
        }
    if parsed.command is CounterCommand.FINISH:
        return _finish_body(request, session)
    if parsed.command is CounterCommand.CANCEL:
        services.session_cancel(actor=request.user, session=session)
        return {"kind": "cancelled"}
    assert parsed.number is not None
    refusal = services.line_refuse_last(actor=request.user, session=session, number=parsed.number)
    return {
        "kind": "refused",
        "posting": refusal.line.shipment.posting_number,
        "reason": refusal.reason.title,
        "number": parsed.number,
    }


def _finish_body(request: PointRequest, session: IssueSession) -> dict[str, Any]:
    result = services.session_finish(actor=request.user, session=session)
    return {"kind": "finished", "session": result.session.pk}


def _answer_from(session: IssueSession, body: dict[str, Any], raw: str) -> Answer:
    kind = body["kind"]
    if kind == "finished":
        return Answer(kind=kind, sound="ok", redirect=reverse("web:issue_result", args=[session.pk]))
    if kind == "cancelled":
        return Answer(kind=kind, sound="prompt", redirect=reverse("web:issue_home"))
    if kind == "refused":
        text = _("Отказ: %(posting)s — %(reason)s") % {"posting": body["posting"], "reason": body["reason"]}
        return Answer(kind=kind, sound="warning", text=str(text), posting=body["posting"], raw=raw)
    if kind == "already":
        text = _("Это отправление уже в выдаче: %(posting)s") % {"posting": body["posting"]}
        return Answer(kind=kind, sound="prompt", text=str(text), posting=body["posting"], raw=raw)
    text = _("Взято: %(posting)s") % {"posting": body["posting"]}
    return Answer(
        kind=kind,
        sound="ok",
        text=str(text),
        posting=body["posting"],
        raw=raw,
        spoken=_next_cell_spoken(session),
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_scan(request: PointRequest, session_id: int) -> HttpResponse:
    """One scan into the session: a parcel, or a command barcode (#FINISH, #CANCEL, #REFUSE1…9)."""
    session = _session(request, session_id)
    form = ScanForm(request.POST)
    raw = request.POST.get("code", "")
    if not form.is_valid():
        error = DomainError(
            _("Скан не распознан. Отсканируйте ещё раз."), details=form.errors.get_json_data()
        )
        return _respond(request, session, _error_answer(error, raw))
    if not raw.strip():
        # Enter in the empty field, without JavaScript: the one action that finishes.
        return _finish(request, session, str(form.cleaned_data["scan_id"]))
    try:
        body = _once(
            request, str(form.cleaned_data["scan_id"]), raw, lambda: _scan_body(request, session, raw)
        )
    except DomainError as exc:
        return _respond(request, session, _error_answer(exc, raw))
    return _respond(request, session, _answer_from(session, body, raw))


def _finish(request: PointRequest, session: IssueSession, key: str) -> HttpResponse:
    try:
        body = _once(request, key, "finish", lambda: _finish_body(request, session))
    except DomainError as exc:
        return _respond(request, session, _error_answer(exc))
    return _respond(request, session, _answer_from(session, body, ""))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_finish(request: PointRequest, session_id: int) -> HttpResponse:
    """«Завершить выдачу»: the button, and Enter in the empty scan field (counter.js)."""
    session = _session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _respond(request, session, _error_answer(_form_error(form)))
    return _finish(request, session, str(form.cleaned_data["action_id"]))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_cancel(request: PointRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _respond(request, session, _error_answer(_form_error(form)))

    def run() -> dict[str, Any]:
        services.session_cancel(actor=request.user, session=session)
        return {"kind": "cancelled"}

    try:
        body = _once(request, str(form.cleaned_data["action_id"]), "cancel", run)
    except DomainError as exc:
        return _respond(request, session, _error_answer(exc))
    return _respond(request, session, _answer_from(session, body, ""))


# ---- verification by SMS code ---------------------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_sms_send(request: PointRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _page_error(request, session, _form_error(form), "sms_error")

    def run() -> dict[str, Any]:
        verification.session_sms_code_send(actor=request.user, session=session)
        return {}

    try:
        _once(request, str(form.cleaned_data["action_id"]), "sms", run)
    except DomainError as exc:
        return _page_error(request, session, exc, "sms_error")
    return redirect(f"{reverse('web:issue_session', args=[session.pk])}?sms=sent")


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_sms_verify(request: PointRequest, session_id: int) -> HttpResponse:
    """The code the customer reads out. A wrong try is counted even though it is refused, so this is not
    wrapped in `_once` (whose transaction would undo the count); a resend is a harmless wrong try."""
    session = _session(request, session_id)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page_error(request, session, _form_error(form), "code_error")
    try:
        verification.session_sms_code_verify(
            actor=request.user, session=session, code=form.cleaned_data["code"]
        )
    except DomainError as exc:
        return _page_error(request, session, exc, "code_error")
    return redirect("web:issue_session", session_id=session.pk)


def _page_error(request: PointRequest, session: IssueSession, error: DomainError, slot: str) -> HttpResponse:
    session.refresh_from_db()
    if session.status != SessionStatus.OPEN:
        return redirect("web:issue_session", session_id=session.pk)
    context = _session_context(request, session)
    context[slot] = error
    page = render(request, SESSION, context)
    page.status_code = error.http_status
    return page


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
        form: forms.Form = RefuseForm(request.POST)
        if not form.is_valid():
            raise _form_error(form)
        services.line_refuse(
            actor=actor,
            session=session,
            line_id=line_id,
            reason_id=form.cleaned_data["reason_id"],
            note=form.cleaned_data["note"],
        )
    elif action == "id-check":
        form = IdCheckForm(request.POST)
        if not form.is_valid():
            raise _form_error(form)
        services.line_record_id_check(
            actor=actor,
            session=session,
            line_id=line_id,
            document=form.cleaned_data["document"],
            last4=form.cleaned_data["last4"],
        )
    elif action == "payment":
        payment = PaymentForm(request.POST)
        if not payment.is_valid():
            raise _form_error(payment)
        record = services.line_record_payment(
            actor=actor,
            session=session,
            line_id=line_id,
            method=payment.cleaned_data["method"],
            reference=payment.cleaned_data["reference"],
            cash_kop=payment.cash_kop(),
        )
        return {"change_kop": record.change_kop}
    else:
        raise Http404
    return {}


LINE_ACTIONS = ("inspect", "try-on", "take", "refuse", "id-check", "payment")


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_line(request: PointRequest, session_id: int, line_id: int, action: str) -> HttpResponse:
    """A line's buttons: inspect, try on, take, refuse (reason), ID check (type + 4 digits), payment."""
    if action not in LINE_ACTIONS:
        raise Http404
    session = _session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _page_error(request, session, _form_error(form), "line_error")
    payload = "&".join(
        f"{k}={v}" for k, v in sorted(request.POST.items()) if k not in ("action_id", "csrfmiddlewaretoken")
    )
    try:
        body = _once(
            request,
            str(form.cleaned_data["action_id"]),
            f"{line_id}:{action}:{payload}",
            lambda: _line_write(request, session, line_id, action),
        )
    except DomainError as exc:
        return _page_error(request, session, exc, "line_error")
    url = reverse("web:issue_session", args=[session.pk])
    if body.get("change_kop"):
        return redirect(f"{url}?change={body['change_kop']}")
    return redirect(url)


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_bags(request: PointRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    form = BagsForm(request.POST)
    if not form.is_valid():
        return _page_error(request, session, _form_error(form), "line_error")
    count = form.cleaned_data["count"]

    def run() -> dict[str, Any]:
        services.session_set_bags(actor=request.user, session=session, count=count)
        return {}

    try:
        _once(request, str(form.cleaned_data["action_id"]), str(count), run)
    except DomainError as exc:
        return _page_error(request, session, exc, "line_error")
    return redirect("web:issue_session", session_id=session.pk)


# ---- the result -----------------------------------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_result(request: PointRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if session.status != SessionStatus.FINISHED:
        return redirect("web:issue_session", session_id=session.pk)
    lines = selectors.session_lines(session=session)
    failed = [
        (line, _FAILURE_MESSAGES.get(line.result_code, ""))
        for line in lines
        if line.result == LineResult.FAILED
    ]
    context = {
        "session": session,
        "phone": phone_masked(session.customer.phone),
        "issued": [line for line in lines if line.result == LineResult.ISSUED],
        "refused": [line for line in lines if line.result == LineResult.REFUSED],
        "failed": failed,
        "left": [s for cell in selectors.fetch_list(session=session) for s in cell.shipments],
        "paid_kop": rub(sum(line.paid_kop for line in lines if line.result == LineResult.ISSUED)),
    }
    return render(request, RESULT, context)


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
def issue_commands(request: PointRequest) -> HttpResponse:
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
