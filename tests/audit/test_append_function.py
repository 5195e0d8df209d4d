"""Two ways to append an audit record, one chain: on PostgreSQL `pvz_audit_append` numbers the record and
hashes it in the database from the canonical JSON Python cut around the sequence number; SQLite (and the
test's forced Python path) does it in three ORM statements. `audit_chain_verify` recomputes every hash in
Python, so a record the function hashed differently breaks the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from pvz.audit import services
from pvz.audit.chain import audit_chain_verify, payload_parts, record_hash
from pvz.audit.context import AuditContext, use_audit_context
from pvz.audit.models import GENESIS_HASH, AuditRecord
from pvz.audit.services import audit_record
from tests.factories import PickupPointFactory, UserFactory

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@given(
    details=st.dictionaries(TEXT | st.sampled_from(["seq", "user_agent"]), JSON, max_size=4),
    user_agent=TEXT | st.just('","seq":1,"user_agent":"'),
    seq=st.integers(1, 10**15),
    prev_hash=st.sampled_from([GENESIS_HASH, "ab" * 32]),
)
@settings(max_examples=200, deadline=None)
def test_the_cut_around_the_sequence_number_is_the_hashed_payload(
    details, user_agent, seq, prev_hash
) -> None:
    record = AuditRecord(
        seq=seq,
        at=dt.datetime(2026, 12, 7, 13, 30, 1, 123456, tzinfo=dt.UTC),
        actor_id=7,
        actor_phone="+79990000005",
        ip="2001:db8::1",
        user_agent=user_agent,
        point_id=None,
        action="test.cut",
        object_type="thing",
        object_id="1",
        details=details,
    )

    prefix, suffix = payload_parts(record)

    assert hashlib.sha256((prev_hash + prefix + str(seq) + suffix).encode()).hexdigest() == record_hash(
        record, prev_hash=prev_hash
    )


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only")
def test_records_appended_by_the_function_and_by_python_make_one_chain(monkeypatch) -> None:
    user, point = UserFactory(), PickupPointFactory()
    tricky: list[dict[str, Any]] = [
        {"text": 'проверка «кавычки» "и" \\ слеш', "emoji": "📦"},
        {"seq": 0, "user_agent": "x", "nested": {"seq": [1, 2], "n": None}},
        {},
        {"amount": 12345678901234, "ok": True, "list": ["a", {"b": "в"}]},
    ]
    written: list[AuditRecord] = []
    with use_audit_context(AuditContext(ip="2001:0db8:0000::1", user_agent="Mozilla/5.0 «тест»")):
        for n, details in enumerate(tricky * 2):
            monkeypatch.setattr(services, "in_database", lambda n=n: n % 2 == 0)
            written.append(
                audit_record(
                    action="test.append",
                    actor=user if n % 3 else None,
                    actor_phone="" if n % 3 else "+79990000001",
                    point_id=point.pk if n % 2 else None,
                    object_type="thing",
                    object_id=n,
                    details=details,
                )
            )

    report = audit_chain_verify()
    assert report.ok, report
    assert [r.seq for r in written] == list(range(written[0].seq, written[0].seq + len(written)))
    stored = {r.seq: r for r in AuditRecord.objects.filter(seq__in=[r.seq for r in written])}
    for record in written:
        row = stored[record.seq]
        assert (row.pk, row.hash, row.prev_hash, row.details, row.ip) == (
            record.pk,
            record.hash,
            record.prev_hash,
            record.details,
            "2001:db8::1",
        )
