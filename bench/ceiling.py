"""How fast can any request be on this machine and stack? The floors under `bench/acceptance.py`.

Prints its figures; a benchmark, not a test. Results go to docs/performance.md.

The same closed loop as `bench/acceptance.py` (C asyncio clients, one keep-alive connection each, the next
request sent as soon as the answer arrives; uvicorn with W workers; PostgreSQL with the project's pool), sent
to applications that do less and less work than an acceptance scan:

1. `raw`: a bare ASGI callable (uvicorn and the client alone).
2. `bare Django`: Django with no middleware and no project code, one sync view running `SELECT 1` through
   the psycopg pool (Django's ASGI handler, its thread per request, a pooled connection).
3. `GET /healthz` of the project, anonymous: the project's middleware stack and `SELECT 1`.
4. `GET /healthz` with an operator's session cookie: + the session and the user read.
5. `GET /api/v1/me` with the session: an authenticated API call (the user's points and roles), the
   least an API request of the counter or the acceptance screen does.

With C clients in a closed loop, throughput X and mean latency R are tied (Little's law: C = X * R), so a
target of "X >= 300/s with p99 <= 50 ms at C = 20" needs every request of the loop to take <= 50 ms, i.e.
X >= C / 50 ms = 400/s, from the application as a whole.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.acceptance import (
    DEFAULT_PG_URL,
    LOAD_DATA,
    STARTUP_TIMEOUT_S,
    HttpConnection,
    Operator,
    Server,
    database_create,
    fmt_ms,
    free_port,
    percentile,
    redis_answers,
    say,
    server_code,
    server_env,
    tail,
)


@dataclass(frozen=True)
class Rung:
    label: str
    app: str
    path: str
    session: bool
    env: tuple[tuple[str, str], ...] = ()


RUNGS = (
    Rung("raw ASGI (uvicorn alone)", "bench.ceiling_apps:raw", "/", False),
    Rung(
        "bare Django, SELECT 1",
        "bench.ceiling_apps:bare_django",
        "/db",
        False,
        (("PVZ_CEILING_APP", "bare_django"),),
    ),
    Rung("project GET /healthz, anonymous", "bench.timing_app:application", "/healthz", False),
    Rung("project GET /healthz, with session", "bench.timing_app:application", "/healthz", True),
    Rung("project GET /api/v1/me", "bench.timing_app:application", "/api/v1/me", True),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/ceiling.py",
        description=(
            "The throughput and latency floors of the stack under the acceptance benchmark: the same "
            "closed loop of C clients against applications doing less and less (raw ASGI, bare Django, "
            "the project's health check, an authenticated API call), on PostgreSQL."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server (no database name)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent clients (closed loop)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per rung")
    parser.add_argument("--warmup", type=int, default=300, help="requests sent first and not measured")
    args = parser.parse_args(argv)
    # What `database_create` reads.
    args.db, args.conn_max_age = "postgres", "project"
    return args


def start(server: Server, rung: Rung, workers: int) -> subprocess.Popen[bytes]:
    port = free_port()
    server.base_url = f"http://127.0.0.1:{port}"
    env = dict(server.env, **dict(rung.env))
    out = server.log.open("ab")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", rung.app, "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(workers), "--no-access-log", "--log-level", "warning"),
        ],
        env=env,
        cwd=server.workdir,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{rung.app} exited with {process.returncode}:\n{tail(server.log)}")
        try:
            with urllib.request.urlopen(
                f"{server.base_url}{'/healthz' if 'timing' in rung.app else rung.path}"
            ):
                return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{rung.app} did not answer in {STARTUP_TIMEOUT_S:.0f} s:\n{tail(server.log)}")


async def load(
    base_url: str, rung: Rung, operators: list[Operator], warmup: int, total: int
) -> tuple[float, float, list[float]]:
    host, port = base_url.removeprefix("http://").split(":")
    sent = 0
    latencies: list[float] = []
    window: list[tuple[float, float]] = []  # (perf counter, wall clock) when the measured window opens

    async def client(operator: Operator) -> None:
        nonlocal sent
        connection = HttpConnection(host, int(port))
        headers = {"Cookie": f"sessionid={operator.session}"} if rung.session else {}
        try:
            while sent < warmup + total:
                index = sent
                sent += 1
                if index == warmup:
                    window.append((time.perf_counter(), time.time()))
                started = time.perf_counter()
                status, body = await connection.request("GET", rung.path, headers)
                if status != 200:
                    raise SystemExit(f"{rung.label}: HTTP {status} {body[:300]!r}")
                if index >= warmup:
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            await connection.close()

    await asyncio.gather(*(client(operator) for operator in operators))
    return len(latencies) / (time.perf_counter() - window[0][0]), window[0][1], latencies


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_redis = redis_answers()
    say(
        f"cores: {os.cpu_count()}   python: {platform.python_version()}   clients: {args.connections} "
        f"(closed loop)   uvicorn workers: {args.workers}   requests: {args.requests} after {args.warmup} "
        f"warm-up   PostgreSQL with the project's pool   redis channel layer: {'yes' if use_redis else 'no'}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="pvz-ceiling-"))
    timing_dir = tmp / "timings"
    timing_dir.mkdir()
    database = database_create(args, tmp)
    try:
        server = Server(server_env(database, timing_dir, use_redis), tmp, tmp / "server.log")
        server.run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"])
        data_file = tmp / "data.json"
        params = {
            "cells": 10,
            "capacity": 10,
            "operators": args.connections,
            "manual": False,
            "carriages": 1,
            "parcels": 10,
            "totes": 2,
            "seed": 1,
            "out": str(data_file),
        }
        server.run_python(server_code(LOAD_DATA, params))
        operators = [
            Operator(o["id"], o["session"], o["csrf"]) for o in json.loads(data_file.read_text())["operators"]
        ]
        say("")
        say(
            f"{'application':40} {'req/s':>7} {'client p50':>11} {'client p99':>11} {'server p99':>11}"
            f" {'C / X':>8}"
        )
        for rung in RUNGS:
            for stale in timing_dir.glob("*.tsv"):
                stale.unlink()
            process = start(server, rung, args.workers)
            try:
                rate, began, latencies = asyncio.run(
                    load(server.base_url, rung, operators, args.warmup, args.requests)
                )
            finally:
                process.terminate()
                process.wait(timeout=15)
            server_ms = [
                float(ms)
                for path in timing_dir.glob("timing-*.tsv")
                for wall, ms, method, url, _status in (
                    line.split("\t") for line in path.read_text().splitlines()
                )
                if url == rung.path and float(wall) >= began
            ]
            server_p99 = fmt_ms(percentile(server_ms, 99)) if server_ms else "     —"
            say(
                f"{rung.label:40} {rate:7.0f} {fmt_ms(percentile(latencies, 50)):>11} "
                f"{fmt_ms(percentile(latencies, 99)):>11} {server_p99:>11} "
                f"{fmt_ms(args.connections / rate * 1000):>8}"
            )
        say("")
        say(
            f"C / X is the mean time a request must take for C = {args.connections} closed-loop clients "
            f"to reach throughput X (Little's law). A target of X >= 300/s with p99 <= 50 ms at "
            f"C = {args.connections} needs X >= {args.connections / 0.050:.0f}/s."
        )
        return 0
    finally:
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
