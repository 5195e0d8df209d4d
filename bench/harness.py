"""Machinery for benchmarks that report CPU per operation beside throughput and latency (issue 13).

The machine is shared and noisy, so a figure here is built to survive it:

- **Template databases.** The data of a scenario is loaded once into `pvz_tpl_<key>` (PostgreSQL) or a
  file under `var/bench/` (SQLite), ANALYZEd, and every run starts from a fresh copy (`CREATE DATABASE …
  TEMPLATE …`, a file copy), ANALYZEd again. The key hashes the code's migrations, the loading script and
  its parameters, so a schema change or other data builds a new template and nothing stale is reused.
- **CPU from /proc.** Before and after the measured window: the server's process tree (utime + stime of
  every live process, plus what the root has reaped), the PostgreSQL backends connected to the run's
  database, every PostgreSQL process (the postmaster's children and what it has reaped: background
  writers, autovacuum, other databases), the client itself (getrusage), and the whole machine
  (/proc/stat). CPU per operation = delta / operations. "Other" is the machine's busy time that none of
  them explains: other people's work on the shared machine.
- **Closed and open loop.** Closed: C clients, each sends its next request when the answer arrives.
  Open: requests are started at a fixed rate whatever the server does (a new connection when all are
  busy); latency is measured from the moment the request was due, so a stalled server shows in it
  (no coordinated omission).
- **Paired, alternating runs.** Variants (code revision, server, workers, environment) are run in
  alternating order round after round on fresh copies of their template, so slow minutes of the machine
  fall on both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"
RESULT_MARK = "@@PVZ-BENCH@@"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_TIMEOUT_S = 60.0
# Environment of the developer's shell that must not leak into the server.
SCRUBBED = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(text: str = "") -> None:
    print(text, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# ---- CPU accounting from /proc -------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cpu: float  # utime + stime, seconds
    reaped: float  # cutime + cstime: children that have exited and been waited for


def _proc(pid: int) -> Proc | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the command: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5).
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        cpu=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        reaped=(int(fields[13]) + int(fields[14])) / CLOCK_TICKS,
    )


def _all_procs() -> dict[int, Proc]:
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (proc := _proc(int(entry))) is not None:
            procs[proc.pid] = proc
    return procs


def _tree_cpu(root: int, procs: dict[int, Proc]) -> float:
    """CPU of `root` and all its descendants alive now, plus what `root` has reaped."""
    children: dict[int, list[int]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    if root not in procs:
        return 0.0
    total, stack = procs[root].reaped, [root]
    while stack:
        pid = stack.pop()
        total += procs[pid].cpu
        stack.extend(children.get(pid, ()))
    return total


def _machine_ticks() -> tuple[float, float]:
    """(busy, total) seconds of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    server: float
    backends: dict[int, float]
    postgres: float
    client: float
    busy: float
    total: float


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent in a window, by whom."""

    wall: float
    server: float
    backends: float  # PostgreSQL backends connected to the run's database
    postgres_other: float  # every other PostgreSQL process (writers, autovacuum, other databases)
    client: float
    machine_busy: float
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def other(self) -> float:
        return max(0.0, self.machine_busy - self.server - self.backends - self.postgres_other - self.client)

    def per_op_ms(self, ops: int) -> dict[str, float]:
        n = max(ops, 1)
        return {
            "server": self.server * 1000 / n,
            "db": self.backends * 1000 / n,
            "server+db": (self.server + self.backends) * 1000 / n,
            "pg_other": self.postgres_other * 1000 / n,
            "client": self.client * 1000 / n,
            "other": self.other * 1000 / n,
        }

    @property
    def busy_share(self) -> float:
        return self.machine_busy / (self.wall * self.cores) if self.wall else float("nan")


class CpuMeter:
    """Snapshots of the CPU used by the server's process tree, the run database's backends, PostgreSQL as
    a whole, this client and the machine."""

    def __init__(
        self, *, server_pid: int | None, pg_dsn: str | None = None, dbname: str | None = None
    ) -> None:
        self.server_pid = server_pid
        self.dbname = dbname
        self.conn: Any = None
        self.postmaster: int | None = None
        if pg_dsn is not None:
            import psycopg

            self.conn = psycopg.connect(pg_dsn, autocommit=True)
            backend = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            proc = _proc(backend)
            self.postmaster = proc.ppid if proc else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def snapshot(self) -> CpuSnapshot:
        procs = _all_procs()
        backends: dict[int, float] = {}
        postgres = 0.0
        if self.conn is not None and self.postmaster is not None:
            pids = [
                row[0]
                for row in self.conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                    (self.dbname,),
                )
            ]
            procs = _all_procs()  # after the query, so the backends it lists are in it
            backends = {pid: procs[pid].cpu for pid in pids if pid in procs}
            postgres = _tree_cpu(self.postmaster, procs)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_ticks()
        return CpuSnapshot(
            wall=time.monotonic(),
            server=_tree_cpu(self.server_pid, procs) if self.server_pid else 0.0,
            backends=backends,
            postgres=postgres,
            client=usage.ru_utime + usage.ru_stime,
            busy=busy,
            total=total,
        )

    @staticmethod
    def between(before: CpuSnapshot, after: CpuSnapshot) -> CpuUse:
        # A backend that appeared during the window started from zero; one that left took its CPU into the
        # postmaster's reaped time, which counts under "PostgreSQL, other".
        backends = sum(cpu - before.backends.get(pid, 0.0) for pid, cpu in after.backends.items())
        postgres = after.postgres - before.postgres
        return CpuUse(
            wall=after.wall - before.wall,
            server=after.server - before.server,
            backends=backends,
            postgres_other=max(0.0, postgres - backends),
            client=after.client - before.client,
            machine_busy=after.busy - before.busy,
        )


# ---- code under test -----------------------------------------------------------------------------------


def code_dir(rev: str) -> Path:
    """The source tree of `rev`: this working tree for "work", else a git worktree of that commit."""
    if rev in ("", "work"):
        return ROOT
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = CACHE / "code" / sha[:12]
    if not (target / "src" / "pvz").is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--force", str(target), sha],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return target


def migrations_digest(code: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((code / "src" / "pvz").glob("*/migrations/*.py")):
        digest.update(path.relative_to(code).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ---- databases -----------------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str  # "postgres" or "sqlite"
    url: str  # DATABASE_URL for the server
    name: str = ""  # PostgreSQL database name
    pg_server: str = ""
    path: Path | None = None  # SQLite file

    @property
    def dsn(self) -> str:
        return self.url

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(f"{self.pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def _pg_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def analyze(database: Database) -> None:
    if database.kind == "postgres":
        import psycopg

        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute("ANALYZE")
    else:
        with contextlib.closing(sqlite3.connect(database.path)) as conn:  # type: ignore[arg-type]
            conn.execute("ANALYZE")


@dataclass
class Template:
    """A database with a scenario's data, copied for every run; `data` is what the loader returned."""

    kind: str
    key: str
    data: dict[str, Any]
    pg_server: str = ""

    def copy(self, label: str) -> Database:
        name = f"pvz_run_{os.getpid()}_{label}"
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(f"{self.pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "pvz_tpl_{self.key}"')
            database = Database("postgres", f"{self.pg_server}/{name}", name=name, pg_server=self.pg_server)
        else:
            path = CACHE / f"{name}.sqlite3"
            shutil.copyfile(CACHE / f"tpl_{self.key}.sqlite3", path)
            database = Database("sqlite", f"sqlite:///{path}", path=path)
        analyze(database)
        return database


def template(
    *, kind: str, pg_server: str, code: Path, loader: str, params: dict[str, Any], env: dict[str, str]
) -> Template:
    """The template for (code's migrations, loader, params), built when missing: migrate, run `loader`
    (in `python -m pvz shell`, it calls `result(data)`), VACUUM ANALYZE."""
    digest = hashlib.sha256()
    for part in (migrations_digest(code), loader, json.dumps(params, sort_keys=True), kind):
        digest.update(part.encode())
    key = digest.hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    data_file = CACHE / f"tpl_{key}.json"
    ready = data_file.exists() and (
        _pg_exists(pg_server, f"pvz_tpl_{key}")
        if kind == "postgres"
        else (CACHE / f"tpl_{key}.sqlite3").exists()
    )
    if ready:
        return Template(kind, key, json.loads(data_file.read_text()), pg_server)
    say(f"building template {key} ({kind}) …")
    started = time.monotonic()
    if kind == "postgres":
        import psycopg

        name = f"pvz_tpl_{key}"
        with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        database = Database("postgres", f"{pg_server}/{name}", name=name, pg_server=pg_server)
    else:
        path = CACHE / f"tpl_{key}.sqlite3"
        path.unlink(missing_ok=True)
        database = Database("sqlite", f"sqlite:///{path}", path=path)
    run_env = {**env, "DATABASE_URL": database.url}
    log = CACHE / f"tpl_{key}.log"
    run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"], env=run_env, cwd=code, log=log)
    data = run_python(loader, params=params, env=run_env, cwd=code, log=log)
    if kind == "postgres":
        import psycopg

        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        analyze(database)
        with contextlib.closing(sqlite3.connect(database.path)) as conn:  # type: ignore[arg-type]
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data_file.write_text(json.dumps(data))
    say(f"template {key} built in {time.monotonic() - started:.0f} s")
    return Template(kind, key, data, pg_server)


def run_step(args: list[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float = 900) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed ({done.returncode}):\n{tail(log)}")


def run_python(code: str, *, params: dict[str, Any], env: dict[str, str], cwd: Path, log: Path) -> Any:
    """Run `code` in `python -m pvz shell` (the server's environment); it calls `result(value)`."""
    script = (
        "import json\n"
        f"PARAMS = {json.dumps(json.dumps(params))}\n"
        f"def result(value):\n    print({RESULT_MARK!r} + json.dumps(value, default=str), flush=True)\n"
        + textwrap.dedent(code)
    )
    done = subprocess.run(
        [sys.executable, "-m", "pvz", "shell", "--no-imports", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    with log.open("a") as out:
        out.write(done.stdout[-20000:] + done.stderr[-20000:])
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise SystemExit(
        f"server-side code failed (exit {done.returncode}):\n--- stdout ---\n{done.stdout[-3000:]}\n"
        f"--- stderr ---\n{done.stderr[-5000:]}"
    )


# ---- the server ----------------------------------------------------------------------------------------


def base_env(code: Path, *, redis: bool) -> dict[str, str]:
    """A production-like environment: no debug, INFO logs as JSON (to the run's log file), Redis for the
    channel layer and cache, the API rate limit on but far above what a benchmark sends."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith("PVZ_")}
    env.update(
        PVZ_DEBUG="false",
        PVZ_LOG_LEVEL="INFO",
        PVZ_LOG_JSON="true",
        PVZ_SECRET_KEY=SECRET_KEY,
        PVZ_API_RATE_LIMIT_USER="1000000/min",
        PVZ_API_RATE_LIMIT_ANON="1000000/min",
        PVZ_API_RATE_LIMIT_PARTNER="1000000/min",
        PVZ_DB_POOL_MIN="4",
        PVZ_DB_POOL_MAX="12",
        PYTHONPATH=os.pathsep.join([str(code / "src"), str(code)]),
        PYTHONUNBUFFERED="1",
    )
    if redis:
        env.update(REDIS_URL=REDIS_URL, PVZ_CHANNEL_PREFIX=f"pvzbench{os.getpid()}")
    return env


@dataclass(frozen=True)
class ServerSpec:
    kind: str = "uvicorn"  # uvicorn | gunicorn (sync workers) | gthread (gunicorn threads) | granian
    workers: int = 2
    threads: int = 1

    def command(self, port: int) -> list[str]:
        bind = ["--host", "127.0.0.1", "--port", str(port)]
        if self.kind == "uvicorn":
            return [
                sys.executable, "-m", "uvicorn", "pvz.config.asgi:application", *bind,
                "--workers", str(self.workers), "--no-access-log", "--log-level", "warning",
                "--lifespan", "off",
            ]  # fmt: skip
        if self.kind in ("gunicorn", "gthread"):
            extra = ["-k", "gthread", "--threads", str(self.threads)] if self.kind == "gthread" else []
            return [
                sys.executable, "-m", "gunicorn", "pvz.config.wsgi:application", "-b", f"127.0.0.1:{port}",
                "-w", str(self.workers), *extra, "--log-level", "warning", "--keep-alive", "30",
            ]  # fmt: skip
        if self.kind == "granian":
            return [
                sys.executable, "-m", "granian", "--interface", "wsgi", "pvz.config.wsgi:application",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers),
                "--blocking-threads", str(self.threads), "--log-level", "warning", "--no-ws",
            ]  # fmt: skip
        raise SystemExit(f"unknown server kind {self.kind!r}")


@dataclass
class Server:
    spec: ServerSpec
    env: dict[str, str]
    cwd: Path
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.port = free_port()
        command = self.spec.command(self.port)
        with self.log.open("ab") as out:
            out.write(f"\n$ {' '.join(command)}\n".encode())
            self.process = subprocess.Popen(command, env=self.env, cwd=self.cwd, stdout=out, stderr=out)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
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
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


# ---- a small keep-alive HTTP/1.1 client on asyncio streams ---------------------------------------------


class HttpConnection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        reused = self.writer is not None
        try:
            return await self._request(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            # A kept-alive connection the server closed while it sat idle: no byte of an answer came, so
            # the request was not taken; sent again once on a new connection, as HTTP clients do.
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            await self.close()
            return await self._request(method, path, headers, body)

    async def _request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        got = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        if "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            await self.reader.readuntil(b"\r\n")
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            got["connection"] = "close"
        if got.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def error_label(status: int, body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status} (not JSON)"
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return f"HTTP {status} {data['error'].get('code')}"
    return f"HTTP {status}"


# ---- load ----------------------------------------------------------------------------------------------

# One request of a scenario: (connection, client index, sequence number) → None when it did what it should,
# else a label for the error.
Call = Callable[[HttpConnection, int, int], Awaitable[str | None]]


@dataclass
class LoadResult:
    ops: int = 0
    wall: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: CpuUse | None = None
    mode: str = ""

    @property
    def throughput(self) -> float:
        return self.ops / self.wall if self.wall else float("nan")

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        out: dict[str, Any] = {
            "mode": self.mode,
            "ops": self.ops,
            "ops_per_s": round(self.throughput, 1),
            "p50_ms": round(percentile(lat, 50), 2),
            "p90_ms": round(percentile(lat, 90), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(max(lat), 2) if lat else None,
            "errors": dict(self.errors),
        }
        if self.cpu is not None:
            out["cpu_ms_per_op"] = {k: round(v, 3) for k, v in self.cpu.per_op_ms(self.ops).items()}
            out["machine_busy"] = round(self.cpu.busy_share, 3)
        return out


async def closed_loop(
    port: int, clients: int, count: int, warmup: int, call: Call, meter: CpuMeter
) -> LoadResult:
    """`clients` loops, each sending its next request when the answer arrives; the first `warmup`
    requests are not measured; the window runs from the first measured request to the last answer."""
    result = LoadResult(mode=f"closed loop, {clients} clients")
    issued = 0
    warm_done = 0
    warm = asyncio.Event()
    before: list[CpuSnapshot] = []
    if warmup == 0:
        before.append(meter.snapshot())
        warm.set()

    async def loop(index: int) -> None:
        nonlocal issued, warm_done
        connection = HttpConnection(port)
        try:
            while issued < warmup + count:
                seq = issued
                issued += 1
                measured = seq >= warmup
                if measured and not warm.is_set():
                    await warm.wait()
                started = time.perf_counter()
                try:
                    error = await call(connection, index, seq)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    error = f"{type(exc).__name__}"
                    await connection.close()
                elapsed = (time.perf_counter() - started) * 1000
                if measured:
                    result.latencies_ms.append(elapsed)
                    result.ops += 1
                    if error:
                        result.errors[error] += 1
                else:
                    warm_done += 1
                    if warm_done == warmup:
                        before.append(meter.snapshot())
                        warm.set()
        finally:
            await connection.close()

    await asyncio.gather(*(loop(i) for i in range(clients)))
    after = meter.snapshot()
    result.cpu = CpuMeter.between(before[0], after)
    result.wall = result.cpu.wall
    return result


async def open_loop(
    port: int, rate: float, duration: float, warmup: float, clients: int, call: Call, meter: CpuMeter
) -> LoadResult:
    """Requests started at `rate` per second for `warmup` + `duration` seconds, whatever the server does
    (a new connection when every open one is busy); client i = seq mod `clients`. Latency runs from the
    moment a request was due, so waiting for a connection or a stalled server counts."""
    result = LoadResult(mode=f"open loop, {rate:g}/s for {duration:g} s")
    # Not loop.time(): uvloop's clock ticks in whole milliseconds.
    clock = time.perf_counter
    idle: list[HttpConnection] = []
    pending: set[asyncio.Task[None]] = set()
    total = int((warmup + duration) * rate)
    first_measured = int(warmup * rate)
    start = clock() + 0.05
    before: list[CpuSnapshot] = []

    async def one(seq: int, due: float) -> None:
        connection = idle.pop() if idle else HttpConnection(port)
        try:
            error = await call(connection, seq % clients, seq)
        except (OSError, asyncio.IncompleteReadError) as exc:
            error = type(exc).__name__
            await connection.close()
        else:
            idle.append(connection)
        if seq >= first_measured:
            result.latencies_ms.append((clock() - due) * 1000)
            result.ops += 1
            if error:
                result.errors[error] += 1

    for seq in range(total):
        due = start + seq / rate
        if seq == first_measured:
            before.append(meter.snapshot())
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(seq, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    while pending:
        await asyncio.gather(*list(pending))
    after = meter.snapshot()
    for connection in idle:
        await connection.close()
    result.cpu = CpuMeter.between(before[0], after)
    result.wall = result.cpu.wall
    return result


def run_async(coro: Awaitable[Any]) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)  # type: ignore[arg-type]
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]


# ---- reports -------------------------------------------------------------------------------------------


def machine_line(pg_server: str | None) -> str:
    parts = [f"{os.cpu_count()} cores", f"Python {platform.python_version()}", platform.platform()]
    if pg_server:
        import psycopg

        with psycopg.connect(f"{pg_server}/postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()
        parts.append(f"PostgreSQL {version[0] if version else '?'}")
    load = os.getloadavg()
    parts.append(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    parts.append(f"calibration {calibration_ms():.0f} ms")
    return ", ".join(parts)


def calibration_ms() -> float:
    """CPU time of a fixed pure-Python loop (best of five), to tell a slow day of this shared machine from
    a slower build: the same code measured 2.5-3x apart on different days, and so did this loop. Figures
    from different runs compare only after dividing by their calibration."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best * 1000


def result_line(label: str, result: LoadResult) -> str:
    s = result.summary()
    cpu = s.get("cpu_ms_per_op", {})
    errors = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "none"
    return (
        f"{label:<28} {s['ops']:>6} ops {s['ops_per_s']:>8.1f}/s  p50 {s['p50_ms']:>7.2f}  p90 "
        f"{s['p90_ms']:>7.2f}  p99 {s['p99_ms']:>7.2f} ms | CPU ms/op: server {cpu.get('server', 0):5.2f} "
        f"+ db {cpu.get('db', 0):5.2f} = {cpu.get('server+db', 0):5.2f}; "
        f"pg other {cpu.get('pg_other', 0):4.2f}, "
        f"client {cpu.get('client', 0):4.2f}, other {cpu.get('other', 0):4.2f}; busy "
        f"{s.get('machine_busy', 0) * 100:3.0f}% | errors {errors}"
    )
