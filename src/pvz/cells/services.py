"""Writes on a point's regular cells: cells from a pattern, size or capacity, retiring. They check what a
cell holds (`cells.selectors.cell_contents`), so they sit above `shipments`; the Cell model and the special
places are `network`'s.

Every change writes one audit record (`cell.*`) inside its transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.cells.selectors import CAPACITY_MAX, CAPACITY_MIN, cell_contents, cells_bulk_plan
from pvz.core.errors import Conflict, DomainError
from pvz.core.logging import get_logger
from pvz.network.models import Cell, CellKind, PickupPoint, SizeClass

log = get_logger(__name__)


def _check_size_class(value: str) -> str:
    if value not in SizeClass.values:
        raise DomainError(
            _("Размер «%(value)s» не подходит: выберите S, M, L или XL.") % {"value": value},
            details={"field": "size_class", "value": value, "allowed": list(SizeClass.values)},
        )
    return value


def _check_capacity(value: int) -> int:
    if not CAPACITY_MIN <= value <= CAPACITY_MAX:
        raise DomainError(
            _("Вместимость ячейки — от %(low)s до %(high)s отправлений, указано %(value)s.")
            % {"low": CAPACITY_MIN, "high": CAPACITY_MAX, "value": value},
            details={"field": "capacity", "value": value, "min": CAPACITY_MIN, "max": CAPACITY_MAX},
        )
    return value


def _lock_regular(cell: Cell) -> Cell:
    """The cell's row, locked: placement locks the same row, so nobody fills it while we check."""
    locked = Cell.objects.select_for_update().select_related("point").get(pk=cell.pk)
    if locked.kind != CellKind.REGULAR:
        raise DomainError(
            _("%(cell)s — служебное место; его не меняют и не выводят из работы.") % {"cell": locked.address},
            details={"cell": locked.address, "kind": locked.kind},
        )
    return locked


def cells_create_bulk(
    *,
    actor: User,
    point: PickupPoint,
    zones: list[str],
    racks: tuple[int, int],
    shelves: tuple[int, int],
    size_class: str,
    capacity: int,
) -> list[Cell]:
    """Create customer cells `<zone>-<rack:02d>-<shelf>` for every combination, all or nothing:
    when any of the addresses already exists at the point (retired ones too), nothing is created."""
    _check_size_class(size_class)
    _check_capacity(capacity)
    try:
        with transaction.atomic():
            # Two managers creating overlapping patterns at once queue here instead of half-clashing.
            PickupPoint.objects.select_for_update().filter(pk=point.pk).first()
            plan = cells_bulk_plan(point=point, zones=zones, racks=racks, shelves=shelves)
            if plan.clashes:
                raise DomainError(
                    _("Адреса уже есть на точке: %(list)s. Ничего не создано — измените диапазон или зону.")
                    % {"list": _shorten(plan.clashes)},
                    details={"clashes": plan.clashes, "count": len(plan.clashes)},
                )
            cells = Cell.objects.bulk_create(
                [
                    Cell(
                        point=point,
                        address=address,
                        kind=CellKind.REGULAR,
                        size_class=size_class,
                        capacity=capacity,
                    )
                    for address in plan.addresses
                ]
            )
            audit_record(
                action="cell.create",
                actor=actor,
                point_id=point.pk,
                obj=point,
                details={
                    "count": len(cells),
                    "first": plan.addresses[0],
                    "last": plan.addresses[-1],
                    "size_class": size_class,
                    "capacity": capacity,
                },
            )
    except IntegrityError:
        # Only a writer that bypassed the point lock can get here; the unique address wins.
        raise Conflict(details={"point_id": point.pk}) from None
    log.info(
        "cells_created",
        actor_id=actor.pk,
        point_id=point.pk,
        count=len(cells),
        first=plan.addresses[0],
        last=plan.addresses[-1],
        size_class=size_class,
        capacity=capacity,
    )
    # Both supported backends (PostgreSQL, SQLite >= 3.35) return the new primary keys from bulk_create.
    return cells


def _shorten(addresses: list[str], limit: int = 10) -> str:
    shown = ", ".join(addresses[:limit])
    return shown if len(addresses) <= limit else f"{shown} … (+{len(addresses) - limit})"


def cell_update(
    *, actor: User, cell: Cell, size_class: str | None = None, capacity: int | None = None
) -> Cell:
    """Change a customer cell's size class or capacity. Capacity never goes below the parcels the cell
    holds now; the size class never below the largest of them."""
    with transaction.atomic():
        locked = _lock_regular(cell)
        if not locked.is_active:
            raise DomainError(
                _("Ячейка %(cell)s выведена из работы; её нельзя изменить.") % {"cell": locked.address},
                details={"cell": locked.address},
            )
        contents = cell_contents(cell=locked)
        changes: dict[str, object] = {}
        if capacity is not None and _check_capacity(capacity) != locked.capacity:
            if capacity < contents.held:
                raise DomainError(
                    _(
                        "В ячейке %(cell)s сейчас %(held)s отправлений — вместимость не может быть "
                        "меньше (указано %(capacity)s)."
                    )
                    % {"cell": locked.address, "held": contents.held, "capacity": capacity},
                    details={"cell": locked.address, "capacity": capacity, "held": contents.held},
                )
            changes["capacity"] = (locked.capacity, capacity)
            locked.capacity = capacity
        if size_class is not None and _check_size_class(size_class) != locked.size_class:
            largest = contents.largest_size
            if largest is not None and SizeClass.rank(size_class) < SizeClass.rank(largest):
                raise DomainError(
                    _(
                        "В ячейке %(cell)s лежит отправление размера %(largest)s — размер ячейки не "
                        "может быть меньше (указано %(size)s)."
                    )
                    % {"cell": locked.address, "largest": largest, "size": size_class},
                    details={"cell": locked.address, "size_class": size_class, "largest": largest},
                )
            changes["size_class"] = (locked.size_class, size_class)
            locked.size_class = size_class
        if changes:
            locked.save(update_fields=["capacity", "size_class", "updated_at"])
            audit_record(
                action="cell.update",
                actor=actor,
                point_id=locked.point_id,
                obj=locked,
                details={"cell": locked.address, **changes},
            )
            log.info(
                "cell_updated", actor_id=actor.pk, point_id=locked.point_id, cell=locked.address, **changes
            )
    return locked


def cell_retire(*, actor: User, cell: Cell) -> Cell:
    """Take an empty customer cell out of work (it stays for history). Retiring it again changes nothing."""
    with transaction.atomic():
        locked = _lock_regular(cell)
        if not locked.is_active:
            return locked
        held = cell_contents(cell=locked).held
        if held:
            raise Conflict(
                _("В ячейке %(cell)s ещё %(held)s отправлений. Переложите их и повторите.")
                % {"cell": locked.address, "held": held},
                details={"cell": locked.address, "held": held},
            )
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        audit_record(
            action="cell.retire",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"cell": locked.address},
        )
        log.info("cell_retired", actor_id=actor.pk, point_id=locked.point_id, cell=locked.address)
    return locked
