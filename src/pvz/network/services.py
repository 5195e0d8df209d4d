"""Writes on points and their cells: cells from a pattern, size or capacity, retiring, the special places;
and closing a point (OPEN → CLOSING → CLOSED).

Every change writes one audit record (`cell.*`, `point.close_*`) inside its transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError, ErrorCode, PermissionDenied
from pvz.core.logging import get_logger
from pvz.network.errors import PointClosed, PointClosing
from pvz.network.models import Cell, CellKind, Partner, PickupPoint, PointStatus, SizeClass
from pvz.network.selectors import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    cell_contents,
    cells_bulk_plan,
    point_leftovers,
    point_may_close,
)

if TYPE_CHECKING:
    from pvz.counter.models import RefusalReason
    from pvz.returns.models import ReturnReason

log = get_logger(__name__)

# Fixed addresses of the special places, one of each kind per point. The demo network uses the same ones.
SPECIAL_PLACES: tuple[tuple[str, CellKind], ...] = (
    ("INSPECTION", CellKind.INSPECTION),
    ("RETURNS", CellKind.RETURN_ZONE),
    ("TRANSIT", CellKind.TRANSIT),
    ("CONSUMABLES", CellKind.CONSUMABLES),
)
# Special places take whatever is put aside; their capacity is not checked by placement.
SPECIAL_PLACE_CAPACITY = 500


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


def special_places_ensure(*, actor: User | None, point: PickupPoint) -> list[Cell]:
    """The point's four special places, created if missing and brought back into work if retired.
    Running it again changes nothing."""
    places = []
    created_now: list[str] = []
    with transaction.atomic():
        for address, kind in SPECIAL_PLACES:
            cell, created = Cell.objects.select_for_update().get_or_create(
                point=point,
                address=address,
                defaults={"kind": kind, "size_class": SizeClass.XL, "capacity": SPECIAL_PLACE_CAPACITY},
            )
            if not created and not cell.is_active:
                cell.is_active = True
                cell.save(update_fields=["is_active", "updated_at"])
                created = True
            if created:
                created_now.append(address)
                log.info(
                    "special_place_ensured",
                    actor_id=actor.pk if actor else None,
                    point_id=point.pk,
                    cell=address,
                    kind=kind,
                )
            places.append(cell)
        if created_now:
            audit_record(
                action="cell.special_places",
                actor=actor,
                point_id=point.pk,
                obj=point,
                details={"cells": created_now},
            )
    return places


# ---- closing a point ---------------------------------------------------------------------------------

CLOSING_REASON_MAX = 500


def _lock_point(point: PickupPoint) -> PickupPoint:
    """The point's row, locked: manifest loading locks it too, so no delivery slips in while it changes."""
    return PickupPoint.objects.select_for_update().get(pk=point.pk)


def _check_may_close(*, actor: User, point: PickupPoint) -> None:
    if not point_may_close(user=actor, point=point):
        raise PermissionDenied(
            _("Закрыть точку может только её владелец или администратор платформы."),
            details={"point": point.pk},
        )


def point_lock_for_delivery(*, point: PickupPoint) -> PickupPoint:
    """The point's row, locked for the caller's transaction, when it takes new deliveries (OPEN);
    POINT_CLOSING / POINT_CLOSED otherwise. Carriages announced before closing began are not new
    deliveries: they are still accepted, and the point cannot complete closing until they are closed."""
    locked = _lock_point(point)
    if locked.status == PointStatus.CLOSING:
        raise PointClosing(details={"point": locked.pk, "status": locked.status})
    if locked.status == PointStatus.CLOSED or not locked.is_active:
        raise PointClosed(details={"point": locked.pk, "status": locked.status})
    return locked


def point_close_start(
    *, actor: User, point: PickupPoint, reason: str, planned_on: dt.date | None = None
) -> PickupPoint:
    """OPEN → CLOSING: from now on the point takes no new deliveries; issuing, returns and dispatch go on
    until it is empty. Only the owner or a platform admin; the reason is required."""
    _check_may_close(actor=actor, point=point)
    reason = reason.strip()
    if not reason or len(reason) > CLOSING_REASON_MAX:
        raise DomainError(
            _("Укажите причину закрытия (до %(max)s символов).") % {"max": CLOSING_REASON_MAX},
            details={"field": "reason"},
        )
    with transaction.atomic():
        locked = _lock_point(point)
        now = clock.now()
        if planned_on is not None and planned_on < locked.local_date(now):
            raise DomainError(
                _("Планируемая дата закрытия уже прошла: укажите сегодняшнюю или более позднюю."),
                details={"field": "planned_on", "planned_on": planned_on.isoformat()},
            )
        if locked.status != PointStatus.OPEN:
            raise Conflict(
                _("Точка уже %(status)s: начать закрытие можно только у работающей точки.")
                % {"status": locked.get_status_display().lower()},
                details={"point": locked.pk, "status": locked.status},
            )
        locked.status = PointStatus.CLOSING
        locked.closing_started_at = now
        locked.closing_reason = reason
        locked.closing_planned_on = planned_on
        locked.save(
            update_fields=[
                "status",
                "closing_started_at",
                "closing_reason",
                "closing_planned_on",
                "updated_at",
            ]
        )
        audit_record(
            action="point.close_start",
            actor=actor,
            point_id=locked.pk,
            obj=locked,
            details={"reason": reason, "planned_on": planned_on.isoformat() if planned_on else None},
        )
    log.info("point_close_started", actor_id=actor.pk, point_id=locked.pk)
    return locked


def point_close_cancel(*, actor: User, point: PickupPoint) -> PickupPoint:
    """CLOSING → OPEN: the owner changed their mind; deliveries are taken again."""
    _check_may_close(actor=actor, point=point)
    with transaction.atomic():
        locked = _lock_point(point)
        if locked.status != PointStatus.CLOSING:
            raise Conflict(
                _("Отменить можно только начатое закрытие."),
                details={"point": locked.pk, "status": locked.status},
            )
        locked.status = PointStatus.OPEN
        locked.closing_started_at = None
        locked.closing_reason = ""
        locked.closing_planned_on = None
        locked.save(
            update_fields=[
                "status",
                "closing_started_at",
                "closing_reason",
                "closing_planned_on",
                "updated_at",
            ]
        )
        audit_record(action="point.close_cancel", actor=actor, point_id=locked.pk, obj=locked)
    log.info("point_close_cancelled", actor_id=actor.pk, point_id=locked.pk)
    return locked


def point_close_complete(*, actor: User, point: PickupPoint) -> PickupPoint:
    """CLOSING → CLOSED once the point holds nothing (see `point_leftovers`); else CONFLICT with what
    remains. A closed point is out of work (`is_active` false): nobody can pick it, its history stays."""
    _check_may_close(actor=actor, point=point)
    with transaction.atomic():
        locked = _lock_point(point)
        if locked.status != PointStatus.CLOSING:
            raise Conflict(
                _("Сначала начните закрытие точки: завершить можно только закрывающуюся точку."),
                details={"point": locked.pk, "status": locked.status},
            )
        leftovers = point_leftovers(point=locked)
        if not leftovers.is_empty:
            raise DomainError(
                _(
                    "Точку нельзя закрыть, пока в ней что-то есть: на хранении %(to_issue)s, "
                    "к возврату %(to_return)s, в зоне возврата %(in_return_zone)s, незакрытых поставок "
                    "%(inbound_carriages)s, неотправленных возвратных перевозок %(return_carriages)s, "
                    "тары %(totes)s."
                )
                % leftovers.as_dict(),
                code=ErrorCode.CONFLICT,
                details={"point": locked.pk, "remaining": leftovers.as_dict()},
            )
        locked.status = PointStatus.CLOSED
        locked.closed_at = clock.now()
        locked.is_active = False
        locked.save(update_fields=["status", "closed_at", "is_active", "updated_at"])
        audit_record(action="point.close_complete", actor=actor, point_id=locked.pk, obj=locked)
    log.info("point_closed", actor_id=actor.pk, point_id=locked.pk)
    return locked


# ---- partner settings (platform admins) -----------------------------------------------------------------

PARTNER_DAYS_MAX = 365
REASON_KINDS = ("refusal", "return")


def _days(value: int, field: str) -> int:
    if not 1 <= value <= PARTNER_DAYS_MAX:
        raise DomainError(
            _("От 1 до %(max)s дней.") % {"max": PARTNER_DAYS_MAX},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": field},
        )
    return value


def partner_settings_update(
    *,
    actor: User,
    partner: Partner,
    storage_days: int,
    return_window_days: int,
    id_check_threshold_kop: int | None,
    barcode_patterns: list[str],
) -> Partner:
    """Change a partner's storage period, return window, ID-check threshold (kopecks; None: never) and
    label barcode patterns; audited with the changed fields, old and new values."""
    from pvz.network.barcodes import barcode_patterns_clean

    new: dict[str, object] = {
        "storage_days": _days(storage_days, "storage_days"),
        "return_window_days": _days(return_window_days, "return_window_days"),
        "id_check_threshold_kop": id_check_threshold_kop,
        "barcode_patterns": barcode_patterns_clean(barcode_patterns),
    }
    if id_check_threshold_kop is not None and id_check_threshold_kop < 0:
        raise DomainError(
            _("Порог не может быть отрицательным."),
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "id_check_threshold_kop"},
        )
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        changes = {
            field: [getattr(locked, field), value]
            for field, value in new.items()
            if getattr(locked, field) != value
        }
        if not changes:
            return locked
        for field, value in new.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="partner.settings_changed",
            actor=actor,
            obj=locked,
            details={"partner": locked.code, "changes": changes},
        )
    return locked


def _reason_model(kind: str) -> type[RefusalReason] | type[ReturnReason]:
    from pvz.counter.models import RefusalReason
    from pvz.returns.models import ReturnReason

    return RefusalReason if kind == "refusal" else ReturnReason


def partner_reason_create(
    *, actor: User, partner: Partner, kind: str, code: str, title: str, position: int
) -> RefusalReason | ReturnReason:
    """A partner's own refusal (kind "refusal") or return ("return") reason. Once a partner has an active
    reason of a kind, its own list replaces the default one. The code is unique per partner and kind."""
    model = _reason_model(kind)
    try:
        with transaction.atomic():
            reason = model.objects.create(partner=partner, code=code, title=title.strip(), position=position)
            audit_record(
                action=f"partner.{kind}_reason_created",
                actor=actor,
                obj=reason,
                details={"partner": partner.code, "code": code, "title": reason.title},
            )
    except IntegrityError as exc:
        raise DomainError(
            _("Причина с кодом %(code)s уже есть.") % {"code": code},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "code"},
        ) from exc
    return reason


def partner_reason_update(
    *,
    actor: User,
    reason: RefusalReason | ReturnReason,
    title: str,
    position: int,
    is_active: bool,
) -> RefusalReason | ReturnReason:
    """Rename, reorder, deactivate or reactivate a partner's reason (its code stays: past refusals and
    returns point at it); audited with the changes."""
    kind = "refusal" if reason._meta.model_name == "refusalreason" else "return"
    with transaction.atomic():
        locked = type(reason).objects.select_for_update().get(pk=reason.pk)
        new = {"title": title.strip(), "position": position, "is_active": is_active}
        changes = {f: [getattr(locked, f), v] for f, v in new.items() if getattr(locked, f) != v}
        if not changes:
            return locked
        for field, value in new.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changes))
        audit_record(
            action=f"partner.{kind}_reason_changed",
            actor=actor,
            obj=locked,
            details={"code": locked.code, "changes": changes},
        )
    return locked
