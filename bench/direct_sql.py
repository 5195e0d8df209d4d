"""The acceptance scan's statements sent straight to PostgreSQL with psycopg, without the application: the
floor the HTTP path is compared with (issue 13: the app must reach >= 50 % of this throughput).

Each client is a thread with its own connection and runs, per scan, exactly what the application sends
to the database for one API scan with auto placement: the session-and-user query, then in one
transaction the idempotency claim, the `pvz_acceptance_scan` call, the "ready" SMS row and its job row,
and the idempotency answer. Every statement is prepared (the application prepares only some), so the
comparison flatters the floor, not the application. The SQL texts are the application's own, imported
from the code (session, claim, call); the two inserts the ORM writes are spelled out with the same
columns.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.harness import CpuMeter, LoadResult

NOTIFICATION = (
    "INSERT INTO notifications_notification (created_at, updated_at, customer_id, shipment_id, kind, channel,"
    " recipient, text, status, attempts, sent_at, error, dedup_key)"
    " VALUES (%s, %s, %s, %s, 'shipment_ready', 'sms', %s, %s, 'pending', 0, NULL, '', %s) RETURNING id"
)
TASK = (
    "INSERT INTO django_tasks_database_dbtaskresult (id, status, args_kwargs, priority, task_path,"
    " queue_name, backend_name, run_after, enqueued_at, finished_at, started_at, return_value,"
    " exception_class_path, traceback, worker_ids)"
    " VALUES (%s, 'READY', %s::jsonb, 0, 'pvz.notifications.tasks.notification_send', 'default', 'default',"
    " '9999-01-01 00:00:00+00', %s, NULL, NULL, NULL, '', '', '[]')"
)
ANSWER = "UPDATE core_idempotencyrecord SET status_code = %s, response_json = %s WHERE id = %s"
# About what the API stores as the answer to a scan with auto placement.
ANSWER_BODY = json.dumps({"outcome": "ACCEPTED", "message": "Принято. Ячейка A-001-1.", "pad": "x" * 900})
SMS_TEXT = "Заказ 12345678 ждёт вас в ПВЗ. Код получения: 12345678*1234. Хранится до 14.12.2026." + "x" * 60


def statements(dsn: str) -> dict[str, Any]:
    """The application's own SQL texts and role lists (Django set up against the run's database)."""
    import os

    import django
    from django.apps import apps

    os.environ["DATABASE_URL"] = dsn
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvz.config.settings")
    if apps.ready:  # a later round: the same process, another copy of the template
        from django.db import connections

        default = connections["default"]
        default.close()
        default.close_pool()
        default.settings_dict["NAME"] = dsn.rsplit("/", 1)[1]
    else:
        django.setup()
    from pvz.core.idempotency import _claim_sql
    from pvz.inbound.scan_database import _CALL, OPERATE_GRANTABLE, OPERATE_ROLES
    from pvz.web.principal import _statement

    session = _statement()
    return {
        "session": session.sql,
        "roles": list(session.roles),
        "claim": _claim_sql(),
        "call": _CALL,
        "operate": OPERATE_ROLES,
        "grantable": OPERATE_GRANTABLE,
    }


def acceptances_open(dsn: str, data: dict[str, Any]) -> list[int]:
    """One open acceptance per carriage, opened by the service (not measured)."""
    from pvz.accounts.models import User
    from pvz.inbound.models import Carriage
    from pvz.inbound.services import acceptance_open

    user = User.objects.get(pk=data["operators"][0]["id"])
    return [
        acceptance_open(actor=user, carriage=Carriage.objects.get(pk=c["id"])).pk for c in data["carriages"]
    ]


def run(
    dsn: str, data: dict[str, Any], *, clients: int, count: int, warmup: int, meter: CpuMeter
) -> LoadResult:
    import psycopg

    sql = statements(dsn)  # sets Django up: the imports below need it
    from pvz.usersessions.models import session_key_hash

    acceptances = acceptances_open(dsn, data)
    operators = data["operators"]
    work: list[list[tuple[int, int, str, str]]] = [[] for _ in range(clients)]
    for index in range(clients):
        carriage = index % len(data["carriages"])
        team = [i for i in range(clients) if i % len(data["carriages"]) == carriage]
        codes = data["carriages"][carriage]["codes"][team.index(index) :: len(team)]
        operator = operators[index % len(operators)]
        work[index] = [(acceptances[carriage], operator["id"], operator["session"], code) for code in codes]
    result = LoadResult(mode=f"direct SQL (psycopg), {clients} connections")
    lock = threading.Lock()
    issued = {"n": 0}
    warm = threading.Event()
    before: list[Any] = []
    barrier = threading.Barrier(clients)
    # The connections stay open until the CPU is read: a backend that has exited is no longer counted as
    # the run database's (its time moves to the postmaster's reaped total).
    finished, measured = threading.Barrier(clients + 1), threading.Event()

    def one(conn: Any, acceptance: int, actor: int, session: str, code: str) -> str | None:
        now = dt.datetime.now(dt.UTC)
        conn.execute(sql["session"], [*sql["roles"], session_key_hash(session), session, now], prepare=True)
        with conn.transaction():
            claim = conn.execute(
                sql["claim"], [f"user:{actor}", str(uuid.uuid4()), actor, "f" * 64, 0, "", now], prepare=True
            ).fetchone()
            answer = conn.execute(
                sql["call"],
                [acceptance, actor, False, sql["operate"], sql["grantable"], code, code, str(uuid.uuid4()),
                 True, now, now.isoformat(), None, 8],
                prepare=True,
            ).fetchone()[0]  # fmt: skip
            if answer.get("outcome") != "ACCEPTED" or not answer.get("placed"):
                return f"outcome {answer}"
            ready = answer.get("ready")
            if ready:
                shipment = answer["shipment"]["id"]
                notification = conn.execute(
                    NOTIFICATION,
                    [now, now, ready["customer"]["id"], shipment, ready["customer"]["phone"], SMS_TEXT,
                     f"shipment_ready:{shipment}:{answer['shipment']['visit']}"],
                    prepare=True,
                ).fetchone()[0]  # fmt: skip
                args = json.dumps({"args": [notification], "kwargs": {}})
                conn.execute(TASK, [uuid.uuid4(), args, now], prepare=True)
            conn.execute(ANSWER, [200, ANSWER_BODY, claim[0]], prepare=True)
        return None

    def client(index: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            barrier.wait()
            serve(conn, index)
            finished.wait()
            measured.wait()

    def serve(conn: Any, index: int) -> None:
        for acceptance, actor, session, code in work[index]:
            with lock:
                seq = issued["n"]
                if seq >= warmup + count:
                    return
                issued["n"] += 1
                if seq == warmup:
                    before.append(meter.snapshot())
                    warm.set()
            if seq >= warmup and not warm.is_set():
                warm.wait()
            started = time.perf_counter()
            try:
                error = one(conn, acceptance, actor, session, code)
            except psycopg.Error as exc:
                error = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            if seq >= warmup:
                with lock:
                    result.latencies_ms.append(elapsed)
                    result.ops += 1
                    if error:
                        result.errors[error] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    finished.wait()
    after = meter.snapshot()
    measured.set()
    for thread in threads:
        thread.join()
    result.cpu = CpuMeter.between(before[0], after)
    result.wall = result.cpu.wall
    return result


Runner = Callable[..., LoadResult]
