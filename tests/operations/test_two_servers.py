"""Several app servers (issue 15, item 4): two server processes on different ports share PostgreSQL —
through PgBouncer in transaction pooling mode (Debian's 1.18: no prepared statements, so
PVZ_DB_TRANSACTION_POOLER turns them and server-side cursors off) — and Redis. A live update of a scan
made on one server reaches a websocket held on the other; an Idempotency-Key used on one server is
replayed by the other; operators scanning through nginx in front of both accept every parcel once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.operations.processes import Database, app_env, app_server, free_port, healthy, wait_until
from tests.operations.test_faults import RESULT_MARK, SEED, _post, _shell

PARCELS, OPERATORS = 40, 2


class PgBouncer:
    def __init__(self, database: Database, tmp: Path) -> None:
        self.port = free_port()
        # PgBouncer refuses to run as root: as root it runs as postgres, in a directory that user may write.
        tmp = tmp / "pgbouncer"
        tmp.mkdir(mode=0o777)
        tmp.chmod(0o777)
        tmp.parent.chmod(0o755)
        ini = tmp / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"{database.name} = host=127.0.0.1 port=5432 dbname={database.name} user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\ndefault_pool_size = 10\nmax_client_conn = 200\n"
            f"logfile = {tmp / 'pgbouncer.log'}\npidfile = {tmp / 'pgbouncer.pid'}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*user, "pgbouncer", str(ini)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        log = tmp / "pgbouncer.log"
        assert self.process.poll() is None, log.read_text()[-2000:] if log.exists() else "no log"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Nginx:
    """nginx in front of both servers, as deploy/nginx/openpvz.conf puts it (without TLS)."""

    def __init__(self, tmp: Path, backends: list[str]) -> None:
        self.port = free_port()
        tmp = tmp / "nginx"
        tmp.mkdir(mode=0o777)
        tmp.chmod(0o777)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / sub).mkdir(mode=0o777)
            (tmp / sub).chmod(0o777)
        servers = "".join(f"    server {b.removeprefix('http://')};\n" for b in backends)
        conf = tmp / "nginx.conf"
        conf.write_text(
            f"worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
            "http {\n"
            f"  access_log {tmp}/access.log;\n"
            + "".join(f"  {sub}_temp_path {tmp}/{sub};\n" for sub in ("proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  client_body_temp_path {tmp}/body;\n"
            f"  upstream openpvz {{\n{servers}  }}\n"
            "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n"
            "    proxy_set_header X-Request-ID $request_id;\n    proxy_set_header Host $http_host;\n"
            "    location /ws/ { proxy_pass http://openpvz; proxy_http_version 1.1;\n"
            "      proxy_set_header Upgrade $http_upgrade;\n"
            "      proxy_set_header Connection $connection_upgrade; }\n"
            "    location / { proxy_pass http://openpvz; proxy_http_version 1.1; }\n"
            "  }\n}\n"
        )
        self.process = subprocess.Popen(
            ["nginx", "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        assert wait_until(lambda: healthy(self.base), timeout=20), (tmp / "error.log").read_text()[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_two_servers_behind_pgbouncer_share_live_updates_idempotency_and_work(
    pg_database: Database, ops_tmp: Path
) -> None:
    for tool in ("pgbouncer", "nginx"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/test.sh installs it (apt-get install)")
    seed = SEED.replace("MARK", repr(RESULT_MARK)).replace("OPERATORS", str(OPERATORS))
    data = _shell(seed.replace("PARCELS", str(PARCELS)), app_env(pg_database.url()), ops_tmp)
    bouncer = PgBouncer(pg_database, ops_tmp)
    env = app_env(
        pg_database.url(bouncer.port),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        PVZ_CHANNEL_PREFIX=f"pvztwo{os.getpid()}",
        PVZ_DB_TRANSACTION_POOLER="true",
    )
    (a, base_a), (b, base_b) = app_server(env, ops_tmp / "a.log"), app_server(env, ops_tmp / "b.log")
    try:
        operators: list[dict[str, str]] = data["operators"]  # type: ignore[assignment]
        codes: list[str] = data["codes"]  # type: ignore[assignment]
        who = operators[0]
        cookie = f"sessionid={who['session']}; csrftoken={who['csrf']}"
        headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": who["csrf"]}
        status, opened = _post(
            f"{base_a}/api/v1/carriages/{data['carriage']}/acceptance",
            {},
            {**headers, "Idempotency-Key": "two-open"},
        )
        assert status == 200, opened
        acceptance = int(opened["id"])  # type: ignore[arg-type]
        scans = f"/api/v1/acceptances/{acceptance}/scans"

        # A websocket on A; the scan on B; the push crosses through Redis.
        ws_url = base_a.replace("http://", "ws://") + f"/ws/points/{data['point']}/"
        with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": base_a}, open_timeout=10) as ws:
            time.sleep(0.5)
            body = {"code": codes[0], "scan_id": str(uuid.uuid4()), "auto_place": True}
            status, first = _post(base_b + scans, body, {**headers, "Idempotency-Key": "two-k1"})
            assert status == 200 and first["outcome"] == "ACCEPTED", first
            pushed = json.loads(ws.recv(timeout=10))
        assert pushed, "no live update reached the websocket on the other server"

        # The same key and body on A: B's answer replayed, nothing done twice.
        status, again = _post(base_a + scans, body, {**headers, "Idempotency-Key": "two-k1"})
        assert (status, again) == (200, first)

        # Operators on both servers at once, through PgBouncer's transaction pooling.
        answers: list[tuple[str, int, object]] = []

        def operate(n: int) -> None:
            op = operators[n]
            op_headers = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={op['session']}; csrftoken={op['csrf']}",
                "X-CSRFToken": op["csrf"],
            }
            for code in codes[1:][n::OPERATORS]:
                base = proxy.base  # nginx spreads them over both servers
                payload = {"code": code, "scan_id": str(uuid.uuid4()), "auto_place": True}
                st, answer = _post(base + scans, payload, {**op_headers, "Idempotency-Key": f"two-{code}"})
                answers.append((code, st, answer.get("outcome")))

        proxy = Nginx(ops_tmp, [base_a, base_b])
        threads = [threading.Thread(target=operate, args=(n,)) for n in range(OPERATORS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        proxy.stop()
    finally:
        a.stop()
        b.stop()
        bouncer.stop()
    assert sorted(code for code, _st, _o in answers) == sorted(codes[1:])
    # The proxy really spread the load: each server answered scans of it.
    for app in (a, b):
        served = [line for line in app.output().splitlines() if "/scans" in line and "status=200" in line]
        assert len(served) >= PARCELS // 4, (app.args, len(served))
    assert {(st, outcome) for _c, st, outcome in answers} == {(200, "ACCEPTED")}, answers
    rows = pg_database.execute(
        "SELECT s.barcode, count(e.id) FROM shipments_shipment s "
        "JOIN shipments_shipmentevent e ON e.shipment_id = s.id AND e.from_status = 'EXPECTED' "
        "GROUP BY s.barcode"
    )
    assert {str(code): int(n) for code, n in rows} == dict.fromkeys(codes, 1)  # type: ignore[call-overload]
