"""Several app servers, each with its scheduler (issue 15, item 4): a periodic job runs once per interval,
not once per server. Two real `run_scheduler` processes on one PostgreSQL database, started together."""

from __future__ import annotations

from pathlib import Path

from pvz.core.scheduler import PERIODIC_TASKS
from tests.operations.processes import AppProcess, Database, app_env, wait_until


def test_two_schedulers_enqueue_each_job_once(pg_database: Database, ops_tmp: Path) -> None:
    pg_database.execute("DELETE FROM django_tasks_database_dbtaskresult")
    pg_database.execute("DELETE FROM core_periodicclaim")
    env = app_env(pg_database.url())
    schedulers = [
        AppProcess(["pvz", "run_scheduler"], env, ops_tmp / f"scheduler-{n}.log").start() for n in range(2)
    ]
    hourly = [job.task_path for job in PERIODIC_TASKS if job.every_seconds >= 3600]
    try:
        # On start every job is due at once in both: each must be enqueued by one of them only.
        assert wait_until(lambda: set(hourly) <= set(_counts(pg_database)), timeout=60), [
            s.output()[-2000:] for s in schedulers
        ]
        for scheduler in schedulers:
            scheduler.wait_for_output("periodic_", timeout=30)
    finally:
        for scheduler in schedulers:
            scheduler.stop()
    counts = _counts(pg_database)
    assert {path: counts[path] for path in hourly} == dict.fromkeys(hourly, 1)
    taken = sum(s.output().count("periodic_taken") for s in schedulers)
    assert taken >= len(hourly), "the second scheduler never found a slot taken"


def _counts(database: Database) -> dict[str, int]:
    rows = database.execute(
        "SELECT task_path, count(*) FROM django_tasks_database_dbtaskresult GROUP BY task_path"
    )
    return {str(path): int(n) for path, n in rows}  # type: ignore[call-overload]
