"""The audit chain: every record links to the previous one, edits and deletions are detected, records
are never changed, and a rolled-back change leaves no record."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from pvz.audit.chain import audit_chain_verify, record_hash
from pvz.audit.context import AuditContext, use_audit_context
from pvz.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord
from pvz.audit.services import audit_record
from pvz.core.clock import FrozenClock
from tests.factories import PickupPointFactory, UserFactory
from tests.races import race, skip_on_in_memory_sqlite

pytestmark = pytest.mark.django_db


def _write(count: int) -> list[AuditRecord]:
    point = PickupPointFactory()
    user = UserFactory()
    return [
        audit_record(
            action="test.write",
            actor=user,
            point_id=point.pk,
            object_type="thing",
            object_id=n,
            details={"n": n, "text": "проверка"},
        )
        for n in range(count)
    ]


def _verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue().strip()


def test_many_writes_form_one_unbroken_chain(clock: FrozenClock) -> None:
    records = _write(30)

    assert [r.seq for r in records] == list(range(1, 31))
    assert records[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(records))
    stored = AuditRecord.objects.get(seq=17)
    assert record_hash(stored, prev_hash=stored.prev_hash) == stored.hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (30, records[-1].hash)
    assert _verify_output() == "OK 30 records; 0 seals over 0 shipment events"


def test_empty_log_verifies() -> None:
    assert _verify_output() == "OK 0 records; 0 seals over 0 shipment events"


def test_record_carries_the_request_context_and_the_actor_phone(clock: FrozenClock) -> None:
    user = UserFactory(phone="+79161234567")
    with use_audit_context(AuditContext(ip="203.0.113.9", user_agent="Scanner/1.0")):
        record = audit_record(action="test.write", actor=user, details={"when": clock.now()})

    stored = AuditRecord.objects.get(pk=record.pk)
    assert (stored.actor_id, stored.actor_phone, stored.ip, stored.user_agent) == (
        user.pk,
        "+79161234567",
        "203.0.113.9",
        "Scanner/1.0",
    )
    assert stored.at == clock.now()
    assert stored.details == {"when": clock.now().isoformat()}
    assert audit_chain_verify().ok


def test_a_raw_sql_edit_of_details_breaks_the_chain_at_that_seq() -> None:
    _write(5)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET details = %s WHERE seq = 3", ['{"n": 99}'])

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.count) == (False, 3, 2)
    with pytest.raises(CommandError, match=r"^BROKEN at seq 3: hash does not match"):
        call_command("verify_audit_chain")


def test_deleting_a_row_breaks_the_chain_at_the_next_seq() -> None:
    _write(5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE seq = 2")

    report = audit_chain_verify()
    assert (report.broken_seq, report.problem) == (3, "seq 2 is missing")
    with pytest.raises(CommandError, match=r"^BROKEN at seq 3: seq 2 is missing"):
        call_command("verify_audit_chain")


def test_deleting_the_newest_rows_is_noticed_through_the_head() -> None:
    _write(5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE seq >= 4")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.count) == (False, 4, 3)


def test_records_refuse_save_update_and_delete() -> None:
    record = _write(1)[0]
    record.details = {"n": 5}
    with pytest.raises(TypeError, match="append-only"):
        record.save()
    with pytest.raises(TypeError, match="append-only"):
        record.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditRecord.objects.filter(pk=record.pk).update(action="x")
    with pytest.raises(TypeError, match="append-only"):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).details == {"n": 0, "text": "проверка"}


def test_a_rolled_back_transaction_leaves_no_record_and_the_chain_goes_on() -> None:
    _write(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError

    assert not AuditRecord.objects.filter(action="test.rolled_back").exists()
    after = audit_record(action="test.after")
    assert after.seq == 3
    assert audit_chain_verify().count == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain() -> None:
    skip_on_in_memory_sqlite()
    writers, per_writer = 4, 10

    def write(n: int) -> None:
        for i in range(per_writer):
            with transaction.atomic():
                audit_record(action="test.race", details={"writer": n, "i": i})

    outcomes = race(*(lambda n=n: write(n) for n in range(writers)))

    assert outcomes == [None] * writers
    assert sorted(AuditRecord.objects.values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )
    report = audit_chain_verify()
    assert (report.ok, report.count) == (True, writers * per_writer)
