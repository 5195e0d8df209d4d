"""The «Размещение» screen, built for a scanner: scan a parcel, see and hear its cell, scan the cell label.

Every scan is one POST that answers with a partial (`web/placement/answer.html`). The page keeps no
server-side state between scans: the parcel waiting for its cell travels in the answer as a hidden field
and comes back with the next scan. Each scan carries a client-generated UUID that becomes the services'
idempotency key, so a resent scan returns the first result instead of acting again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.accounts.services import user_set_auto_placement
from pvz.cells.selectors import cell_free_places
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.inbound.placement import NoFreeCell, Placement, cell_suggest, shipment_place
from pvz.network.models import Cell
from pvz.scanning.selectors import ScanResult, ScanTarget, scan_resolve
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipment_get
from pvz.shipments.services import shipment_move
from pvz.shipments.statuses import Status, is_movable
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import ScanForm, Sound, answer_status, not_here, scan_response, unreadable
from pvz.web.speech import cell_address_spoken

PAGE = "web/placement/page.html"
ANSWER = "web/placement/answer.html"
MODE = "web/placement/mode.html"


class Action(StrEnum):
    PLACE = "place"
    MOVE = "move"


Outcome = Sound  # which sound the answer makes: done, waiting for the next scan, or refused


class Kind(StrEnum):
    SUGGESTED = "suggested"  # manual mode: put it here, then scan the cell
    PLACED = "placed"
    MOVE_PICKED = "move_picked"  # move mode: parcel chosen, scan the new cell
    MOVED = "moved"
    STORED = "stored"  # place mode: the parcel is already on a shelf
    CELL_ONLY = "cell_only"  # a cell scanned with no parcel waiting
    ERROR = "error"


class PlacementScanForm(ScanForm):
    action = forms.ChoiceField(choices=[(a.value, a.value) for a in Action], required=False)
    pending = forms.IntegerField(min_value=1, required=False)
    suggested = forms.CharField(max_length=32, required=False)


class PlacementModeForm(forms.Form):
    auto = forms.BooleanField(required=False)


@dataclass(frozen=True)
class Answer:
    kind: Kind
    outcome: Outcome
    shipment: Shipment | None = None
    cell: Cell | None = None
    # The parcel that waits for a cell scan, and the cell suggested for it (sent back with the next scan).
    pending: Shipment | None = None
    suggested: str = ""
    free: int | None = None
    error: DomainError | None = None
    raw: str = ""
    replayed: bool = False
    from_cell: str = ""

    @property
    def http_status(self) -> int:
        return answer_status(self)

    @property
    def spoken(self) -> str:
        """The cell said aloud when the operator has to go to it; nothing for refusals or a bare cell."""
        if self.cell is None or self.kind in (Kind.ERROR, Kind.CELL_ONLY):
            return ""
        return cell_address_spoken(self.cell.address)


def _page_context(request: PointRequest, *, action: Action, answer: Answer | None) -> dict[str, object]:
    return {
        "auto": request.user.auto_placement,
        "action": action,
        "answer": answer,
        # Without JavaScript the form posts as is, so the page carries a fresh key for that one scan.
        "scan_id": uuid.uuid4(),
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def placement_page(request: AtPointRequest) -> HttpResponse:
    action = Action.MOVE if request.GET.get("action") == Action.MOVE else Action.PLACE
    return render(request, PAGE, _page_context(request, action=action, answer=None))


@require_point_perm(Perm.OPERATE)
@require_POST
def placement_scan(request: AtPointRequest) -> HttpResponse:
    form = PlacementScanForm(request.POST)
    action = Action.MOVE if request.POST.get("action") == Action.MOVE else Action.PLACE
    if form.is_valid():
        answer = _answer(request, form.cleaned_data, action)
    else:
        answer = Answer(
            kind=Kind.ERROR, outcome=Outcome.ERROR, error=unreadable(form), raw=request.POST.get("code", "")
        )
    return scan_response(
        request,
        answer,
        partial=ANSWER,
        page=PAGE,
        page_context=lambda: _page_context(request, action=action, answer=answer),
        partial_context={"action": action},
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def placement_mode(request: AtPointRequest) -> HttpResponse:
    form = PlacementModeForm(request.POST)
    form.is_valid()  # an unticked checkbox is simply absent: a form with nothing in it means "off"
    user_set_auto_placement(
        actor=request.user, user=request.user, enabled=form.cleaned_data.get("auto", False)
    )
    if request.headers.get("HX-Request"):
        return render(request, MODE, {"auto": request.user.auto_placement})
    return redirect("web:placement_scan")


def _answer(request: AtPointRequest, data: dict[str, object], action: Action) -> Answer:
    raw = str(data["code"])
    pending = _pending(request, data.get("pending"))
    suggested = str(data.get("suggested") or "")
    scan_key = str(data["scan_id"])
    try:
        result = scan_resolve(user=request.user, point=request.point, raw=raw)
        if result.target is ScanTarget.SHIPMENT and result.shipment is not None:
            return _on_parcel(request, result.shipment, action=action, key=scan_key)
        if result.target is ScanTarget.CELL and result.cell is not None:
            return _on_cell(
                request, result.cell, action=action, key=scan_key, pending=pending, suggested=suggested
            )
        error = _not_parcel_or_cell(result)
    except DomainError as exc:
        error = exc
    # A refused scan leaves the waiting parcel waiting, so the operator just scans the right cell next.
    return Answer(
        kind=Kind.ERROR,
        outcome=Outcome.ERROR,
        error=error,
        raw=raw,
        pending=pending,
        suggested=suggested if pending else "",
    )


def _pending(request: PointRequest, shipment_id: object) -> Shipment | None:
    if not isinstance(shipment_id, int):
        return None
    try:
        return shipment_get(user=request.user, shipment_id=shipment_id, point=request.point)
    except NotFound:
        return None  # the waiting parcel is no longer ours to place (point switched): forget it


def _on_parcel(request: PointRequest, shipment: Shipment, *, action: Action, key: str) -> Answer:
    if action is Action.MOVE:
        if not is_movable(shipment.status):
            raise InvalidTransition(
                _("Переложить можно только отправление, которое уже лежит на месте. Это — «%(status)s».")
                % {"status": shipment.get_status_display()},
                details={"status": shipment.status},
            )
        return Answer(
            kind=Kind.MOVE_PICKED,
            outcome=Outcome.PROMPT,
            shipment=shipment,
            cell=shipment.cell,
            pending=shipment,
        )
    if request.user.auto_placement:
        try:
            placement = shipment_place(
                actor=request.user, shipment_id=shipment.pk, idempotency_key=f"web-place:{key}"
            )
        except InvalidTransition:
            if shipment.status == Status.STORED:
                return _already_stored(shipment)
            raise _cannot_place(shipment) from None
        return _placed(placement)
    if shipment.status == Status.STORED:
        return _already_stored(shipment)
    if shipment.status != Status.ACCEPTED:
        raise _cannot_place(shipment)
    cell = cell_suggest(shipment=shipment)
    if cell is None:
        raise NoFreeCell(details={"size_class": shipment.size_class})
    return Answer(
        kind=Kind.SUGGESTED,
        outcome=Outcome.PROMPT,
        shipment=shipment,
        cell=cell,
        pending=shipment,
        suggested=cell.address,
        free=cell_free_places(cell=cell),
    )


def _on_cell(
    request: PointRequest, cell: Cell, *, action: Action, key: str, pending: Shipment | None, suggested: str
) -> Answer:
    if pending is None:
        return Answer(
            kind=Kind.CELL_ONLY, outcome=Outcome.PROMPT, cell=cell, free=cell_free_places(cell=cell)
        )
    if action is Action.MOVE:
        from_cell = pending.cell.address if pending.cell else ""
        result = shipment_move(
            actor=request.user,
            shipment_id=pending.pk,
            cell=cell,
            reason="moved",
            idempotency_key=f"web-move:{key}",
        )
        return Answer(
            kind=Kind.MOVED,
            outcome=Outcome.OK,
            shipment=result.shipment,
            cell=cell,
            from_cell=from_cell,
            replayed=result.replayed,
        )
    placement = shipment_place(
        actor=request.user, shipment_id=pending.pk, cell=cell, idempotency_key=f"web-place:{key}"
    )
    return _placed(placement, suggested=suggested)


def _placed(placement: Placement, *, suggested: str = "") -> Answer:
    return Answer(
        kind=Kind.PLACED,
        outcome=Outcome.OK,
        shipment=placement.shipment,
        cell=placement.cell,
        suggested=suggested,
        replayed=placement.replayed,
    )


def _already_stored(shipment: Shipment) -> Answer:
    return Answer(kind=Kind.STORED, outcome=Outcome.PROMPT, shipment=shipment, cell=shipment.cell)


def _cannot_place(shipment: Shipment) -> InvalidTransition:
    return InvalidTransition(
        _("Разместить можно только принятое отправление. Это — «%(status)s».")
        % {"status": shipment.get_status_display()},
        details={"status": shipment.status},
    )


def _not_parcel_or_cell(result: ScanResult) -> DomainError:
    if result.target is ScanTarget.NOT_FOUND:
        details = {"code": result.raw, "normalized": result.normalized}
        if result.label_partners:
            # The partners' patterns say whose label it is; never from another point's shipments.
            names = ", ".join(partner.name for partner in result.label_partners)
            return NotFound(
                _("Похоже на этикетку %(partner)s, но на этой точке такого отправления нет.")
                % {"partner": names},
                details={**details, "label_partners": [partner.code for partner in result.label_partners]},
            )
        return not_here(NotFound(details=details))
    return DomainError(
        _("Здесь сканируют отправление или ячейку, а это — другое (тара, перевозка или код клиента)."),
        code=ErrorCode.VALIDATION_FAILED,
        details={"target": str(result.target)},
    )
