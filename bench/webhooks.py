"""Partner webhook delivery throughput to a local receiver.

Prints its figures; it is a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.

1. A fresh database (PostgreSQL `pvz_bench_<pid>` on --pg-url, or a SQLite file), `migrate`.
2. In the server's environment (`python -m pvz shell -c`): a partner, a point it serves, an endpoint of the
   partner pointing at this process's receiver, and --events shipment changes made through the shipment
   service (each writes its outbox row in its transaction, as a scan does). Not measured.
3. Measured: the delivery job's own function (`webhooks_run`, what the periodic task calls) runs until every
   delivery is done: fan-out of the outbox, then batches claimed, signed, posted in parallel (httpx, the
   settings' concurrency) and recorded.
4. The receiver (a ThreadingHTTPServer here, answering 204 after --receiver-ms) checks every signature with
   the Standard Webhooks formula and counts what it got; the database is checked too.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.acceptance import (
    DEFAULT_PG_URL,
    Server,
    database_create,
    redis_answers,
    say,
    server_code,
    server_env,
)
from bench.manifest import loadavg

SET_UP = """
import json

from pvz.network.models import Partner, PartnerPoint, PickupPoint
from pvz.partners.manifests import CustomerIn, ShipmentIn, manifest_write
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.services import webhook_endpoint_create

params = json.loads(PARAMS)
count = params["events"]
partner = Partner.objects.create(code="bench", name="Bench marketplace")
point = PickupPoint.objects.create(
    code="bench-1", name="ПВЗ bench", address="Москва", timezone="Europe/Moscow"
)
PartnerPoint.objects.create(partner=partner, point=point)
customers = [CustomerIn(phone=f"+7925{i:07d}", name="") for i in range(count)]
shipments = [
    ShipmentIn(
        posting_number=f"p-{i}", barcode=f"b{i}", order_number=f"o-{i}", customer_phone=f"+7925{i:07d}",
        size_class="S", weight_g=100, declared_value_kop=0, amount_due_kop=0, id_check_required=False,
        category="", tote_barcode=None,
    )
    for i in range(count)
]
manifest_write(
    partner=partner, point=point, carriage_number="CAR-WH-1", eta=None, customers=customers,
    shipments=shipments,
)
endpoint = webhook_endpoint_create(actor=None, partner=partner, url=params["url"])
# One change per parcel, each in its own transaction with its outbox row, as a scan writes it.
for shipment_id in Shipment.objects.filter(partner=partner).values_list("pk", flat=True):
    shipment_transition(actor=None, shipment_id=shipment_id, to_status=Status.SHORTAGE)
result({"secret": endpoint.secret})
"""

DELIVER = """
import time

from pvz.webhooks import delivery
from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.models import WebhookDelivery

# Where the time goes: the claim (the query that grew with the backlog) and the recording of outcomes,
# timed around the worker's own functions.
spent = {"claim": [], "record": []}


def timed(name, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name].append(time.perf_counter() - started)

    return wrapper


delivery._claim = timed("claim", delivery._claim)
delivery._record = timed("record", delivery._record)
started = time.perf_counter()
attempted = runs = 0
while True:
    done = webhooks_run(budget_seconds=600)
    attempted += done
    runs += 1
    if done == 0:
        break
elapsed = time.perf_counter() - started
by_status = {}
for status in WebhookDelivery.objects.values_list("status", flat=True):
    by_status[status] = by_status.get(status, 0) + 1
claims = spent["claim"]
result({
    "elapsed": elapsed, "attempted": attempted, "runs": runs, "by_status": by_status,
    "claims": len(claims), "claim_ms": 1000 * sum(claims) / max(1, len(claims)),
    "first_claims_ms": 1000 * sum(claims[:5]) / max(1, len(claims[:5])),
    "record_ms": 1000 * sum(spent["record"]) / max(1, len(spent["record"])),
})
"""


class Receiver:
    def __init__(self, delay_ms: float) -> None:
        self.delay = delay_ms / 1000
        self.secret = b""
        self.lock = threading.Lock()
        self.received = 0
        self.bad_signatures = 0
        self.ids: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.check(self.headers, body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, headers: object, body: bytes) -> None:
        msg_id = headers.get("webhook-id", "")  # type: ignore[attr-defined]
        timestamp = headers.get("webhook-timestamp", "")  # type: ignore[attr-defined]
        signatures = headers.get("webhook-signature", "").split()  # type: ignore[attr-defined]
        expected = base64.b64encode(
            hmac.new(self.secret, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        valid = any(hmac.compare_digest(sig.partition(",")[2], expected) for sig in signatures)
        with self.lock:
            self.received += 1
            self.ids.add(msg_id)
            self.bad_signatures += not valid

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/webhooks.py",
        description="Partner webhook delivery throughput to a local receiver (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres", help="database")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for pvz_bench_<pid>")
    parser.add_argument("--conn-max-age", default="project", help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, default=2000, help="shipment changes to deliver")
    parser.add_argument("--receiver-ms", type=float, default=0.0, help="receiver's answer delay")
    parser.add_argument("--concurrency", type=int, default=8, help="PVZ_WEBHOOK_CONCURRENCY")
    parser.add_argument("--batch", type=int, default=100, help="PVZ_WEBHOOK_BATCH_SIZE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    say(
        f"cores: {os.cpu_count()}   python: {platform.python_version()}   db: {args.db}   "
        f"events: {args.events}   "
        f"concurrency: {args.concurrency}   batch: {args.batch}   receiver delay: {args.receiver_ms} ms   "
        f"loadavg before: {loadavg()}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="pvz-bench-webhooks-"))
    timing_dir = tmp / "timings"
    timing_dir.mkdir()
    database = database_create(args, tmp)
    receiver = Receiver(args.receiver_ms)
    try:
        env = server_env(database, timing_dir, redis_answers())
        env["PVZ_WEBHOOK_CONCURRENCY"] = str(args.concurrency)
        env["PVZ_WEBHOOK_BATCH_SIZE"] = str(args.batch)
        env["PVZ_WEBHOOK_ALLOW_PRIVATE_URLS"] = "true"  # the receiver is http://127.0.0.1 (SSRF guard)
        server = Server(env, tmp, tmp / "server.log")
        server.run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"])
        code = server_code(SET_UP, {"events": args.events, "url": receiver.url})
        setup = server.run_python(code, timeout=1800)
        receiver.secret = base64.b64decode(setup["secret"].removeprefix("whsec_"))
        run = server.run_python(server_code(DELIVER, {}), timeout=1800)
        elapsed = run["elapsed"]
        say("")
        say(
            f"delivered {run['attempted']} in {elapsed:.2f} s ({run['runs']} job runs): "
            f"{run['attempted'] / elapsed:.0f} deliveries/s (fan-out, claim, sign, POST, record)"
        )
        say(
            f"claim: {run['claim_ms']:.1f} ms on average over {run['claims']} claims "
            f"({run['first_claims_ms']:.1f} ms for the first 5, with the whole backlog pending); "
            f"record: {run['record_ms']:.1f} ms per batch"
        )
        say(
            f"receiver: {receiver.received} requests, {len(receiver.ids)} distinct event ids, "
            f"{receiver.bad_signatures} bad signatures; deliveries by status: {run['by_status']}"
        )
        ok = (
            receiver.bad_signatures == 0
            and len(receiver.ids) == args.events
            and run["by_status"] == {"delivered": args.events}
        )
        say(f"data check: {'OK' if ok else 'WRONG'}   loadavg after: {loadavg()}")
        return 0 if ok else 1
    finally:
        receiver.stop()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
