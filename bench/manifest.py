"""Manifest ingest through the partner API: 10 000-shipment manifests posted to a real server.

Prints its figures; it is a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.
The issue's target: "ingest of a 10,000-shipment manifest via the API on PostgreSQL — ≥ 5,000
shipments/s end to end".

What it does, in order:

1. A fresh database (PostgreSQL `pvz_bench_<pid>` on --pg-url, or a SQLite file), `migrate` — the server
   set-up of bench/acceptance.py (same environment, same `bench.timing_app` stopwatch).
2. Data, in the server's environment: a partner, a point it serves (PartnerPoint) and a partner API key.
   With --existing N, N shipments of that partner already at the point (so the duplicate checks against
   the database search a table that is not empty).
3. `uvicorn bench.timing_app:application --workers W`.
4. One warm-up manifest of --warmup-lines shipments, then --runs manifests of --lines shipments each
   (distinct carriage numbers, barcodes and posting numbers; about 70 % as many customers as shipments,
   100 shipments per tote, one in ten loose), each POSTed as JSON to /api/v1/partner/carriages with the
   key, one after another. "End to end" is from the first byte sent to the last byte of the 201 answer;
   building and encoding the JSON on the client is timed apart and not included.
5. The data is checked: every run's carriage has --lines shipments EXPECTED and as many manifest lines.
6. With --breakdown: one more manifest ingested in the server's environment (no HTTP), timing
   `json.loads`, validation and the write separately, rolled back afterwards.

Client and server share the machine's cores; other processes' load is printed (loadavg) before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.acceptance import (
    DEFAULT_PG_URL,
    Server,
    database_create,
    fmt_ms,
    percentile,
    redis_answers,
    say,
    server_code,
    server_env,
)

TARGET_PER_S = 5000

SET_UP = """
import json

from pvz.network.models import Partner, PartnerPoint, PickupPoint
from pvz.partners.services import key_create

params = json.loads(PARAMS)
partner = Partner.objects.create(code="bench", name="Bench marketplace")
point = PickupPoint.objects.create(
    code="bench-1", name="ПВЗ bench", address="Москва, ул. Тестовая, д. 1", timezone="Europe/Moscow"
)
PartnerPoint.objects.create(partner=partner, point=point)
key = key_create(actor=None, partner=partner, name="bench").plaintext
existing = params["existing"]
if existing:
    from pvz.partners.manifests import CustomerIn, ShipmentIn, manifest_write

    customers = [CustomerIn(phone=f"+7925{i:07d}", name="") for i in range(existing)]
    shipments = [
        ShipmentIn(
            posting_number=f"old-{i}", barcode=f"old{i}", order_number=f"old-{i}",
            customer_phone=f"+7925{i:07d}", size_class="S", weight_g=100, declared_value_kop=0,
            amount_due_kop=0, id_check_required=False, category="", tote_barcode=None,
        )
        for i in range(existing)
    ]
    manifest_write(
        partner=partner, point=point, carriage_number="OLD-1", eta=None, customers=customers,
        shipments=shipments,
    )
result({"key": key, "point": point.code})
"""

CHECK = """
import json

from pvz.inbound.models import Carriage, ManifestLine
from pvz.shipments.models import Shipment

rows = []
for number in json.loads(PARAMS)["numbers"]:
    carriage = Carriage.objects.get(partner__code="bench", number=number)
    rows.append(
        [
            number,
            Shipment.objects.filter(carriage=carriage, status="EXPECTED").count(),
            ManifestLine.objects.filter(carriage=carriage).count(),
        ]
    )
result(rows)
"""

BREAKDOWN = """
import json
import time
from pathlib import Path

from django.db import transaction

from pvz.network.models import Partner
from pvz.partners import manifests

partner = Partner.objects.get(code="bench")
raw = Path(json.loads(PARAMS)["path"]).read_bytes()
started = time.perf_counter()
data = json.loads(raw)
parsed = time.perf_counter()
valid = manifests.manifest_validate(partner=partner, data=data, lines=None)
validated = time.perf_counter()
try:
    with transaction.atomic():
        manifests.manifest_write(
            partner=partner, point=valid.point, carriage_number=valid.carriage_number, eta=valid.eta,
            customers=valid.customers, shipments=valid.shipments,
        )
        written = time.perf_counter()
        raise RuntimeError("roll back")
except RuntimeError:
    pass
result({"parse": parsed - started, "validate": validated - parsed, "write": written - validated})
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/manifest.py",
        description=(
            "Manifest ingest benchmark: starts its own server on a fresh database and POSTs 10 000-shipment "
            "manifests to the partner API with a partner key; prints shipments/s end to end and the server "
            "time."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres", help="database")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for pvz_bench_<pid>")
    parser.add_argument("--conn-max-age", default="project", help="as in bench/acceptance.py")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--lines", type=int, default=10_000, help="shipments per manifest")
    parser.add_argument("--runs", type=int, default=3, help="measured manifests, one after another")
    parser.add_argument("--warmup-lines", type=int, default=200, help="shipments in the warm-up manifest")
    parser.add_argument("--existing", type=int, default=0, help="shipments the partner already has")
    parser.add_argument("--breakdown", action="store_true", help="also time parse/validate/write in-process")
    args = parser.parse_args(argv)
    if args.lines < 1 or args.runs < 1 or args.workers < 1:
        parser.error("--lines, --runs and --workers must be at least 1")
    return args


def manifest(point: str, number: str, lines: int, seed: int) -> dict[str, Any]:
    """A realistic manifest: ~0.7 customers per shipment, orders of 1-3 shipments, 100 per tote."""
    rng = random.Random(seed)
    customers = max(1, int(lines * 0.7))
    base = seed * 1_000_000
    shipments = []
    order = 0
    i = 0
    while i < lines:
        order += 1
        phone = f"+7916{(seed * 50_000 + rng.randrange(customers)) % 10**7:07d}"
        for part in range(min(rng.choice((1, 1, 1, 2, 3)), lines - i)):
            size = rng.choices(("S", "M", "L", "XL"), (50, 33, 13, 4))[0]
            shipments.append(
                {
                    "posting_number": f"{base + order}-{part + 1:04d}-1",
                    "barcode": f"ii{base * 10 + i:011d}",
                    "order_number": f"{base + order}",
                    "customer": {"phone": phone, "name": "Покупатель"},
                    "size_class": size,
                    "weight_g": rng.randrange(50, 25_000),
                    "declared_value_kop": rng.randrange(0, 20_000_000),
                    "amount_due_kop": 0 if rng.random() < 0.7 else rng.randrange(0, 2_000_000),
                    "category": "Одежда",
                    "tote": None if size == "XL" or i % 10 == 0 else f"%101%{seed:03d}{i // 100:08d}",
                    "id_check_required": False,
                }
            )
            i += 1
    return {
        "carriage_number": number,
        "point": point,
        "eta": "2026-11-28T14:30:00+03:00",
        "shipments": shipments,
    }


def post_manifest(base_url: str, key: str, body: bytes) -> tuple[int, bytes, float]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    try:
        started = time.perf_counter()
        conn.request(
            "POST",
            "/api/v1/partner/carriages",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        response = conn.getresponse()
        answer = response.read()
        return response.status, answer, time.perf_counter() - started
    finally:
        conn.close()


def server_ms(timing_dir: Path) -> list[float]:
    durations = []
    for path in timing_dir.glob("timing-*.tsv"):
        for line in path.read_text().splitlines():
            _wall, ms, method, url, status = line.split("\t")
            if method == "POST" and url.endswith("/partner/carriages") and status == "201":
                durations.append(float(ms))
    return durations


def loadavg() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_redis = redis_answers()
    say(
        f"cores: {os.cpu_count()}   python: {platform.python_version()}   db: {args.db}   "
        f"uvicorn workers: {args.workers}   lines: {args.lines} x {args.runs} runs   "
        f"existing shipments: {args.existing}   loadavg before: {loadavg()}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="pvz-bench-manifest-"))
    timing_dir = tmp / "timings"
    timing_dir.mkdir()
    database = database_create(args, tmp)
    server: Server | None = None
    try:
        env = server_env(database, timing_dir, use_redis)
        env["PVZ_API_RATE_LIMIT_PARTNER"] = "off"
        server = Server(env, tmp, tmp / "server.log")
        server.run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"])
        setup = server.run_python(server_code(SET_UP, {"existing": args.existing}))
        key, point = setup["key"], setup["point"]
        server.start(args.workers)

        warm = json.dumps(manifest(point, "WARM-1", args.warmup_lines, seed=0)).encode()
        status, answer, _elapsed = post_manifest(server.base_url, key, warm)
        if status != 201:
            raise SystemExit(f"warm-up answered {status}: {answer[:2000]!r}")
        for path in timing_dir.glob("timing-*.tsv"):
            path.write_text("")  # the warm-up's request is not measured

        say("")
        say(f"{'run':>4} {'build+encode':>13} {'body MB':>8} {'end to end':>11} {'shipments/s':>12}")
        numbers, rates, walls = [], [], []
        for run in range(1, args.runs + 1):
            number = f"CAR-BENCH-{run:03d}"
            started = time.perf_counter()
            body = json.dumps(manifest(point, number, args.lines, seed=run)).encode()
            encoded = time.perf_counter() - started
            status, answer, elapsed = post_manifest(server.base_url, key, body)
            if status != 201:
                raise SystemExit(f"run {run} answered {status}: {answer[:2000]!r}")
            numbers.append(number)
            walls.append(elapsed)
            rates.append(args.lines / elapsed)
            say(
                f"{run:>4} {fmt_ms(encoded * 1000):>13} {len(body) / 1e6:>8.2f} "
                f"{fmt_ms(elapsed * 1000):>11} {args.lines / elapsed:>12.0f}"
            )
        srv = server_ms(timing_dir)
        say("")
        say(
            f"end to end: median {fmt_ms(percentile([w * 1000 for w in walls], 50))}, "
            f"best {fmt_ms(min(walls) * 1000)}; shipments/s median {percentile(rates, 50):.0f}, "
            f"best {max(rates):.0f}"
        )
        say(
            f"server time per manifest (bench/timing_app): median {fmt_ms(percentile(srv, 50))}, "
            f"max {fmt_ms(max(srv) if srv else float('nan'))} over {len(srv)} requests"
        )
        rows = server.run_python(server_code(CHECK, {"numbers": numbers}))
        bad = [row for row in rows if row[1] != args.lines or row[2] != args.lines]
        say(
            f"data check: {'OK' if not bad else f'WRONG {bad}'} "
            f"({len(rows)} carriages x {args.lines} shipments)"
        )
        if args.breakdown:
            raw_path = tmp / "breakdown.json"
            raw_path.write_text(json.dumps(manifest(point, "CAR-BREAKDOWN", args.lines, seed=args.runs + 1)))
            parts = server.run_python(server_code(BREAKDOWN, {"path": str(raw_path)}))
            say(
                f"in-process breakdown ({args.lines} lines, no HTTP): "
                f"json.loads {parts['parse'] * 1000:.0f} ms, "
                f"validate {parts['validate'] * 1000:.0f} ms, write {parts['write'] * 1000:.0f} ms"
            )
        say(f"loadavg after: {loadavg()}")
        say("")
        met = percentile(rates, 50) >= TARGET_PER_S
        say(f"target (>= {TARGET_PER_S} shipments/s end to end, median): {'MET' if met else 'NOT MET'}")
        return 0
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
