"""«Выдача», the session screen's scan field and how a session ends: a parcel or a command barcode
scanned (#FINISH, #CANCEL, #REFUSE1…9), the finish (the button, Enter in the empty scan field, or
#FINISH), the cancel, and the result page of a finished session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.phone import phone_masked
from pvz.counter import selectors, services
from pvz.counter.commands import CounterCommand, command_parse
from pvz.counter.errors import AlreadyIssued, StorageExpired, WrongCustomer
from pvz.counter.models import IssueSession, LineResult, SessionStatus
from pvz.web.counter.screen import (
    ActionForm,
    Answer,
    IssueScanForm,
    error_answer,
    point_session,
    respond,
    write_once,
)
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import form_error, unreadable
from pvz.web.speech import cell_address_spoken
from pvz.web.templatetags.pvz_format import rub

RESULT = "web/counter/result.html"

# What a failed line's code means on the result page (the finish stores only the code).
_FAILURE_MESSAGES: dict[str, Any] = {
    ErrorCode.STORAGE_EXPIRED: StorageExpired.default_message,
    ErrorCode.ALREADY_ISSUED: AlreadyIssued.default_message,
    ErrorCode.WRONG_CUSTOMER: WrongCustomer.default_message,
    ErrorCode.NOT_FOUND: _("Отправления нет на этой точке."),
    ErrorCode.INVALID_TRANSITION: _("Отправление не готово к выдаче."),
}


# ---- scans, the finish and the cancel -------------------------------------------------------------------


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
def issue_scan(request: AtPointRequest, session_id: int) -> HttpResponse:
    """One scan into the session: a parcel, or a command barcode (#FINISH, #CANCEL, #REFUSE1…9)."""
    session = point_session(request, session_id)
    form = IssueScanForm(request.POST)
    raw = request.POST.get("code", "")
    if not form.is_valid():
        return respond(request, session, error_answer(unreadable(form), raw))
    if not raw.strip():
        # Enter in the empty field, without JavaScript: the one action that finishes.
        return _finish(request, session, str(form.cleaned_data["scan_id"]))
    key = str(form.cleaned_data["scan_id"])
    return _answered(request, session, key, raw, lambda: _scan_body(request, session, raw), raw=raw)


def _answered(
    request: PointRequest,
    session: IssueSession,
    key: str,
    payload: str,
    run: Callable[[], dict[str, Any]],
    raw: str = "",
) -> HttpResponse:
    """Run a scan or a command once per client key and show its answer (or refusal) on the session."""
    try:
        body = write_once(request, key, payload, run)
    except DomainError as exc:
        return respond(request, session, error_answer(exc, raw))
    return respond(request, session, _answer_from(session, body, raw))


def _finish(request: PointRequest, session: IssueSession, key: str) -> HttpResponse:
    return _answered(request, session, key, "finish", lambda: _finish_body(request, session))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_finish(request: AtPointRequest, session_id: int) -> HttpResponse:
    """«Завершить выдачу»: the button, and Enter in the empty scan field (counter.js)."""
    session = point_session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return respond(request, session, error_answer(form_error(form)))
    return _finish(request, session, str(form.cleaned_data["action_id"]))


@require_point_perm(Perm.OPERATE)
@require_POST
def issue_cancel(request: AtPointRequest, session_id: int) -> HttpResponse:
    session = point_session(request, session_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return respond(request, session, error_answer(form_error(form)))

    def run() -> dict[str, Any]:
        services.session_cancel(actor=request.user, session=session)
        return {"kind": "cancelled"}

    return _answered(request, session, str(form.cleaned_data["action_id"]), "cancel", run)


# ---- the result -----------------------------------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_result(request: AtPointRequest, session_id: int) -> HttpResponse:
    session = point_session(request, session_id)
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
