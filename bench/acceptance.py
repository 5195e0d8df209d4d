"""Acceptance by scan under load: N operators scanning parcels through the HTTP API of a real server.

Prints its figures; it is a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.

What it does, in order:

1. A fresh database (PostgreSQL `pvz_bench_<pid>` on --pg-url, or a SQLite file in WAL mode), `migrate`.
2. Data, loaded in the server's environment with `python -m pvz shell -c`: one point with --cells regular
   cells (mixed sizes, capacity --cell-capacity), K operators with OPERATOR memberships and a Django session
   each (made directly: the phone-code login is rate-limited per phone), and --carriages direct carriages
   built by the simulator (`manifest_generate` + `manifest_load`).
3. `uvicorn bench.timing_app:application --workers W`: the project's ASGI app wrapped in a stopwatch
   (bench/timing_app.py) that writes each request's server-side duration to a file per worker.
4. Each carriage's acceptance is opened through the API; then --operators asyncio tasks, each with its own
   session and keep-alive connection, scan distinct parcels (POST /api/v1/acceptances/{id}/scans, a fresh
   scan_id and Idempotency-Key per scan, auto_place true unless --manual). Operator i works on carriage
   i mod --carriages. The first --warmup scans are not measured.
5. The data is checked: every scanned parcel STORED in a cell (ACCEPTED without one with --manual), the
   expected number of events, scan rows and idempotency records, no cell over capacity.
6. "The limit": the minimal equivalent writes as bare SQL (psycopg / sqlite3), one transaction per scan
   with --operators concurrent connections: update the shipment (status, cell, version), insert the
   shipment event, the acceptance scan row and the idempotency record.
7. With --profile: queries per scan (by statement kind and table) and a cProfile of scans run one after
   another in a single process through Django's test client, in the server's environment.

Client and server share the machine's cores; the client's own CPU time is printed so that it can be
taken into account.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULT_MARK = "@@PVZ-BENCH@@"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
STARTUP_TIMEOUT_S = 60.0
# Environment of the developer's shell that must not leak into the server (as tests/browser/conftest.py).
SCRUBBED = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


# ---- options -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/acceptance.py",
        description=(
            "Acceptance-by-scan benchmark: starts its own server on a fresh database, lets N simulated "
            "operators scan parcels through the HTTP API, and prints throughput, client- and server-side "
            "latency, errors, a data check and the bare-SQL limit. Defaults give the issue's scenario: "
            "PostgreSQL, 20 operators, auto placement, 2 uvicorn workers."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres", help="database")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server (no database name) for pvz_bench_<pid>"
    )
    parser.add_argument(
        "--conn-max-age",
        default="project",
        help=(
            "CONN_MAX_AGE passed in DATABASE_URL; 'project' (the default) keeps the project's own "
            "connection handling (a psycopg pool per process since the fix of finding 1; the settings "
            "force CONN_MAX_AGE=0 on PostgreSQL whatever the URL says)"
        ),
    )
    parser.add_argument("--operators", type=int, default=20, help="concurrent simulated operators")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--scans", type=int, default=1000, help="measured scans (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=100, help="scans done first and not measured")
    parser.add_argument(
        "--manual",
        action="store_true",
        help="auto_place false (manual placement mode: the scan accepts and only suggests a cell)",
    )
    parser.add_argument("--carriages", type=int, default=20, help="open acceptances scanned at once")
    parser.add_argument(
        "--parcels-per-carriage",
        type=int,
        default=0,
        help="manifest size; 0 = enough for warm-up + scans with 20%% to spare",
    )
    parser.add_argument("--totes", type=int, default=10, help="totes per carriage (XL parcels travel loose)")
    parser.add_argument("--cells", type=int, default=3000, help="regular cells of the point (mixed sizes)")
    parser.add_argument("--cell-capacity", type=int, default=10, help="capacity of each cell")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-SQL limit")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help=(
            "also profile 2N sequential scans in one process after the run: N timed (database vs "
            "Python), N under cProfile; the queries of one scan are listed"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (logs, timings)")
    args = parser.parse_args(argv)
    if args.operators < 1 or args.workers < 1 or args.carriages < 1 or args.scans < 1:
        parser.error("--operators, --workers, --carriages and --scans must be at least 1")
    if args.parcels_per_carriage == 0:
        args.parcels_per_carriage = math.ceil((args.scans + args.warmup) * 1.2 / args.carriages)
    # Every operator may run until the target is reached; each needs its own share of parcels.
    if args.parcels_per_carriage * args.carriages < args.scans + args.warmup:
        parser.error("fewer parcels than scans: raise --parcels-per-carriage or --carriages")
    return args


# ---- small helpers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


def say(text: str) -> None:
    print(text, flush=True)


# ---- the database ------------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str
    url: str  # for the server (DATABASE_URL)
    path: Path | None = None  # SQLite file
    pg_server: str = ""
    name: str = ""

    @property
    def dsn(self) -> str:
        return self.url.split("?", 1)[0]

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(f"{self.pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def database_create(args: argparse.Namespace, tmp: Path) -> Database:
    if args.db == "sqlite":
        path = tmp / "pvz.sqlite3"
        return Database("sqlite", f"sqlite:///{path}", path=path)
    import psycopg

    name = f"pvz_bench_{os.getpid()}"
    server = args.pg_url.rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    if args.conn_max_age != "project":
        url += f"?conn_max_age={int(args.conn_max_age)}"
    return Database("postgres", url, pg_server=server, name=name)


# ---- the server and its environment ------------------------------------------------------------------


@dataclass
class Server:
    env: dict[str, str]
    workdir: Path
    log: Path
    base_url: str = ""
    process: subprocess.Popen[bytes] | None = None

    def run_step(self, args: list[str], timeout: float = 300) -> None:
        with self.log.open("a") as out:
            out.write(f"\n$ {' '.join(args)}\n")
            out.flush()
            done = subprocess.run(
                args, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        if done.returncode != 0:
            raise SystemExit(f"`{' '.join(args)}` failed ({done.returncode}):\n{tail(self.log)}")

    def run_python(self, code: str, timeout: float = 600) -> Any:
        """Run `code` in `python -m pvz shell` with the server's environment; it calls `result(value)`."""
        script = (
            "import json\n"
            f"def result(value):\n    print({RESULT_MARK!r} + json.dumps(value, default=str), flush=True)\n"
            + textwrap.dedent(code)
        )
        done = subprocess.run(
            [sys.executable, "-m", "pvz", "shell", "--no-imports", "-c", script],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        for line in done.stdout.splitlines():
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise SystemExit(
            f"server-side code failed (exit {done.returncode}):\n--- stdout ---\n{done.stdout[-3000:]}\n"
            f"--- stderr ---\n{done.stderr[-5000:]}"
        )

    def start(self, workers: int) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        with self.log.open("a") as out:
            out.write(f"\n$ uvicorn bench.timing_app:application --workers {workers} on {self.base_url}\n")
        out_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.timing_app:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=self.env,
            cwd=self.workdir,
            stdout=out_file,
            stderr=subprocess.STDOUT,
        )
        out_file.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit(
            f"the server did not answer /healthz in {STARTUP_TIMEOUT_S:.0f} s:\n{tail(self.log)}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


def server_env(database: Database, timing_dir: Path, use_redis: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env = {key: value for key, value in env.items() if not key.startswith("PVZ_")}
    pythonpath = [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env.update(
        DATABASE_URL=database.url,
        PVZ_DEBUG="false",
        PVZ_LOG_LEVEL="WARNING",
        PVZ_LOG_JSON="false",
        PVZ_SECRET_KEY=SECRET_KEY,
        PVZ_BENCH_TIMING_DIR=str(timing_dir),
        # Each operator scans far faster than the API's per-user limit allows (docs/domain.md).
        PVZ_API_RATE_LIMIT_USER="off",
        PYTHONPATH=os.pathsep.join(pythonpath),
        PYTHONUNBUFFERED="1",
    )
    if use_redis:
        env.update(
            REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0", PVZ_CHANNEL_PREFIX=f"pvzbench{os.getpid()}"
        )
    return env


# ---- data ----------------------------------------------------------------------------------------------

LOAD_DATA = """
import datetime as dt
from pathlib import Path

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.core import clock
from pvz.network.models import Cell, CellKind, Partner, PartnerPoint, PickupPoint
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate

P = json.loads(PARAMS)
# Cells by size, a little more generous than the simulator's parcel mix (S 50, M 33, L 13, XL 4 %).
SIZE_SHARE = (("S", 0.40), ("M", 0.35), ("L", 0.17), ("XL", 0.08))
with transaction.atomic():
    partner = Partner.objects.create(code="bench", name="Бенч-маркетплейс")
    point = PickupPoint.objects.create(
        code="pvz-bench", name="ПВЗ Бенчмарк", address="Москва, ул. Тестовая, 1",
        capacity=P["cells"] * P["capacity"],
    )
    PartnerPoint.objects.create(partner=partner, point=point)
    cells, index = [], 0
    for size, share in SIZE_SHARE:
        for _ in range(round(P["cells"] * share)):
            zone, rest = divmod(index, 1000)
            cells.append(Cell(
                point=point, address=f"{chr(65 + zone)}-{rest // 10 + 1:03d}-{rest % 10 + 1}",
                kind=CellKind.REGULAR, size_class=size, capacity=P["capacity"],
            ))
            index += 1
    Cell.objects.bulk_create(cells, batch_size=1000)

    operators = []
    for n in range(P["operators"]):
        user = User.objects.create_user(
            f"+7990{n:07d}", full_name=f"Оператор {n + 1}", auto_placement=not P["manual"]
        )
        Membership.objects.create(user=user, point=point, role=Role.OPERATOR)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "pvz.accounts.backends.PhoneCodeBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session["point_id"] = point.pk
        session.create()
        operators.append({"id": user.pk, "session": session.session_key, "csrf": _get_new_csrf_string()})

eta = clock.now() + dt.timedelta(hours=1)
carriages = []
for c in range(P["carriages"]):
    manifest = manifest_generate(
        seed=P["seed"] + c, parcels=P["parcels"], totes=P["totes"], carriage_number=f"CAR-BENCH{c:05d}"
    )
    carriage = manifest_load(manifest=manifest, partner=partner, point=point, eta=eta)
    carriages.append({"id": carriage.pk, "codes": [p.barcode for p in manifest.parcels]})
Path(P["out"]).write_text(json.dumps({"point": point.pk, "operators": operators, "carriages": carriages}))
result({"cells": len(cells), "parcels": sum(len(c["codes"]) for c in carriages)})
"""


CHECK_DATA = """
from collections import Counter

from django.db.models import Count, F, Q

from pvz.core.models import IdempotencyRecord
from pvz.inbound.models import AcceptanceScan
from pvz.network.models import Cell
from pvz.notifications.models import Notification
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import AT_POINT

P = json.loads(PARAMS)
codes = json.loads(open(P["scanned"]).read())
scanned = Shipment.objects.filter(barcode__in=codes)
expected_status = "ACCEPTED" if P["manual"] else "STORED"
by_status = dict(Counter(scanned.values_list("status", flat=True)))
wrong_status = scanned.exclude(status=expected_status).count()
if P["manual"]:
    wrong_cell = scanned.filter(cell__isnull=False).count()
else:
    wrong_cell = scanned.filter(cell__isnull=True).count()
events = ShipmentEvent.objects.filter(shipment__in=scanned).count()
scan_rows = AcceptanceScan.objects.filter(shipment__in=scanned, outcome="ACCEPTED").count()
records = IdempotencyRecord.objects.filter(key__startswith="bench-scan-").count()
notifications = Notification.objects.filter(shipment__in=scanned).count()
over = list(
    Cell.objects.annotate(held=Count("shipments", filter=Q(shipments__status__in=AT_POINT)))
    .filter(held__gt=F("capacity"))
    .values_list("address", "held", "capacity")[:10]
)
result({
    "parcels": len(codes), "found": scanned.count(), "by_status": by_status, "wrong_status": wrong_status,
    "wrong_cell": wrong_cell, "events": events, "scan_rows": scan_rows, "records": records,
    "notifications": notifications, "cells_over_capacity": over,
})
"""


PROFILE = """
import cProfile
import io
import pstats
import re
import time
import uuid
from collections import Counter

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pvz.accounts.models import User
from pvz.inbound.models import Acceptance
from pvz.shipments.models import Shipment

P = json.loads(PARAMS)
# The open acceptance with the most parcels still to scan.
acceptance = max(
    Acceptance.objects.filter(status="open").select_related("carriage"),
    key=lambda a: Shipment.objects.filter(carriage_id=a.carriage_id, status="EXPECTED").count(),
)
user = User.objects.get(pk=P["user"])
codes = list(
    Shipment.objects.filter(carriage_id=acceptance.carriage_id, status="EXPECTED")
    .order_by("pk").values_list("barcode", flat=True)[: 2 * P["n"] + 5]
)
assert len(codes) > P["n"] + 5, "no parcels left to profile: raise --parcels-per-carriage"
client = Client()
client.force_login(user)
session = client.session
session["point_id"] = acceptance.carriage.point_id
session.save()
path = f"/api/v1/acceptances/{acceptance.pk}/scans"


def scan(code):
    response = client.post(
        path, data={"code": code, "scan_id": str(uuid.uuid4()), "auto_place": not P["manual"]},
        content_type="application/json", headers={"Idempotency-Key": f"bench-profile-{uuid.uuid4()}"},
    )
    assert response.status_code == 200, response.content
    return response


timing = {"queries": 0, "db_s": 0.0}


def timed_query(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        timing["queries"] += 1
        timing["db_s"] += time.perf_counter() - started


def kind(sql):
    head = sql.split(None, 1)[0].upper()
    match = re.search(r'(?:FROM|INTO|UPDATE)\\s+"?(\\w+)', sql)
    return f"{head} {match.group(1)}" if match else head


warm, measured, profiled = codes[:5], codes[5 : 5 + P["n"]], codes[5 + P["n"] :]
for code in warm:
    scan(code)
with CaptureQueriesContext(connection) as queries:
    scan(measured[0])
lines = [
    {"ms": round(float(q["time"]) * 1000, 2), "kind": kind(q["sql"]), "sql": q["sql"][:160]}
    for q in queries.captured_queries
]
started = time.perf_counter()
with connection.execute_wrapper(timed_query):
    for code in measured[1:]:
        scan(code)
wall = time.perf_counter() - started
n = len(measured) - 1
profiler = cProfile.Profile()
profiler.enable()
for code in profiled:
    scan(code)
profiler.disable()
out = io.StringIO()
OURS = r"pvz/|idempotency|middleware|sessions"
pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(OURS, 40)
tottime = io.StringIO()
pstats.Stats(profiler, stream=tottime).sort_stats("tottime").print_stats(20)
result({
    "queries": lines, "n": n, "ms_per_scan": wall * 1000 / n, "db_ms_per_scan": timing["db_s"] * 1000 / n,
    "queries_per_scan": timing["queries"] / n, "profiled": len(profiled),
    "cumulative": out.getvalue()[-9000:], "tottime": tottime.getvalue()[-5000:],
})
"""


def server_code(template: str, params: dict[str, Any]) -> str:
    return f"PARAMS = {json.dumps(json.dumps(params))}\n" + textwrap.dedent(template)


# ---- a tiny keep-alive HTTP/1.1 client on asyncio streams (the stdlib only) -------------------------


class HttpConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        got = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                got[name.strip().lower()] = value.strip()
        if "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            data = b"".join(parts)
        else:
            data = b""
        if got.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Operator:
    user_id: int
    session: str
    csrf: str
    acceptance_id: int = 0
    codes: list[str] = field(default_factory=list)

    def headers(self, key: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={self.session}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
            "Idempotency-Key": key,
        }


@dataclass
class LoadResult:
    started: float = 0.0  # wall clock, start of the measured window
    finished: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    warmup_errors: Counter[str] = field(default_factory=Counter)
    scanned_codes: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0

    @property
    def measured(self) -> int:
        return len(self.latencies_ms)


def error_label(status: int, body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status} (not JSON)"
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return f"HTTP {status} {data['error'].get('code')}"
    if isinstance(data, dict) and "outcome" in data:
        return f"HTTP {status} outcome {data['outcome']}"
    return f"HTTP {status}"


async def open_acceptances(base_url: str, operators: list[Operator], carriages: list[dict[str, Any]]) -> None:
    """Each carriage's first operator opens its acceptance through the API; the others join it."""
    host, port = base_url.removeprefix("http://").split(":")
    acceptance_of: dict[int, int] = {}
    for index, operator in enumerate(operators):
        carriage = carriages[index % len(carriages)]
        connection = HttpConnection(host, int(port))
        status, body = await connection.request(
            "POST",
            f"/api/v1/carriages/{carriage['id']}/acceptance",
            operator.headers(f"bench-open-{uuid.uuid4()}"),
        )
        await connection.close()
        if status != 200:
            raise SystemExit(
                f"opening the acceptance of carriage {carriage['id']}: HTTP {status} {body[:500]!r}"
            )
        operator.acceptance_id = json.loads(body)["id"]
        acceptance_of.setdefault(carriage["id"], operator.acceptance_id)
        assert acceptance_of[carriage["id"]] == operator.acceptance_id, "one open acceptance per carriage"


async def scan_load(
    base_url: str, operators: list[Operator], *, warmup: int, scans: int, manual: bool
) -> LoadResult:
    host, port = base_url.removeprefix("http://").split(":")
    result = LoadResult()
    issued = 0
    done_warmup = 0
    warm = asyncio.Event()
    if warmup == 0:
        warm.set()
        result.started = time.time()
    expected = "ACCEPTED"

    async def operator_loop(operator: Operator) -> None:
        nonlocal issued, done_warmup
        connection = HttpConnection(host, int(port))
        try:
            while operator.codes and issued < warmup + scans:
                index = issued
                issued += 1
                in_warmup = index < warmup
                if not in_warmup and not warm.is_set():
                    await warm.wait()
                code = operator.codes.pop()
                body = json.dumps(
                    {"code": code, "scan_id": str(uuid.uuid4()), "auto_place": not manual}
                ).encode()
                started = time.perf_counter()
                status, data = await connection.request(
                    "POST",
                    f"/api/v1/acceptances/{operator.acceptance_id}/scans",
                    operator.headers(f"bench-scan-{uuid.uuid4()}"),
                    body,
                )
                elapsed_ms = (time.perf_counter() - started) * 1000
                ok = status == 200 and json.loads(data).get("outcome") == expected
                if ok:
                    result.scanned_codes.append(code)
                    result.outcomes[json.loads(data)["outcome"]] += 1
                if in_warmup:
                    if not ok:
                        result.warmup_errors[error_label(status, data)] += 1
                    done_warmup += 1
                    if done_warmup == warmup:
                        result.started = time.time()
                        warm.set()
                else:
                    result.latencies_ms.append(elapsed_ms)
                    if not ok:
                        result.errors[error_label(status, data)] += 1
        finally:
            await connection.close()

    cpu_before = time.process_time()
    await asyncio.gather(*(operator_loop(operator) for operator in operators))
    result.finished = time.time()
    result.client_cpu_s = time.process_time() - cpu_before
    return result


def assign_work(data: dict[str, Any], operators: list[Operator]) -> None:
    """Operator i scans carriage i mod C; a carriage's parcels are dealt out among its operators."""
    carriages = data["carriages"]
    by_carriage: dict[int, list[Operator]] = {}
    for index, operator in enumerate(operators):
        by_carriage.setdefault(index % len(carriages), []).append(operator)
    for c_index, team in by_carriage.items():
        codes = carriages[c_index]["codes"]
        for position, operator in enumerate(team):
            # Reversed so that pop() scans in manifest order.
            operator.codes = list(reversed(codes[position :: len(team)]))


# ---- server-side timings -------------------------------------------------------------------------------


def server_timings(timing_dir: Path, started: float, finished: float) -> list[float]:
    """Server-side durations (ms) of scan requests that started in the measured window."""
    durations = []
    for path in timing_dir.glob("timing-*.tsv"):
        for line in path.read_text().splitlines():
            wall, ms, method, url, _status = line.split("\t")
            if method == "POST" and url.endswith("/scans") and started <= float(wall) <= finished:
                durations.append(float(ms))
    return durations


# ---- the limit: the same writes as bare SQL ------------------------------------------------------------


@dataclass
class BareContext:
    point_id: int
    actor_ids: list[int]
    acceptance_id: int
    shipment_ids: list[int]
    cell_ids: list[int]


def bare_context(database: Database) -> BareContext:
    queries = (
        "SELECT id FROM network_pickuppoint WHERE code = 'pvz-bench'",
        "SELECT id FROM accounts_user ORDER BY id",
        "SELECT id FROM inbound_acceptance ORDER BY id",
        "SELECT id FROM shipments_shipment ORDER BY id",
        "SELECT id FROM network_cell WHERE kind = 'regular' ORDER BY id",
    )
    if database.kind == "postgres":
        import psycopg

        with psycopg.connect(database.dsn) as conn:
            rows = [[r[0] for r in conn.execute(q).fetchall()] for q in queries]
    else:
        with contextlib.closing(sqlite3.connect(database.path)) as conn:  # type: ignore[arg-type]
            rows = [[r[0] for r in conn.execute(q).fetchall()] for q in queries]
    return BareContext(rows[0][0], rows[1], rows[2][0], rows[3], rows[4])


BARE_STATEMENTS = {
    "shipment": (
        "UPDATE shipments_shipment SET status = {p}, cell_id = {p}, version = version + 1, updated_at = {p} "
        "WHERE id = {p}"
    ),
    "event": (
        "INSERT INTO shipments_shipmentevent (kind, visit, from_status, to_status, reason, idempotency_key, "
        "details, at, actor_id, cell_id, point_id, shipment_id) "
        "VALUES ('transition', 0, 'expected', 'stored', 'bench', {p}, '{{}}', {p}, {p}, {p}, {p}, {p})"
    ),
    "scan": (
        "INSERT INTO inbound_acceptancescan (raw_code, code, outcome, auto_place, shipment_status_before, "
        "placed, scan_id, created_at, acceptance_id, cell_id, operator_id, shipment_id) "
        "VALUES ({p}, {p}, 'ACCEPTED', {t}, 'expected', {t}, {p}, {p}, {p}, {p}, {p}, {p})"
    ),
    "record": (
        "INSERT INTO core_idempotencyrecord (scope, key, fingerprint, status_code, response_json, "
        "created_at, actor_id) VALUES ({p}, {p}, {p}, 200, {p}, {p}, {p})"
    ),
}
# A stored answer of about the size the API stores for an ACCEPTED scan.
BARE_RESPONSE = json.dumps({"outcome": "ACCEPTED", "message": "Принято. Ячейка A-001-1.", "pad": "x" * 900})


def bare_sql(database: Database, *, threads: int, scans: int) -> tuple[float, list[float]]:
    """scans/s and per-transaction latencies (ms) of the minimal equivalent writes, `threads` at once."""
    context = bare_context(database)
    if len(context.shipment_ids) < scans:
        scans = len(context.shipment_ids)
    placeholder = "%s" if database.kind == "postgres" else "?"
    true = "true" if database.kind == "postgres" else "1"
    sql = {name: text.format(p=placeholder, t=true) for name, text in BARE_STATEMENTS.items()}
    latencies: list[float] = []
    lock = threading.Lock()
    next_index = 0
    barrier = threading.Barrier(threads + 1)

    def take() -> int | None:
        nonlocal next_index
        with lock:
            if next_index >= scans:
                return None
            next_index += 1
            return next_index - 1

    def one_scan(execute: Any, index: int) -> None:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        now_value: Any = now if database.kind == "postgres" else now.isoformat(sep=" ")
        shipment = context.shipment_ids[index]
        cell = context.cell_ids[index % len(context.cell_ids)]
        actor = context.actor_ids[index % len(context.actor_ids)]
        key = f"bare-{uuid.uuid4()}"
        scan_id: Any = uuid.uuid4()
        if database.kind == "sqlite":
            scan_id = scan_id.hex
        execute(sql["shipment"], ("stored", cell, now_value, shipment))
        execute(sql["event"], (key, now_value, actor, cell, context.point_id, shipment))
        execute(sql["scan"], ("ii0", "ii0", scan_id, now_value, context.acceptance_id, cell, actor, shipment))
        execute(sql["record"], (f"user:{actor}", key, "0" * 64, BARE_RESPONSE, now_value, actor))

    def worker_pg() -> None:
        import psycopg

        with psycopg.connect(database.dsn) as conn:
            barrier.wait()
            while (index := take()) is not None:
                started = time.perf_counter()
                with conn.transaction():
                    one_scan(conn.execute, index)
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)

    def worker_sqlite() -> None:
        conn = sqlite3.connect(database.path, isolation_level=None, timeout=30, check_same_thread=False)  # type: ignore[arg-type]
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        barrier.wait()
        try:
            while (index := take()) is not None:
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                one_scan(conn.execute, index)
                conn.execute("COMMIT")
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            conn.close()

    target = worker_pg if database.kind == "postgres" else worker_sqlite
    pool = [threading.Thread(target=target) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


# ---- report --------------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:7.1f} ms"


def print_machine(args: argparse.Namespace, use_redis: bool) -> None:
    say("== machine and run")
    say(f"cores (nproc): {os.cpu_count()}   python: {platform.python_version()}   {platform.platform()}")
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(f"{args.pg_url.rstrip('/')}/postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()
            sync = conn.execute("SHOW synchronous_commit").fetchone()
        say(
            f"database: PostgreSQL {version[0] if version else '?'} "
            f"(synchronous_commit={sync[0] if sync else '?'})   server CONN_MAX_AGE: "
            f"{args.conn_max_age if args.conn_max_age != 'project' else 'project default'}"
        )
    else:
        say(f"database: SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)")
    say(
        f"operators: {args.operators}   uvicorn workers: {args.workers}   carriages: {args.carriages} "
        f"x {args.parcels_per_carriage} parcels   cells: {args.cells} (capacity {args.cell_capacity})"
    )
    say(
        f"mode: {'manual (auto_place=false)' if args.manual else 'auto placement (auto_place=true)'}   "
        f"scans: {args.scans} measured after {args.warmup} warm-up   redis channel layer: "
        f"{'yes' if use_redis else 'no (in-memory)'}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_redis = redis_answers()
    print_machine(args, use_redis)
    tmp = Path(tempfile.mkdtemp(prefix="pvz-bench-"))
    timing_dir = tmp / "timings"
    timing_dir.mkdir()
    database: Database | None = None
    server: Server | None = None
    try:
        database = database_create(args, tmp)
        server = Server(server_env(database, timing_dir, use_redis), tmp, tmp / "server.log")
        phase = time.perf_counter()
        server.run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"])
        data_file = tmp / "data.json"
        loaded = server.run_python(
            server_code(
                LOAD_DATA,
                {
                    "cells": args.cells,
                    "capacity": args.cell_capacity,
                    "operators": args.operators,
                    "manual": args.manual,
                    "carriages": args.carriages,
                    "parcels": args.parcels_per_carriage,
                    "totes": args.totes,
                    "seed": 20260000,
                    "out": str(data_file),
                },
            )
        )
        say(
            f"set-up: migrate + {loaded['cells']} cells + {loaded['parcels']} parcels in "
            f"{time.perf_counter() - phase:.1f} s"
        )
        data = json.loads(data_file.read_text())
        operators = [Operator(o["id"], o["session"], o["csrf"]) for o in data["operators"]]
        assign_work(data, operators)

        server.start(args.workers)
        asyncio.run(open_acceptances(server.base_url, operators, data["carriages"]))
        load = asyncio.run(
            scan_load(server.base_url, operators, warmup=args.warmup, scans=args.scans, manual=args.manual)
        )
        wall = load.finished - load.started
        server_ms = server_timings(timing_dir, load.started, load.finished)
        say("")
        say("== HTTP API (client: asyncio, one keep-alive connection per operator)")
        say(
            f"scans measured: {load.measured}   wall time: {wall:.2f} s   "
            f"throughput: {load.measured / wall:.1f} scans/s"
        )
        errors = sum(load.errors.values()) + sum(load.warmup_errors.values())
        say(
            f"errors: {errors}"
            + (f"  measured {dict(load.errors)}  warm-up {dict(load.warmup_errors)}" if errors else "")
        )
        say(
            f"client latency   p50 {fmt_ms(percentile(load.latencies_ms, 50))}   "
            f"p95 {fmt_ms(percentile(load.latencies_ms, 95))}   "
            f"p99 {fmt_ms(percentile(load.latencies_ms, 99))}   "
            f"max {fmt_ms(max(load.latencies_ms, default=float('nan')))}"
        )
        say(
            f"server latency   p50 {fmt_ms(percentile(server_ms, 50))}   "
            f"p95 {fmt_ms(percentile(server_ms, 95))}   "
            f"p99 {fmt_ms(percentile(server_ms, 99))}   ({len(server_ms)} requests timed in the ASGI app)"
        )
        say(
            f"client CPU: {load.client_cpu_s:.1f} s over {wall:.1f} s of load "
            f"(shares the {os.cpu_count()} cores)"
        )

        say("")
        say("== data check")
        scanned_file = tmp / "scanned.json"
        scanned_file.write_text(json.dumps(load.scanned_codes))
        check = server.run_python(
            server_code(CHECK_DATA, {"scanned": str(scanned_file), "manual": args.manual})
        )
        per_scan = 1 if args.manual else 2
        n = len(load.scanned_codes)
        problems = []
        if check["found"] != n:
            problems.append(f"{n - check['found']} scanned parcels not found")
        if check["wrong_status"] or check["wrong_cell"]:
            problems.append(f"status/cell wrong: {check['wrong_status']}/{check['wrong_cell']}")
        if check["events"] != n * per_scan:
            problems.append(f"events {check['events']} != {n} x {per_scan}")
        if check["scan_rows"] != n:
            problems.append(f"ACCEPTED scan rows {check['scan_rows']} != {n}")
        if check["records"] != args.scans + args.warmup:
            problems.append(
                f"idempotency records {check['records']} != {args.scans + args.warmup} scans sent"
            )
        if not args.manual and check["notifications"] != n:
            problems.append(f"notifications {check['notifications']} != {n}")
        if check["cells_over_capacity"]:
            problems.append(f"cells over capacity: {check['cells_over_capacity']}")
        say(
            f"parcels scanned OK: {n}   statuses: {check['by_status']}   events: {check['events']} "
            f"({per_scan} per scan)   scan rows: {check['scan_rows']}   "
            f"idempotency records: {check['records']}   notifications: {check['notifications']}   "
            f"cells over capacity: {len(check['cells_over_capacity'])}"
        )
        say("check: " + ("OK" if not problems else "FAILED — " + "; ".join(problems)))
        valid = not problems and errors == 0

        if args.profile:
            say("")
            say(
                f"== profile: {args.profile} sequential scans in one process "
                "(Django test client, no HTTP server)"
            )
            server.stop()
            profile = server.run_python(
                server_code(PROFILE, {"n": args.profile, "user": operators[0].user_id, "manual": args.manual})
            )
            say(
                f"{profile['n']} scans: {profile['ms_per_scan']:.1f} ms per scan, of which "
                f"{profile['db_ms_per_scan']:.1f} ms waiting for {profile['queries_per_scan']:.0f} queries "
                f"and {profile['ms_per_scan'] - profile['db_ms_per_scan']:.1f} ms in Python"
            )
            queries = profile["queries"]
            say(f"one scan request, by statement ({len(queries)} queries):")
            for kind, count in Counter(q["kind"] for q in queries).most_common():
                say(f"  {count:3d} x {kind}")
            say("-- the queries, in order (ms, statement):")
            for q in queries:
                say(f"  {q['ms']:6.2f}  {q['sql']}")
            say(f"-- cProfile of {profile['profiled']} more scans, by cumulative time (project code):")
            say(profile["cumulative"])
            say("-- cProfile, by own time:")
            say(profile["tottime"])

        if not args.no_bare:
            say("")
            say(
                "== the limit: the same writes as bare SQL "
                f"({'psycopg' if args.db == 'postgres' else 'sqlite3'})"
            )
            server.stop()
            rate, bare_latencies = bare_sql(database, threads=args.operators, scans=args.scans)
            say(
                f"{len(bare_latencies)} transactions with {args.operators} connections: {rate:.0f} scans/s   "
                f"p50 {fmt_ms(percentile(bare_latencies, 50))}   p99 {fmt_ms(percentile(bare_latencies, 99))}"
            )
            say(
                f"app / bare: {load.measured / wall / rate:.2f}  "
                f"(bare is {rate / (load.measured / wall):.1f}x the API)"
            )

        say("")
        verdict = "VALID" if valid else "INVALID (errors or failed check)"
        if args.db == "postgres" and args.operators == 20:
            met = load.measured / wall >= 300 and percentile(server_ms, 99) <= 50
            say(
                f"target (>= 300 scans/s, server p99 <= 50 ms): {'MET' if met else 'NOT MET'}   "
                f"run: {verdict}"
            )
        else:
            say(f"run: {verdict}")
        return 0 if valid else 1
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            database.drop()
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
