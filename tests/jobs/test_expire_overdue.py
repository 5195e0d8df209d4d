"""Expiry as a background job: enqueued, run by the worker, exactly the overdue STORED parcels, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.shipments.tasks import expire_overdue_shipments
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db(transaction=True)

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def parcels(clock):
    """Stored on 27.11 (deadline 04.12 23:59:59.999999 MSK): `overdue` and `issued`; stored a day later:
    `fresh`. `accepted` never reached a shelf. The clock is then set just past the first deadline."""
    point = PickupPointFactory()
    operator = operator_at(point)
    cell = CellFactory(point=point)

    def to(shipment, *statuses):
        for status in statuses:
            target = cell if status == Status.STORED else None
            shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=status, cell=target)
        return shipment

    overdue = to(ShipmentFactory(point=point), Status.ACCEPTED, Status.STORED)
    issued = to(ShipmentFactory(point=point), Status.ACCEPTED, Status.STORED, Status.ISSUED)
    accepted = to(ShipmentFactory(point=point), Status.ACCEPTED)
    clock.advance(days=1)
    fresh = to(ShipmentFactory(point=point), Status.ACCEPTED, Status.STORED)
    clock.set(Shipment.objects.get(pk=overdue.pk).storage_deadline)
    clock.advance(microseconds=1)
    return {"overdue": overdue, "issued": issued, "accepted": accepted, "fresh": fresh}


def _statuses(parcels) -> dict[str, str]:
    return {name: Shipment.objects.get(pk=s.pk).status for name, s in parcels.items()}


def _run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


def test_enqueued_task_run_by_the_worker_expires_only_overdue_stored(parcels):
    result = expire_overdue_shipments.enqueue()
    assert DBTaskResult.objects.filter(pk=result.id, status=TaskResultStatus.READY).exists()

    _run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert _statuses(parcels) == {
        "overdue": Status.EXPIRED,
        "issued": Status.ISSUED,
        "accepted": Status.ACCEPTED,
        "fresh": Status.STORED,
    }
    event = Shipment.objects.get(pk=parcels["overdue"].pk).events.last()
    assert (event.from_status, event.to_status, event.actor_id) == (Status.STORED, Status.EXPIRED, None)


def test_second_run_changes_nothing_more(parcels):
    expire_overdue_shipments.enqueue()
    _run_worker()
    after_first = _statuses(parcels)
    events = sum(s.events.count() for s in Shipment.objects.all())

    second = expire_overdue_shipments.enqueue()
    _run_worker()

    second.refresh()
    assert second.return_value == 0
    assert _statuses(parcels) == after_first
    assert sum(s.events.count() for s in Shipment.objects.all()) == events


def test_nothing_expires_at_the_last_microsecond_of_the_deadline(parcels, clock):
    clock.advance(microseconds=-1)

    with override_settings(TASKS=IMMEDIATE):
        result = expire_overdue_shipments.enqueue()

    assert result.return_value == 0
    assert _statuses(parcels)["overdue"] == Status.STORED


def test_immediate_backend_runs_it_in_place(parcels):
    with override_settings(TASKS=IMMEDIATE):
        result = expire_overdue_shipments.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert _statuses(parcels)["overdue"] == Status.EXPIRED


def test_expire_shipments_command_reports_how_many_changed(parcels):
    first, second = io.StringIO(), io.StringIO()

    call_command("expire_shipments", stdout=first)
    call_command("expire_shipments", stdout=second)

    assert first.getvalue().strip() == "Срок хранения истёк у отправлений: 1"
    assert second.getvalue().strip() == "Срок хранения истёк у отправлений: 0"
    assert _statuses(parcels)["overdue"] == Status.EXPIRED
