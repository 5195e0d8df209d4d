"""Closing a point: OPEN → CLOSING → CLOSED (the point's `status` and `closing_*` fields live in
`network`). A closing point takes no new deliveries (`network.services.point_lock_for_delivery`) and closes
once nothing is left in it (`closing.selectors.point_leftovers`). Retention of a closed point's customers
is `closing.retention`.

Every change writes one audit record (`point.close_*`) inside its transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.closing.selectors import point_leftovers, point_may_close
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError, ErrorCode, PermissionDenied
from pvz.core.logging import get_logger
from pvz.network.models import PickupPoint, PointStatus
from pvz.network.services import point_lock
from pvz.network.statuses import POINT

log = get_logger(__name__)

CLOSING_REASON_MAX = 500


def _check_may_close(*, actor: User, point: PickupPoint) -> None:
    if not point_may_close(user=actor, point=point):
        raise PermissionDenied(
            _("Закрыть точку может только её владелец или администратор платформы."),
            details={"point": point.pk},
        )


def _closing_save(
    point: PickupPoint,
    to_status: PointStatus,
    *,
    started_at: dt.datetime | None,
    reason: str,
    planned_on: dt.date | None,
) -> None:
    """Move the locked `point` to `to_status` with its closing fields, and save them."""
    POINT.set(point, to_status)
    point.closing_started_at = started_at
    point.closing_reason = reason
    point.closing_planned_on = planned_on
    point.save(
        update_fields=["status", "closing_started_at", "closing_reason", "closing_planned_on", "updated_at"]
    )


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
        locked = point_lock(point)
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
        _closing_save(locked, PointStatus.CLOSING, started_at=now, reason=reason, planned_on=planned_on)
        audit_record(
            action="point.close_start",
            actor=actor,
            point_id=locked.pk,
            obj=locked,
            details={"reason": reason, "planned_on": planned_on.isoformat() if planned_on else None},
        )
    log.info("point_close_started", actor_id=actor.pk, point_id=locked.pk)
    return locked


def _lock_closing(point: PickupPoint, refusal: Promise) -> PickupPoint:
    """The point's row, locked, when it is CLOSING; CONFLICT saying `refusal` otherwise."""
    locked = point_lock(point)
    if locked.status != PointStatus.CLOSING:
        raise Conflict(refusal, details={"point": locked.pk, "status": locked.status})
    return locked


def point_close_cancel(*, actor: User, point: PickupPoint) -> PickupPoint:
    """CLOSING → OPEN: the owner changed their mind; deliveries are taken again."""
    _check_may_close(actor=actor, point=point)
    with transaction.atomic():
        locked = _lock_closing(point, _("Отменить можно только начатое закрытие."))
        _closing_save(locked, PointStatus.OPEN, started_at=None, reason="", planned_on=None)
        audit_record(action="point.close_cancel", actor=actor, point_id=locked.pk, obj=locked)
    log.info("point_close_cancelled", actor_id=actor.pk, point_id=locked.pk)
    return locked


def point_close_complete(*, actor: User, point: PickupPoint) -> PickupPoint:
    """CLOSING → CLOSED once the point holds nothing (see `point_leftovers`); else CONFLICT with what
    remains. A closed point is out of work (`is_active` false): nobody can pick it, its history stays."""
    _check_may_close(actor=actor, point=point)
    with transaction.atomic():
        locked = _lock_closing(
            point, _("Сначала начните закрытие точки: завершить можно только закрывающуюся точку.")
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
        POINT.set(locked, PointStatus.CLOSED)
        locked.closed_at = clock.now()
        locked.is_active = False
        locked.save(update_fields=["status", "closed_at", "is_active", "updated_at"])
        audit_record(action="point.close_complete", actor=actor, point_id=locked.pk, obj=locked)
    log.info("point_closed", actor_id=actor.pk, point_id=locked.pk)
    return locked
