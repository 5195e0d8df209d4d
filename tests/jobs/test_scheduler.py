"""The periodic scheduler enqueues each task on its interval; the worker does the rest."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from pvz.core.models import PeriodicClaim
from pvz.core.scheduler import PERIODIC_TASKS, PeriodicTask, Scheduler

EXPIRE = "pvz.shipments.tasks.expire_overdue_shipments"


def _recording_scheduler(periodic):
    calls: list[str] = []

    def enqueue(path: str) -> str:
        calls.append(path)
        return f"result-{len(calls)}"

    return Scheduler(periodic, enqueue=enqueue), calls


def test_every_task_is_due_at_start_then_on_its_interval():
    scheduler, calls = _recording_scheduler([PeriodicTask(60, "a"), PeriodicTask(300, "b")])

    scheduler.tick(1000.0)
    scheduler.tick(1059.9)
    scheduler.tick(1060.0)
    scheduler.tick(1300.0)

    assert calls == ["a", "b", "a", "a", "b"]


def test_seconds_until_next_counts_from_the_last_enqueue():
    scheduler, _ = _recording_scheduler([PeriodicTask(60, "a"), PeriodicTask(300, "b")])

    assert scheduler.seconds_until_next(0.0) == 0.0
    scheduler.tick(0.0)
    assert scheduler.seconds_until_next(10.0) == 50.0


def test_failed_enqueue_is_retried_on_the_next_tick():
    attempts: list[str] = []

    def flaky(path: str) -> str:
        attempts.append(path)
        if len(attempts) == 1:
            raise ConnectionError("database is locked")
        return "ok"

    scheduler = Scheduler([PeriodicTask(600, "a")], enqueue=flaky)

    assert scheduler.tick(0.0) == []
    assert [job.task_path for job, _ in scheduler.tick(1.0)] == ["a"]


def test_expiry_is_scheduled():
    assert EXPIRE in {job.task_path for job in PERIODIC_TASKS}


@pytest.mark.django_db
def test_run_scheduler_once_enqueues_every_periodic_task_and_exits():
    out = io.StringIO()

    call_command("run_scheduler", "--once", stdout=out)

    queued = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert sorted(queued) == sorted(job.task_path for job in PERIODIC_TASKS)
    assert EXPIRE in out.getvalue()


@pytest.mark.django_db
def test_the_running_scheduler_keeps_the_console_quiet_unless_asked(monkeypatch):
    """Each enqueue is in the log already; the console lists them only with -v 2 (or --once)."""
    from pvz.core.management.commands import run_scheduler

    outputs = {}
    for verbosity in (1, 2):
        stops = iter([False, True])
        monkeypatch.setattr(run_scheduler.threading.Event, "is_set", lambda self, stops=stops: next(stops))
        monkeypatch.setattr(run_scheduler.threading.Event, "wait", lambda self, timeout=None: True)
        monkeypatch.setattr(run_scheduler.signal, "signal", lambda *args: None)
        out = io.StringIO()
        # Each run in an interval slot of its own: the second would otherwise find every slot claimed.
        PeriodicClaim.objects.all().delete()
        call_command("run_scheduler", verbosity=verbosity, stdout=out)
        outputs[verbosity] = out.getvalue()

    assert EXPIRE not in outputs[1]
    assert EXPIRE in outputs[2]


@pytest.mark.django_db
def test_two_schedulers_enqueue_each_slot_once(clock):
    """A scheduler on every app server: the slot claim lets one of them enqueue, the other skips."""
    jobs = [PeriodicTask(600, EXPIRE)]
    first, second = Scheduler(jobs), Scheduler(jobs)

    assert len(first.tick(0.0)) == 1
    assert second.tick(0.0) == []  # same slot: taken
    assert DBTaskResult.objects.filter(task_path=EXPIRE).count() == 1

    clock.advance(seconds=600)  # the next slot
    assert len(second.tick(600.0)) == 1
    assert first.tick(600.0) == []
    assert DBTaskResult.objects.filter(task_path=EXPIRE).count() == 2
