"""The hot paths of a point, measured as CPU per operation (server + database), throughput and latency.

Prints its figures; a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.

    .venv/bin/python bench/hotpath.py noop                         # authenticated no-op API call
    .venv/bin/python bench/hotpath.py me                           # GET /api/v1/me
    .venv/bin/python bench/hotpath.py acceptance                   # acceptance scans with auto placement
    .venv/bin/python bench/hotpath.py acceptance --clients 1 --requests 300
    .venv/bin/python bench/hotpath.py acceptance --open 200 --duration 60
    .venv/bin/python bench/hotpath.py noop --variant old:code=5a8dfcc --variant new --rounds 3

Every run starts from a fresh copy of a template database holding the scenario's data (a point with
--cells cells, --stock parcels already stored in them, operators signed in, --carriages direct carriages
to accept; see bench/harness.py), ANALYZEd. A variant is `name[:key=value,…]` with keys `code` (a git
revision, default the working tree), `server` (uvicorn, gunicorn, gthread, granian), `workers`, `threads`
and `env.NAME` (an environment variable of the server); several variants run in alternating order,
--rounds times, and the medians are compared.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import direct_sql
from bench.harness import (
    CACHE,
    DEFAULT_PG_URL,
    CpuMeter,
    HttpConnection,
    LoadResult,
    Server,
    ServerSpec,
    base_env,
    closed_loop,
    code_dir,
    error_label,
    machine_line,
    median,
    open_loop,
    redis_answers,
    result_line,
    run_async,
    say,
    template,
)

LOAD = """
import datetime as dt
import random

from django.db import connection, transaction
from django.test import Client
from django.middleware.csrf import _get_new_csrf_string

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.core import clock
from pvz.network.models import Cell, CellKind, Partner, PartnerPoint, PickupPoint
from pvz.inventory.services import inventory_start
from pvz.network.services import special_places_ensure
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate

P = json.loads(PARAMS)
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
    users = []
    for n in range(P["operators"]):
        users.append(User.objects.create_user(
            f"+7990{n:07d}", full_name=f"Оператор {n + 1}", auto_placement=True
        ))
        Membership.objects.create(user=users[-1], point=point, role=Role.OPERATOR)

operators = []
for user in users:
    client = Client()
    client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.cookies["sessionid"].value
    operators.append({"id": user.pk, "session": session, "csrf": _get_new_csrf_string()})

now = clock.now()
# The stock: parcels already stored, spread over the first two thirds of each size's cells.
if P["stock"]:
    stock = manifest_generate(
        seed=P["seed"] - 1, parcels=P["stock"], totes=0, carriage_number="CAR-STOCK00001"
    )
    carriage = manifest_load(manifest=stock, partner=partner, point=point, eta=now)
    with connection.cursor() as cursor:
        cursor.execute(
            '''
            WITH s AS (
                SELECT id, size_class, row_number() OVER (PARTITION BY size_class ORDER BY id) - 1 AS rn
                FROM shipments_shipment WHERE carriage_id = %s
            ), c AS (
                SELECT id, size_class, row_number() OVER (PARTITION BY size_class ORDER BY address) - 1 AS rn,
                       (count(*) OVER (PARTITION BY size_class)) * 2 / 3 AS used
                FROM network_cell WHERE point_id = %s AND kind = 'regular'
            )
            UPDATE shipments_shipment AS sh
            SET status = 'STORED', cell_id = c.id, stored_at = %s, storage_deadline = %s, version = 2
            FROM s JOIN c ON c.size_class = s.size_class AND c.rn = s.rn %% c.used
            WHERE sh.id = s.id
            ''',
            [carriage.pk, point.pk, now, now + dt.timedelta(days=30)],
        )
        cursor.execute("UPDATE inbound_carriage SET status = 'closed' WHERE id = %s", [carriage.pk])
    if connection.vendor == "postgresql":
        # The history a point that has run for a while has: the stock's events, webhook rows, scans, "ready"
        # messages and their jobs, old idempotency records. Without it those tables are empty when the
        # template is analyzed, and PostgreSQL plans their lookups as scans of empty tables (which then
        # grow during the run): not what a real point's database plans.
        with connection.cursor() as cursor:
            operator_id = users[0].pk
            cursor.execute(
                '''
                INSERT INTO inbound_acceptance (created_at, updated_at, carriage_id, status, opened_by_id,
                    opened_at, closed_at, closed_by_id)
                VALUES (%s, %s, %s, 'closed', %s, %s, %s, %s) RETURNING id
                ''',
                [now, now, carriage.pk, operator_id, now, now, operator_id],
            )
            acceptance_id = cursor.fetchone()[0]
            cursor.execute(
                '''
                INSERT INTO shipments_shipmentevent (kind, shipment_id, visit, actor_id, point_id,
                    from_status,
                    to_status, reason, cell_id, idempotency_key, details, at)
                SELECT 'transition', s.id, 1, %s, s.point_id, step.from_status, step.to_status, step.reason,
                    CASE WHEN step.to_status = 'STORED' THEN s.cell_id END,
                    'history:' || s.id || ':' || step.to_status, '{}'::jsonb, %s
                FROM shipments_shipment s CROSS JOIN (VALUES ('EXPECTED', 'ACCEPTED', 'acceptance_scan'),
                    ('ACCEPTED', 'STORED', 'placed')) AS step(from_status, to_status, reason)
                WHERE s.carriage_id = %s
                ''',
                [operator_id, now, carriage.pk],
            )
            cursor.execute(
                '''
                INSERT INTO webhooks_outboxevent (event_id, partner_id, type, ordering_key, payload, lookups,
                    created_at, fanned_out_at)
                SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), e.point_id * 0 + s.partner_id,
                    'shipment.status_changed', 'shipment:' || s.id, '{}'::jsonb, '{}'::jsonb, e.at, e.at
                FROM shipments_shipmentevent e JOIN shipments_shipment s ON s.id = e.shipment_id
                WHERE s.carriage_id = %s
                ''',
                [carriage.pk],
            )
            cursor.execute(
                '''
                INSERT INTO inbound_acceptancescan (acceptance_id, operator_id, raw_code, code, outcome,
                    auto_place, shipment_id, cell_id, shipment_status_before, placed, scan_id, created_at)
                SELECT %s, %s, s.barcode, s.barcode, 'ACCEPTED', true, s.id, s.cell_id, 'EXPECTED', true,
                    gen_random_uuid(), %s
                FROM shipments_shipment s WHERE s.carriage_id = %s
                ''',
                [acceptance_id, operator_id, now, carriage.pk],
            )
            cursor.execute(
                '''
                INSERT INTO notifications_notification (created_at, updated_at, customer_id, shipment_id,
                    kind,
                    channel, recipient, text, status, attempts, sent_at, error, dedup_key)
                SELECT %s, %s, o.customer_id, s.id, 'shipment_ready', 'sms', c.phone, 'Заказ готов к выдаче.',
                    'sent', 1, %s, '', 'shipment_ready:' || s.id || ':1'
                FROM shipments_shipment s JOIN shipments_order o ON o.id = s.order_id
                JOIN shipments_customer c ON c.id = o.customer_id
                WHERE s.carriage_id = %s
                ''',
                [now, now, now, carriage.pk],
            )
            cursor.execute(
                '''
                INSERT INTO django_tasks_database_dbtaskresult (id, status, args_kwargs, priority, task_path,
                    queue_name, backend_name, run_after, enqueued_at, finished_at, started_at, return_value,
                    exception_class_path, traceback, worker_ids)
                SELECT gen_random_uuid(), 'SUCCESSFUL', jsonb_build_object('args', jsonb_build_array(n.id),
                    'kwargs', '{}'::jsonb), 0, 'pvz.notifications.tasks.notification_send', 'default',
                    'default', '9999-01-01 00:00:00+00', %s, %s, %s, '"sent"'::jsonb, '', '', '[]'::jsonb
                FROM notifications_notification n
                ''',
                [now, now, now],
            )
            cursor.execute(
                '''
                INSERT INTO core_idempotencyrecord (scope, key, actor_id, fingerprint, status_code,
                    response_json, created_at)
                SELECT 'user:' || %s, 'history-' || g, %s, repeat('f', 64), 200, '{}', %s
                FROM generate_series(1, %s) AS g
                ''',
                [operator_id, operator_id, now, P["stock"] * 2],
            )

carriages = []
for c in range(P["carriages"]):
    manifest = manifest_generate(
        seed=P["seed"] + c, parcels=P["parcels"], totes=P["totes"], carriage_number=f"CAR-BENCH{c:05d}"
    )
    carriage = manifest_load(manifest=manifest, partner=partner, point=point, eta=now + dt.timedelta(hours=1))
    carriages.append({"id": carriage.pk, "codes": [p.barcode for p in manifest.parcels]})

# Returning customers: a share of the new orders belongs to customers who already have parcels stored.
if P["stock"] and P["returning"]:
    with connection.cursor() as cursor:
        cursor.execute(
            '''
            WITH stocked AS (
                SELECT DISTINCT o.customer_id FROM shipments_order o
                JOIN shipments_shipment s ON s.order_id = o.id WHERE s.status = 'STORED'
            ), numbered AS (
                SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS rn FROM stocked
            ), fresh AS (
                SELECT o.id, row_number() OVER (ORDER BY o.id) AS rn FROM shipments_order o
                WHERE NOT EXISTS (
                    SELECT 1 FROM shipments_shipment s WHERE s.order_id = o.id AND s.status <> 'EXPECTED'
                )
            )
            UPDATE shipments_order o SET customer_id = n.customer_id
            FROM fresh f JOIN numbered n ON n.rn = f.rn
            WHERE o.id = f.id AND f.rn %% %s = 0
            ''',
            [max(1, round(1 / P["returning"]))],
        )

# Placement: parcels accepted by hand earlier, waiting to be put on a shelf.
placing = manifest_generate(
    seed=P["seed"] - 2, parcels=P["placing"], totes=0, carriage_number="CAR-PLACE0001"
)
placing_carriage = manifest_load(manifest=placing, partner=partner, point=point, eta=now)
with connection.cursor() as cursor:
    cursor.execute(
        "UPDATE shipments_shipment SET status = 'ACCEPTED', version = 2 WHERE carriage_id = %s",
        [placing_carriage.pk],
    )
    cursor.execute("UPDATE inbound_carriage SET status = 'closed' WHERE id = %s", [placing_carriage.pk])
to_place = list(
    Shipment.objects.filter(carriage=placing_carriage).order_by("pk").values_list("pk", flat=True)
)

# The return zone: a share of the stock past its storage deadline.
special_places_ensure(actor=None, point=point)
stock_ids = list(
    Shipment.objects.filter(point=point, status="STORED").order_by("pk").values_list("pk", flat=True)
)
expired_ids = stock_ids[:: max(1, len(stock_ids) // max(1, P["expired"]))][: P["expired"]]
Shipment.objects.filter(pk__in=expired_ids).update(
    status="EXPIRED", storage_deadline=now - dt.timedelta(days=1)
)
expired = list(Shipment.objects.filter(pk__in=expired_ids).values_list("barcode", flat=True))

# Inventory: one open count of the whole point; its cells with the parcels on them.
count = inventory_start(actor=users[0], point=point)
by_cell = {}
for address, barcode in (
    Shipment.objects.filter(point=point, status__in=("STORED", "EXPIRED"), cell__isnull=False)
    .order_by("cell__address", "pk")
    .values_list("cell__address", "barcode")
):
    by_cell.setdefault(address, []).append(barcode)

# The counter: customers whose stored parcels need no ID check and no payment.
eligible = (
    Shipment.objects.filter(point=point, status="STORED", id_check_required=False, amount_due_kop=0)
    .values_list("order__customer_id", flat=True)
)
blocked = set(
    Shipment.objects.filter(point=point, status__in=("STORED", "EXPIRED"))
    .exclude(id_check_required=False, amount_due_kop=0)
    .values_list("order__customer_id", flat=True)
) | set(Shipment.objects.filter(pk__in=expired_ids).values_list("order__customer_id", flat=True))
customers = []
for customer in Customer.objects.filter(pk__in=set(eligible) - blocked).order_by("pk")[: P["visits"]]:
    parcels = list(
        Shipment.objects.filter(point=point, status="STORED", order__customer=customer).values_list(
            "barcode", flat=True
        )
    )
    customers.append({"code": pickup_code_for(customer), "parcels": parcels})

result({
    "point": point.pk, "operators": operators, "carriages": carriages, "placing": to_place,
    "expired": expired, "inventory": {"id": count.pk, "cells": sorted(by_cell.items())},
    "customers": customers,
})
"""


# Operations: `noop` is the cheapest signed-in call (GET /api/v1/me/session), `me` the caller's points and
# roles (GET /api/v1/me), `acceptance` an acceptance scan with auto placement, `sql` the same scan's
# statements sent straight to PostgreSQL by psycopg clients (bench/direct_sql.py), without the application;
# `placement` places an accepted parcel in the suggested cell, `return_zone` scans a parcel past its
# deadline into the return zone, `inventory` scans cell labels and the parcels on them in an open count,
# `counter` serves customers in four measured phases (identify, open, scan each parcel, finish).
OPS = ("noop", "me", "acceptance", "sql", "placement", "return_zone", "inventory", "counter")
READS = {"noop": "/api/v1/me/session", "me": "/api/v1/me"}


@dataclass
class Operator:
    user_id: int
    session: str
    csrf: str
    acceptance_id: int = 0
    codes: list[str] = field(default_factory=list)

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={self.session}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
        }
        if key:
            headers["Idempotency-Key"] = key
        return headers


@dataclass(frozen=True)
class Variant:
    name: str
    code: str = "work"
    server: ServerSpec = field(default_factory=ServerSpec)
    env: tuple[tuple[str, str], ...] = ()
    op: str = ""  # another operation than the command line's (e.g. `sql` beside `acceptance`)


def variant_parse(text: str, defaults: ServerSpec) -> Variant:
    name, _, rest = text.partition(":")
    code, env, op = "work", [], ""
    kind, workers, threads = defaults.kind, defaults.workers, defaults.threads
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key == "code":
            code = value
        elif key == "server":
            kind = value
        elif key == "workers":
            workers = int(value)
        elif key == "threads":
            threads = int(value)
        elif key.startswith("env."):
            env.append((key[4:], value))
        elif key == "op":
            op = value
        else:
            raise SystemExit(f"unknown variant key {key!r} in {text!r}")
    return Variant(name or "current", code, ServerSpec(kind, workers, threads), tuple(env), op)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/hotpath.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("op", choices=OPS, help="the operation to measure")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--clients", type=int, default=20, help="closed loop: concurrent clients")
    parser.add_argument("--requests", type=int, default=2000, help="closed loop: measured requests")
    parser.add_argument("--warmup", type=int, default=200, help="closed loop: requests not measured")
    parser.add_argument("--open", type=float, default=0, metavar="RATE", help="open loop at RATE requests/s")
    parser.add_argument("--duration", type=float, default=60, help="open loop: measured seconds")
    parser.add_argument("--open-warmup", type=float, default=5, help="open loop: seconds not measured")
    parser.add_argument("--server", default="uvicorn", help="uvicorn, gunicorn, gthread or granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variant", action="append", default=[], help="name[:key=value,…] (see above)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds over the variants")
    parser.add_argument("--operators", type=int, default=20, help="signed-in operators (clients use them)")
    parser.add_argument("--cells", type=int, default=3000)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--stock", type=int, default=10000, help="parcels already stored at the point")
    parser.add_argument("--carriages", type=int, default=20)
    parser.add_argument("--parcels", type=int, default=800, help="parcels per carriage")
    parser.add_argument("--totes", type=int, default=10)
    parser.add_argument("--returning", type=float, default=0.3, help="share of orders of stocked customers")
    parser.add_argument("--placing", type=int, default=3000, help="accepted parcels waiting to be placed")
    parser.add_argument("--expired", type=int, default=2500, help="stored parcels past their deadline")
    parser.add_argument("--visits", type=int, default=1500, help="customers ready to be served")
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    args = parser.parse_args(argv)
    defaults = ServerSpec(args.server, args.workers, args.threads)
    args.variants = [variant_parse(v, defaults) for v in args.variant] or [variant_parse("current", defaults)]
    return args


# ---- scenarios -----------------------------------------------------------------------------------------


def operators_of(data: dict[str, Any]) -> list[Operator]:
    return [Operator(o["id"], o["session"], o["csrf"]) for o in data["operators"]]


async def acceptances_open(port: int, operators: list[Operator], carriages: list[dict[str, Any]]) -> None:
    """Operator i works on carriage i mod C and opens (or joins) its acceptance; the carriage's parcels are
    dealt out among its operators."""
    team: dict[int, list[Operator]] = {}
    for index, operator in enumerate(operators):
        carriage = carriages[index % len(carriages)]
        connection = HttpConnection(port)
        status, body = await connection.request(
            "POST", f"/api/v1/carriages/{carriage['id']}/acceptance", operator.headers(f"open-{uuid.uuid4()}")
        )
        await connection.close()
        if status != 200:
            raise SystemExit(
                f"opening the acceptance of carriage {carriage['id']}: HTTP {status} {body[:300]!r}"
            )
        operator.acceptance_id = json.loads(body)["id"]
        team.setdefault(index % len(carriages), []).append(operator)
    for c_index, members in team.items():
        codes = carriages[c_index]["codes"]
        for position, operator in enumerate(members):
            operator.codes = list(reversed(codes[position :: len(members)]))


@dataclass
class Phase:
    """Requests of one kind, measured together; `count` caps them (None: the command line's)."""

    label: str
    call: Any
    count: int | None = None


def _post(connection: HttpConnection, operator: Operator, path: str, body: dict[str, Any]) -> Any:
    return connection.request("POST", path, operator.headers(str(uuid.uuid4())), json.dumps(body).encode())


async def _ok(reply: Any, check: Any = None) -> str | None:
    status, answer = await reply
    if status != 200:
        return error_label(status, answer)
    return check(json.loads(answer)) if check else None


def _dealt(items: list[Any], clients: int) -> list[list[Any]]:
    """`items` dealt out to `clients`, each popping from the end in the original order."""
    return [list(reversed(items[i::clients])) for i in range(clients)]


def scenario(op: str, port: int, data: dict[str, Any], clients: int) -> list[Phase]:
    operators = operators_of(data)
    point = data["point"]

    def operator(client: int) -> Operator:
        return operators[client % len(operators)]

    if op in READS:
        path = READS[op]

        async def read(connection: HttpConnection, client: int, _seq: int) -> str | None:
            status, body = await connection.request("GET", path, operator(client).headers())
            return None if status == 200 else error_label(status, body)

        return [Phase(op, read)]

    if op == "acceptance":
        run_async(acceptances_open(port, operators, data["carriages"]))

        async def scan(connection: HttpConnection, client: int, _seq: int) -> str | None:
            who = operator(client)
            if not who.codes:
                return "out of parcels"
            body = {"code": who.codes.pop(), "scan_id": str(uuid.uuid4()), "auto_place": True}
            return await _ok(
                _post(connection, who, f"/api/v1/acceptances/{who.acceptance_id}/scans", body),
                lambda a: (
                    None if a["outcome"] == "ACCEPTED" and a["placed"] else f"{a['outcome']}/{a['placed']}"
                ),
            )

        return [Phase(op, scan)]

    if op == "placement":
        queues = _dealt(data["placing"], clients)

        async def place(connection: HttpConnection, client: int, _seq: int) -> str | None:
            if not queues[client]:
                return "out of parcels"
            path = f"/api/v1/shipments/{queues[client].pop()}/place"
            return await _ok(_post(connection, operator(client), path, {}))

        return [Phase(op, place)]

    if op == "return_zone":
        queues = _dealt(data["expired"], clients)

        async def to_zone(connection: HttpConnection, client: int, _seq: int) -> str | None:
            if not queues[client]:
                return "out of parcels"
            path = f"/api/v1/points/{point}/return-zone/scans"
            return await _ok(
                _post(connection, operator(client), path, {"code": queues[client].pop()}),
                lambda a: None if a["outcome"] == "moved" else a["outcome"],
            )

        return [Phase(op, to_zone)]

    if op == "inventory":
        inventory = data["inventory"]
        # Each client walks its own cells: the cell's label, then every parcel on it.
        steps: list[list[tuple[str, str]]] = [[] for _ in range(clients)]
        for n, (address, barcodes) in enumerate(inventory["cells"]):
            steps[n % clients] += [("cell", address)] + [("parcel", b) for b in barcodes]
        queues = [list(reversed(s)) for s in steps]

        async def count(connection: HttpConnection, client: int, _seq: int) -> str | None:
            if not queues[client]:
                return "out of cells"
            kind, code = queues[client].pop()
            path = f"/api/v1/inventories/{inventory['id']}/{kind}-scans"
            body = {"code": code, "scan_id": str(uuid.uuid4())}
            expected = "CELL" if kind == "cell" else "FOUND"
            return await _ok(
                _post(connection, operator(client), path, body),
                lambda a: None if a["outcome"] == expected else a["outcome"],
            )

        return [Phase(op, count)]

    if op == "counter":
        return _counter_phases(data, operators, clients)
    raise SystemExit(f"unknown operation {op}")


def _counter_phases(data: dict[str, Any], operators: list[Operator], clients: int) -> list[Phase]:
    """A visit at the counter as four phases, each over every customer: identify by the pickup code, open
    the session, scan each parcel, finish (everything issued). The customers wait in one queue: a client
    takes the next one (in the scan phase, all of that customer's parcels), so no client runs dry while
    others still have work."""
    point = data["point"]
    customers = data["customers"]
    sessions: dict[int, int] = {}
    scanned: set[int] = set()  # customers whose every parcel the scan phase has sent

    def visitor(phase: str) -> Any:
        waiting = list(reversed(range(len(customers))))
        at_counter: list[list[str]] = [[] for _ in range(clients)]
        serving: list[int] = [0] * clients

        async def call(connection: HttpConnection, client: int, _seq: int) -> str | None:
            who = operators[client % len(operators)]
            if phase == "scan":
                if not at_counter[client]:
                    if not waiting:
                        return "out of customers"
                    serving[client] = waiting.pop()
                    at_counter[client] = list(reversed(customers[serving[client]]["parcels"]))
                path = f"/api/v1/counter/sessions/{sessions[serving[client]]}/scans"
                barcode = at_counter[client].pop()
                if not at_counter[client]:
                    scanned.add(serving[client])
                return await _ok(_post(connection, who, path, {"code": barcode}))
            if phase == "finish":  # only sessions whose parcels were all scanned (an open loop scans fewer)
                while waiting and waiting[-1] not in scanned:
                    waiting.pop()
            if not waiting:
                return "out of customers"
            c = waiting.pop()
            if phase == "identify":
                path = f"/api/v1/counter/points/{point}/identify"
                return await _ok(_post(connection, who, path, {"code": customers[c]["code"]}))
            if phase == "open":

                def keep(answer: dict[str, Any]) -> None:
                    sessions[c] = answer["id"]

                path = f"/api/v1/counter/points/{point}/sessions"
                return await _ok(_post(connection, who, path, {"code": customers[c]["code"]}), keep)
            return await _ok(_post(connection, who, f"/api/v1/counter/sessions/{sessions[c]}/finish", {}))

        return call

    parcels = sum(len(c["parcels"]) for c in customers)
    return [
        Phase("counter identify", visitor("identify"), len(customers)),
        Phase("counter open", visitor("open"), len(customers)),
        Phase("counter scan", visitor("scan"), parcels),
        Phase("counter finish", visitor("finish"), len(customers)),
    ]


# ---- runs ----------------------------------------------------------------------------------------------


def template_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "operators": args.operators,
        "cells": args.cells,
        "capacity": args.capacity,
        "stock": args.stock,
        "carriages": args.carriages,
        "parcels": args.parcels,
        "totes": args.totes,
        "returning": args.returning,
        "placing": args.placing,
        "expired": args.expired,
        "visits": args.visits,
        "seed": 1300,
    }


def run_one(args: argparse.Namespace, variant: Variant, label: str) -> list[tuple[str, LoadResult]]:
    code = code_dir(variant.code)
    env = base_env(code, redis=redis_answers())
    env.update(dict(variant.env))
    tpl = template(
        kind=args.db, pg_server=args.pg_url, code=code, loader=LOAD, params=template_params(args), env=env
    )
    database = tpl.copy(label)
    env["DATABASE_URL"] = database.url
    op = variant.op or args.op
    if op == "sql":
        meter = CpuMeter(server_pid=None, pg_dsn=f"{args.pg_url}/postgres", dbname=database.name)
        try:
            result = direct_sql.run(
                database.url,
                tpl.data,
                clients=args.clients,
                count=args.requests,
                warmup=args.warmup,
                meter=meter,
            )
            return [("sql", result)]
        finally:
            meter.close()
            database.drop()
    log = CACHE / f"run_{label}.log"
    log.unlink(missing_ok=True)
    server = Server(variant.server, env, code, log)
    server.start()
    meter = CpuMeter(
        server_pid=server.pid,
        pg_dsn=f"{args.pg_url}/postgres" if args.db == "postgres" else None,
        dbname=database.name or None,
    )
    results = []
    try:
        for phase in scenario(op, server.port, tpl.data, args.clients):
            if args.open:
                coro = open_loop(
                    server.port, args.open, args.duration, args.open_warmup, args.clients, phase.call, meter
                )
            else:
                if phase.count is None:
                    count, warmup = args.requests, args.warmup
                else:  # a phase over given work: its first tenth (at most --warmup) warms up
                    warmup = min(args.warmup, phase.count // 10)
                    count = phase.count - warmup
                coro = closed_loop(server.port, args.clients, count, warmup, phase.call, meter)
            results.append((phase.label, run_async(coro)))
        return results
    finally:
        meter.close()
        server.stop()
        database.drop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    say(f"machine: {machine_line(args.pg_url if args.db == 'postgres' else None)}")
    if args.open:
        load = f"open loop {args.open:g}/s for {args.duration:g} s"
    else:
        load = f"closed loop, {args.clients} clients, {args.requests} requests after {args.warmup}"
    say(
        f"op: {args.op}   db: {args.db}   {load}   data: {args.cells} cells, {args.stock} stored, "
        f"{args.carriages} carriages x {args.parcels}"
    )
    results: dict[str, list[LoadResult]] = {}
    records = []
    for round_no in range(args.rounds):
        order = args.variants if round_no % 2 == 0 else list(reversed(args.variants))
        for variant in order:
            label = f"{variant.name}_{round_no}"
            spec = variant.server
            for phase, result in run_one(args, variant, label):
                name = variant.name if phase == (variant.op or args.op) else f"{variant.name} {phase}"
                results.setdefault(name, []).append(result)
                say(result_line(f"{name} r{round_no} {spec.kind}x{spec.workers}", result))
                records.append(
                    {"variant": variant.name, "phase": phase, "round": round_no, **result.summary()}
                )
    if args.rounds > 1 or len(args.variants) > 1:
        say("\nmedians over rounds:")
        for name, runs in results.items():
            cpu = [r.cpu.per_op_ms(r.ops) for r in runs if r.cpu]
            say(
                f"{name:<16} ops/s {median([r.throughput for r in runs]):8.1f}  p50 "
                f"{median([r.summary()['p50_ms'] for r in runs]):7.2f}  p99 "
                f"{median([r.summary()['p99_ms'] for r in runs]):7.2f} ms  CPU ms/op server "
                f"{median([c['server'] for c in cpu]):5.2f} + db {median([c['db'] for c in cpu]):5.2f} = "
                f"{median([c['server+db'] for c in cpu]):5.2f}"
            )
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
