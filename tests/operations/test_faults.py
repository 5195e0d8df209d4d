"""Faults that lose nothing (issue 15, item 3): a real server on its own PostgreSQL, operators scanning a
carriage concurrently through the API with Idempotency-Keys, and in the middle of it every database
connection cut (as `pg_terminate_backend` does), the database unreachable for a while, the server killed
with SIGKILL and started again, and Redis (a private one the test starts) stopped and started again.
Every scan that got a success answer has its effect exactly once; every scan that failed was retried with
the same key to the same end; no answer was a 500; and live updates reach a browser's reconnected
websocket once Redis is back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.operations.processes import Database, TcpProxy, app_env, app_server, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
RESULT_MARK = "@@PVZ-FAULTS@@"
OPERATORS, PARCELS = 3, 90
# The last parcel is kept out of the load: scanned at the end, its live update is awaited on a websocket.
LOAD = PARCELS - 1

SEED = """
import datetime as dt, json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.core import clock
from pvz.network.models import Cell, CellKind, Partner, PartnerPoint, PickupPoint
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate

partner = Partner.objects.create(code="faults", name="Маркетплейс")
point = PickupPoint.objects.create(code="pvz-faults", name="ПВЗ Отказы", address="Москва", capacity=2000)
PartnerPoint.objects.create(partner=partner, point=point)
Cell.objects.bulk_create(
    Cell(point=point, address=f"A-{n:03d}-1", kind=CellKind.REGULAR, size_class=size, capacity=20)
    for n, size in enumerate(["S", "M", "L", "XL"] * 15)
)
operators = []
for n in range(OPERATORS):
    user = User.objects.create_user(f"+7991{n:07d}", full_name=f"Оператор {n + 1}")
    Membership.objects.create(user=user, point=point, role=Role.OPERATOR)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "pvz.accounts.backends.PhoneCodeBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["point_id"] = point.pk
    session.create()
    operators.append({"session": session.session_key, "csrf": _get_new_csrf_string()})
manifest = manifest_generate(seed=7, parcels=PARCELS, totes=3, carriage_number="CAR-FAULTS1")
eta = clock.now() + dt.timedelta(hours=1)
carriage = manifest_load(manifest=manifest, partner=partner, point=point, eta=eta)
codes = [p.barcode for p in manifest.parcels]
print(MARK + json.dumps({"carriage": carriage.pk, "point": point.pk, "operators": operators, "codes": codes}))
"""


def _shell(code: str, env: dict[str, str], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "pvz", "shell", "--no-imports", "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return dict(json.loads(line[len(RESULT_MARK) :]))
    raise AssertionError(done.stdout[-2000:] + done.stderr[-3000:])


@dataclass
class Tally:
    requests: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, label: str) -> None:
        with self.lock:
            self.requests += 1
            self.answers[label] += 1


def _post(url: str, body: dict[str, object], headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"raw": text[:200].decode(errors="replace")}


def _operator(
    base: str, acceptance: int, who: dict[str, str], codes: list[str], tally: Tally, stop: float
) -> None:
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"sessionid={who['session']}; csrftoken={who['csrf']}",
        "X-CSRFToken": who["csrf"],
    }
    for code in codes:
        # One key and one body per scan: a retry is the same request, as the scanner app sends it.
        key, body = f"fault-{code}", {"code": code, "scan_id": str(uuid.uuid4()), "auto_place": True}
        while time.monotonic() < stop:
            try:
                status, data = _post(
                    f"{base}/api/v1/acceptances/{acceptance}/scans", body, {**headers, "Idempotency-Key": key}
                )
            except OSError as exc:
                tally.count(f"connection: {type(exc).__name__}")
                time.sleep(0.2)
                continue
            error = data.get("error")
            tally.count(f"HTTP {status}" + (f" {error.get('code')}" if isinstance(error, dict) else ""))
            if status == 200:
                with tally.lock:
                    tally.acknowledged[code] = str(data.get("outcome"))
                break
            if status in (502, 503, 504, 429):
                time.sleep(0.2)
                continue
            break  # any other answer is final; the test counts it


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test stops and starts again."""

    def __init__(self, log: Path) -> None:
        self.port, self.log = free_port(), log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        assert wait_until(self._answers, timeout=10), self.log.read_text()[-2000:]

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _live_update_after_reconnect(
    base: str, point: int, who: dict[str, str], acceptance: int, code: str
) -> bool:
    """A browser's websocket, connected again after the Redis restart, gets the push of one more scan."""
    url = base.replace("http://", "ws://") + f"/ws/points/{point}/"
    cookie = f"sessionid={who['session']}; csrftoken={who['csrf']}"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": base}, open_timeout=10) as socket_:
        time.sleep(0.5)  # the consumer has joined its group
        status, _answer = _post(
            f"{base}/api/v1/acceptances/{acceptance}/scans",
            {"code": code, "scan_id": str(uuid.uuid4()), "auto_place": True},
            {
                "Content-Type": "application/json",
                "Cookie": cookie,
                "X-CSRFToken": who["csrf"],
                "Idempotency-Key": f"fault-{code}",
            },
        )
        assert status == 200, _answer
        try:
            return bool(socket_.recv(timeout=10))
        except TimeoutError:
            return False


def test_scans_survive_cut_connections_an_outage_and_a_killed_server(
    pg_database: Database, proxy: TcpProxy, ops_tmp: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(ops_tmp / "redis.log")
    redis.start()
    env = app_env(
        pg_database.url(proxy.port),
        REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
        PVZ_CHANNEL_PREFIX=f"pvzfaults{os.getpid()}",
    )
    seed = (
        SEED.replace("MARK", repr(RESULT_MARK))
        .replace("OPERATORS", str(OPERATORS))
        .replace("PARCELS", str(PARCELS))
    )
    data = _shell(seed, app_env(pg_database.url()), ops_tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = ops_tmp / "faults.log"
    app, _base = app_server(env, log, port=port)
    operators: list[dict[str, str]] = data["operators"]  # type: ignore[assignment]
    codes: list[str] = data["codes"]  # type: ignore[assignment]
    who = operators[0]
    status, opened = _post(
        f"{base}/api/v1/carriages/{data['carriage']}/acceptance",
        {},
        {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={who['session']}; csrftoken={who['csrf']}",
            "X-CSRFToken": who["csrf"],
            "Idempotency-Key": "fault-open",
        },
    )
    assert status == 200, opened
    acceptance = int(opened["id"])  # type: ignore[arg-type]

    tally = Tally()
    stop = time.monotonic() + 240
    shares = [codes[:LOAD][n::OPERATORS] for n in range(OPERATORS)]
    threads = [
        threading.Thread(target=_operator, args=(base, acceptance, operators[n], shares[n], tally, stop))
        for n in range(OPERATORS)
    ]
    for thread in threads:
        thread.start()
    faults: list[str] = []
    try:
        wait_until(lambda: len(tally.acknowledged) >= PARCELS // 5, timeout=60)
        faults.append(f"cut {proxy.cut()} connections at {len(tally.acknowledged)} acknowledged")
        wait_until(lambda: len(tally.acknowledged) >= 2 * PARCELS // 5, timeout=60)
        proxy.close()
        time.sleep(3)
        proxy.open()
        faults.append(f"database unreachable for 3 s at {len(tally.acknowledged)}")
        wait_until(lambda: len(tally.acknowledged) >= 3 * PARCELS // 5, timeout=60)
        os.kill(app.process.pid, signal.SIGKILL)
        app.process.wait(timeout=10)
        faults.append(f"server killed with SIGKILL at {len(tally.acknowledged)}")
        app, _base = app_server(env, log, port=port)
        wait_until(lambda: len(tally.acknowledged) >= 4 * PARCELS // 5, timeout=60)
        redis.stop()
        time.sleep(3)
        redis.start()
        faults.append(f"Redis stopped for 3 s at {len(tally.acknowledged)}")
        for thread in threads:
            thread.join(timeout=250)
        live = _live_update_after_reconnect(base, int(data["point"]), who, acceptance, codes[LOAD])  # type: ignore[arg-type]
    finally:
        app.stop()
        redis.stop()

    check = _shell(
        f"""
import json
from django.db.models import Count
from pvz.inbound.models import AcceptanceScan
from pvz.shipments.models import Shipment, ShipmentEvent
codes = {codes!r}
shipments = Shipment.objects.filter(barcode__in=codes)
accepted_events = dict(
    ShipmentEvent.objects.filter(shipment__in=shipments, from_status="EXPECTED")
    .values_list("shipment__barcode").annotate(n=Count("id"))
)
scan_rows = dict(
    AcceptanceScan.objects.filter(shipment__in=shipments, outcome="ACCEPTED")
    .values_list("shipment__barcode").annotate(n=Count("id"))
)
statuses = dict(shipments.values_list("barcode", "status"))
print({RESULT_MARK!r} + json.dumps({{"events": accepted_events, "scans": scan_rows, "statuses": statuses}}))
""",
        app_env(pg_database.url()),
        ops_tmp,
    )
    events: dict[str, int] = check["events"]  # type: ignore[assignment]
    scans: dict[str, int] = check["scans"]  # type: ignore[assignment]
    statuses: dict[str, str] = check["statuses"]  # type: ignore[assignment]
    acknowledged = tally.acknowledged
    lost = [code for code in acknowledged if events.get(code, 0) == 0 or statuses.get(code) == "EXPECTED"]
    doubled = [code for code in codes if events.get(code, 0) > 1 or scans.get(code, 0) > 1]
    print(
        "faults:",
        "; ".join(faults),
        f"\nrequests {tally.requests}, parcels {len(codes)}, acknowledged {len(acknowledged)}, "
        f"lost {len(lost)}, doubled {len(doubled)}\nanswers: {dict(tally.answers)}",
    )
    assert len(faults) == 4, faults
    assert live, "no live update reached the reconnected websocket after Redis came back"
    assert sorted(acknowledged) == sorted(codes[:LOAD]), (
        f"not acknowledged: {set(codes[:LOAD]) - set(acknowledged)}"
    )
    assert set(acknowledged.values()) == {"ACCEPTED"}, Counter(acknowledged.values())
    assert lost == [] and doubled == []
    assert not any(label.startswith("HTTP 500") for label in tally.answers), tally.answers
    assert all(statuses[code] == "STORED" for code in codes), Counter(statuses.values())
