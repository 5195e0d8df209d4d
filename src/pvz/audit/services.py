"""Writing the audit log. Every audited write calls `audit_record` inside its own transaction, so a
rolled-back change leaves no record."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from pvz.audit.chain import json_safe, record_hash
from pvz.audit.context import Actor, audit_context
from pvz.audit.models import AuditChainHead, AuditRecord
from pvz.core import clock

if TYPE_CHECKING:
    import datetime as dt


def _valid_ip(ip: str | None) -> str | None:
    """The address as the column will store it (IPv6 normalised), or None when it is not an address."""
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def audit_record(
    *,
    action: str,
    actor: Actor | None = None,
    actor_phone: str = "",
    point_id: int | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: object = "",
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditRecord:
    """Append one record to the chain. Actor, point, IP and user agent default to the current request's
    (`audit.context`). Takes the chain head under a row lock inside the caller's transaction: writers
    queue there until the caller commits, so the chain never forks. `details` must hold no secrets."""
    context = audit_context()
    actor = actor if actor is not None else context.user
    if obj is not None:
        object_type, object_id = object_type or obj._meta.model_name or "", obj.pk
    with transaction.atomic(savepoint=False):
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        record = AuditRecord(
            seq=head.seq + 1,
            at=at or clock.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_phone=actor.phone if actor is not None else actor_phone,
            ip=_valid_ip(context.ip),
            user_agent=context.user_agent,
            point_id=point_id if point_id is not None else context.point_id,
            action=action,
            object_type=object_type,
            object_id="" if object_id is None else str(object_id),
            details=json_safe(details or {}),
            prev_hash=head.hash,
        )
        record.hash = record_hash(record, prev_hash=head.hash)
        record.save(force_insert=True)
        head.seq, head.hash = record.seq, record.hash
        head.save(update_fields=["seq", "hash"])
    return record


def audit_access_denied(*, permission: str, point_id: int | None, path: str) -> AuditRecord:
    """A refused request (403): which permission was missing, where."""
    return audit_record(
        action="access.denied", point_id=point_id, details={"permission": permission, "path": path[:200]}
    )
