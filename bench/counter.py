"""The counter with a network's worth of history: customer lookup and issue-session opening at 1 million
shipments on PostgreSQL.

Prints its figures; a benchmark, not a test. Results go to docs/performance.md.

What it does, in order:

1. A fresh PostgreSQL database `pvz_bench_<pid>`, `migrate`.
2. A small network through the ORM (one partner, --points points, the measured point with cells, operators
   with a session each), then --shipments shipments with their orders and --customers customers written
   with `COPY` straight from this process: most of them ISSUED or DISPATCHED long ago (history), some on
   their way, and --stored parcels STORED in the measured point's cells with a deadline ahead. Then
   `ANALYZE`.
3. `uvicorn bench.timing_app:application` (the project's ASGI app with a stopwatch per request).
4. --counters clients (one keep-alive connection and one operator each) serve customers one after another,
   the way the counter screen does it: find the customer by the pickup code `<number>*<4 digits>`
   (`POST /api/v1/counter/points/{id}/identify`), then open the issue session
   (`POST /api/v1/counter/points/{id}/sessions`) and read it back with its fetch list; then cancel it so
   that the next customer at that counter starts clean. The first --warmup customers are not measured.
   With --interval-ms each counter starts a customer every that many ms on average (paced, as real
   counters are); without it the counters serve customers back to back, which measures saturation.
5. Prints throughput and the client- and server-side p50/p95/p99 of each step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.acceptance import (
    DEFAULT_PG_URL,
    HttpConnection,
    Server,
    database_create,
    fmt_ms,
    percentile,
    redis_answers,
    say,
    server_code,
    server_env,
)

LOAD_NETWORK = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.network.models import Cell, CellKind, Partner, PartnerPoint, PickupPoint
from pvz.network.services import special_places_ensure

P = json.loads(PARAMS)
with transaction.atomic():
    partner = Partner.objects.create(code="bench", name="Бенч-маркетплейс")
    points = PickupPoint.objects.bulk_create(
        PickupPoint(code=f"pvz-{n:04d}", name=f"ПВЗ {n}", address=f"Москва, Тестовая, {n}", capacity=30000)
        for n in range(P["points"])
    )
    PartnerPoint.objects.bulk_create(PartnerPoint(partner=partner, point=point) for point in points)
    point = points[0]
    special_places_ensure(actor=None, point=point)
    cells = Cell.objects.bulk_create(
        Cell(point=point, address=f"{chr(65 + n // 1000)}-{n % 1000 // 10 + 1:03d}-{n % 10 + 1}",
             kind=CellKind.REGULAR, size_class="XL", capacity=20)
        for n in range(P["cells"])
    )
    operators = []
    for n in range(P["operators"]):
        user = User.objects.create_user(f"+7990{n:07d}", full_name=f"Оператор {n + 1}")
        Membership.objects.create(user=user, point=point, role=Role.OPERATOR)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "pvz.accounts.backends.PhoneCodeBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session["point_id"] = point.pk
        session.create()
        operators.append({"id": user.pk, "session": session.session_key, "csrf": _get_new_csrf_string()})
result({
    "partner": partner.pk,
    "points": [p.pk for p in points],
    "cells": [c.pk for c in cells],
    "operators": operators,
})
"""

PICKUP_CODES = """
from pvz.shipments.models import Customer
from pvz.shipments.pickup_codes import pickup_code_for

P = json.loads(PARAMS)
result([pickup_code_for(c) for c in Customer.objects.filter(pk__in=P["customers"])])
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/counter.py",
        description=(
            "Counter benchmark: customer lookup by pickup code and issue-session opening through the HTTP "
            "API of a real server, with a network's worth of shipments in PostgreSQL."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server (no database name)")
    parser.add_argument("--shipments", type=int, default=1_000_000, help="shipments in the database")
    parser.add_argument("--customers", type=int, default=300_000, help="customers they belong to")
    parser.add_argument("--points", type=int, default=100, help="pickup points they are spread over")
    parser.add_argument("--stored", type=int, default=3000, help="parcels STORED at the measured point")
    parser.add_argument("--cells", type=int, default=1000, help="cells of the measured point")
    parser.add_argument("--counters", type=int, default=4, help="concurrent counters (clients)")
    parser.add_argument(
        "--interval-ms",
        type=int,
        default=0,
        help=(
            "each counter starts a customer every this many ms on average (jittered ±50 %%); 0 serves "
            "them back to back, which measures saturation rather than the latency at a busy counter"
        ),
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--lookups", type=int, default=1000, help="customers served (measured)")
    parser.add_argument("--warmup", type=int, default=100, help="customers served first, not measured")
    args = parser.parse_args(argv)
    args.db, args.conn_max_age = "postgres", "project"
    if args.stored > args.shipments or args.customers > args.shipments:
        parser.error("--stored and --customers must not exceed --shipments")
    return args


# ---- bulk data ----------------------------------------------------------------------------------------


def bulk_load(dsn: str, args: argparse.Namespace, network: dict[str, Any]) -> list[int]:
    """COPY customers, orders and shipments; returns the ids of customers with a STORED parcel at the
    measured point."""
    import psycopg

    rng = random.Random(20261127)
    now = time.time()
    points = network["points"]
    cells = network["cells"]
    partner = network["partner"]
    stamp = "2026-11-01 10:00:00+00"
    stored_customers: list[int] = []
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY shipments_customer (id, created_at, updated_at, phone, name, pickup_number) FROM STDIN"
        ) as copy:
            for n in range(1, args.customers + 1):
                copy.write_row((n, stamp, stamp, f"+7916{n:07d}", f"Клиент {n}", f"{10_000_000 + n * 7:09d}"))
        with cur.copy(
            "COPY shipments_order (id, created_at, updated_at, partner_id, number, customer_id) FROM STDIN"
        ) as copy:
            for n in range(1, args.shipments + 1):
                customer = n if n <= args.customers else rng.randint(1, args.customers)
                copy.write_row((n, stamp, stamp, partner, f"{40_000_000 + n}", customer))
        columns = (
            "id, created_at, updated_at, partner_id, order_id, point_id, posting_number, barcode, "
            "size_class, weight_g, declared_value_kop, amount_due_kop, id_check_required, category, "
            "status, cell_id, stored_at, storage_deadline, visit, version"
        )
        deadline = time.strftime("%Y-%m-%d 20:59:59+00", time.gmtime(now + 5 * 86400))
        stored_at = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(now - 3600))
        # The measured point's STORED parcels belong to the first customers (one or two parcels each).
        with cur.copy(f"COPY shipments_shipment ({columns}) FROM STDIN") as copy:
            for n in range(1, args.shipments + 1):
                order = n
                if n <= args.stored:
                    point, status, cell = points[0], "STORED", cells[(n - 1) % len(cells)]
                    at, until = stored_at, deadline
                    customer = n if n <= args.customers else None
                    if customer is not None and n % 3:
                        stored_customers.append(customer)
                else:
                    point = points[rng.randrange(len(points))]
                    roll = rng.random()
                    status = "ISSUED" if roll < 0.85 else "DISPATCHED" if roll < 0.92 else "EXPECTED"
                    cell, at, until = None, None, None
                copy.write_row(
                    (
                        n,
                        stamp,
                        stamp,
                        partner,
                        order,
                        point,
                        f"{40_000_000 + n}-0001-1",
                        f"ii{n:011d}",
                        "M",
                        500,
                        150_000,
                        0,
                        False,
                        "",
                        status,
                        cell,
                        at,
                        until,
                        1,
                        1,
                    )
                )
        for table in ("shipments_customer", "shipments_order", "shipments_shipment"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return sorted(set(stored_customers))


# ---- the load -----------------------------------------------------------------------------------------


@dataclass
class Timings:
    client: dict[str, list[float]] = field(default_factory=lambda: {"identify": [], "open": [], "read": []})
    served: int = 0
    started: float = 0.0
    finished: float = 0.0


async def serve_customers(
    base_url: str,
    point_id: int,
    operators: list[dict[str, Any]],
    codes: list[str],
    *,
    warmup: int,
    total: int,
    interval_ms: int = 0,
) -> Timings:
    host, port = base_url.removeprefix("http://").split(":")
    timings = Timings()
    queue = list(codes)
    begun = 0

    base = f"/api/v1/counter/points/{point_id}"

    async def counter(operator: dict[str, Any]) -> None:
        nonlocal begun
        connection = HttpConnection(host, int(port))

        def headers(key: bool = True) -> dict[str, str]:
            out = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={operator['session']}; csrftoken={operator['csrf']}",
                "X-CSRFToken": operator["csrf"],
            }
            if key:
                out["Idempotency-Key"] = f"bench-{uuid.uuid4()}"
            return out

        async def call(step: str, method: str, path: str, body: Any, measured: bool) -> Any:
            started = time.perf_counter()
            raw = json.dumps(body).encode() if body is not None else b""
            status, data = await connection.request(method, path, headers(method != "GET"), raw)
            if status != 200:
                raise SystemExit(f"{step} {path}: HTTP {status} {data[:400]!r}")
            if measured:
                timings.client[step].append((time.perf_counter() - started) * 1000)
            return json.loads(data)

        try:
            while queue and begun < warmup + total:
                index = begun
                begun += 1
                measured = index >= warmup
                if index == warmup:
                    timings.started = time.time()
                code = queue.pop()
                customer_started = time.perf_counter()
                found = await call("identify", "POST", f"{base}/identify", {"code": code}, measured)
                session = await call("open", "POST", f"{base}/sessions", {"code": code}, measured)
                await call("read", "GET", f"/api/v1/counter/sessions/{session['id']}", None, measured)
                await call("cancel", "POST", f"/api/v1/counter/sessions/{session['id']}/cancel", {}, False)
                assert found, "identify answered nothing"
                if measured:
                    timings.served += 1
                # Paced counters start a customer every interval (an open loop per counter); 0 = at once.
                rest = interval_ms / 1000 - (time.perf_counter() - customer_started)
                if rest > 0:
                    # Spread the counters out so that they do not all arrive in the same instant.
                    await asyncio.sleep(rest * random.uniform(0.5, 1.5))
        finally:
            await connection.close()

    await asyncio.gather(*(counter(operator) for operator in operators))
    timings.finished = time.time()
    return timings


def server_timings(timing_dir: Path, started: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"identify": [], "open": [], "read": []}
    for path in timing_dir.glob("timing-*.tsv"):
        for line in path.read_text().splitlines():
            wall, ms, method, url, _status = line.split("\t")
            if float(wall) < started:
                continue
            if method == "POST" and url.endswith("/identify"):
                out["identify"].append(float(ms))
            elif method == "POST" and url.endswith("/sessions"):
                out["open"].append(float(ms))
            elif method == "GET" and url.startswith("/api/v1/counter/sessions/"):
                out["read"].append(float(ms))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_redis = redis_answers()
    say(
        f"cores: {os.cpu_count()}   python: {platform.python_version()}   shipments: {args.shipments}   "
        f"customers: {args.customers}   points: {args.points}   stored at the point: {args.stored}   "
        f"counters: {args.counters} (a customer every {args.interval_ms} ms each)   "
        f"uvicorn workers: {args.workers}   customers served: {args.lookups} "
        f"after {args.warmup} warm-up"
    )
    tmp = Path(tempfile.mkdtemp(prefix="pvz-bench-counter-"))
    timing_dir = tmp / "timings"
    timing_dir.mkdir()
    database = database_create(args, tmp)
    server: Server | None = None
    try:
        server = Server(server_env(database, timing_dir, use_redis), tmp, tmp / "server.log")
        phase = time.perf_counter()
        server.run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"])
        network = server.run_python(
            server_code(
                LOAD_NETWORK, {"points": args.points, "cells": args.cells, "operators": args.counters}
            )
        )
        stored_customers = bulk_load(database.dsn, args, network)
        say(f"set-up: migrate + network + {args.shipments} shipments in {time.perf_counter() - phase:.1f} s")
        wanted = args.warmup + args.lookups
        chosen = random.Random(7).sample(stored_customers, min(wanted, len(stored_customers)))
        if len(chosen) < wanted:
            raise SystemExit(f"only {len(chosen)} customers with a stored parcel: raise --stored")
        codes = server.run_python(server_code(PICKUP_CODES, {"customers": chosen}))
        server.start(args.workers)
        timings = asyncio.run(
            serve_customers(
                server.base_url,
                network["points"][0],
                network["operators"],
                codes,
                warmup=args.warmup,
                total=args.lookups,
                interval_ms=args.interval_ms,
            )
        )
        wall = timings.finished - timings.started
        server_ms = server_timings(timing_dir, timings.started)
        say("")
        say(f"customers served: {timings.served} in {wall:.1f} s: {timings.served / wall:.1f} customers/s")
        say(
            f"{'step':10} {'client p50':>11} {'client p99':>11} "
            f"{'server p50':>11} {'server p95':>11} {'server p99':>11}"
        )
        for step, label in (("identify", "identify"), ("open", "open"), ("read", "read back")):
            client, srv = timings.client[step], server_ms[step]
            say(
                f"{label:10} {fmt_ms(percentile(client, 50)):>11} {fmt_ms(percentile(client, 99)):>11} "
                f"{fmt_ms(percentile(srv, 50)):>11} {fmt_ms(percentile(srv, 95)):>11} "
                f"{fmt_ms(percentile(srv, 99)):>11}"
            )
        worst = max(percentile(server_ms["identify"], 99), percentile(server_ms["open"], 99))
        say("")
        say(f"target (server p99 <= 20 ms for lookup and opening): {'MET' if worst <= 20 else 'NOT MET'}")
        return 0
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
