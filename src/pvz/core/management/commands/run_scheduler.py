"""Enqueue periodic tasks on their intervals; the task worker runs them. See pvz.core.scheduler."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from pvz.core.outage import Backoff
from pvz.core.scheduler import Scheduler

# Upper bound of one wait, so that a changed schedule or a slow clock never stalls it for long.
MAX_WAIT_SECONDS = 30.0


class Command(BaseCommand):
    help = "Планировщик периодических задач: ставит их в очередь, выполняет воркер (db_worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Поставить все задачи в очередь один раз и выйти."
        )

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        scheduler = Scheduler()
        stop = threading.Event()
        # While the database is unreachable the scheduler waits 1, 2, 4 … 30 s between ticks, not exits.
        backoff = Backoff(stop=stop)
        if not once:
            # A service manager stops us with SIGTERM, a person with Ctrl+C: finish the tick, then exit.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_args: stop.set())
        # Each enqueue is logged (`periodic_enqueued`); the console repeats it only for --once or -v 2, so
        # that `make run` is not a line every few seconds.
        echo = once or int(options.get("verbosity", 1)) >= 2
        while not stop.is_set():
            for job, result in scheduler.tick(time.monotonic()):
                if not echo:
                    continue
                self.stdout.write(
                    _("В очереди: %(task)s (%(id)s)")
                    % {"task": job.task_path, "id": getattr(result, "id", "")}
                )
            if once:
                return
            if scheduler.database_down:
                backoff.wait()
                continue
            backoff.reset()
            stop.wait(min(MAX_WAIT_SECONDS, scheduler.seconds_until_next(time.monotonic())))
        self.stdout.write(_("Планировщик остановлен."))
