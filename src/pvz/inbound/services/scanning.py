"""One acceptance scan of a tote or parcel: answered with exactly one outcome, recorded, and applied
(accept, place, open a tote) in one PostgreSQL call (`inbound.scan_database`) or by the ORM path here."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.core import clock
from pvz.core.errors import DomainError, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import ScanGuess, ScanKind, classify_scan, normalize_scan
from pvz.core.sql import fits_bigint
from pvz.inbound import scan_database
from pvz.inbound.errors import AcceptanceClosed
from pvz.inbound.models import (
    Acceptance,
    AcceptanceScan,
    AcceptanceStatus,
    Carriage,
    ManifestLine,
    ManifestTote,
    ScanOutcomeKind,
    Tote,
)
from pvz.inbound.placement import NoFreeCell, cell_suggest, shipment_place_locked
from pvz.inbound.scan_outcome import ScanOutcome
from pvz.inbound.selectors import ToteLine, acceptance_get, acceptance_progress, tote_lines
from pvz.inbound.services.acceptances import acceptance_lock, acceptance_push
from pvz.inbound.services.totes import tote_settle
from pvz.network.barcodes import label_partners, partner_label_matches
from pvz.network.models import Partner
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

MAX_CODE_LENGTH = 200
# Parcels a scan may accept: those the table lets into ACCEPTED (announced, or missing from an earlier
# carriage). Anything else of this point has been accepted already in this visit.
ACCEPTABLE = (Status.EXPECTED, Status.SHORTAGE)


def _as_uuid(scan_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return scan_id if isinstance(scan_id, uuid.UUID) else uuid.UUID(str(scan_id))
    except ValueError:
        raise DomainError(_("scan_id должен быть UUID."), details={"field": "scan_id"}) from None


def acceptance_scan(
    *,
    actor: User,
    acceptance: Acceptance | None = None,
    acceptance_id: int | None = None,
    code: str,
    scan_id: uuid.UUID | str,
    auto_place: bool = False,
) -> ScanOutcome:
    """Answer one scan of a tote or parcel with exactly one outcome, record it, and apply its effect
    (accept, place, open a tote). The same `scan_id` again returns the first answer and writes nothing;
    with another code or mode it is IDEMPOTENCY_MISMATCH.

    Given `acceptance_id` instead of `acceptance`, the caller's access is checked here, as the API
    answers it: NOT_FOUND for an acceptance of a point the caller does not work at, PERMISSION_DENIED
    without "operate" there. On PostgreSQL a parcel scan is one call of `pvz_acceptance_scan`
    (`inbound.scan_database`), access check included; what it leaves to Python runs here."""
    target = acceptance.pk if acceptance is not None else acceptance_id
    assert target is not None, "acceptance or acceptance_id"
    scan_uuid = _as_uuid(scan_id)
    code = code.replace("\x00", "")  # kept as scanned, less the NUL bytes a text column cannot hold
    normalized = normalize_scan(code)
    if not normalized or len(code) > MAX_CODE_LENGTH:
        if acceptance is None:
            _accessible(actor, target)
        raise DomainError(
            _("Пустой или слишком длинный код. Отсканируйте этикетку ещё раз."), details={"code": code}
        )
    guess = classify_scan(normalized)
    if guess.kind is not ScanKind.TOTE and scan_database.available() and fits_bigint(target):
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answered = scan_database.scan_in_database(
                actor=actor,
                acceptance_id=target,
                raw_code=code,
                code=guess.value,
                scan_id=scan_uuid,
                auto_place=auto_place,
                now=clock.now(),
            )
            if isinstance(answered, ScanOutcome):
                last = {"outcome": answered.kind, "operator_id": actor.pk}
                acceptance_push(answered.scan.acceptance, answered.progress, last=last)
        if isinstance(answered, DomainError):
            raise answered
        if isinstance(answered, ScanOutcome):
            log.info("acceptance_scan", acceptance_id=target, outcome=answered.kind, actor_id=actor.pk)
            return answered
    with transaction.atomic():
        if acceptance is None:
            acceptance = _accessible(actor, target)
        outcome = _scan(actor=actor, acceptance=acceptance, code=code, guess=guess, scan_uuid=scan_uuid,
                        auto_place=auto_place)  # fmt: skip
    log.info("acceptance_scan", acceptance_id=target, outcome=outcome.kind, actor_id=actor.pk)
    return outcome


def _accessible(actor: User, acceptance_id: int) -> Acceptance:
    """The acceptance, if the caller works at its point (else NOT_FOUND) with "operate" there (else
    PERMISSION_DENIED)."""
    acceptance = acceptance_get(user=actor, acceptance_id=acceptance_id)
    point = acceptance.carriage.point
    if not user_can(user=actor, perm=Perm.OPERATE, point=point):
        raise PermissionDenied(details={"point": point.pk, "permission": str(Perm.OPERATE)})
    return acceptance


def _outcome_of(
    scan: AcceptanceScan,
    acceptance: Acceptance,
    *,
    placed: bool,
    replayed: bool = False,
    shipment: Shipment | None = None,
) -> ScanOutcome:
    """The answer to `scan`; `shipment` is the scanned parcel as this transaction left it (read afresh
    when not given, e.g. for a replay)."""
    progress = acceptance_progress(acceptance=acceptance)
    tote_progress = next((t for t in progress.totes if t.tote_id == scan.tote_id), None)
    lines: tuple[ToteLine, ...] = ()
    if scan.outcome == ScanOutcomeKind.TOTE_OPENED and scan.tote is not None:
        lines = tuple(tote_lines(acceptance=acceptance, tote=scan.tote))
    if shipment is None and scan.shipment_id:
        shipment = Shipment.objects.select_related("cell").get(pk=scan.shipment_id)
    return ScanOutcome(
        kind=ScanOutcomeKind(scan.outcome),
        scan=scan,
        progress=progress,
        shipment=shipment,
        tote=scan.tote,
        cell=scan.cell,
        placed=placed,
        tote_progress=tote_progress,
        tote_lines=lines,
        replayed=replayed,
    )


def _scan(
    *,
    actor: User,
    acceptance: Acceptance,
    code: str,
    guess: ScanGuess,
    scan_uuid: uuid.UUID,
    auto_place: bool,
) -> ScanOutcome:
    """The Python path of `acceptance_scan`, in the caller's transaction."""
    # Locked before looking for the scan_id, so a resent scan that raced its original waits for it
    # and is answered as a replay rather than failing on the unique scan_id.
    locked = acceptance_lock(acceptance.pk)
    first = (
        AcceptanceScan.objects.select_related("tote", "cell", "label_partner")
        .filter(scan_id=scan_uuid)
        .first()
    )
    if first is not None:
        if (first.acceptance_id, first.code, first.auto_place) != (locked.pk, guess.value, auto_place):
            raise IdempotencyMismatch(details={"scan_id": str(scan_uuid)})
        return _outcome_of(first, locked, placed=first.placed, replayed=True)
    if locked.status != AcceptanceStatus.OPEN:
        raise AcceptanceClosed(details={"acceptance_id": locked.pk})

    scan = AcceptanceScan(
        acceptance=locked,
        operator=actor,
        raw_code=code,
        code=guess.value,
        auto_place=auto_place,
        scan_id=scan_uuid,
        created_at=clock.now(),
    )
    shipment = None
    if guess.kind is ScanKind.TOTE:
        _scan_tote(scan, locked)
    else:
        shipment = _scan_parcel(scan, locked, actor=actor, kind=guess.kind)
    if scan.pk is None:  # a parcel of a tote is saved already, before the tote is settled
        scan.save()
    outcome = _outcome_of(scan, locked, placed=scan.placed, shipment=shipment)
    acceptance_push(locked, outcome.progress, last={"outcome": scan.outcome, "operator_id": actor.pk})
    return outcome


def _first(condition: Q) -> Case:
    """Ordering that puts the rows meeting `condition` first."""
    return Case(When(condition, then=Value(0)), default=Value(1), output_field=IntegerField())


def _scan_tote(scan: AcceptanceScan, acceptance: Acceptance) -> None:
    manifest_tote = (
        ManifestTote.objects.filter(carriage_id=acceptance.carriage_id, tote__barcode=scan.code)
        .select_related("tote")
        .first()
    )
    if manifest_tote is not None:
        scan.outcome = ScanOutcomeKind.TOTE_OPENED
        scan.tote = tote_settle(manifest_tote.tote, acceptance, arrived=True)
        return
    other = (
        Tote.objects.filter(barcode=scan.code)
        .order_by(_first(Q(partner_id=acceptance.carriage.partner_id)), "-updated_at")
        .first()
    )
    scan.outcome = ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE if other else ScanOutcomeKind.UNKNOWN
    scan.tote = other


def _find_parcel(code: str, carriage: Carriage) -> Shipment | None:
    """The parcel named by `code`, locked. Barcodes are unique per partner only: when the code is the
    carriage partner's label by its patterns, that partner's parcel wins over a namesake (even one of this
    point); otherwise a parcel of this point wins over a namesake elsewhere."""
    preferred: list[str | Case] = [_first(Q(point_id=carriage.point_id)), "-updated_at"]
    if partner_label_matches(carriage.partner, code):
        preferred.insert(0, _first(Q(partner_id=carriage.partner_id)))
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("order__customer", "point", "partner", "cell")
        .filter(Q(barcode=code.lower()) | Q(posting_number=code))
        .order_by(*preferred)
        .first()
    )


def _label_owner(code: str, carriage_partner: Partner) -> Partner | None:
    """Whose label `code` is: the carriage's partner is checked first and free (it came with the locked
    acceptance); only otherwise are all partners' patterns read (one query)."""
    if partner_label_matches(carriage_partner, code):
        return carriage_partner
    owners = label_partners(code)
    return owners[0] if owners else None


def _scan_unknown(scan: AcceptanceScan, carriage: Carriage, kind: ScanKind) -> None:
    """A code that names no shipment: some partner's label (UNKNOWN_LABEL, put aside, in the act as
    surplus without data); not a label at all while the carriage's partner has patterns (NOT_A_LABEL,
    e.g. a product barcode; a typed posting number stays UNKNOWN); otherwise UNKNOWN as before patterns."""
    owner = _label_owner(scan.code, carriage.partner)
    if owner is not None:
        scan.outcome = ScanOutcomeKind.UNKNOWN_LABEL
        scan.label_partner = owner
    elif carriage.partner.barcode_patterns and kind is not ScanKind.POSTING_NUMBER:
        scan.outcome = ScanOutcomeKind.NOT_A_LABEL
    else:
        scan.outcome = ScanOutcomeKind.UNKNOWN


def _scan_parcel(
    scan: AcceptanceScan, acceptance: Acceptance, *, actor: User, kind: ScanKind
) -> Shipment | None:
    """Fill in `scan` for a parcel code and apply it; returns the parcel as it is now. The parcel is read
    and locked once and changed in place (its scan_id, unused until now, guards the event keys)."""
    carriage = acceptance.carriage
    shipment = _find_parcel(scan.code, carriage)
    if shipment is None:
        _scan_unknown(scan, carriage, kind)
        return None
    scan.shipment = shipment
    if shipment.point_id != carriage.point_id:
        # Nothing changes at another point's parcel; the scan itself is the "put aside" record.
        scan.outcome = ScanOutcomeKind.OTHER_POINT
        return shipment
    line = ManifestLine.objects.filter(carriage=carriage, shipment=shipment).select_related("tote").first()
    if shipment.status not in ACCEPTABLE:
        scan.outcome = ScanOutcomeKind.ALREADY_ACCEPTED
        scan.cell = shipment.cell or (
            cell_suggest(shipment=shipment) if shipment.status == Status.ACCEPTED else None
        )
        return shipment
    scan.outcome = ScanOutcomeKind.ACCEPTED if line is not None else ScanOutcomeKind.SURPLUS
    scan.shipment_status_before = shipment.status
    # No live push per transition: the scan's one progress push tells the point's devices.
    shipment_transition_locked(
        actor=actor,
        shipment=shipment,
        to_status=Status.ACCEPTED,
        reason="acceptance_scan" if line is not None else "surplus",
        idempotency_key=f"scan:{scan.scan_id}:accept",
        details={"acceptance_id": acceptance.pk, "carriage": carriage.number},
        push=False,
    )
    if scan.auto_place:
        try:
            scan.cell = shipment_place_locked(
                actor=actor, shipment=shipment, idempotency_key=f"scan:{scan.scan_id}", push=False
            ).cell
            scan.placed = True
        except NoFreeCell:
            # Raised before anything was written: the parcel stays accepted, to be placed by hand.
            scan.cell = None
    else:
        scan.cell = cell_suggest(shipment=shipment)
    if line is not None and line.tote is not None:
        # Saved first, so that the tote sees this parcel as scanned.
        scan.tote = line.tote
        scan.save()
        tote_settle(line.tote, acceptance, scanned_in=scan.outcome == ScanOutcomeKind.ACCEPTED)
    return shipment
