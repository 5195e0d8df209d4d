"""Sealing the shipment history into the audit chain: batches of events older than a minute become one
chained seal; editing, deleting or slipping in a sealed event breaks verification."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pvz.audit.chain import audit_chain_verify
from pvz.audit.models import AuditRecord
from pvz.audit.sealing import SEAL_ACTION, audit_seals_verify, shipment_events_seal, shipment_events_seal_all
from pvz.audit.tasks import seal_shipment_events
from pvz.shipments.models import ShipmentEvent
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def _events(count: int) -> list[ShipmentEvent]:
    point = PickupPointFactory()
    return [
        shipment_transition(
            actor=None, shipment_id=ShipmentFactory(point=point).pk, to_status=Status.SHORTAGE
        ).event
        for _ in range(count)
    ]


def _raw(sql: str, params: list[object]) -> None:
    # ShipmentEvent refuses ORM updates and deletes; an attacker with database access does not ask.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_nothing_younger_than_a_minute_is_sealed(clock) -> None:
    _events(2)
    clock.advance(seconds=59)

    assert shipment_events_seal() is None
    assert not AuditRecord.objects.filter(action=SEAL_ACTION).exists()


def test_a_batch_of_events_becomes_one_chained_seal_and_the_next_run_continues_after_it(clock) -> None:
    first = _events(3)
    clock.advance(minutes=1)

    seal = shipment_events_seal()

    assert seal is not None
    assert (seal.details["from_id"], seal.details["to_id"], seal.details["count"]) == (1, first[-1].pk, 3)
    assert shipment_events_seal() is None  # nothing new
    later = _events(2)
    clock.advance(minutes=1)
    second = shipment_events_seal()
    assert second is not None
    assert (second.details["from_id"], second.details["to_id"]) == (first[-1].pk + 1, later[-1].pk)
    assert audit_chain_verify().ok
    report = audit_seals_verify()
    assert (report.ok, report.seals, report.events) == (True, 2, 5)


def test_a_seal_stops_at_the_first_event_still_too_young(clock) -> None:
    old = _events(2)
    clock.advance(seconds=30)
    young = _events(1)
    clock.advance(seconds=30)

    seal = shipment_events_seal()

    assert seal is not None and seal.details["to_id"] == old[-1].pk
    clock.advance(seconds=30)
    assert shipment_events_seal().details["to_id"] == young[0].pk  # type: ignore[union-attr]


def test_batches_are_cut_at_the_batch_size_and_the_task_seals_them_all(clock) -> None:
    _events(5)
    clock.advance(minutes=2)

    assert shipment_events_seal_all(batch=2) == 5
    assert list(
        AuditRecord.objects.filter(action=SEAL_ACTION)
        .order_by("seq")
        .values_list("details__count", flat=True)
    ) == [2, 2, 1]
    assert seal_shipment_events.call() == 0  # the task continues from the last seal: nothing left


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            "UPDATE shipments_shipmentevent SET reason = %s WHERE id = %s",
            "a sealed shipment event was changed",
        ),
        (
            "DELETE FROM shipments_shipmentevent WHERE reason <> %s AND id = %s",
            "3 events were sealed, 2 are stored",
        ),
    ],
    ids=["edited", "deleted"],
)
def test_verify_names_the_seal_of_an_edited_or_deleted_event(clock, tamper: str, problem: str) -> None:
    events = _events(3)
    clock.advance(minutes=1)
    seal = shipment_events_seal()
    assert seal is not None

    _raw(tamper, ["подделка", events[1].pk])

    report = audit_seals_verify()
    assert (report.ok, report.broken_seq, report.problem) == (False, seal.seq, problem)
    with pytest.raises(CommandError, match=f"BROKEN seal at seq {seal.seq}"):
        call_command("verify_audit_chain")


def test_verify_reports_ok_with_the_counts(clock, capsys) -> None:
    _events(2)
    clock.advance(minutes=1)
    shipment_events_seal()

    call_command("verify_audit_chain")

    assert capsys.readouterr().out.strip().endswith("1 seals over 2 shipment events")


def test_the_scheduler_runs_the_sealing_job() -> None:
    from pvz.core.scheduler import PERIODIC_TASKS

    assert "pvz.audit.tasks.seal_shipment_events" in {job.task_path for job in PERIODIC_TASKS}
