"""Writing the audit log. Every audited write calls `audit_record` inside its own transaction, so a
rolled-back change leaves no record."""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction

from pvz.audit.chain import json_safe, payload_parts, record_hash
from pvz.audit.context import audit_context
from pvz.audit.models import AuditChainHead, AuditRecord
from pvz.core import clock
from pvz.core.sql import fetch_one

if TYPE_CHECKING:
    import datetime as dt

    from pvz.accounts.models import User


def _valid_ip(ip: str | None) -> str | None:
    """The address as the column will store it (IPv6 normalised), or None when it is not an address."""
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def audit_record(
    *,
    action: str,
    actor: User | None = None,
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
    record = AuditRecord(
        at=at or clock.now(),
        actor=actor,
        actor_phone=actor.phone if actor is not None else actor_phone,
        ip=_valid_ip(context.ip),
        user_agent=context.user_agent,
        point_id=point_id if point_id is not None else context.point_id,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        details=json_safe(details or {}),
    )
    if in_database():
        return _append_in_database(record)
    with transaction.atomic(savepoint=False):
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        record.seq, record.prev_hash = head.seq + 1, head.hash
        record.hash = record_hash(record, prev_hash=head.hash)
        record.save(force_insert=True)
        head.seq, head.hash = record.seq, record.hash
        head.save(update_fields=["seq", "hash"])
    return record


def in_database() -> bool:
    """Whether appends go through `pvz_audit_append` (PostgreSQL)."""
    return connection.vendor == "postgresql"


_APPEND = "SELECT * FROM pvz_audit_append(%s, %s, %s, %s, %s, %s::inet, %s, %s, %s, %s, %s, %s::jsonb)"


def _append_in_database(record: AuditRecord) -> AuditRecord:
    """The same append in one call of `pvz_audit_append` (audit migration 0002): the head's lock, the
    numbering, the hash over `payload_parts` and both writes happen in the database."""
    prefix, suffix = payload_parts(record)
    row = fetch_one(
        _APPEND,
        [
            prefix,
            suffix,
            record.at,
            record.actor_id,
            record.actor_phone,
            record.ip,
            record.user_agent,
            record.point_id,
            record.action,
            record.object_type,
            record.object_id,
            json.dumps(record.details),
        ],
    )
    assert row is not None
    record.pk, record.seq, record.prev_hash, record.hash = row
    record._state.adding = False
    record._state.db = connection.alias
    return record


def audit_access_denied(*, permission: str, point_id: int | None, path: str) -> AuditRecord:
    """A refused request (403): which permission was missing, where."""
    return audit_record(
        action="access.denied", point_id=point_id, details={"permission": permission, "path": path[:200]}
    )
