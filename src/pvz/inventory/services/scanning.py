"""Scans of an open count: a cell label makes that cell the operator's current one, a parcel scanned there is
classified at once (found, misplaced and moved where it was found, unknown, repeat) and recorded; on
PostgreSQL one database call answers most scans."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.core import clock
from pvz.core.errors import DomainError, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint
from pvz.inventory import scan_database
from pvz.inventory.errors import CellRetired, NoCurrentCell, cell_out_of_scope, cell_retired, cell_unknown
from pvz.inventory.models import InventoryCount, InventoryScan, ScanKind, ScanOutcome, UnknownReason
from pvz.inventory.selectors import CountProgress, cell_in_scope, count_get, count_progress, current_cell
from pvz.inventory.services.counts import REASON, count_lock_open, count_push
from pvz.network.models import Cell
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_move
from pvz.shipments.statuses import AT_POINT, Status

log = get_logger(__name__)

MAX_CODE_LENGTH = 200


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
        locked = count_lock_open(count)
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
        count_push(locked, progress)
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
        locked = count_lock_open(count)
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
        count_push(locked, progress)
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
                count_push(count, progress)
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
