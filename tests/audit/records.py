"""Assertions on the audit records a service write leaves: exactly one of an action, or none at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models

from pvz.accounts.models import User
from pvz.audit.models import AuditRecord


def the_record(action: str, *, actor: User | None, point_id: int | None, obj: models.Model) -> AuditRecord:
    """The one record of `action`, checked for its actor (with the phone snapshot), point and object."""
    records = list(AuditRecord.objects.filter(action=action))
    assert len(records) == 1, [r.action for r in AuditRecord.objects.order_by("seq")]
    record = records[0]
    assert (record.actor_id, record.actor_phone, record.point_id) == (
        actor.pk if actor else None,
        actor.phone if actor else "",
        point_id,
    )
    assert (record.object_type, record.object_id) == (obj._meta.model_name, str(obj.pk))
    return record


@contextmanager
def no_new_records() -> Iterator[None]:
    """The block (a refused write) leaves the audit log as it was."""
    before = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    yield
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True)) == before
