"""«Отправка»: return carriages on a scanner screen, and the hand-over to the courier.

The list page shows the open return carriages and creates one. The carriage screen has one scan field:
a tote barcode opens that tote for returns (or, in «Пустая тара» mode, adds an empty tote going back),
any other code puts the parcel into the current tote, which travels as a hidden field inside the answer.
Seal, remove and the hand-over are plain forms. Every write carries a client UUID (`scan_id` or
`action_id`) kept with its answer by `core.idempotency`, so a resent scan or press never acts twice.
Every rule lives in `pvz.outbound`; another point's carriage is a 404.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.roles import Perm
from pvz.core.errors import DomainError, NotFound
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.inbound.models import Carriage, CarriageStatus
from pvz.outbound import selectors, services
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.scanner import ScanForm, answer_status, form_error, scan_response, unreadable, write_once

LIST = "web/outbound/list.html"
SCREEN = "web/outbound/carriage.html"
ANSWER = "web/outbound/answer.html"
BOARD = "web/outbound/board.html"
ACT = "web/outbound/act.html"
_DATA_URL_PNG = "data:image/png;base64,"


class DispatchScanForm(ScanForm):
    mode = forms.ChoiceField(choices=[("returns", "returns"), ("empty", "empty")], required=False)
    tote = forms.IntegerField(required=False)


class ActionForm(forms.Form):
    action_id = forms.UUIDField()


class CreateForm(ActionForm):
    partner = forms.IntegerField()
    courier_phone = forms.CharField(max_length=20, required=False)


class SealForm(ActionForm):
    seal_number = forms.CharField(max_length=20, required=False)


class HandoverForm(ActionForm):
    method = forms.ChoiceField(choices=[("code", "code"), ("signature", "signature")])
    code = forms.CharField(max_length=20, required=False)
    courier_name = forms.CharField(max_length=200, required=False)
    signature = forms.CharField(required=False)


def _once(
    request: PointRequest, key: str, payload: str, run: Callable[[], tuple[int, dict[str, Any]]]
) -> dict[str, Any]:
    return write_once(request, "dispatch", key, payload, run)


def _carriage(request: AtPointRequest, carriage_id: int) -> Carriage:
    try:
        return selectors.return_carriage_get(user=request.user, carriage_id=carriage_id, point=request.point)
    except NotFound:
        raise Http404 from None


# ---- list and create ------------------------------------------------------------------------------------


def _list_context(request: AtPointRequest, **extra: Any) -> dict[str, Any]:
    return {
        "open": selectors.return_carriages_open(point=request.point),
        "closed": selectors.return_carriages_closed(point=request.point),
        "partners": selectors.partners_of_point(point=request.point),
        "action_id": uuid.uuid4(),
        **extra,
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def dispatch_list(request: AtPointRequest) -> HttpResponse:
    return render(request, LIST, _list_context(request))


@require_point_perm(Perm.OPERATE)
@require_POST
def dispatch_create(request: AtPointRequest) -> HttpResponse:
    point = request.point
    form = CreateForm(request.POST)
    if not form.is_valid():
        return render(request, LIST, _list_context(request, error=form_error(form)), status=422)
    data = form.cleaned_data

    def run() -> tuple[int, dict[str, Any]]:
        carriage = services.return_carriage_create(
            actor=request.user,
            point=point,
            partner_id=data["partner"],
            courier_phone=data["courier_phone"] or "",
        )
        return 200, {"carriage": carriage.pk}

    try:
        body = _once(
            request, str(data["action_id"]), f"create:{data['partner']}:{data['courier_phone']}", run
        )
    except DomainError as exc:
        return render(request, LIST, _list_context(request, error=exc), status=exc.http_status)
    return redirect("web:dispatch_carriage", carriage_id=body["carriage"])


# ---- the carriage screen --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The answer to one scan: what happened, its sound (scanner.js), and the tote to fill next."""

    kind: str  # tote_opened, tote_again, empty_added, empty_again, added, again, error
    sound: str  # ok, prompt, error
    text: str = ""
    tote_id: int | None = None
    tote: str = ""
    error: DomainError | None = None
    raw: str = ""

    @property
    def http_status(self) -> int:
        return answer_status(self)


def _screen_context(request: PointRequest, carriage: Carriage, **extra: Any) -> dict[str, Any]:
    return {
        "carriage": carriage,
        "progress": selectors.return_progress(carriage=carriage),
        "scan_id": uuid.uuid4(),
        "action_id": uuid.uuid4(),
        "closed": carriage.status == CarriageStatus.CLOSED,
        **extra,
    }


@require_point_perm(Perm.OPERATE)
@require_GET
def dispatch_carriage(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    if carriage.status == CarriageStatus.CLOSED:
        return redirect("web:dispatch_act", carriage_id=carriage.pk)
    progress = selectors.return_progress(carriage=carriage)
    # The newest unsealed tote is where the next parcel goes, also after a reload.
    current = next((row for row in reversed(progress.totes) if not row.sealed), None)
    answer = None
    if current is not None:
        row = current.dispatch_tote
        answer = Answer(kind="resume", sound="", tote_id=row.pk, tote=row.tote.barcode)
    return render(request, SCREEN, _screen_context(request, carriage, answer=answer, progress=progress))


@require_point_perm(Perm.OPERATE)
@require_GET
def dispatch_board(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    return render(request, BOARD, _screen_context(request, carriage))


def _scan_body(request: PointRequest, carriage: Carriage, data: dict[str, Any]) -> dict[str, Any]:
    code, mode, tote_id = data["code"], data.get("mode") or "returns", data.get("tote")
    if classify_scan(normalize_scan(code)).kind is ScanKind.TOTE:
        if mode == "empty":
            empty = services.return_empty_tote_add(actor=request.user, carriage=carriage, code=code)
            return {
                "kind": "empty_added" if empty.created else "empty_again",
                "tote": empty.dispatch_tote.tote.barcode,
                "tote_id": tote_id,
            }
        scan = services.return_tote_scan(actor=request.user, carriage=carriage, code=code)
        row = scan.dispatch_tote
        return {
            "kind": "tote_opened" if scan.created else "tote_again",
            "tote": row.tote.barcode,
            "tote_id": row.pk,
        }
    if tote_id is None:
        raise DomainError(
            _("Сначала отсканируйте тару, в которую кладёте возвраты."), details={"field": "tote"}
        )
    parcel = services.return_parcel_scan(actor=request.user, carriage=carriage, tote_id=tote_id, code=code)
    return {
        "kind": "added" if parcel.created else "again",
        "posting": parcel.line.shipment.posting_number,
        "tote": parcel.line.tote.tote.barcode,
        "tote_id": tote_id,
    }


def _answer_from(body: dict[str, Any], raw: str) -> Answer:
    kind, tote = body["kind"], body.get("tote", "")
    texts = {
        "tote_opened": (_("Тара %(tote)s открыта: сканируйте отправления."), "ok"),
        "tote_again": (_("Тара %(tote)s уже в отправке: продолжайте сканировать в неё."), "prompt"),
        "empty_added": (_("Пустая тара %(tote)s добавлена."), "ok"),
        "empty_again": (_("Пустая тара %(tote)s уже добавлена."), "prompt"),
        "added": (_("%(posting)s — в тару %(tote)s."), "ok"),
        "again": (_("%(posting)s уже в таре %(tote)s. Ничего не изменилось."), "prompt"),
    }
    text, sound = texts[kind]
    current = body.get("tote_id")
    current_tote = tote if kind not in ("empty_added", "empty_again") else ""
    return Answer(
        kind=kind,
        sound=sound,
        text=str(text) % {"tote": tote, "posting": body.get("posting", "")},
        tote_id=current,
        tote=current_tote,
        raw=raw,
    )


def _respond(request: PointRequest, carriage: Carriage, answer: Answer) -> HttpResponse:
    return scan_response(
        request,
        answer,
        partial=ANSWER,
        page=SCREEN,
        page_context=lambda: _screen_context(request, carriage, answer=answer),
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def dispatch_scan(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    form = DispatchScanForm(request.POST)
    raw = request.POST.get("code", "")
    tote_raw = request.POST.get("tote") or None
    keep = int(tote_raw) if tote_raw and tote_raw.isdigit() else None
    if not form.is_valid():
        error = unreadable(form)
        return _respond(
            request, carriage, Answer(kind="error", sound="error", error=error, raw=raw, tote_id=keep)
        )
    data = form.cleaned_data
    payload = f"{data.get('mode')}:{data.get('tote')}:{raw}"
    try:
        body = _once(
            request, str(data["scan_id"]), payload, lambda: (200, _scan_body(request, carriage, data))
        )
    except DomainError as exc:
        answer = Answer(
            kind="error", sound="error", error=exc, raw=raw, tote_id=keep, tote=_tote_name(carriage, keep)
        )
        return _respond(request, carriage, answer)
    return _respond(request, carriage, _answer_from(body, raw))


def _tote_name(carriage: Carriage, tote_id: int | None) -> str:
    if tote_id is None:
        return ""
    row = next(
        (
            r.dispatch_tote
            for r in selectors.return_progress(carriage=carriage).totes
            if r.dispatch_tote.pk == tote_id
        ),
        None,
    )
    return row.tote.barcode if row else ""


def _done(run: Callable[[], object]) -> tuple[int, dict[str, Any]]:
    run()
    return 200, {}


def _action(
    request: PointRequest, carriage: Carriage, form: forms.Form, payload: str, run: Callable[[], object]
) -> HttpResponse:
    """A button on the carriage screen: run once per action_id, then back to the screen (or its error)."""
    if not form.is_valid():
        error = form_error(form)
        return render(
            request, SCREEN, _screen_context(request, carriage, error=error), status=error.http_status
        )
    try:
        _once(request, str(form.cleaned_data["action_id"]), payload, lambda: _done(run))
    except DomainError as exc:
        return render(request, SCREEN, _screen_context(request, carriage, error=exc), status=exc.http_status)
    return redirect("web:dispatch_carriage", carriage_id=carriage.pk)


@require_point_perm(Perm.OPERATE)
@require_POST
def dispatch_seal(request: AtPointRequest, carriage_id: int, tote_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    form = SealForm(request.POST)
    seal = request.POST.get("seal_number", "")
    return _action(
        request,
        carriage,
        form,
        f"seal:{tote_id}:{seal}",
        lambda: services.return_tote_seal(
            actor=request.user, carriage=carriage, tote_id=tote_id, seal_number=seal
        ),
    )


@require_point_perm(Perm.OPERATE)
@require_POST
def dispatch_remove(request: AtPointRequest, carriage_id: int, shipment_id: int) -> HttpResponse:
    carriage = _carriage(request, carriage_id)
    return _action(
        request,
        carriage,
        ActionForm(request.POST),
        f"remove:{shipment_id}",
        lambda: services.return_parcel_remove(actor=request.user, carriage=carriage, shipment_id=shipment_id),
    )


def _signature_file(data_url: str) -> SimpleUploadedFile:
    if not data_url.startswith(_DATA_URL_PNG):
        raise DomainError(_("Попросите курьера расписаться в поле подписи."), details={"field": "signature"})
    try:
        content = base64.b64decode(data_url.removeprefix(_DATA_URL_PNG), validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(
            _("Подпись не прочиталась. Попросите расписаться ещё раз."), details={"field": "signature"}
        ) from None
    return SimpleUploadedFile("signature.png", content, content_type="image/png")


@require_point_perm(Perm.OPERATE)
@require_POST
def dispatch_handover(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    """«Передать курьеру»: the courier's code, or the signature drawn on the screen with the name."""
    carriage = _carriage(request, carriage_id)
    form = HandoverForm(request.POST)
    if not form.is_valid():
        error = form_error(form)
        return render(
            request, SCREEN, _screen_context(request, carriage, error=error), status=error.http_status
        )
    data = form.cleaned_data

    def run() -> tuple[int, dict[str, Any]]:
        if data["method"] == "code":
            outcome = services.return_carriage_hand_over(
                actor=request.user, carriage=carriage, courier_code=data["code"] or ""
            )
        else:
            outcome = services.return_carriage_hand_over(
                actor=request.user,
                carriage=carriage,
                courier_name=data["courier_name"] or "",
                signature=_signature_file(data["signature"] or ""),
            )
        if isinstance(outcome, DomainError):
            # Answered, not raised: the counted wrong try stays saved with the stored answer.
            return outcome.http_status, {"error": outcome.as_dict()}
        return 200, {"carriage": carriage.pk}

    payload = f"{data['method']}:{data['code']}:{data['courier_name']}:{data['signature']}"
    try:
        _once(request, str(data["action_id"]), payload, run)
    except DomainError as exc:
        context = _screen_context(request, carriage, error=exc, method=data["method"])
        return render(request, SCREEN, context, status=exc.http_status)
    return redirect("web:dispatch_act", carriage_id=carriage.pk)


@require_point_perm(Perm.OPERATE)
@require_GET
def dispatch_act(request: AtPointRequest, carriage_id: int) -> HttpResponse:
    """The printable hand-over act of a handed-over carriage."""
    carriage = _carriage(request, carriage_id)
    if carriage.status != CarriageStatus.CLOSED:
        return redirect("web:dispatch_carriage", carriage_id=carriage.pk)
    dispatch = selectors.dispatch_of(carriage=carriage)
    return render(request, ACT, {"carriage": carriage, "act": dispatch.act, "dispatch": dispatch})
