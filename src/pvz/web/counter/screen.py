"""«Выдача», the session screen: what it shows (the lines with their blocks, the parcels to fetch, the
answer panel of the last scan) and the plumbing every counter write shares — the forms' common fields, the
once-per-client-key run of a write (`core.idempotency`, so a resent scan or press never acts twice) and how
its answer is rendered, as a whole page or, to scanner.js and counter.js, as the live partial.

Another point's session is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.core.phone import phone_masked
from pvz.counter import selectors
from pvz.counter.commands import REFUSE_COMMANDS
from pvz.counter.models import IdDocument, IssueLine, IssueSession, LineState, RefusalReason, SessionStatus
from pvz.web import scanner
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.speech import cell_address_spoken
from pvz.web.templatetags.pvz_format import rub

SESSION = "web/counter/session.html"
LIVE = "web/counter/live.html"
ANSWER = "web/counter/answer.html"


# ---- forms ----------------------------------------------------------------------------------------------


class IssueScanForm(scanner.ScanForm):
    # Enter in the empty field finishes the session (the one action a bare Enter may take).
    code = forms.CharField(max_length=200, strip=False, required=False)


class ActionForm(forms.Form):
    action_id = forms.UUIDField()


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
        return scanner.answer_status(self)


def error_answer(error: DomainError, raw: str = "") -> Answer:
    lines = error.details.get("lines") if isinstance(error.details, dict) else None
    return Answer(kind="error", sound="error", error=error, raw=raw, blocking=list(lines or []))


def write_once(
    request: PointRequest, key: str, payload: str, run: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run a write once per client key; a replay returns the first answer. Raises the (stored) error."""
    return scanner.write_once(request, "issue", key, payload, lambda: (200, run()))


# ---- access ---------------------------------------------------------------------------------------------


def point_session(request: AtPointRequest, session_id: int) -> IssueSession:
    """The session, if it is one of the operator's current point: any other is a 404."""
    return scanner.at_this_point(
        request,
        lambda: selectors.session_get(user=request.user, session_id=session_id),
        lambda session: session.point_id,
    )


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


def respond(request: PointRequest, session: IssueSession, answer: Answer) -> HttpResponse:
    """A scan's or a finish's answer: the live partial to scanner.js, else the whole session page; where
    the answer leads elsewhere (finished, cancelled, opened), there."""
    if scanner.from_scanner(request):
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


def page_error(request: PointRequest, session: IssueSession, error: DomainError, slot: str) -> HttpResponse:
    """The session page with `error` shown in the form that caused it (`slot`); an ended session's page."""
    session.refresh_from_db()
    if session.status != SessionStatus.OPEN:
        return redirect("web:issue_session", session_id=session.pk)
    context = _session_context(request, session)
    context[slot] = error
    page = render(request, SESSION, context)
    page.status_code = error.http_status
    return page


@require_point_perm(Perm.OPERATE)
@require_GET
def issue_session(request: AtPointRequest, session_id: int) -> HttpResponse:
    session = point_session(request, session_id)
    if session.status == SessionStatus.FINISHED:
        return redirect("web:issue_result", session_id=session.pk)
    if session.status == SessionStatus.CANCELLED:
        return redirect("web:issue_home")
    return render(request, SESSION, _session_context(request, session))
