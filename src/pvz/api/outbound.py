"""Return carriages («Отправка»): create, scan totes and parcels in, remove, seal, empty totes, the
hand-over to the courier and its act.

Handlers parse, check the caller's permission at the carriage's point, call one service or selector and
render. Another point's carriage is 404, never 403; writes need the *operate* permission. The courier's
code is never in these answers: it is for the partner side only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, WRITE_ERRORS, ErrorOut, error_answer
from pvz.api.idempotency import idempotent
from pvz.api.permissions import Lookup, point_of, requires, subject_of
from pvz.core.errors import Conflict, DomainError
from pvz.inbound.models import Carriage
from pvz.outbound import selectors, services
from pvz.outbound.models import DispatchTote
from pvz.outbound.selectors import ReturnProgress
from pvz.shipments.models import Shipment

router = Router(tags=["outbound"])


# ---- schemas --------------------------------------------------------------------------------------------


class ReturnCarriageIn(Schema):
    partner_id: int
    courier_phone: str = Field(default="", max_length=20, description="The courier's phone for the code SMS.")


class OutboundParcelOut(Schema):
    id: int
    posting_number: str
    barcode: str
    status: str


class ReturnToteOut(Schema):
    id: int = Field(description="The tote's place in this carriage (used in the tote URLs).")
    barcode: str
    sealed: bool
    seal_number: str
    parcels: list[OutboundParcelOut]


class EmptyToteOut(Schema):
    id: int
    barcode: str


class ReturnCarriageOut(Schema):
    id: int
    number: str = Field(description="Generated, e.g. RET-20261127-001.")
    partner: str
    partner_id: int
    point_id: int
    status: str = Field(description="planned while assembled, closed once handed over.")
    created_at: dt.datetime
    closed_at: dt.datetime | None
    eligible: int = Field(description="AWAITING_DISPATCH parcels of the partner at the point.")
    in_totes: int = Field(description="Parcels in this carriage's totes.")
    totes: list[ReturnToteOut]
    empty_totes: list[EmptyToteOut]


class OutboundCodeIn(Schema):
    code: str = Field(min_length=1, max_length=200, description="What was scanned, any keyboard layout.")


class ToteScanOut(Schema):
    created: bool = Field(description="False: the tote was already in this carriage.")
    registered: bool = Field(description="A new tote barcode, registered at the point.")
    tote: ReturnToteOut


class ParcelScanOut(Schema):
    created: bool = Field(description="False: the parcel was already in this carriage (harmless).")
    tote: str = Field(description="Barcode of the tote the parcel is in.")
    shipment: OutboundParcelOut
    eligible: int
    in_totes: int


class SealIn(Schema):
    seal_number: str = Field(default="", max_length=20, description="Optional, 4–20 letters/digits.")


class HandoverCodeIn(Schema):
    code: str = Field(min_length=1, max_length=20, description="The courier's 6-digit one-time code.")


class SignatureForm(Schema):
    courier_name: str = Field(min_length=1, max_length=200)


class ActToteOut(Schema):
    barcode: str
    seal_number: str
    parcels: list[dict[str, str]]


class HandoverActOut(Schema):
    carriage_id: int
    number: str
    point: dict[str, str]
    partner: dict[str, str]
    courier_name: str
    method: str = Field(description="code or signature.")
    created_at: dt.datetime
    handed_over_at: dt.datetime
    operator: str
    totes: list[ActToteOut]
    empty_totes: list[str]
    counts: dict[str, int] = Field(description="parcels, totes, empty_totes.")


# ---- rendering ------------------------------------------------------------------------------------------


def _parcel_out(shipment: Shipment) -> OutboundParcelOut:
    return OutboundParcelOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        status=shipment.status,
    )


def _tote_out(row: DispatchTote, parcels: tuple[Shipment, ...] | list[Shipment]) -> ReturnToteOut:
    return ReturnToteOut(
        id=row.pk,
        barcode=row.tote.barcode,
        sealed=row.sealed_at is not None,
        seal_number=row.seal_number,
        parcels=[_parcel_out(s) for s in parcels],
    )


def _carriage_out(carriage: Carriage, progress: ReturnProgress | None = None) -> ReturnCarriageOut:
    progress = progress or selectors.return_progress(carriage=carriage)
    tz = carriage.point.tz
    return ReturnCarriageOut(
        id=carriage.pk,
        number=carriage.number,
        partner=carriage.partner.name,
        partner_id=carriage.partner_id,
        point_id=carriage.point_id,
        status=carriage.status,
        created_at=carriage.created_at.astimezone(tz),
        closed_at=carriage.closed_at.astimezone(tz) if carriage.closed_at else None,
        eligible=progress.eligible,
        in_totes=progress.in_totes,
        totes=[_tote_out(row.dispatch_tote, row.parcels) for row in progress.totes],
        empty_totes=[EmptyToteOut(id=t.pk, barcode=t.tote.barcode) for t in progress.empty_totes],
    )


def _act_out(carriage: Carriage, act: dict[str, Any]) -> HandoverActOut:
    return HandoverActOut(carriage_id=carriage.pk, **act)


# ---- access ---------------------------------------------------------------------------------------------


# A return carriage named in the path: of one of the caller's points (else 404), the permission checked at its
# point by `@requires(…, via=RETURN_CARRIAGE)`.
RETURN_CARRIAGE = Lookup(
    "carriage_id", lambda user, carriage_id: selectors.return_carriage_get(user=user, carriage_id=carriage_id)
)


# ---- endpoints ------------------------------------------------------------------------------------------


@router.get(
    "/points/{point_id}/return-carriages",
    response={200: list[ReturnCarriageOut], **READ_BY_ID_ERRORS},
    operation_id="outbound_return_carriages_open",
    summary="Open return carriages of a point",
)
@requires(Perm.OPERATE)
def return_carriages_open(request: HttpRequest, point_id: int) -> list[ReturnCarriageOut]:
    point = point_of(request)
    return [_carriage_out(row.carriage) for row in selectors.return_carriages_open(point=point)]


@router.post(
    "/points/{point_id}/return-carriages",
    response={201: ReturnCarriageOut, **WRITE_ERRORS},
    operation_id="outbound_return_carriage_create",
    summary="Create a return carriage for a partner",
    description=(
        "The number is generated; the courier's 6-digit code is made and, when `courier_phone` is given, "
        "sent to it by SMS. One open return carriage per partner and point (else 409 CONFLICT)."
    ),
)
@idempotent
@requires(Perm.OPERATE)
def return_carriage_create(request: HttpRequest, point_id: int, payload: ReturnCarriageIn) -> Status[Any]:
    user = caller(request)
    point = point_of(request)
    carriage = services.return_carriage_create(
        actor=user, point=point, partner_id=payload.partner_id, courier_phone=payload.courier_phone
    )
    return Status(201, _carriage_out(selectors.return_carriage_get(user=user, carriage_id=carriage.pk)))


@router.get(
    "/return-carriages/{carriage_id}",
    response={200: ReturnCarriageOut, **READ_BY_ID_ERRORS},
    operation_id="outbound_return_carriage_get",
    summary="A return carriage with its totes, parcels and progress",
)
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_carriage_get(request: HttpRequest, carriage_id: int) -> ReturnCarriageOut:
    carriage = subject_of(request, Carriage)
    return _carriage_out(carriage)


@router.post(
    "/return-carriages/{carriage_id}/totes",
    response={200: ToteScanOut, **WRITE_ERRORS},
    operation_id="outbound_return_tote_scan",
    summary="Scan a tote to fill with returns",
    description=(
        "An EMPTY tote of the partner at the point (it becomes `returns`) or an unknown tote barcode "
        "(registered). The same tote again: `created: false`. A tote in another open carriage: 409."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_tote_scan(request: HttpRequest, carriage_id: int, payload: OutboundCodeIn) -> ToteScanOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    scan = services.return_tote_scan(actor=user, carriage=carriage, code=payload.code)
    row = scan.dispatch_tote
    parcels = [line.shipment for line in row.lines.select_related("shipment").order_by("pk")]
    return ToteScanOut(created=scan.created, registered=scan.registered, tote=_tote_out(row, parcels))


@router.post(
    "/return-carriages/{carriage_id}/totes/{tote_id}/parcels",
    response={200: ParcelScanOut, **WRITE_ERRORS},
    operation_id="outbound_return_parcel_scan",
    summary="Scan a parcel into a return tote",
    description=(
        "Only AWAITING_DISPATCH parcels of the carriage's partner at its point. Refusals: 404 NOT_FOUND "
        "(not at this point), 409 WRONG_PARTNER, ALREADY_ISSUED, STORAGE_NOT_EXPIRED, INVALID_TRANSITION, "
        "TOTE_SEALED, CONFLICT (in another carriage). Already in this carriage: `created: false`."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_parcel_scan(
    request: HttpRequest, carriage_id: int, tote_id: int, payload: OutboundCodeIn
) -> ParcelScanOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    scan = services.return_parcel_scan(actor=user, carriage=carriage, tote_id=tote_id, code=payload.code)
    progress = selectors.return_progress(carriage=carriage)
    scan.line.shipment.refresh_from_db()
    return ParcelScanOut(
        created=scan.created,
        tote=scan.line.tote.tote.barcode,
        shipment=_parcel_out(scan.line.shipment),
        eligible=progress.eligible,
        in_totes=progress.in_totes,
    )


@router.delete(
    "/return-carriages/{carriage_id}/parcels/{shipment_id}",
    response={200: ReturnCarriageOut, **WRITE_ERRORS},
    operation_id="outbound_return_parcel_remove",
    summary="Take a parcel out of its (unsealed) tote",
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_parcel_remove(request: HttpRequest, carriage_id: int, shipment_id: int) -> ReturnCarriageOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    services.return_parcel_remove(actor=user, carriage=carriage, shipment_id=shipment_id)
    return _carriage_out(carriage)


@router.post(
    "/return-carriages/{carriage_id}/totes/{tote_id}/seal",
    response={200: ReturnToteOut, **WRITE_ERRORS},
    operation_id="outbound_return_tote_seal",
    summary="Seal a return tote",
    description="Nothing goes in or out afterwards. Again with the same number: no-op; another: 409.",
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_tote_seal(request: HttpRequest, carriage_id: int, tote_id: int, payload: SealIn) -> ReturnToteOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    row = services.return_tote_seal(
        actor=user, carriage=carriage, tote_id=tote_id, seal_number=payload.seal_number
    )
    parcels = [line.shipment for line in row.lines.select_related("shipment").order_by("pk")]
    return _tote_out(row, parcels)


@router.post(
    "/return-carriages/{carriage_id}/empty-totes",
    response={200: ToteScanOut, **WRITE_ERRORS},
    operation_id="outbound_return_empty_tote_add",
    summary="Add an empty tote going back",
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_empty_tote_add(request: HttpRequest, carriage_id: int, payload: OutboundCodeIn) -> ToteScanOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    scan = services.return_empty_tote_add(actor=user, carriage=carriage, code=payload.code)
    return ToteScanOut(created=scan.created, registered=False, tote=_tote_out(scan.dispatch_tote, []))


def _handover_answer(carriage: Carriage, outcome: object) -> Status[Any] | HandoverActOut:
    if isinstance(outcome, DomainError):
        # Answered, not raised: the counted wrong try must stay saved with the request's stored answer.
        return error_answer(outcome)
    return _act_out(carriage, selectors.dispatch_of(carriage=carriage).act)


@router.post(
    "/return-carriages/{carriage_id}/handover/code",
    response={200: HandoverActOut, **WRITE_ERRORS},
    operation_id="outbound_return_handover_code",
    summary="Hand the carriage to the courier, confirmed by the courier's code",
    description=(
        "All or nothing: every parcel becomes DISPATCHED, every tote is sent back, the carriage closes. "
        "409 HANDOVER_BLOCKED lists the problems (`details.problems`) and changes nothing. A wrong code: "
        "400 CODE_INVALID with attempts left; the 5th wrong one: CODE_EXHAUSTED (the signature still works)."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_handover_code(request: HttpRequest, carriage_id: int, payload: HandoverCodeIn) -> Any:
    user, carriage = caller(request), subject_of(request, Carriage)
    outcome = services.return_carriage_hand_over(actor=user, carriage=carriage, courier_code=payload.code)
    return _handover_answer(carriage, outcome)


@router.post(
    "/return-carriages/{carriage_id}/handover/signature",
    response={200: HandoverActOut, **WRITE_ERRORS},
    operation_id="outbound_return_handover_signature",
    summary="Hand the carriage to the courier, confirmed by a drawn signature",
    description="Multipart form: `courier_name` and `signature`, a PNG up to 512 KB, stored privately.",
)
@idempotent
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_handover_signature(
    request: HttpRequest, carriage_id: int, form: Form[SignatureForm], signature: File[UploadedFile]
) -> Any:
    user, carriage = caller(request), subject_of(request, Carriage)
    outcome = services.return_carriage_hand_over(
        actor=user, carriage=carriage, courier_name=form.courier_name, signature=signature
    )
    return _handover_answer(carriage, outcome)


@router.get(
    "/return-carriages/{carriage_id}/act",
    response={200: HandoverActOut, **READ_BY_ID_ERRORS, 409: ErrorOut},
    operation_id="outbound_return_handover_act",
    summary="The hand-over act of a handed-over return carriage",
)
@requires(Perm.OPERATE, via=RETURN_CARRIAGE)
def return_handover_act(request: HttpRequest, carriage_id: int) -> HandoverActOut:
    carriage = subject_of(request, Carriage)
    dispatch = selectors.dispatch_of(carriage=carriage)
    if not dispatch.act:
        raise Conflict(_("Акт появится после передачи курьеру."), details={"carriage_id": carriage.pk})
    return _act_out(carriage, dispatch.act)
