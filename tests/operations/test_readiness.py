"""`/readyz`: ready when the database (and Redis, where configured) answer; the job backlog is reported."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pvz.core.tasks import purge_idempotency_records

pytestmark = pytest.mark.django_db


def _ready(client: Client) -> tuple[int, dict[str, object]]:
    response = client.get("/readyz")
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, json.loads(response.content)


@override_settings(PVZ_REDIS_URL="")
def test_ready_with_the_database_and_an_empty_queue() -> None:
    status, report = _ready(Client())
    assert status == 200
    assert report["status"] == "ok"
    assert report["database"]["ok"] is True  # type: ignore[index]
    assert "redis" not in report
    assert report["jobs"] == {"ready": 0, "oldest_seconds": 0.0, "late": False}


@override_settings(PVZ_REDIS_URL="")
def test_a_late_queue_is_reported_but_the_server_stays_ready() -> None:
    purge_idempotency_records.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    status, report = _ready(Client())
    assert status == 200
    jobs = report["jobs"]
    assert jobs["ready"] == 1 and jobs["late"] is True and jobs["oldest_seconds"] >= 600  # type: ignore[index]


@override_settings(PVZ_REDIS_URL="redis://127.0.0.1:1/0")
def test_unreachable_redis_makes_the_server_unready() -> None:
    status, report = _ready(Client())
    assert status == 503
    assert report["status"] == "error"
    assert report["redis"]["ok"] is False  # type: ignore[index]
    assert "ConnectionError" in report["redis"]["detail"]  # type: ignore[index]


@override_settings(PVZ_REDIS_URL="redis://127.0.0.1:6379/0")
def test_reachable_redis_is_ready() -> None:
    status, report = _ready(Client())
    if report.get("redis", {}).get("ok") is False:  # type: ignore[union-attr]
        pytest.skip("no Redis on 127.0.0.1:6379 here")
    assert status == 200
    assert report["redis"]["ok"] is True  # type: ignore[index]
