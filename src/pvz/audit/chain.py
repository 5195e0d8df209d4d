"""The hash chain: how a record's hash is computed, and the walk that checks every record in order."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from pvz.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord

HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_phone",
    "ip",
    "user_agent",
    "point_id",
    "action",
    "object_type",
    "object_id",
    "details",
)


def json_safe(details: dict[str, Any]) -> dict[str, Any]:
    """`details` as it will read back from the JSON column, so the hash of the stored row matches."""
    safe: dict[str, Any] = json.loads(json.dumps(details, cls=DjangoJSONEncoder))
    return safe


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def record_hash(record: AuditRecord, *, prev_hash: str) -> str:
    """sha256(prev_hash + canonical JSON of the record's fields): sorted keys, no spaces, UTF-8."""
    fields = {name: _canonical(getattr(record, name)) for name in HASHED_FIELDS}
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    count: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_chain_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk every record by seq: seqs run 1, 2, 3… without gaps, each links to the previous hash, each
    hash recomputes, and the head names the last record. The first failure is reported."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for record in AuditRecord.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if record.seq != expected_seq:
            return ChainReport(count, record.seq, f"seq {expected_seq} is missing")
        if record.prev_hash != prev_hash:
            return ChainReport(count, record.seq, "prev_hash does not match the previous record")
        if record_hash(record, prev_hash=prev_hash) != record.hash:
            return ChainReport(count, record.seq, "hash does not match the record's fields")
        prev_hash, expected_seq, count = record.hash, expected_seq + 1, count + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (count, prev_hash):
        return ChainReport(count, count + 1, f"records after seq {count} are missing (head is {head_seq})")
    return ChainReport(count)
