"""Writes of inbound: ETA, arrival, acceptance by scan (open, scan, undo, damage, close) and tote moves.

Every acceptance write locks the acceptance row first, so the scans of one carriage queue behind each
other (they take a few milliseconds) while progress, tote state and closing stay consistent; parcels are
then changed only through `shipment_transition` / `shipment_place` (a scan, which has locked the parcel
already, through their `_locked` forms), under their own row locks.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import ScanGuess, ScanKind, classify_scan, normalize_scan
from pvz.core.sql import fits_bigint
from pvz.core.uploads import photo_check
from pvz.inbound import place_database, scan_database
from pvz.inbound.acts import DiscrepancyAct, discrepancy_act_build, shortage_key_prefix
from pvz.inbound.errors import AcceptanceClosed, ArrivalMismatch, NothingToUndo
from pvz.inbound.models import (
    Acceptance,
    AcceptanceDamage,
    AcceptanceScan,
    AcceptanceStatus,
    Carriage,
    CarriageFlow,
    CarriageStatus,
    ManifestLine,
    ManifestTote,
    ScanOutcomeKind,
    Tote,
    ToteStatus,
)
from pvz.inbound.outbox import outbox_carriage_event
from pvz.inbound.placement import NoFreeCell, Placement, cell_suggest, shipment_place, shipment_place_locked
from pvz.inbound.scan_outcome import ScanOutcome
from pvz.inbound.selectors import (
    NOT_ARRIVED,
    AcceptanceProgress,
    ToteLine,
    acceptance_get,
    acceptance_progress,
    acceptance_progress_data,
    carriages_approaching_data,
    tote_counts,
    tote_lines,
)
from pvz.network.barcodes import label_partners, partner_label_matches
from pvz.network.models import Cell, CellKind, Partner, PickupPoint
from pvz.notifications.services import notification_withdraw_ready
from pvz.shipments.errors import IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipment_get
from pvz.shipments.services import shipment_transition, shipment_transition_locked
from pvz.shipments.statuses import Status

log = get_logger(__name__)

# Russian plates: letter, 3 digits, 2 letters, 2–3 digit region; only letters that look alike in Latin.
PLATE_LETTERS = "АВЕКМНОРСТУХ"
_LATIN_LOOKALIKES = str.maketrans("ABEKMHOPCTYX", PLATE_LETTERS)
_PLATE = re.compile(rf"[{PLATE_LETTERS}]\d{{3}}[{PLATE_LETTERS}]{{2}}\d{{2,3}}")
_SEAL = re.compile(r"[0-9A-ZА-ЯЁ]{4,20}")
DRIVER_NAME_MAX = 200
SEALS_MAX = 10
DAMAGE_NOTE_MAX = 500
MAX_ETA_AHEAD = dt.timedelta(days=30)
MAX_CODE_LENGTH = 200
# Parcels a scan may accept: those the table lets into ACCEPTED (announced, or missing from an earlier
# carriage). Anything else of this point has been accepted already in this visit.
ACCEPTABLE = (Status.EXPECTED, Status.SHORTAGE)


# ---- planned deliveries and arrival -------------------------------------------------------------------


def _push_carriage(carriage: Carriage, now: dt.datetime) -> None:
    # Every change of a carriage passes here: its partner's webhook outbox row joins the transaction.
    outbox_carriage_event(carriage, at=now)
    after_commit(
        point_changed,
        carriage.point_id,
        topic="carriage",
        data={
            "id": carriage.pk,
            "status": carriage.status,
            "eta": carriage.eta.astimezone(carriage.point.tz).isoformat() if carriage.eta else None,
            "approaching": carriages_approaching_data(point=carriage.point, now=now),
        },
    )


def _lock_carriage(carriage_id: int) -> Carriage:
    try:
        return (
            Carriage.objects.select_for_update(of=("self",))
            .select_related("point", "partner")
            .get(pk=carriage_id)
        )
    except Carriage.DoesNotExist:
        raise NotFound(details={"carriage_id": carriage_id}) from None


def carriage_eta_update(*, actor: User | None, carriage: Carriage, eta: dt.datetime) -> Carriage:
    """New ETA of a carriage that has not arrived: from now (inclusive) to 30 days ahead (inclusive)."""
    if timezone.is_naive(eta):
        raise DomainError(_("Укажите время с часовым поясом."), details={"field": "eta"})
    now = clock.now()
    if eta < now or eta > now + MAX_ETA_AHEAD:
        raise DomainError(
            _("Время прибытия должно быть не раньше текущего момента и не позже чем через 30 дней."),
            details={"field": "eta"},
        )
    with transaction.atomic():
        locked = _lock_carriage(carriage.pk)
        if locked.status not in NOT_ARRIVED:
            raise Conflict(
                _("Перевозка уже прибыла или закрыта: время прибытия больше не меняется."),
                details={"status": locked.status},
            )
        previous = locked.eta
        locked.eta = eta
        locked.save(update_fields=["eta", "updated_at"])
        audit_record(
            action="carriage.eta_updated",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "number": locked.number,
                "old_eta": previous.astimezone(dt.UTC).isoformat() if previous else None,
                "eta": eta.astimezone(dt.UTC).isoformat(),
            },
        )
        _push_carriage(locked, now)
    log.info("carriage_eta_updated", carriage_id=locked.pk, actor_id=getattr(actor, "pk", None))
    return locked


@dataclass(frozen=True)
class ArrivalData:
    driver_name: str
    vehicle_plate: str
    seal_numbers: tuple[str, ...]


def plate_normalize(raw: str) -> str:
    """«a123bc 777» → «А123ВС777»: upper case, no spaces or dashes, Latin look-alikes made Cyrillic."""
    return re.sub(r"[\s-]", "", raw).upper().translate(_LATIN_LOOKALIKES)


def arrival_data_clean(*, driver_name: str, vehicle_plate: str, seal_numbers: Sequence[str]) -> ArrivalData:
    """Validated arrival-act fields; empty ones are "not given". All problems are reported at once."""
    problems: dict[str, str] = {}
    name = " ".join(driver_name.split())
    if len(name) > DRIVER_NAME_MAX:
        problems["driver_name"] = str(_("Имя водителя — не длиннее 200 символов."))
    plate = plate_normalize(vehicle_plate)
    if plate and not _PLATE.fullmatch(plate):
        problems["vehicle_plate"] = str(
            _("Номер машины в формате А123ВС77 или А123ВС777 (буквы А, В, Е, К, М, Н, О, Р, С, Т, У, Х).")
        )
    seals = [s.strip().upper() for s in seal_numbers if s.strip()]
    if any(not _SEAL.fullmatch(s) for s in seals):
        problems["seal_numbers"] = str(_("Номер пломбы — от 4 до 20 букв и цифр."))
    elif len(set(seals)) != len(seals):
        problems["seal_numbers"] = str(_("Номера пломб повторяются."))
    elif len(seals) > SEALS_MAX:
        problems["seal_numbers"] = str(_("Не больше 10 пломб."))
    if problems:
        raise DomainError(details={"fields": problems})
    return ArrivalData(driver_name=name, vehicle_plate=plate, seal_numbers=tuple(seals))


def _arrive(carriage: Carriage, *, actor: User | None, data: ArrivalData, at: dt.datetime) -> None:
    carriage.arrived_at = at
    carriage.driver_name = data.driver_name
    carriage.vehicle_plate = data.vehicle_plate
    carriage.seal_numbers = list(data.seal_numbers)
    carriage.arrival_registered_by = actor
    if carriage.status in NOT_ARRIVED:
        carriage.status = CarriageStatus.ARRIVED
    carriage.save()


def carriage_register_arrival(
    *,
    actor: User | None,
    carriage: Carriage,
    driver_name: str = "",
    vehicle_plate: str = "",
    seal_numbers: Sequence[str] = (),
    arrived_at: dt.datetime | None = None,
) -> Carriage:
    """Record that the vehicle is here, with the data of the arrival act. Registering again is a no-op
    when it repeats the registered data or gives none; other data is ARRIVAL_MISMATCH (CONFLICT), since
    the act may already have been signed."""
    data = arrival_data_clean(driver_name=driver_name, vehicle_plate=vehicle_plate, seal_numbers=seal_numbers)
    now = clock.now()
    if arrived_at is not None and (timezone.is_naive(arrived_at) or arrived_at > now):
        raise DomainError(
            _("Время прибытия не может быть в будущем."), details={"fields": {"arrived_at": "future"}}
        )
    with transaction.atomic():
        locked = _lock_carriage(carriage.pk)
        if locked.arrived_at is not None:
            registered = ArrivalData(locked.driver_name, locked.vehicle_plate, tuple(locked.seal_numbers))
            repeats = data in (registered, ArrivalData("", "", ())) and arrived_at in (
                None,
                locked.arrived_at,
            )
            if not repeats:
                raise ArrivalMismatch(
                    details={
                        "arrived_at": locked.arrived_at.isoformat(),
                        "driver_name": locked.driver_name,
                        "vehicle_plate": locked.vehicle_plate,
                        "seal_numbers": locked.seal_numbers,
                    }
                )
            return locked
        _arrive(locked, actor=actor, data=data, at=arrived_at or now)
        audit_record(
            action="carriage.arrived",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "number": locked.number,
                "arrived_at": locked.arrived_at.astimezone(dt.UTC).isoformat() if locked.arrived_at else None,
                "vehicle_plate": data.vehicle_plate,
                "seals": len(data.seal_numbers),
            },
        )
        _push_carriage(locked, now)
    log.info("carriage_arrived", carriage_id=locked.pk, actor_id=getattr(actor, "pk", None))
    return locked


# ---- acceptance ---------------------------------------------------------------------------------------


def _lock_acceptance(acceptance_id: int) -> Acceptance:
    return (
        Acceptance.objects.select_for_update(of=("self",))
        .select_related("carriage__point", "carriage__partner")
        .get(pk=acceptance_id)
    )


def _push_progress(acceptance: Acceptance, progress: AcceptanceProgress, **extra: Any) -> None:
    after_commit(
        point_changed,
        acceptance.carriage.point_id,
        topic="acceptance",
        data={
            "acceptance_id": acceptance.pk,
            "carriage_id": acceptance.carriage_id,
            **acceptance_progress_data(acceptance=acceptance, progress=progress),
            **extra,
        },
        # Twenty operators scanning one carriage would otherwise send every device 20 updates a second.
        coalesce=f"acceptance:{acceptance.pk}",
    )


def acceptance_open(*, actor: User, carriage: Carriage) -> Acceptance:
    """The open acceptance of a direct carriage, opening it (and registering arrival now, without act
    data) if needed; several operators opening the same carriage get the same acceptance."""
    with transaction.atomic():
        locked = _lock_carriage(carriage.pk)
        if locked.flow != CarriageFlow.DIRECT:
            raise DomainError(_("По сканированию принимают только перевозки прямого потока."))
        current = locked.acceptances.filter(status=AcceptanceStatus.OPEN).first()
        if current is not None:
            return current
        if locked.status == CarriageStatus.CLOSED:
            raise AcceptanceClosed(details={"carriage": locked.number})
        now = clock.now()
        arrives_now = locked.arrived_at is None
        if arrives_now:
            _arrive(locked, actor=actor, data=ArrivalData("", "", ()), at=now)
        acceptance = Acceptance.objects.create(carriage=locked, opened_by=actor, opened_at=now)
        locked.status = CarriageStatus.ACCEPTING
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="acceptance.opened",
            actor=actor,
            point_id=locked.point_id,
            obj=acceptance,
            details={"carriage": locked.pk, "number": locked.number, "arrival_registered": arrives_now},
        )
        _push_carriage(locked, now)
        _push_progress(acceptance, acceptance_progress(acceptance=acceptance))
    log.info("acceptance_opened", acceptance_id=acceptance.pk, actor_id=actor.pk)
    return acceptance


def _as_uuid(scan_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return scan_id if isinstance(scan_id, uuid.UUID) else uuid.UUID(str(scan_id))
    except ValueError:
        raise DomainError(_("scan_id должен быть UUID."), details={"field": "scan_id"}) from None


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
                _push_progress(answered.scan.acceptance, answered.progress, last=last)
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


def shipment_place_as(
    *, actor: User, shipment_id: int, cell_code: str | None, idempotency_key: str | None
) -> Placement:
    """Place an accepted parcel for `actor` (the place endpoint): NOT_FOUND for a parcel of a point the
    caller does not work at, PERMISSION_DENIED without "operate" there, NOT_FOUND for a cell code that
    names no cell of the parcel's point; then `shipment_place` into that cell, or the suggested one when
    `cell_code` is None. On PostgreSQL it is one call of `pvz_shipment_place` (`inbound.place_database`);
    a replayed key goes the Python way."""
    address = None if cell_code is None else normalize_scan(cell_code).upper()
    if place_database.available() and fits_bigint(shipment_id):
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answered = place_database.place_in_database(
                actor=actor,
                shipment_id=shipment_id,
                address=address,
                raw_cell=cell_code,
                idempotency_key=idempotency_key,
                now=clock.now(),
            )
        if isinstance(answered, DomainError):
            raise answered
        if isinstance(answered, Placement):
            log.info(
                "shipment_placed",
                shipment_id=shipment_id,
                cell=answered.cell.address,
                suggested=answered.suggested,
                actor_id=actor.pk,
            )
            return answered
    shipment = shipment_get(user=actor, shipment_id=shipment_id)
    if not user_can(user=actor, perm=Perm.OPERATE, point=shipment.point):
        raise PermissionDenied(details={"point": shipment.point_id, "permission": str(Perm.OPERATE)})
    cell = None
    if address is not None:
        cell = Cell.objects.filter(point=shipment.point, address=address).first()
        if cell is None:
            raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address or cell_code})
    return shipment_place(actor=actor, shipment_id=shipment.pk, cell=cell, idempotency_key=idempotency_key)


def _accessible(actor: User, acceptance_id: int) -> Acceptance:
    """The acceptance, if the caller works at its point (else NOT_FOUND) with "operate" there (else
    PERMISSION_DENIED)."""
    acceptance = acceptance_get(user=actor, acceptance_id=acceptance_id)
    point = acceptance.carriage.point
    if not user_can(user=actor, perm=Perm.OPERATE, point=point):
        raise PermissionDenied(details={"point": point.pk, "permission": str(Perm.OPERATE)})
    return acceptance


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
    locked = _lock_acceptance(acceptance.pk)
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
    _push_progress(locked, outcome.progress, last={"outcome": scan.outcome, "operator_id": actor.pk})
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
        scan.tote = _tote_settle(manifest_tote.tote, acceptance, arrived=True)
        return
    other = (
        Tote.objects.filter(barcode=scan.code)
        .order_by(_first(Q(partner_id=acceptance.carriage.partner_id)), "-updated_at")
        .first()
    )
    scan.outcome = ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE if other else ScanOutcomeKind.UNKNOWN
    scan.tote = other


def _tote_settle(
    tote: Tote, acceptance: Acceptance, *, arrived: bool = False, scanned_in: bool = False
) -> Tote:
    """Bring a manifest tote's status in line with the scans: here (FULL) once it or anything in it was
    scanned, EMPTY when everything the manifest put in it is accepted, FULL again if an undo reopens it.
    `scanned_in`: the caller has just accepted a parcel of this tote."""
    locked = Tote.objects.select_for_update().get(pk=tote.pk)
    status = ToteStatus(locked.status)
    scanned, expected = tote_counts(acceptance=acceptance, tote=locked)
    if status == ToteStatus.IN_TRANSIT and (arrived or scanned_in or scanned > 0):
        status = ToteStatus.FULL
    if status in (ToteStatus.FULL, ToteStatus.EMPTY):
        status = ToteStatus.EMPTY if scanned >= expected else ToteStatus.FULL
    if status != locked.status:
        locked.status = status
        locked.point = acceptance.carriage.point
        locked.save(update_fields=["status", "point", "updated_at"])
    return locked


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
        _tote_settle(line.tote, acceptance, scanned_in=scan.outcome == ScanOutcomeKind.ACCEPTED)
    return shipment


# ---- undo, damage, close ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoResult:
    scan: AcceptanceScan
    progress: AcceptanceProgress
    shipment: Shipment | None
    # The "ready for pickup" SMS had already gone out and cannot be called back.
    notification_already_sent: bool


def _unplace(*, actor: User, shipment: Shipment, key: str, reason: str) -> bool:
    """STORED → ACCEPTED for a parcel placed during this acceptance; returns whether its SMS was sent."""
    sent = notification_withdraw_ready(shipment=shipment, reason="parcel taken off the shelf at acceptance")
    shipment_transition(
        actor=actor, shipment_id=shipment.pk, to_status=Status.ACCEPTED, reason=reason, idempotency_key=key
    )
    return sent


def _lock_shipment(shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",)).select_related("order", "point").get(pk=shipment_id)
    )


def acceptance_undo_last(*, actor: User, acceptance: Acceptance) -> UndoResult:
    """Undo the caller's own last not-undone scan of an open acceptance: an accepted (or surplus) parcel
    goes back to the status it had before the scan, off its shelf; other scans are just struck out."""
    with transaction.atomic():
        locked = _lock_acceptance(acceptance.pk)
        if locked.status != AcceptanceStatus.OPEN:
            raise AcceptanceClosed(details={"acceptance_id": locked.pk})
        scan = (
            AcceptanceScan.objects.filter(acceptance=locked, operator=actor, undone_at__isnull=True)
            .select_related("tote")
            .order_by("-created_at", "-id")
            .first()
        )
        if scan is None:
            raise NothingToUndo()
        sent = False
        shipment = None
        if scan.outcome in (ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS) and scan.shipment_id:
            shipment = _lock_shipment(scan.shipment_id)
            if AcceptanceDamage.objects.filter(acceptance=locked, shipment=shipment).exists():
                raise Conflict(
                    _("Отправление уже отмечено повреждённым: этот скан отменить нельзя."),
                    details={"posting_number": shipment.posting_number},
                )
            if shipment.status == Status.STORED:
                sent = _unplace(
                    actor=actor, shipment=shipment, key=f"undo:{scan.scan_id}:unplace", reason="undo"
                )
            elif shipment.status != Status.ACCEPTED:
                raise InvalidTransition(details={"from": shipment.status, "to": scan.shipment_status_before})
            shipment = shipment_transition(
                actor=actor,
                shipment_id=shipment.pk,
                to_status=scan.shipment_status_before,
                reason="undo",
                idempotency_key=f"undo:{scan.scan_id}",
                details={"acceptance_id": locked.pk},
            ).shipment
        scan.undone_at = clock.now()
        scan.save(update_fields=["undone_at"])
        if scan.tote is not None and scan.outcome != ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE:
            _tote_settle(scan.tote, locked)
        progress = acceptance_progress(acceptance=locked)
        _push_progress(locked, progress)
    log.info("acceptance_scan_undone", acceptance_id=locked.pk, outcome=scan.outcome, actor_id=actor.pk)
    return UndoResult(scan=scan, progress=progress, shipment=shipment, notification_already_sent=sent)


def acceptance_mark_damaged(
    *,
    actor: User,
    acceptance: Acceptance,
    shipment: Shipment,
    note: str,
    photo: File | None = None,
) -> AcceptanceDamage:
    """A parcel accepted in this open acceptance (placed or not) → DAMAGED, into the point's inspection
    place when it has one, with the note and optional photo for the act."""
    note = note.strip()
    if not note or len(note) > DAMAGE_NOTE_MAX:
        raise DomainError(_("Опишите повреждение (до 500 символов)."), details={"field": "note"})
    extension = photo_check(photo) if photo is not None else ""
    with transaction.atomic():
        locked = _lock_acceptance(acceptance.pk)
        if locked.status != AcceptanceStatus.OPEN:
            raise AcceptanceClosed(details={"acceptance_id": locked.pk})
        accepted_here = AcceptanceScan.objects.filter(
            acceptance=locked,
            shipment_id=shipment.pk,
            outcome__in=(ScanOutcomeKind.ACCEPTED, ScanOutcomeKind.SURPLUS),
            undone_at__isnull=True,
        ).first()
        if accepted_here is None:
            raise InvalidTransition(
                _("Повреждение отмечают у отправления, принятого в этой приёмке. Сначала отсканируйте его."),
                details={"shipment_id": shipment.pk},
            )
        if AcceptanceDamage.objects.filter(acceptance=locked, shipment_id=shipment.pk).exists():
            raise Conflict(
                _("Повреждение этого отправления уже отмечено."), details={"shipment_id": shipment.pk}
            )
        current = _lock_shipment(shipment.pk)
        if current.status == Status.STORED:
            _unplace(
                actor=actor,
                shipment=current,
                key=f"damage:{locked.pk}:{current.pk}:unplace",
                reason="damaged_at_acceptance",
            )
        inspection = (
            Cell.objects.filter(point_id=current.point_id, kind=CellKind.INSPECTION, is_active=True)
            .order_by("address")
            .first()
        )
        shipment_transition(
            actor=actor,
            shipment_id=current.pk,
            to_status=Status.DAMAGED,
            cell=inspection,
            reason="damaged_at_acceptance",
            idempotency_key=f"damage:{locked.pk}:{current.pk}",
            details={"acceptance_id": locked.pk, "note": note},
        )
        damage = AcceptanceDamage(
            acceptance=locked, shipment=current, note=note, created_by=actor, created_at=clock.now()
        )
        if photo is not None:
            damage.photo.save(f"photo.{extension}", photo, save=False)
        damage.save()
        audit_record(
            action="acceptance.damaged",
            actor=actor,
            point_id=current.point_id,
            obj=current,
            details={"acceptance": locked.pk, "damage": damage.pk, "photo": photo is not None},
        )
        _push_progress(locked, acceptance_progress(acceptance=locked))
    log.info("acceptance_damage_marked", acceptance_id=locked.pk, shipment_id=shipment.pk, actor_id=actor.pk)
    return damage


def acceptance_close(*, actor: User, acceptance: Acceptance) -> DiscrepancyAct:
    """Close the acceptance: every manifest parcel still EXPECTED → SHORTAGE (one event each), the totes
    that arrived are emptied, the carriage is closed; returns the discrepancy act. Closing a closed
    acceptance changes nothing and returns the same act."""
    with transaction.atomic():
        locked = _lock_acceptance(acceptance.pk)
        if locked.status == AcceptanceStatus.CLOSED:
            return discrepancy_act_build(locked)
        carriage = _lock_carriage(locked.carriage_id)
        now = clock.now()

        def still_expected(shipment: Shipment) -> None:
            # ACCEPTED → SHORTAGE exists in the table (for undo); a close must only touch unscanned ones.
            if shipment.status != Status.EXPECTED:
                raise InvalidTransition(details={"status": shipment.status})

        missing = ManifestLine.objects.filter(carriage=carriage, shipment__status=Status.EXPECTED)
        shortage = 0
        for shipment_id in missing.order_by("shipment_id").values_list("shipment_id", flat=True):
            try:
                shipment_transition(
                    actor=actor,
                    shipment_id=shipment_id,
                    to_status=Status.SHORTAGE,
                    reason="not_in_carriage",
                    idempotency_key=f"{shortage_key_prefix(locked.pk)}{shipment_id}",
                    precondition=still_expected,
                    details={"acceptance_id": locked.pk, "carriage": carriage.number},
                )
                shortage += 1
            except InvalidTransition:
                continue  # accepted elsewhere a moment ago: not missing after all
        # What is left in a tote that arrived is the shortage: the tote itself is empty now.
        Tote.objects.filter(
            pk__in=ManifestTote.objects.filter(carriage=carriage).values("tote_id"), status=ToteStatus.FULL
        ).update(status=ToteStatus.EMPTY, updated_at=now)
        locked.status = AcceptanceStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = actor
        locked.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        carriage.status = CarriageStatus.CLOSED
        carriage.closed_at = now
        carriage.save(update_fields=["status", "closed_at", "updated_at"])
        locked.carriage = carriage
        _push_progress(locked, acceptance_progress(acceptance=locked))
        _push_carriage(carriage, now)
        act = discrepancy_act_build(locked)
        audit_record(
            action="acceptance.closed",
            actor=actor,
            point_id=carriage.point_id,
            obj=locked,
            details={"carriage": carriage.pk, "number": carriage.number, **act.counts},
        )
    log.info("acceptance_closed", acceptance_id=locked.pk, shortage=shortage, actor_id=actor.pk)
    return act


# ---- totes --------------------------------------------------------------------------------------------

# How a tote moves after it has been emptied at the point; arrival (IN_TRANSIT → FULL → EMPTY) follows
# the acceptance scans, and the manifest loader sends a tote out again (→ IN_TRANSIT).
TOTE_NEXT: dict[ToteStatus, frozenset[ToteStatus]] = {
    ToteStatus.EMPTY: frozenset({ToteStatus.RETURNS, ToteStatus.SENT_BACK}),
    ToteStatus.RETURNS: frozenset({ToteStatus.SENT_BACK}),
}


def _tote_move(*, actor: User | None, tote: Tote, point: PickupPoint, to: ToteStatus) -> Tote:
    with transaction.atomic():
        locked = Tote.objects.select_for_update().filter(pk=tote.pk, point=point).first()
        if locked is None:
            raise NotFound(details={"tote": tote.barcode})
        if to not in TOTE_NEXT.get(ToteStatus(locked.status), frozenset()):
            raise InvalidTransition(
                _("Тару %(tote)s в этом состоянии так использовать нельзя.") % {"tote": locked.barcode},
                details={"from": locked.status, "to": to},
            )
        previous = locked.status
        locked.status = to
        # A tote sent back has left the point and no longer counts in its balance.
        locked.point = None if to == ToteStatus.SENT_BACK else point
        locked.save(update_fields=["status", "point", "updated_at"])
        audit_record(
            action="tote.moved",
            actor=actor,
            point_id=point.pk,
            obj=locked,
            details={"tote": locked.barcode, "from": previous, "to": to},
        )
    log.info("tote_moved", tote_id=locked.pk, status=to, actor_id=getattr(actor, "pk", None))
    return locked


def tote_use_for_returns(*, actor: User | None, tote: Tote, point: PickupPoint) -> Tote:
    """An empty tote at the point starts collecting returns."""
    return _tote_move(actor=actor, tote=tote, point=point, to=ToteStatus.RETURNS)


def tote_send_back(*, actor: User | None, tote: Tote, point: PickupPoint) -> Tote:
    """An empty tote, or one full of returns, leaves the point with a courier."""
    return _tote_move(actor=actor, tote=tote, point=point, to=ToteStatus.SENT_BACK)
