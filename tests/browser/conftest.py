"""A real app server and a real browser for the Playwright tests.

The server runs the way production runs it: `migrate`, `demo_network`, then uvicorn serving the ASGI
application, each a separate process with its own database (a fresh PostgreSQL database when the test
session runs on PostgreSQL, else a SQLite file) and the Redis channel layer under a prefix of its own.
Nothing here touches the ORM of the test process: these tests never take pytest-django's `db` fixture,
and everything they read or change on the server goes through `ServerApp.run_python`, a separate
`python -m pvz shell` process with the server's environment ("another session").

Without Chromium or Redis the tests are skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY = "browser-tests-secret-key-not-for-production-0123456789"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
RESULT_MARK = "@@PVZ-RESULT@@"
STARTUP_TIMEOUT_S = 30.0
# Playwright's default for every action and assertion; the live-update assertions pass their own.
ACTION_TIMEOUT_MS = 10_000

# Demo staff (see pvz.simulator.demo.STAFF).
OPERATOR_PHONE = "+79990000005"  # operator of ПВЗ на Тверской (point 1)
MANAGER_PHONE = "+79990000004"  # manager of ПВЗ на Тверской
OWNER_PHONE = "+79990000003"  # owner of both points
TVERSKAYA, VLADIVOSTOK = "pvz-tverskaya", "pvz-vladivostok"

# What Chromium logs to the console when the Content-Security-Policy blocks something.
CSP_CONSOLE_MARKERS = ("Content Security Policy", "Content-Security-Policy")

# Environment variables of the developer's shell that must not leak into the server.
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def _unavailable(reason: str) -> None:
    """Skip locally; under CI a missing browser or Redis fails the run instead of hiding it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def _redis_answers(url: str) -> str | None:
    """None when Redis answers PING at `url`, else why not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            if parts.password:
                user = parts.username or "default"
                sock.sendall(f"AUTH {user} {parts.password}\r\n".encode())
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"Redis at {host}:{port} is unreachable ({exc})"
    if not answer.startswith(b"+PONG"):
        return f"Redis at {host}:{port} answered {answer!r} to PING"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


# --- the database of the server ------------------------------------------------------------------


@dataclass
class _Database:
    url: str
    drop: Callable[[], None] = lambda: None
    env: dict[str, str] = field(default_factory=dict)


def _postgres_database(config: dict[str, Any], name: str) -> _Database:
    """A fresh database `name` on the server the test session uses, dropped by `drop()`."""
    import psycopg

    conninfo = {
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": str(config["PORT"]) if config.get("PORT") else None,
    }
    conninfo = {key: value for key, value in conninfo.items() if value}

    def admin() -> psycopg.Connection:
        last: Exception | None = None
        for maintenance_db in ("postgres", config.get("NAME") or "postgres", "template1"):
            try:
                return psycopg.connect(dbname=maintenance_db, autocommit=True, **conninfo)
            except psycopg.OperationalError as exc:
                last = exc
        raise RuntimeError(f"cannot reach PostgreSQL to create {name}: {last}")

    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    user = quote(str(config.get("USER") or ""), safe="")
    password = quote(str(config.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = str(config.get("HOST") or "")
    extra_env = {}
    if host.startswith("/"):
        # A Unix socket directory does not fit in the URL's host; libpq reads it from PGHOST instead.
        extra_env["PGHOST"] = host
        host = ""
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return _Database(f"postgres://{credentials}{host}{port}/{name}", drop, extra_env)


def _server_database(tmp: Path) -> _Database:
    from django.conf import settings

    default = settings.DATABASES["default"]
    if "postgresql" in default["ENGINE"]:
        return _postgres_database(default, f"pvz_browser_{os.getpid()}")
    path = tmp / "pvz.sqlite3"
    return _Database(f"sqlite:///{path}")


# --- the server ----------------------------------------------------------------------------------


@dataclass
class ServerApp:
    """The running app: its URL, its environment, and a way to run code as another session."""

    base_url: str
    env: dict[str, str]
    workdir: Path
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def run_python(self, code: str, timeout: float = 30) -> Any:
        """Run `code` in a separate `python -m pvz shell` with the server's environment; `code` calls
        `result(value)` once, and the JSON-encoded value comes back."""
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
            check=False,
        )
        for line in done.stdout.splitlines():
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise AssertionError(
            f"server-side code failed (exit {done.returncode}):\n{code}\n"
            f"--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
        )


def _run_step(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False
        )
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args[2:])}` failed ({done.returncode}):\n{_tail(log)}", pytrace=False)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{_tail(log)}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    pytest.fail(
        f"{url} did not answer 200 within {STARTUP_TIMEOUT_S:.0f} s ({last}):\n{_tail(log)}", pytrace=False
    )


_server_log: Path | None = None


@pytest.fixture(scope="session")
def server() -> Iterator[ServerApp]:
    global _server_log
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    redis_url = _redis_url()
    problem = _redis_answers(redis_url)
    if problem:
        _unavailable(problem)

    tmp = Path(tempfile.mkdtemp(prefix="pvz-browser-"))
    log = tmp / "server.log"
    _server_log = log
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    database: _Database | None = None
    process: subprocess.Popen[bytes] | None = None
    try:
        database = _server_database(tmp)
        from pvz.notifications.push import vapid_keys_generate

        vapid = vapid_keys_generate()  # Web Push on, with keys of this run (test_web_push checks the token)
        env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
        env = {key: value for key, value in env.items() if not key.startswith("PVZ_")}
        env.update(
            DATABASE_URL=database.url,
            REDIS_URL=redis_url,
            # Unique per run, so parallel runs on one Redis never share a point's group.
            PVZ_CHANNEL_PREFIX=f"pvzbrowser{os.getpid()}",
            PVZ_DEBUG="false",
            PVZ_SMS_OUTBOX_PUBLIC="true",
            PVZ_SECRET_KEY=SECRET_KEY,
            PVZ_LOG_JSON="false",
            PVZ_VAPID_PRIVATE_KEY=vapid.private_key,
            PVZ_VAPID_PUBLIC_KEY=vapid.public_key,
            PVZ_VAPID_SUBJECT="mailto:browser-tests@example.org",
            PYTHONUNBUFFERED="1",
            **database.env,
        )
        _run_step([sys.executable, "-m", "pvz", "migrate", "--noinput"], env, tmp, log)
        _run_step([sys.executable, "-m", "pvz", "demo_network", "--url", base_url + "/"], env, tmp, log)
        with log.open("a") as out:
            out.write(f"\n$ uvicorn on {base_url}\n")
        out_file = log.open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "pvz.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=tmp,
            stdout=out_file,
            stderr=subprocess.STDOUT,
        )
        out_file.close()
        _wait_healthy(f"{base_url}/healthz", process, log)
        app = ServerApp(base_url=base_url, env=env, workdir=tmp, log_path=log)
        yield app
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        try:
            if log.exists():
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(log, ARTIFACTS / "server.log")
            if database is not None:
                database.drop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy blocked on the test's pages, as Chromium logged it."""
    return []


@pytest.fixture
def new_context(
    browser: Any, server: ServerApp, request: pytest.FixtureRequest, csp_violations: list[str]
) -> Iterator[Callable[..., Any]]:
    """Makes Russian-locale browser contexts on the server; each page of them is screenshot into
    test-artifacts/browser/ when the test ends (pass or fail). Anything the Content-Security-Policy
    blocked on any of their pages fails the test."""
    contexts: list[Any] = []

    def record_csp_violation(message: Any) -> None:
        if any(marker in message.text for marker in CSP_CONSOLE_MARKERS):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def make(**options: Any) -> Any:
        context = browser.new_context(locale="ru-RU", base_url=server.base_url, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("console", record_csp_violation)
        contexts.append(context)
        return context

    yield make

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    suffix = "-FAILED" if failed else ""
    for stale in ARTIFACTS.glob(f"{name}*.png"):
        stale.unlink()
    shot = 0
    for context in contexts:
        for page in context.pages:
            shot += 1
            path = ARTIFACTS / f"{name}{'' if shot == 1 else f'-{shot}'}{suffix}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"screenshot {path} failed: {exc}")
        context.close()
    if csp_violations:
        pytest.fail("the Content-Security-Policy blocked:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    return new_context().new_page()


# --- signing in ----------------------------------------------------------------------------------


@dataclass
class Logins:
    """Signs staff in through the real UI and remembers each phone's signed-in browser state.

    A phone gets at most one code a minute, so tests that only need "an operator at point 1" reuse the
    state of whoever signed in first instead of asking for a second code."""

    server: ServerApp
    states: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sign_in(self, page: Any, *, typed_phone: str, phone: str, point_name: str) -> None:
        """From the login page to the dashboard of `point_name`: phone as typed by a person, the code
        read from the SMS outbox in a second tab, then the point picker."""
        from playwright.sync_api import expect

        expect(page).to_have_url(re.compile(r"/login/"))
        for _attempt in range(2):
            page.get_by_label("Номер телефона").fill(typed_phone)
            page.get_by_role("button", name="Получить код").click()
            limited = page.locator('[data-error-code="RATE_LIMITED"]')
            # Either the code page or the login page again with an error.
            page.locator('input[name="code"], [data-error-code]').first.wait_for()
            if not limited.count():
                break
            # Only when this phone already asked for a code in the last minute (tests run in an
            # unusual order): wait it out rather than fail.
            match = re.search(r"через (\d+)", limited.inner_text())
            time.sleep(min(int(match.group(1)) if match else 60, 60) + 1)
        expect(page).to_have_url(re.compile(r"/login/code/$"))

        outbox = page.context.new_page()
        try:
            outbox.goto("/dev/sms-outbox/")
            latest = outbox.locator(f'tr[data-sms-phone="{phone}"]').first.locator(".sms-text")
            text = latest.inner_text()
        finally:
            outbox.close()
        code = re.search(r"\b(\d{6})\b", text)
        assert code, f"no 6-digit code in the latest SMS to {phone}: {text!r}"

        page.get_by_label("Код из SMS").fill(code.group(1))
        page.get_by_role("button", name="Войти").click()
        expect(page).to_have_url(re.compile(r"/points/"))
        page.locator("button.point-choice", has_text=point_name).click()
        expect(page.locator('[data-count="stored"]')).to_be_visible()
        self.states[phone] = page.context.storage_state()

    def state_for(
        self, phone: str, *, typed_phone: str, point_name: str, new_context: Callable[..., Any]
    ) -> Any:
        if phone not in self.states:
            page = new_context().new_page()
            page.goto("/")
            self.sign_in(page, typed_phone=typed_phone, phone=phone, point_name=point_name)
            page.close()
        return self.states[phone]


@pytest.fixture(scope="session")
def logins(server: ServerApp) -> Logins:
    return Logins(server)


@pytest.fixture
def operator_page(logins: Logins, new_context: Callable[..., Any]) -> Any:
    """A page signed in as the operator of ПВЗ на Тверской, on its dashboard."""
    state = logins.state_for(
        OPERATOR_PHONE, typed_phone="8 999 000-00-05", point_name="ПВЗ на Тверской", new_context=new_context
    )
    page = new_context(storage_state=state).new_page()
    page.goto("/")
    return page


# --- reporting -----------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and _server_log is not None and "browser" in item.keywords:
        report.sections.append(("server log (tail)", _tail(_server_log)))
