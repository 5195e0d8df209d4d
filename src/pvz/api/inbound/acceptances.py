"""Inbound endpoints of an acceptance by scan: open (or join) it, read it, scan, undo, mark a parcel
damaged, close it and read its discrepancy act."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Router
from ninja.files import UploadedFile

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, WRITE_ERRORS, ErrorOut
from pvz.api.idempotency import idempotent
from pvz.api.inbound.access import ACCEPTANCE, CARRIAGE
from pvz.api.inbound.rendering import acceptance_out, act_out, parcel_out, progress_out, tote_progress_out
from pvz.api.inbound.schemas import (
    AcceptanceOut,
    AcceptanceScanIn,
    ActOut,
    DamageForm,
    DamageOut,
    ScanOutcomeOut,
    ToteLineOut,
    UndoOut,
)
from pvz.api.permissions import requires, subject_of
from pvz.inbound import selectors, services
from pvz.inbound.models import Acceptance, AcceptanceDamage, Carriage
from pvz.shipments.selectors import shipment_get

router = Router()


@router.post(
    "/carriages/{carriage_id}/acceptance",
    response={200: AcceptanceOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_open",
    summary="Open (or join) the acceptance of a carriage",
    description="Registers arrival if needed. Several operators get the same open acceptance.",
)
@idempotent
@requires(Perm.OPERATE, via=CARRIAGE)
def acceptance_open(request: HttpRequest, carriage_id: int) -> AcceptanceOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    acceptance = services.acceptance_open(actor=user, carriage=carriage)
    acceptance.carriage.refresh_from_db()
    return acceptance_out(acceptance)


@router.get(
    "/acceptances/{acceptance_id}",
    response={200: AcceptanceOut, **READ_BY_ID_ERRORS},
    operation_id="inbound_acceptance_get",
    summary="An acceptance with its progress",
)
@requires(Perm.VIEW_POINT, via=ACCEPTANCE)
def acceptance_get(request: HttpRequest, acceptance_id: int) -> AcceptanceOut:
    return acceptance_out(subject_of(request, Acceptance))


@router.post(
    "/acceptances/{acceptance_id}/scans",
    response={200: ScanOutcomeOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_scan",
    summary="Scan a tote or parcel into an acceptance",
    description=(
        "Answers with exactly one outcome and the progress. A resent `scan_id` returns the first outcome "
        "(`replayed: true`) and writes nothing; with another code it is 422 IDEMPOTENCY_MISMATCH. A closed "
        "acceptance is 409 ACCEPTANCE_CLOSED."
    ),
)
@idempotent
@requires(Perm.OPERATE, checked_by="the scan service, in the round trip of the scan itself (hot path)")
def acceptance_scan(request: HttpRequest, acceptance_id: int, payload: AcceptanceScanIn) -> ScanOutcomeOut:
    # The service checks the caller's access to the acceptance itself (in the same round trip as the scan
    # on PostgreSQL): 404 for another point's, 403 without "operate".
    outcome = services.acceptance_scan(
        actor=caller(request),
        acceptance_id=acceptance_id,
        code=payload.code,
        scan_id=payload.scan_id,
        auto_place=payload.auto_place,
    )
    return _scan_out(outcome)


def _scan_out(outcome: services.ScanOutcome) -> ScanOutcomeOut:
    """The answer to a scan, built without validation (`model_construct`): every value comes typed from
    the service, and ninja's attribute-reading validation of a dozen nested schemas was a fifth of a
    scan's CPU. tests/inbound/test_api.py checks it against the validated construction."""
    # Another point's parcel is named only by what was scanned: its card is not this caller's to see.
    shipment = None if outcome.kind == "OTHER_POINT" else outcome.shipment
    return ScanOutcomeOut.model_construct(
        outcome=outcome.kind,
        message=outcome.message,
        code=outcome.scan.code,
        scan_id=outcome.scan.scan_id,
        flagged=outcome.flagged,
        label_partner=outcome.scan.label_partner.name if outcome.scan.label_partner else None,
        cell=outcome.cell.address if outcome.cell else None,
        placed=outcome.placed,
        shipment=parcel_out(shipment),
        tote=outcome.tote.barcode if outcome.tote else None,
        tote_progress=None if outcome.tote_progress is None else tote_progress_out(outcome.tote_progress),
        tote_content=[
            ToteLineOut.model_construct(
                posting_number=line.shipment.posting_number,
                barcode=line.shipment.barcode,
                scanned=line.scanned,
            )
            for line in outcome.tote_lines
        ],
        progress=progress_out(outcome.progress),
        replayed=outcome.replayed,
    )


@router.post(
    "/acceptances/{acceptance_id}/undo",
    response={200: UndoOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_undo",
    summary="Undo the caller's last scan",
    description="Only before closing; 409 NOTHING_TO_UNDO when the caller has no scan left to undo.",
)
@idempotent
@requires(Perm.OPERATE, via=ACCEPTANCE)
def acceptance_undo(request: HttpRequest, acceptance_id: int) -> UndoOut:
    user, acceptance = caller(request), subject_of(request, Acceptance)
    result = services.acceptance_undo_last(actor=user, acceptance=acceptance)
    return UndoOut(
        undone_outcome=result.scan.outcome,
        code=result.scan.code,
        shipment=parcel_out(result.shipment),
        notification_already_sent=result.notification_already_sent,
        progress=progress_out(result.progress),
    )


@router.post(
    "/acceptances/{acceptance_id}/damaged",
    response={200: DamageOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_mark_damaged",
    summary="Mark a parcel of this acceptance damaged (note + optional photo)",
    description="Multipart form. The photo is JPEG, PNG or WebP up to 10 MB; it is stored privately.",
)
@idempotent
@requires(Perm.OPERATE, via=ACCEPTANCE)
def acceptance_mark_damaged(
    request: HttpRequest,
    acceptance_id: int,
    form: Form[DamageForm],
    photo: File[UploadedFile | None] = None,
) -> DamageOut:
    user, acceptance = caller(request), subject_of(request, Acceptance)
    shipment = shipment_get(user=user, shipment_id=form.shipment_id, point=acceptance.carriage.point)
    damage: AcceptanceDamage = services.acceptance_mark_damaged(
        actor=user, acceptance=acceptance, shipment=shipment, note=form.note, photo=photo
    )
    damage.shipment.refresh_from_db()
    parcel = parcel_out(damage.shipment)
    assert parcel is not None
    return DamageOut(id=damage.pk, shipment=parcel, note=damage.note, has_photo=bool(damage.photo))


@router.post(
    "/acceptances/{acceptance_id}/close",
    response={200: ActOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_close",
    summary="Close the acceptance and get the discrepancy act",
    description=("Every manifest parcel not scanned becomes SHORTAGE. Closing again returns the same act."),
)
@idempotent
@requires(Perm.OPERATE, via=ACCEPTANCE)
def acceptance_close(request: HttpRequest, acceptance_id: int) -> ActOut:
    user, acceptance = caller(request), subject_of(request, Acceptance)
    return act_out(services.acceptance_close(actor=user, acceptance=acceptance))


@router.get(
    "/acceptances/{acceptance_id}/act",
    response={200: ActOut, **READ_BY_ID_ERRORS, 422: ErrorOut},
    operation_id="inbound_acceptance_act",
    summary="The discrepancy act of a closed acceptance",
)
@requires(Perm.VIEW_POINT, via=ACCEPTANCE)
def acceptance_act(request: HttpRequest, acceptance_id: int) -> ActOut:
    acceptance = subject_of(request, Acceptance)
    return act_out(selectors.acceptance_act(acceptance=acceptance))
