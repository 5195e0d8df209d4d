"""Real processes for the operations tests: a fresh PostgreSQL database, a TCP proxy in front of it that a
test can cut (every connection dropped at once, as `pg_terminate_backend` or a network blip does) or
close (the database unreachable), and the app's own processes started against it."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ADMIN_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
SECRET_KEY = "operations-tests-secret-key-not-for-production-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TcpProxy:
    """Forwards 127.0.0.1:`port` to PostgreSQL. `cut()` drops every open connection; `close()` refuses new
    ones (accepted, then closed at once, as a database that is down); `open()` lets them through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.accepting = True
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.accepting:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with suppress(OSError):
                    sock.close()

    def cut(self) -> int:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for sock in (a, b):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        return len(pairs)

    def close(self) -> None:
        self.accepting = False
        self.cut()

    def open(self) -> None:
        self.accepting = True

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self.cut()


@dataclass
class Database:
    name: str

    def url(self, port: int = 5432) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{self.name}"

    def execute(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(**{**ADMIN_DSN, "dbname": self.name}, autocommit=True) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def terminate_backends(self) -> int:
        """What the issue tried: every session of this database but ours ended by the server."""
        rows = self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(rows)


@contextmanager
def fresh_database(tmp: Path) -> Iterator[Database]:
    name = f"pvz_ops_{os.getpid()}"
    with psycopg.connect(**ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    database = Database(name)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pvz", "migrate", "--noinput"],
            env=app_env(database.url()),
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        yield database
    finally:
        with psycopg.connect(**ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PVZ_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        PVZ_SECRET_KEY=SECRET_KEY,
        PVZ_DEBUG="false",
        PVZ_LOG_JSON="false",
        # A request waits this long for a connection while the database is down, then answers 503.
        PVZ_DB_POOL_TIMEOUT="2",
        # No periodic backup from the test servers (tests/backups makes its own).
        PVZ_BACKUP_EVERY_HOURS="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class AppProcess:
    """One of the app's processes, its output in a log file the test can read."""

    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] = field(init=False)

    def start(self) -> AppProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *self.args],
                env=self.env,
                cwd=self.log.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            assert self.alive(), (
                f"{self.args[0]} exited with {self.process.returncode}:\n{self.output()[-3000:]}"
            )
            time.sleep(0.2)
        raise AssertionError(
            f"{text!r} not in the output of {self.args} within {timeout} s:\n{self.output()[-3000:]}"
        )

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def get(url: str, *, cookie: str = "", timeout: float = 15) -> Answer:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return Answer(response.status, headers, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(
            error.code,
            {k.lower(): v for k, v in error.headers.items()},
            error.read().decode(errors="replace"),
        )


def wait_until(predicate, timeout: float = 30, every: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def healthy(base: str) -> bool:
    """The server at `base` answers /healthz with 200 (False while it is down or starting)."""
    try:
        return get(base + "/healthz", timeout=2).status == 200
    except OSError:
        return False


def app_server(env: dict[str, str], log: Path, *, port: int | None = None) -> tuple[AppProcess, str]:
    """uvicorn serving the app with `env` on `port` (a free one by default), once it answers /healthz."""
    port = port or free_port()
    args = ["uvicorn", "pvz.config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    app = AppProcess([*args, "--lifespan", "off"], env, log).start()
    base = f"http://127.0.0.1:{port}"
    assert wait_until(lambda: healthy(base), timeout=40), app.output()[-3000:]
    return app, base
