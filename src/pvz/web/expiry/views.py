"""Storage deadlines at the point: «Истекает сегодня», and «Истёк срок: в зону возврата», a scanner screen
where each scanned expired parcel leaves its cell for the return zone (EXPIRED → AWAITING_DISPATCH).

The scan screen works like placement: one POST per scan answering with a partial, the client's UUID per
scan as the service's idempotency key (`web-return:<uuid>`), so a resent scan never acts twice. The list
of parcels still to take out is a partial of its own, reloaded after each answer and on every live push
of the point.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError, NotFound
from pvz.shipments.selectors import shipments_expired_on_shelves, shipments_expiring_today
from pvz.shipments.services import ReturnZoneOutcome, ReturnZoneScan, shipment_to_return_zone
from pvz.web.permissions import AtPointRequest, require_point_perm
from pvz.web.scanner import ScanForm, Sound, answer_status, not_here, scan_response, unreadable

TODAY = "web/expiry/today.html"
RETURN_PAGE = "web/expiry/return_zone.html"
RETURN_ANSWER = "web/expiry/answer.html"
RETURN_LIST = "web/expiry/expired_list.html"


@dataclass(frozen=True)
class Answer:
    outcome: Sound
    scan: ReturnZoneScan | None = None
    error: DomainError | None = None
    raw: str = ""

    @property
    def kind(self) -> str:
        return str(self.scan.outcome) if self.scan is not None else "error"

    @property
    def http_status(self) -> int:
        return answer_status(self)


@require_point_perm(Perm.OPERATE)
@require_GET
def expiry_today(request: AtPointRequest) -> HttpResponse:
    shipments = shipments_expiring_today(user=request.user, point=request.point)
    return render(request, TODAY, {"shipments": shipments, "tab": "today"})


def _return_context(request: AtPointRequest, answer: Answer | None) -> dict[str, object]:
    return {
        "tab": "return_zone",
        "answer": answer,
        "expired": shipments_expired_on_shelves(user=request.user, point=request.point),
        # Without JavaScript the form posts as is, so the page carries a fresh key for that one scan.
        "scan_id": uuid.uuid4(),
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def expiry_return_zone(request: AtPointRequest) -> HttpResponse:
    return render(request, RETURN_PAGE, _return_context(request, None))


@require_point_perm(Perm.OPERATE)
@require_GET
def expiry_return_zone_list(request: AtPointRequest) -> HttpResponse:
    expired = shipments_expired_on_shelves(user=request.user, point=request.point)
    return render(request, RETURN_LIST, {"expired": expired})


@require_point_perm(Perm.OPERATE)
@require_POST
def expiry_return_zone_scan(request: AtPointRequest) -> HttpResponse:
    form = ScanForm(request.POST)
    if form.is_valid():
        answer = _answer(request, form.cleaned_data["code"], str(form.cleaned_data["scan_id"]))
    else:
        answer = Answer(outcome=Sound.ERROR, error=unreadable(form), raw=request.POST.get("code", ""))
    return scan_response(
        request,
        answer,
        partial=RETURN_ANSWER,
        page=RETURN_PAGE,
        page_context=lambda: _return_context(request, answer),
    )


def _answer(request: AtPointRequest, code: str, scan_id: str) -> Answer:
    try:
        scan = shipment_to_return_zone(
            actor=request.user, point=request.point, code=code, key=f"web-return:{scan_id}"
        )
    except NotFound as exc:
        return Answer(outcome=Sound.ERROR, error=not_here(exc), raw=code)
    except DomainError as exc:
        return Answer(outcome=Sound.ERROR, error=exc, raw=code)
    outcome = Sound.OK if scan.outcome is ReturnZoneOutcome.MOVED else Sound.PROMPT
    return Answer(outcome=outcome, scan=scan, raw=code)
