"""The job worker that outlives a database outage: django-tasks-db's `db_worker`, restarted in-process
with a growing wait (1, 2, 4 … 30 s) whenever the database cannot be reached, instead of exiting."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from pvz.core.outage import Backoff, connections_drop, is_database_outage

logger = logging.getLogger("pvz.worker")

# A worker that ran this long without failing starts its next backoff from the first step again.
HEALTHY_SECONDS = 60.0


class ResilientWorker(db_worker.Worker):
    """Runs the library's loop; an outage is logged and waited out, any other error still ends the worker."""

    backoff: Backoff

    def run(self) -> None:
        self.backoff = Backoff()
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except Exception as exc:
                if not is_database_outage(exc):
                    raise
                if time.monotonic() - started > HEALTHY_SECONDS:
                    self.backoff.reset()
                connections_drop()
                delay = self.backoff.next_delay()
                logger.warning(
                    "Database unreachable (%s: %s); the worker retries in %.0f s",
                    type(exc).__name__,
                    str(exc).strip()[:200],
                    delay,
                )
                self.backoff.wait()

    def shutdown(self, signum: int, frame: Any) -> None:
        # A SIGTERM during the backoff wait ends the wait at once.
        if hasattr(self, "backoff"):
            self.backoff.stop.set()
        super().shutdown(signum, frame)


class Command(db_worker.Command):
    help = "Воркер фоновых задач: как db_worker, но пережидает недоступность базы данных вместо выхода."

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        # The library's --reload is for development; this worker is for `make run` and production.
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()
