"""A tiny periodic scheduler: it only enqueues; the task worker (`manage.py db_worker`) executes.

Honest limits, by design:
- The schedule lives in memory, but every enqueue first claims its slot in the database (`PeriodicClaim`:
  the task and wall-clock seconds // its interval, unique): with a scheduler on every app server, each
  interval's job is enqueued by whichever gets there first, once.
- On start every job is due at once, so a restart or a long stop is covered by one run instead of a
  replay of each missed interval. Periodic tasks therefore work from the current state (e.g. "STORED and
  past the deadline"), never from "what happened since the last run".
- Intervals are measured on a monotonic clock from the previous enqueue, not aligned to wall-clock
  times: "every 15 minutes", not "at :00, :15, ...". Jobs that must run at a local time of a point
  check that time themselves.
Tasks are named by dotted path, so this module, at the bottom of the layers, imports no domain app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.core.models import PeriodicClaim
from pvz.core.outage import connections_drop, is_database_outage

log = get_logger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    every_seconds: float
    task_path: str  # dotted path of a django-tasks Task, e.g. "pvz.shipments.tasks.expire_overdue_shipments"


PERIODIC_TASKS: tuple[PeriodicTask, ...] = (
    # Deadlines end at local midnight of each point; every 10 minutes keeps an expired parcel off the
    # issue screen soon after, across all timezones, for the cost of one indexed query.
    PeriodicTask(every_seconds=10 * 60, task_path="pvz.shipments.tasks.expire_overdue_shipments"),
    # Replays are promised for 48 hours; hourly keeps the table at about 49 hours of requests.
    PeriodicTask(every_seconds=60 * 60, task_path="pvz.core.tasks.purge_idempotency_records"),
    # Seals the shipment history into the audit chain; every 5 minutes keeps unsealed history short.
    PeriodicTask(every_seconds=5 * 60, task_path="pvz.audit.tasks.seal_shipment_events"),
    # Failed attempts, lockouts and SMS counts only matter within a day; hourly keeps the tables small.
    PeriodicTask(every_seconds=60 * 60, task_path="pvz.guard.tasks.purge_guard_records"),
    # Retention counts in days; daily is precise enough, and the job is idempotent and batched.
    PeriodicTask(every_seconds=24 * 60 * 60, task_path="pvz.closing.tasks.anonymize_retired_customers"),
    # Partner webhooks: the outbox is polled, not signalled, so a scan pays one INSERT and no task row.
    PeriodicTask(every_seconds=10, task_path="pvz.webhooks.tasks.deliver_webhooks"),
    # Delivered webhook history past PVZ_WEBHOOK_RETENTION_DAYS goes; daily, batched and idempotent.
    PeriodicTask(every_seconds=24 * 60 * 60, task_path="pvz.webhooks.tasks.purge_webhook_history"),
    # Staff messages held by quiet hours go when they end; a minute late is fine.
    PeriodicTask(every_seconds=60, task_path="pvz.notifications.tasks.send_due_staff_deliveries"),
    # "Expiring tomorrow" (customers) and "expiring today" (staff) once a day from a local hour per point.
    PeriodicTask(every_seconds=15 * 60, task_path="pvz.notifications.tasks.notify_expiring_shipments"),
    # Carriages entering the 30-minute approaching window notify the point's staff once.
    PeriodicTask(every_seconds=60, task_path="pvz.inbound.tasks.notify_approaching_transport"),
    # A backup when the last good one is older than PVZ_BACKUP_EVERY_HOURS; hourly, so a missed one is
    # made within the hour and a restart does not make another.
    PeriodicTask(every_seconds=60 * 60, task_path="pvz.backups.tasks.backup_when_due"),
)


def periodic_enqueue_claimed(job: PeriodicTask, *, wall: float | None = None) -> Any | None:
    """Enqueue `job` unless another scheduler already claimed this interval's slot (then None). The claim
    and the enqueued task row commit together."""
    now = clock.now()
    slot = int((now.timestamp() if wall is None else wall) // job.every_seconds)
    with transaction.atomic():
        try:
            with transaction.atomic():
                PeriodicClaim.objects.create(task_path=job.task_path, slot=slot, claimed_at=now)
        except IntegrityError:
            return None
        return import_string(job.task_path).enqueue()


def periodic_claims_purge(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    deleted, _per_model = PeriodicClaim.objects.filter(claimed_at__lt=clock.now() - older_than).delete()
    return deleted


class Scheduler:
    """Decides which periodic tasks are due at a monotonic time `now` and enqueues them."""

    def __init__(
        self,
        periodic: Sequence[PeriodicTask] = PERIODIC_TASKS,
        *,
        enqueue: Callable[[str], Any] | None = None,
    ) -> None:
        """`enqueue` replaces the claimed enqueue (tests record calls with it)."""
        self.periodic = tuple(periodic)
        self.enqueue = enqueue
        self.last_enqueued: dict[str, float] = {}
        # Set by `tick` when the database could not be reached: nothing more was tried this tick.
        self.database_down = False

    def due(self, now: float) -> list[PeriodicTask]:
        return [
            job
            for job in self.periodic
            if job.task_path not in self.last_enqueued
            or now - self.last_enqueued[job.task_path] >= job.every_seconds
        ]

    def tick(self, now: float) -> list[tuple[PeriodicTask, Any]]:
        """Enqueue every due task; a task that fails to enqueue is logged and retried on the next tick."""
        enqueued = []
        self.database_down = False
        for job in self.due(now):
            try:
                result = self.enqueue(job.task_path) if self.enqueue else periodic_enqueue_claimed(job)
            except Exception as exc:
                if is_database_outage(exc):
                    # One line, not a traceback per task; the caller waits (Backoff) and the next tick
                    # takes a fresh connection.
                    log.warning(
                        "periodic_enqueue_database_unavailable", task=job.task_path, error=str(exc)[:200]
                    )
                    connections_drop()
                    self.database_down = True
                    break
                log.exception("periodic_enqueue_failed", task=job.task_path)
                continue
            self.last_enqueued[job.task_path] = now
            if result is None:
                log.info("periodic_taken", task=job.task_path)  # another server's scheduler enqueued it
                continue
            log.info("periodic_enqueued", task=job.task_path, result_id=getattr(result, "id", None))
            enqueued.append((job, result))
        return enqueued

    def seconds_until_next(self, now: float) -> float:
        if not self.periodic:
            return float("inf")
        return max(
            0.0,
            min(
                self.last_enqueued.get(job.task_path, now - job.every_seconds) + job.every_seconds - now
                for job in self.periodic
            ),
        )
