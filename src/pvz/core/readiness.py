"""What `/readyz` reports: the database answers, Redis answers (when configured), and the job queue is
being worked. A load balancer takes a server out of rotation only for the first two: a late job queue is
the worker's problem, not the web server's, so it is reported (and alerted on through the metrics) but
does not make the server unready."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# A ready job older than this means no worker is taking jobs (the worker polls every few seconds).
JOBS_LATE_SECONDS = 300


@dataclass(frozen=True)
class Check:
    ok: bool
    ms: float
    detail: str = ""


def _timed(probe: Callable[[], None]) -> Check:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure of the dependency means "not ready"
        return Check(False, _ms_since(started), f"{type(exc).__name__}: {exc}"[:200])
    return Check(True, _ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def database_check() -> Check:
    def probe() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(probe)


def redis_check() -> Check | None:
    """None when the deployment has no Redis (one process, in-memory channel layer and cache)."""
    url = getattr(settings, "PVZ_REDIS_URL", "")
    if not url:
        return None

    def probe() -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()

    return _timed(probe)


@dataclass(frozen=True)
class Jobs:
    ready: int
    oldest_seconds: float
    late: bool


def jobs_backlog() -> Jobs:
    ready = DBTaskResult.objects.ready()
    count = ready.count()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return Jobs(ready=count, oldest_seconds=round(age, 1), late=age > JOBS_LATE_SECONDS)


def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, the report) for `/readyz`."""
    database = database_check()
    report: dict[str, Any] = {"database": asdict(database)}
    ready = database.ok
    redis_state = redis_check()
    if redis_state is not None:
        report["redis"] = asdict(redis_state)
        ready = ready and redis_state.ok
    if database.ok:
        try:
            report["jobs"] = asdict(jobs_backlog())
        except Exception as exc:  # the database just failed: it is reported above on the next call
            report["jobs"] = {"error": type(exc).__name__}
    report["status"] = "ok" if ready else "error"
    return ready, report
