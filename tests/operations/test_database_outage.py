"""A database blip is not an outage (issue 15, item 2): the server, the job worker and the scheduler run as
real processes against a PostgreSQL of their own, whose connections the tests cut and refuse."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.operations.processes import (
    AppProcess,
    Database,
    TcpProxy,
    app_env,
    app_server,
    get,
    wait_until,
)

# A session cookie of the right shape: the middleware looks it up, so the request reads the database.
SESSION_COOKIE = "sessionid=" + "x" * 32


def server(database_url: str, log: Path, **env: str) -> tuple[AppProcess, str]:
    return app_server(app_env(database_url, **env), log)


def test_terminated_backends_are_replaced_not_served(pg_database: Database, ops_tmp: Path) -> None:
    # The production wait for a pooled connection: the pool checks each connection it hands out and
    # pauses 1, 2 … s after each dead one, so the first request after a sweep may wait a little.
    app, base = server(pg_database.url(), ops_tmp / "blip.log", PVZ_DB_POOL_TIMEOUT="10")
    try:
        # Warm the pool: several connections in it, each then killed by the server.
        for _ in range(10):
            assert get(base + "/api/v1/me", cookie=SESSION_COOKIE).status == 401
        assert pg_database.terminate_backends() >= 1

        started = time.monotonic()
        statuses = [get(base + "/api/v1/me", cookie=SESSION_COOKIE).status for _ in range(20)]
        print(f"20 requests after the sweep took {time.monotonic() - started:.2f} s")
        statuses.append(get(base + "/healthz").status)
        # Every answer after the sweep is the normal one: dead pooled connections were checked and replaced.
        assert statuses == [401] * 20 + [200], (
            statuses,
            [line for line in app.output().splitlines() if "unavailable" in line],
        )
        assert app.alive()
    finally:
        app.stop()


def test_unreachable_database_is_503_with_retry_after_then_recovers(
    pg_database: Database, proxy: TcpProxy, ops_tmp: Path
) -> None:
    app, base = server(pg_database.url(proxy.port), ops_tmp / "outage.log")
    try:
        assert get(base + "/api/v1/me", cookie=SESSION_COOKIE).status == 401
        proxy.close()

        api = get(base + "/api/v1/me", cookie=SESSION_COOKIE)
        assert api.status == 503, api.body[:500]
        assert api.headers.get("retry-after") == "5"
        assert json.loads(api.body)["error"]["code"] == "SERVICE_UNAVAILABLE"

        page = get(base + "/", cookie=SESSION_COOKIE)
        assert page.status == 503, page.body[:500]
        assert page.headers.get("retry-after") == "5"
        assert "SERVICE_UNAVAILABLE" in page.body
        assert get(base + "/healthz").status == 503
        assert get(base + "/readyz").status == 503

        proxy.open()
        assert wait_until(lambda: get(base + "/api/v1/me", cookie=SESSION_COOKIE).status == 401, timeout=20)
        assert get(base + "/healthz").status == 200
        assert app.alive()
        # Logged as one line per refused request, not as a traceback.
        assert "database_unavailable" in app.output()
        assert "Traceback" not in app.output()
    finally:
        app.stop()


def _enqueue(database: Database, task_path: str) -> None:
    """Enqueues one task as the app would, in a separate process against the database directly."""
    done = AppProcess(
        [
            "pvz",
            "shell",
            "--no-imports",
            "-c",
            f"from django.utils.module_loading import import_string; import_string({task_path!r}).enqueue()",
        ],
        app_env(database.url()),
        database_log := Path(f"/tmp/pvz-ops-enqueue-{time.monotonic_ns()}.log"),
    ).start()
    done.process.wait(timeout=60)
    assert done.process.returncode == 0, database_log.read_text()


def _task_states(database: Database, task_path: str) -> list[str]:
    rows = database.execute(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = %s ORDER BY enqueued_at",
        task_path,
    )
    return [str(row[0]) for row in rows]


def test_worker_waits_out_an_outage_and_runs_the_next_task(
    pg_database: Database, proxy: TcpProxy, ops_tmp: Path
) -> None:
    task = "pvz.core.tasks.purge_idempotency_records"
    pg_database.execute("DELETE FROM django_tasks_database_dbtaskresult")
    worker = AppProcess(
        ["pvz", "run_worker", "--interval", "0.5", "--no-startup-delay"],
        app_env(pg_database.url(proxy.port)),
        ops_tmp / "worker.log",
    ).start()
    try:
        _enqueue(pg_database, task)
        assert wait_until(lambda: _task_states(pg_database, task) == ["SUCCESSFUL"], timeout=30), (
            worker.output()
        )

        proxy.close()
        worker.wait_for_output("Database unreachable", timeout=30)
        time.sleep(3)  # several failed tries with backoff
        assert worker.alive(), worker.output()[-3000:]

        proxy.open()
        _enqueue(pg_database, task)
        assert wait_until(
            lambda: _task_states(pg_database, task) == ["SUCCESSFUL", "SUCCESSFUL"], timeout=60
        ), worker.output()[-3000:]
        assert worker.alive()
    finally:
        worker.stop()


def test_scheduler_waits_out_an_outage_and_enqueues_again(
    pg_database: Database, proxy: TcpProxy, ops_tmp: Path
) -> None:
    pg_database.execute("DELETE FROM django_tasks_database_dbtaskresult")
    scheduler = AppProcess(
        ["pvz", "run_scheduler"], app_env(pg_database.url(proxy.port)), ops_tmp / "scheduler.log"
    )
    scheduler.start()
    try:
        # On start every periodic job is due at once; the webhook delivery comes again every 10 s.
        assert wait_until(lambda: _count(pg_database) >= 5, timeout=30), scheduler.output()[-3000:]
        proxy.close()
        scheduler.wait_for_output("periodic_enqueue_database_unavailable", timeout=30)
        before = _count(pg_database)
        time.sleep(3)
        assert scheduler.alive(), scheduler.output()[-3000:]

        proxy.open()
        assert wait_until(lambda: _count(pg_database) > before, timeout=60), scheduler.output()[-3000:]
        assert scheduler.alive()
        assert "Traceback" not in scheduler.output()
    finally:
        scheduler.stop()


def _count(database: Database) -> int:
    return int(database.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult")[0][0])  # type: ignore[call-overload]
