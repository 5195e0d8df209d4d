"""«Приёмка»: the acceptance screen built for a scanner (scan, undo, damage, each answered in one panel),
its closing and the discrepancy act.

Views parse the request, call one inbound selector or service and render; every rule lives in
`pvz.inbound`. An acceptance of another point (even one the user also works at) is a 404. Scans carry a
client UUID that the service takes as its idempotency key; «Отменить последний скан» carries one too, kept
with its answer by `core.idempotency`, so a resent undo never takes back a second scan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError
from pvz.inbound import selectors, services
from pvz.inbound.models import Acceptance, AcceptanceStatus, ScanOutcomeKind
from pvz.inbound.services import ScanOutcome
from pvz.shipments.selectors import shipment_get
from pvz.web.acceptance.views import point_tz
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import (
    ScanForm,
    answer_status,
    at_this_point,
    from_scanner,
    scan_response,
    unreadable,
    write_once,
)
from pvz.web.speech import cell_address_spoken

SCREEN = "web/acceptance/screen.html"
ANSWER = "web/acceptance/answer.html"
CLOSE = "web/acceptance/close.html"
ACT = "web/acceptance/act.html"

# Which sound an outcome makes (scanner.js): done, harmless/neutral, put aside, refused.
_SOUND: dict[str, str] = {
    ScanOutcomeKind.ACCEPTED: "ok",
    ScanOutcomeKind.TOTE_OPENED: "ok",
    ScanOutcomeKind.ALREADY_ACCEPTED: "prompt",
    ScanOutcomeKind.SURPLUS: "warning",
    ScanOutcomeKind.OTHER_POINT: "warning",
    ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE: "warning",
    ScanOutcomeKind.UNKNOWN: "error",
    ScanOutcomeKind.UNKNOWN_LABEL: "warning",
    ScanOutcomeKind.NOT_A_LABEL: "error",
}


# ---- forms ----------------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """A button that changes state: its client-generated key makes a resend harmless."""

    action_id = forms.UUIDField()


class DamageForm(forms.Form):
    shipment_id = forms.IntegerField(min_value=1)
    note = forms.CharField(
        label=_("Что повреждено"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(label=_("Фото"), required=False)


# ---- answers of the acceptance screen -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the answer panel shows: a scan outcome, an undo, a damage record, or a refusal."""

    kind: str  # an outcome kind, or "undone", "damaged", "error"
    sound: str
    outcome: ScanOutcome | None = None
    error: DomainError | None = None
    raw: str = ""
    undone: dict[str, Any] | None = None
    damaged_posting: str = ""

    @property
    def http_status(self) -> int:
        return answer_status(self)

    @property
    def spoken(self) -> str:
        """Only the cell to go to is said aloud; a neutral repeat or a refusal is heard as a sound."""
        cell = self.outcome.cell if self.outcome is not None else None
        if cell is None or self.kind not in (ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS):
            return ""
        return cell_address_spoken(cell.address)

    @property
    def last_shipment(self) -> Any:
        """The parcel «Повреждение» applies to: the one this scan accepted."""
        if self.outcome is not None and self.kind in (ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS):
            return self.outcome.shipment
        return None


def _error_answer(error: DomainError, raw: str = "") -> Answer:
    return Answer(kind="error", sound="error", error=error, raw=raw)


# ---- access ---------------------------------------------------------------------------------------------


def _acceptance(request: AtPointRequest, acceptance_id: int) -> Acceptance:
    return at_this_point(
        request,
        lambda: selectors.acceptance_get(user=request.user, acceptance_id=acceptance_id),
        lambda found: found.carriage.point_id,
    )


# ---- the acceptance screen ----------------------------------------------------------------------------


def _screen_context(request: PointRequest, acceptance: Acceptance, answer: Answer | None) -> dict[str, Any]:
    progress = answer.outcome.progress if answer is not None and answer.outcome is not None else None
    return {
        "acceptance": acceptance,
        "carriage": acceptance.carriage,
        "progress": progress or selectors.acceptance_progress(acceptance=acceptance),
        "answer": answer,
        "auto": request.user.auto_placement,
        # Without JavaScript the forms post as they are, so the page carries fresh keys for one action each.
        "scan_id": uuid.uuid4(),
        "action_id": uuid.uuid4(),
        "damage_form": DamageForm(),
    }


def _respond(request: PointRequest, acceptance: Acceptance, answer: Answer) -> HttpResponse:
    partial_context = None
    if from_scanner(request):
        progress = answer.outcome.progress if answer.outcome is not None else None
        partial_context = {
            "acceptance": acceptance,
            "progress": progress or selectors.acceptance_progress(acceptance=acceptance),
        }
    return scan_response(
        request,
        answer,
        partial=ANSWER,
        page=SCREEN,
        page_context=lambda: _screen_context(request, acceptance, answer),
        partial_context=partial_context,
    )


@require_point_perm(Perm.OPERATE)
@require_GET
def acceptance_screen(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    acceptance = _acceptance(request, acceptance_id)
    if acceptance.status == AcceptanceStatus.CLOSED:
        return redirect("web:acceptance_act", acceptance_id=acceptance.pk)
    return render(request, SCREEN, _screen_context(request, acceptance, None))


@require_point_perm(Perm.OPERATE)
@require_POST
def acceptance_scan(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    acceptance = _acceptance(request, acceptance_id)
    form = ScanForm(request.POST)
    raw = request.POST.get("code", "")
    if not form.is_valid():
        return _respond(request, acceptance, _error_answer(unreadable(form), raw))
    try:
        outcome = services.acceptance_scan(
            actor=request.user,
            acceptance=acceptance,
            code=form.cleaned_data["code"],
            scan_id=form.cleaned_data["scan_id"],
            auto_place=request.user.auto_placement,
        )
    except DomainError as exc:
        return _respond(request, acceptance, _error_answer(exc, raw))
    answer = Answer(kind=str(outcome.kind), sound=_SOUND[outcome.kind], outcome=outcome, raw=raw)
    return _respond(request, acceptance, answer)


def _undo_body(request: PointRequest, acceptance: Acceptance) -> tuple[int, dict[str, Any]]:
    result = services.acceptance_undo_last(actor=request.user, acceptance=acceptance)
    return 200, {
        "outcome": result.scan.outcome,
        "code": result.scan.code,
        "posting_number": result.shipment.posting_number if result.shipment else "",
        "notification_already_sent": result.notification_already_sent,
    }


@require_point_perm(Perm.OPERATE)
@require_POST
def acceptance_undo(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    acceptance = _acceptance(request, acceptance_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _respond(request, acceptance, _error_answer(DomainError(details={"field": "action_id"})))
    try:
        undone = write_once(
            request, "undo", str(form.cleaned_data["action_id"]), "", lambda: _undo_body(request, acceptance)
        )
    except DomainError as error:
        return _respond(request, acceptance, _error_answer(error))
    return _respond(request, acceptance, Answer(kind="undone", sound="prompt", undone=undone))


@require_point_perm(Perm.OPERATE)
@require_POST
def acceptance_damage(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    acceptance = _acceptance(request, acceptance_id)
    form = DamageForm(request.POST, request.FILES)
    if not form.is_valid():
        fields = {name: errs[0] for name, errs in form.errors.items()}
        error = DomainError(_("Опишите повреждение (до 500 символов)."), details={"fields": fields})
        return _respond(request, acceptance, _error_answer(error))
    try:
        shipment = shipment_get(
            user=request.user, shipment_id=form.cleaned_data["shipment_id"], point=request.point
        )
        damage = services.acceptance_mark_damaged(
            actor=request.user,
            acceptance=acceptance,
            shipment=shipment,
            note=form.cleaned_data["note"],
            photo=form.cleaned_data.get("photo"),
        )
    except DomainError as exc:
        return _respond(request, acceptance, _error_answer(exc))
    return _respond(
        request,
        acceptance,
        Answer(kind="damaged", sound="prompt", damaged_posting=damage.shipment.posting_number),
    )


# ---- closing and the act ------------------------------------------------------------------------------


@require_point_perm(Perm.OPERATE)
def acceptance_close(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    """GET: the confirmation, saying how many parcels become shortages; POST: close, then the act."""
    acceptance = _acceptance(request, acceptance_id)
    if request.method == "POST":
        try:
            services.acceptance_close(actor=request.user, acceptance=acceptance)
        except DomainError as exc:
            context = {"acceptance": acceptance, "error": exc, "progress": None}
            return render(request, CLOSE, context, status=exc.http_status)
        return redirect("web:acceptance_act", acceptance_id=acceptance.pk)
    if request.method != "GET":
        return HttpResponse(status=405)
    if acceptance.status == AcceptanceStatus.CLOSED:
        return redirect("web:acceptance_act", acceptance_id=acceptance.pk)
    progress = selectors.acceptance_progress(acceptance=acceptance)
    context = {
        "acceptance": acceptance,
        "progress": progress,
        "missing": selectors.acceptance_shortage_count(acceptance=acceptance),
    }
    return render(request, CLOSE, context)


@require_point_perm(Perm.OPERATE)
@require_GET
def acceptance_act(request: AtPointRequest, acceptance_id: int) -> HttpResponse:
    acceptance = _acceptance(request, acceptance_id)
    try:
        act = selectors.acceptance_act(acceptance=acceptance)
    except DomainError as exc:
        screen = reverse("web:acceptance_screen", kwargs={"acceptance_id": acceptance.pk})
        return render(request, ACT, {"error": exc, "screen_url": screen}, status=409)
    return render(request, ACT, {"act": act, "tz": point_tz(request)})
