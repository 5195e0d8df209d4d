"""Storage extension (продление): a STORED parcel's deadline moves by 1–7 local days, once per visit, while
the deadline has not passed; one EXTENSION event and an audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.shipments.errors import AlreadyExtended, IdempotencyMismatch, InvalidTransition, StorageExpired
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services.events import event_record, event_with_key, shipment_lock
from pvz.shipments.statuses import Status
from pvz.shipments.storage import end_of_local_day

log = get_logger(__name__)

EXTENSION_DAYS_MIN, EXTENSION_DAYS_MAX = 1, 7


@dataclass(frozen=True)
class Extension:
    shipment: Shipment
    event: ShipmentEvent
    previous_deadline: dt.datetime
    replayed: bool = False


def _check_extension_days(days: object) -> int:
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not (EXTENSION_DAYS_MIN <= days <= EXTENSION_DAYS_MAX)
    ):
        raise DomainError(
            _("Продлить можно на %(min)s–%(max)s дней.")
            % {"min": EXTENSION_DAYS_MIN, "max": EXTENSION_DAYS_MAX},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "days", "min": EXTENSION_DAYS_MIN, "max": EXTENSION_DAYS_MAX, "value": days},
        )
    return days


def shipment_extend_storage(
    *, actor: User | None, shipment: Shipment, days: int, key: str | None
) -> Extension:
    """Move the storage deadline of a STORED parcel by `days` (1–7) local days, once per visit, while
    `now <= deadline`; the new deadline is again the end of a local day. Writes one EXTENSION event (from
    = to = STORED, old and new deadline in `details`); a replayed key returns it and writes nothing."""
    days = _check_extension_days(days)
    with transaction.atomic():
        first = event_with_key(key, shipment_id=shipment.pk, kind=EventKind.EXTENSION)
        if first is not None:
            if first.details.get("days") != days:
                raise IdempotencyMismatch(details={"idempotency_key": key})
            return Extension(
                Shipment.objects.get(pk=shipment.pk),
                first,
                dt.datetime.fromisoformat(first.details["old_deadline"]),
                replayed=True,
            )
        locked = shipment_lock(shipment.pk, None)
        if locked.status != Status.STORED or locked.storage_deadline is None:
            raise InvalidTransition(
                _("Продлить хранение можно только отправлению на хранении. Это — «%(status)s».")
                % {"status": locked.get_status_display()},
                details={"status": locked.status},
            )
        if locked.storage_extended_at is not None:
            raise AlreadyExtended(details={"extended_at": locked.storage_extended_at.isoformat()})
        now = clock.now()
        previous = locked.storage_deadline
        if now > previous:
            raise StorageExpired(
                details={"storage_deadline": previous.astimezone(locked.point.tz).isoformat()}
            )
        point = locked.point
        locked.storage_deadline = end_of_local_day(
            point.local_date(previous) + dt.timedelta(days=days), point
        )
        locked.storage_extended_at = now
        locked.storage_extended_by = actor
        event = event_record(
            locked,
            kind=EventKind.EXTENSION,
            actor=actor,
            from_status=Status.STORED,
            reason="storage_extended",
            idempotency_key=key,
            details={
                "days": days,
                "old_deadline": previous.isoformat(),
                "new_deadline": locked.storage_deadline.isoformat(),
            },
            at=now,
        )
        audit_record(
            action="shipment.extended",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "days": days,
                "event": event.pk,
                "new_deadline": locked.storage_deadline.astimezone(dt.UTC).isoformat(),
            },
        )
    log.info(
        "shipment_storage_extended", shipment_id=locked.pk, days=days, actor_id=getattr(actor, "pk", None)
    )
    return Extension(locked, event, previous)
