"""Writes of inventory counts: start, scan a cell, scan a parcel, finish with the confirmed missing, cancel.

Every write locks the count row first, so the scans of one count queue behind each other (a few
milliseconds each) and finishing cannot interleave with a scan. Parcels change only through
`shipment_move` (a misplaced parcel is put where it was found) and `shipment_transition` (a confirmed
missing parcel → LOST), each with its one shipment event. Rules: `docs/domain.md` § Inventory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.services import audit_record
from pvz.cells.selectors import zone_normalize
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint
from pvz.inventory import scan_database
from pvz.inventory.errors import (
    CellRetired,
    InventoryClosed,
    NoCurrentCell,
    cell_out_of_scope,
    cell_retired,
    cell_unknown,
)
from pvz.inventory.models import (
    CountStatus,
    InventoryCount,
    InventoryMissing,
    InventoryScan,
    ScanKind,
    ScanOutcome,
    UnknownReason,
)
from pvz.inventory.report import InventoryReport, inventory_report_build
from pvz.inventory.selectors import (
    CountProgress,
    cell_in_scope,
    count_get,
    count_progress,
    current_cell,
    missing_parcels,
    scope_cells,
    zones_of_point,
)
from pvz.network.models import Cell, PickupPoint
from pvz.shipments.counters import cell_counters_drift, cell_counters_repair, cells_lock
from pvz.shipments.errors import IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import AT_POINT, Status

log = get_logger(__name__)

MAX_CODE_LENGTH = 200
# Why a shipment event was written by a count (reason of its MOVE and LOST events).
REASON = "inventory"


@dataclass(frozen=True)
class ScanAnswer:
    """The answer to one scan of a count: the recorded scan, the operator's current cell, the progress."""

    scan: InventoryScan
    cell: Cell
    progress: CountProgress
    replayed: bool = False

    @property
    def outcome(self) -> ScanOutcome:
        return ScanOutcome(self.scan.outcome)


# ---- start and cancel ---------------------------------------------------------------------------------


def _push(count: InventoryCount, progress: CountProgress | None = None) -> None:
    after_commit(
        point_changed,
        count.point_id,
        topic="inventory",
        data={
            "inventory_id": count.pk,
            "status": count.status,
            "zone": count.zone,
            **(progress or count_progress(count=count)).as_dict(),
        },
    )


def _lock_count(count_id: int) -> InventoryCount:
    try:
        return InventoryCount.objects.select_for_update(of=("self",)).select_related("point").get(pk=count_id)
    except InventoryCount.DoesNotExist:
        raise NotFound(details={"inventory_id": count_id}) from None


def inventory_start(*, actor: User, point: PickupPoint, zone: str | None = None) -> InventoryCount:
    """Open a count of the whole point (no zone) or of one zone that has active customer cells. A point
    has at most one open count: a second start is CONFLICT and names the open one."""
    zone_value = zone_normalize(zone or "")
    if zone_value and zone_value not in zones_of_point(point=point):
        raise DomainError(
            _("В зоне «%(zone)s» нет действующих ячеек. Выберите зону из списка.") % {"zone": zone_value},
            details={"field": "zone", "zone": zone_value},
        )
    open_count = InventoryCount.objects.filter(point=point, status=CountStatus.OPEN).first()
    if open_count is not None:
        raise _already_open(open_count)
    try:
        with transaction.atomic():
            count = InventoryCount.objects.create(
                point=point, zone=zone_value, started_by=actor, started_at=clock.now()
            )
            audit_record(
                action="inventory.started",
                actor=actor,
                point_id=point.pk,
                obj=count,
                details={"zone": zone_value},
            )
            _push(count)
    except IntegrityError:
        # Two managers started at the same moment: the database constraint let one through.
        raise _already_open(InventoryCount.objects.get(point=point, status=CountStatus.OPEN)) from None
    log.info("inventory_started", inventory_id=count.pk, zone=zone_value, actor_id=actor.pk)
    return count


def _already_open(count: InventoryCount) -> Conflict:
    return Conflict(
        _("На точке уже идёт инвентаризация (№ %(id)s). Завершите или отмените её.") % {"id": count.pk},
        details={"inventory_id": count.pk},
    )


def inventory_cancel(*, actor: User, count: InventoryCount) -> InventoryCount:
    """Stop an open count without a report: nothing is written off. Parcels it already moved stay where
    they were found (each move was a correction with its own event). Cancelling again changes nothing."""
    with transaction.atomic():
        locked = _lock_count(count.pk)
        if locked.status == CountStatus.CANCELLED:
            return locked
        if locked.status != CountStatus.OPEN:
            raise InventoryClosed(details={"inventory_id": locked.pk, "status": locked.status})
        locked.status = CountStatus.CANCELLED
        locked.finished_by = actor
        locked.finished_at = clock.now()
        locked.save(update_fields=["status", "finished_by", "finished_at"])
        audit_record(
            action="inventory.cancelled",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"zone": locked.zone},
        )
        _push(locked)
    log.info("inventory_cancelled", inventory_id=locked.pk, actor_id=actor.pk)
    return locked


# ---- scans --------------------------------------------------------------------------------------------


def _as_uuid(scan_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return scan_id if isinstance(scan_id, uuid.UUID) else uuid.UUID(str(scan_id))
    except ValueError:
        raise DomainError(_("scan_id должен быть UUID."), details={"field": "scan_id"}) from None


def _clean_code(raw: str) -> str:
    code = normalize_scan(raw or "")
    if not code or len(raw) > MAX_CODE_LENGTH:
        raise DomainError(
            _("Пустой или слишком длинный скан. Отсканируйте ещё раз."), details={"field": "code"}
        )
    return code


def _replay(scan_id: uuid.UUID, *, count: InventoryCount, kind: ScanKind, code: str) -> ScanAnswer | None:
    """The first answer to `scan_id` if it was this same scan; another scan with it is a mismatch."""
    first = (
        InventoryScan.objects.select_related("cell", "from_cell", "shipment").filter(scan_id=scan_id).first()
    )
    if first is None:
        return None
    if first.count_id != count.pk or first.kind != kind or first.code != code:
        raise IdempotencyMismatch(details={"scan_id": str(scan_id)})
    return ScanAnswer(scan=first, cell=first.cell, progress=count_progress(count=count), replayed=True)


def _open_locked(count: InventoryCount) -> InventoryCount:
    locked = _lock_count(count.pk)
    if locked.status != CountStatus.OPEN:
        raise InventoryClosed(details={"inventory_id": locked.pk, "status": locked.status})
    return locked


def _scope_cell(count: InventoryCount, address: str) -> Cell:
    """The point's cell with this address, if this count may take it: else a clear refusal."""
    cell = Cell.objects.filter(point_id=count.point_id, address=address.upper()).first()
    if cell is None:
        raise cell_unknown(address.upper())
    if not cell.is_active:
        raise cell_retired(cell.address)
    if not cell_in_scope(count=count, cell=cell):
        raise cell_out_of_scope(cell.address, count.zone)
    return cell


def inventory_scan_cell(
    *, actor: User, count: InventoryCount, code: str, scan_id: uuid.UUID | str
) -> ScanAnswer:
    """A cell label scanned: that cell becomes the operator's current cell in this count (their parcel
    scans go there until the next cell scan). Another point's, a retired or an out-of-zone cell is
    refused and not recorded."""
    scan_uuid = _as_uuid(scan_id)
    address = _clean_code(code).upper()
    with transaction.atomic():
        first = _replay(scan_uuid, count=count, kind=ScanKind.CELL, code=address)
        if first is not None:
            return first
        locked = _open_locked(count)
        cell = _scope_cell(locked, address)
        scan = InventoryScan.objects.create(
            count=locked,
            kind=ScanKind.CELL,
            operator=actor,
            cell=cell,
            raw_code=code[:MAX_CODE_LENGTH].replace("\x00", ""),
            code=address,
            outcome=ScanOutcome.CELL,
            scan_id=scan_uuid,
            at=clock.now(),
        )
        progress = count_progress(count=locked)
        _push(locked, progress)
    return ScanAnswer(scan=scan, cell=cell, progress=progress)


def _find_parcel(code: str, point_id: int) -> Shipment | None:
    """The parcel named by `code`, locked; barcodes are unique per partner only, so a parcel of this point
    wins over a namesake elsewhere."""
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("cell", "point")
        .filter(Q(barcode=code.lower()) | Q(posting_number=code))
        .order_by(
            Case(When(point_id=point_id, then=Value(0)), default=Value(1), output_field=IntegerField()), "pk"
        )
        .first()
    )


def inventory_scan_parcel(
    *, actor: User, count: InventoryCount, code: str, scan_id: uuid.UUID | str
) -> ScanAnswer:
    """A parcel scanned in the operator's current cell, classified at once and recorded:
    FOUND (ours, on a shelf, recorded in this cell); MISPLACED (ours, on a shelf, recorded in another cell
    or none: moved into this cell by `shipment_move` when the rules allow, else the refusal is kept);
    UNKNOWN (not found, another point's, or in a status that is not on a shelf); REPEAT (already scanned
    in this cell in this count: nothing changes). The same `scan_id` again returns the first answer."""
    scan_uuid = _as_uuid(scan_id)
    value = _clean_code(code)
    with transaction.atomic():
        first = _replay(scan_uuid, count=count, kind=ScanKind.PARCEL, code=value)
        if first is not None:
            return first
        locked = _open_locked(count)
        cell = current_cell(count=locked, operator=actor)
        if cell is None:
            raise NoCurrentCell(details={"code": value})
        if not cell.is_active:
            raise CellRetired(details={"cell": cell.address})
        scan = InventoryScan(
            count=locked,
            kind=ScanKind.PARCEL,
            operator=actor,
            cell=cell,
            raw_code=code[:MAX_CODE_LENGTH].replace("\x00", ""),
            code=value,
            scan_id=scan_uuid,
            at=clock.now(),
        )
        _classify(scan, locked, actor=actor)
        scan.save()
        progress = count_progress(count=locked)
        _push(locked, progress)
    log.info("inventory_parcel_scanned", inventory_id=locked.pk, outcome=scan.outcome, actor_id=actor.pk)
    return ScanAnswer(scan=scan, cell=cell, progress=progress)


def _classify(scan: InventoryScan, count: InventoryCount, *, actor: User) -> None:
    """Fill in `scan`'s outcome (and apply the move of a misplaced parcel)."""
    shipment = _find_parcel(scan.code, count.point_id)
    if shipment is None:
        scan.outcome, scan.reason = ScanOutcome.UNKNOWN, UnknownReason.NOT_FOUND
    elif shipment.point_id != count.point_id:
        # Another point's parcel is named only by its code: its card is not this point's to keep.
        scan.outcome, scan.reason = ScanOutcome.UNKNOWN, UnknownReason.OTHER_POINT
    else:
        scan.shipment = shipment
        scan.shipment_status = shipment.status
        if shipment.status not in AT_POINT:
            scan.outcome, scan.reason = ScanOutcome.UNKNOWN, UnknownReason.OFF_SHELF_STATUS
        elif shipment.status == Status.ACCEPTED and shipment.cell_id is None:
            scan.outcome, scan.reason = ScanOutcome.UNKNOWN, UnknownReason.NOT_PLACED
    if scan.outcome == ScanOutcome.UNKNOWN:
        if (
            InventoryScan.objects.filter(count=count, kind=ScanKind.PARCEL, code=scan.code)
            .exclude(outcome=ScanOutcome.REPEAT)
            .exists()
        ):
            scan.outcome = ScanOutcome.REPEAT
        return
    assert shipment is not None
    if InventoryScan.objects.filter(
        count=count, kind=ScanKind.PARCEL, shipment=shipment, cell=scan.cell
    ).exists():
        scan.outcome = ScanOutcome.REPEAT
        return
    if shipment.cell_id == scan.cell.pk:
        scan.outcome = ScanOutcome.FOUND
        return
    scan.outcome = ScanOutcome.MISPLACED
    scan.from_cell = shipment.cell
    try:
        # Its own savepoint: a refused move leaves nothing behind, and the scan is still recorded.
        with transaction.atomic():
            shipment_move(
                actor=actor,
                shipment_id=shipment.pk,
                cell=scan.cell,
                reason=REASON,
                idempotency_key=f"inventory:{scan.scan_id}",
            )
        scan.moved = True
    except DomainError as exc:
        scan.problem_code = str(exc.code)
        scan.problem = str(exc.message)[:300]


def inventory_scan(*, actor: User, count: InventoryCount, code: str, scan_id: uuid.UUID | str) -> ScanAnswer:
    """One scan field for both (the scan screen): a code that is a cell address of this point is a cell
    scan, anything else a parcel scan."""
    address = normalize_scan(code or "").upper()
    is_cell = bool(address) and Cell.objects.filter(point_id=count.point_id, address=address).exists()
    kind = ScanKind.CELL if is_cell else ScanKind.PARCEL
    return inventory_scan_as(actor=actor, count_id=count.pk, kind=kind, code=code, scan_id=scan_id)


def inventory_scan_as(
    *, actor: User, count_id: int, kind: ScanKind, code: str, scan_id: uuid.UUID | str
) -> ScanAnswer:
    """A cell or parcel scan for `actor` (the scan endpoints): NOT_FOUND for a count of a point the caller
    does not work at, PERMISSION_DENIED without "operate" there, then `inventory_scan_cell` or
    `inventory_scan_parcel`. On PostgreSQL it is one call of `pvz_inventory_scan` (`scan_database`); a
    replayed scan id and a misplaced parcel (its move) go the Python way, as does a code the Python path
    refuses as blank or too long (after the access checks, in that order)."""
    scan_uuid = _as_uuid(scan_id)
    value = normalize_scan(code or "")
    if kind == ScanKind.CELL:
        value = value.upper()
    if scan_database.available() and fits_bigint(count_id) and value and len(code) <= MAX_CODE_LENGTH:
        now = clock.now()
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answered = scan_database.scan_in_database(
                actor=actor,
                count_id=count_id,
                kind=kind,
                value=value,
                raw_code=code[:MAX_CODE_LENGTH].replace("\x00", ""),
                scan_id=scan_uuid,
                now=now,
            )
            if isinstance(answered, tuple):
                count, scan, cell, progress = answered
                _push(count, progress)
        if isinstance(answered, DomainError):
            raise answered
        if isinstance(answered, tuple):
            if kind == ScanKind.PARCEL:
                log.info(
                    "inventory_parcel_scanned", inventory_id=count_id, outcome=scan.outcome, actor_id=actor.pk
                )
            return ScanAnswer(scan=scan, cell=cell, progress=progress)
    count = count_get(user=actor, count_id=count_id)
    if not user_can(user=actor, perm=Perm.OPERATE, point=count.point):
        raise PermissionDenied(details={"point": count.point_id, "permission": str(Perm.OPERATE)})
    scan = inventory_scan_cell if kind == ScanKind.CELL else inventory_scan_parcel
    return scan(actor=actor, count=count, code=code, scan_id=scan_uuid)


# ---- finish -------------------------------------------------------------------------------------------


def inventory_finish(
    *, actor: User, count: InventoryCount, confirmed_missing_ids: Iterable[int] = ()
) -> InventoryReport:
    """Finish an open count, all or nothing: the missing list is computed now (live state); each confirmed
    parcel → LOST (one event each, reason "inventory"), the others are recorded as missing and left as
    they are; the count is FINISHED and its report fixed. A confirmed id that is not on the missing list
    now is VALIDATION_FAILED, one that cannot become LOST is INVALID_TRANSITION, a parcel changed meanwhile
    is CONFLICT; in each case nothing is written."""
    confirmed = set(confirmed_missing_ids)
    with transaction.atomic():
        locked = _open_locked(count)
        missing = missing_parcels(count=locked)
        listed = {line.shipment.pk for line in missing}
        stray = sorted(confirmed - listed)
        if stray:
            raise DomainError(
                _("Некоторые отмеченные отправления больше не числятся ненайденными. Обновите список."),
                details={"shipment_ids": stray},
            )
        blocked = [line for line in missing if line.shipment.pk in confirmed and not line.can_be_lost]
        if blocked:
            raise InvalidTransition(
                _("Эти отправления нельзя списать как утерянные в их статусе: %(list)s.")
                % {"list": ", ".join(line.shipment.posting_number for line in blocked)},
                details={"shipment_ids": [line.shipment.pk for line in blocked]},
            )
        # The confirmed parcels leave their cells one by one, each decrementing its cell's counter under the
        # cell's row lock: the parcels, then those cells, are locked first, each in id order, as every
        # transaction that moves several parcels does (shipments.counters).
        lost = sorted(line.shipment.pk for line in missing if line.shipment.pk in confirmed)
        list(Shipment.objects.select_for_update(of=("self",)).filter(pk__in=lost).order_by("pk").values("pk"))
        cells_lock(line.cell.pk for line in missing if line.shipment.pk in confirmed)
        for line in missing:
            is_confirmed = line.shipment.pk in confirmed
            InventoryMissing.objects.create(
                count=locked,
                shipment=line.shipment,
                cell=line.cell,
                status_before=line.shipment.status,
                confirmed=is_confirmed,
            )
            if is_confirmed:
                _write_off(actor=actor, count=locked, line_shipment=line.shipment)
        _counters_check(locked)
        locked.status = CountStatus.FINISHED
        locked.finished_by = actor
        locked.finished_at = clock.now()
        locked.save(update_fields=["status", "finished_by", "finished_at"])
        _push(locked)
        report = inventory_report_build(locked)
        audit_record(
            action="inventory.finished",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"zone": locked.zone, **report.counts},
        )
    log.info(
        "inventory_finished",
        inventory_id=locked.pk,
        missing=len(missing),
        lost=len(confirmed),
        actor_id=actor.pk,
    )
    return report


def _counters_check(count: InventoryCount) -> None:
    """The count has just looked at every cell in its scope: their capacity counters must say what the
    parcels say. A difference (something wrote around the database's triggers) is set right and recorded."""
    drifts = cell_counters_drift(cell_ids=scope_cells(count=count).values_list("pk", flat=True))
    if not drifts:
        return
    cell_counters_repair(drifts)
    details = [{"cell": d.address, "held": d.held, "parcels": d.truth} for d in drifts]
    log.warning("cell_counters_repaired", inventory_id=count.pk, cells=details)
    audit_record(
        action="inventory.counters_repaired",
        actor=None,
        point_id=count.point_id,
        obj=count,
        details={"cells": details},
    )


def _write_off(*, actor: User, count: InventoryCount, line_shipment: Shipment) -> None:
    """One missing parcel → LOST. The list was read without the parcel's lock, so the version it had then
    is required: a parcel issued or moved since is CONFLICT, and the whole finish rolls back."""
    shipment_transition(
        actor=actor,
        shipment_id=line_shipment.pk,
        to_status=Status.LOST,
        reason=REASON,
        idempotency_key=f"inventory:{count.pk}:lost:{line_shipment.pk}",
        expected_version=line_shipment.version,
        details={
            "inventory_id": count.pk,
            "cell": line_shipment.cell.address if line_shipment.cell else None,
        },
    )
