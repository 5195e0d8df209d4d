"""Where the time of one hot-path request goes: requests run one after another in this process, straight
through Django's WSGI handler (no HTTP server), on a fresh copy of bench/hotpath.py's template database.

    .venv/bin/python bench/profile_request.py noop            # GET /api/v1/me/session
    .venv/bin/python bench/profile_request.py me              # GET /api/v1/me
    .venv/bin/python bench/profile_request.py acceptance      # acceptance scans with auto placement
    .venv/bin/python bench/profile_request.py acceptance --n 200 --top 40 --queries

Prints the wall time per request, the time spent waiting for the database and the statements of one
request, and a cProfile listing (cumulative, then own time). A diagnostic, not a benchmark: the profiler
itself slows Python down, so compare its shares, not its milliseconds, with bench/hotpath.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import DEFAULT_PG_URL, base_env, code_dir, redis_answers, template
from bench.hotpath import LOAD, OPS, READS


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/profile_request.py")
    parser.add_argument("op", choices=OPS)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--n", type=int, default=300, help="requests timed, and as many profiled")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--queries", action="store_true", help="list the statements of one request")
    parser.add_argument(
        "--phase", choices=("identify", "open", "scan", "finish"), default="finish", help="counter's call"
    )
    args = parser.parse_args()
    from bench.hotpath import parse_args as hotpath_args
    from bench.hotpath import template_params

    defaults = hotpath_args([args.op])
    params = template_params(defaults)
    code = code_dir("work")
    env = base_env(code, redis=redis_answers())
    tpl = template(kind=args.db, pg_server=args.pg_url, code=code, loader=LOAD, params=params, env=env)
    database = tpl.copy("profile")
    os.environ.update({k: v for k, v in env.items() if k.startswith(("PVZ_", "REDIS_"))})
    os.environ["DATABASE_URL"] = database.url
    os.environ["PVZ_LOG_LEVEL"] = "WARNING"
    try:
        return profile(args, tpl.data)
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()


def _counter(args: argparse.Namespace, data: dict[str, Any], call: Any) -> Any:
    """One call of the counter's `--phase`; what comes before it for each customer is done here, untimed."""
    point = data["point"]
    needed = 20 + 2 * args.n + 1
    customers = data["customers"][:needed]
    if len(customers) < needed:
        raise SystemExit(f"--n {args.n} needs {needed} customers; the template has {len(data['customers'])}")

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = call("POST", path, json.dumps(body).encode(), key=str(uuid.uuid4()))
        assert status.startswith("200"), (path, status, answer[:300])
        return json.loads(answer) if answer else {}

    if args.phase in ("identify", "open"):
        codes = [c["code"] for c in reversed(customers)]
        path = f"/api/v1/counter/points/{point}/" + ("identify" if args.phase == "identify" else "sessions")
        return lambda: post(path, {"code": codes.pop()})
    opening = f"/api/v1/counter/points/{point}/sessions"
    sessions = [post(opening, {"code": c["code"]})["id"] for c in customers]
    if args.phase == "scan":
        scans = [(s, b) for s, c in zip(sessions, customers, strict=True) for b in c["parcels"]]
        scans.reverse()

        def scan() -> None:
            session, barcode = scans.pop()
            post(f"/api/v1/counter/sessions/{session}/scans", {"code": barcode})

        return scan
    for session, customer in zip(sessions, customers, strict=True):
        for barcode in customer["parcels"]:
            post(f"/api/v1/counter/sessions/{session}/scans", {"code": barcode})
    sessions.reverse()
    return lambda: post(f"/api/v1/counter/sessions/{sessions.pop()}/finish", {})


def profile(args: argparse.Namespace, data: dict[str, Any]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvz.config.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handler = WSGIHandler()
    operator = data["operators"][0]
    cookie = f"sessionid={operator['session']}; csrftoken={operator['csrf']}"

    def call(method: str, path: str, body: bytes = b"", key: str | None = None) -> tuple[str, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": operator["csrf"],
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if key:
            environ["HTTP_IDEMPOTENCY_KEY"] = key
        status: list[str] = []
        chunks = handler(environ, lambda s, h, exc=None: status.append(s))
        out = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return status[0], out

    if args.op in READS:

        def one() -> None:
            status, body = call("GET", READS[args.op])
            assert status.startswith("200"), (status, body[:300])

    elif args.op == "placement":
        queue = list(reversed(data["placing"]))

        def one() -> None:
            status, body = call(
                "POST", f"/api/v1/shipments/{queue.pop()}/place", b"{}", key=str(uuid.uuid4())
            )
            assert status.startswith("200"), (status, body[:300])

    elif args.op == "return_zone":
        queue = list(reversed(data["expired"]))

        def one() -> None:
            payload = json.dumps({"code": queue.pop()}).encode()
            status, body = call(
                "POST", f"/api/v1/points/{data['point']}/return-zone/scans", payload, key=str(uuid.uuid4())
            )
            assert status.startswith("200"), (status, body[:300])

    elif args.op == "inventory":
        steps = [("cell", a) for a, _ in data["inventory"]["cells"][:1]]
        for address, barcodes in data["inventory"]["cells"]:
            steps += [("cell", address)] + [("parcel", b) for b in barcodes]
        steps.reverse()

        def one() -> None:
            kind, code = steps.pop()
            payload = json.dumps({"code": code, "scan_id": str(uuid.uuid4())}).encode()
            path = f"/api/v1/inventories/{data['inventory']['id']}/{kind}-scans"
            status, body = call("POST", path, payload, key=str(uuid.uuid4()))
            assert status.startswith("200"), (status, body[:300])

    elif args.op == "counter":
        one = _counter(args, data, call)

    else:
        carriage = data["carriages"][0]
        status, body = call("POST", f"/api/v1/carriages/{carriage['id']}/acceptance", key=str(uuid.uuid4()))
        assert status.startswith("200"), (status, body[:300])
        acceptance = json.loads(body)["id"]
        codes = list(reversed(carriage["codes"]))

        def one() -> None:
            payload = {"code": codes.pop(), "scan_id": str(uuid.uuid4()), "auto_place": True}
            status, body = call(
                "POST",
                f"/api/v1/acceptances/{acceptance}/scans",
                json.dumps(payload).encode(),
                key=str(uuid.uuid4()),
            )
            assert status.startswith("200") and json.loads(body)["placed"], (status, body[:300])

    for _ in range(20):
        one()
    waited = {"s": 0.0, "n": 0}

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited["s"] += time.perf_counter() - started
            waited["n"] += 1

    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        for _ in range(args.n):
            one()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{args.op}: {wall * 1000 / args.n:.2f} ms per request "
        f"(CPU of this process {cpu * 1000 / args.n:.2f} ms), "
        f"{waited['n'] / args.n:.1f} statements waiting {waited['s'] * 1000 / args.n:.2f} ms"
    )
    if args.queries:
        with CaptureQueriesContext(connection) as captured:
            one()
        for query in captured.captured_queries:
            print(f"  {float(query['time']) * 1000:6.2f} ms  {(query['sql'] or '?')[:220]}")
    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for the database does not count
    profiler.enable()
    for _ in range(args.n):
        one()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
