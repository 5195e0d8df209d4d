"""What counts as a database outage and what the app does with one, without a real outage (both databases)."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys

import psycopg
import psycopg_pool
import pytest
from django.db import OperationalError, ProgrammingError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from ninja import NinjaAPI

from pvz.api.errors import register_error_handlers
from pvz.core.outage import Backoff, OutageTracebackFilter, is_database_outage
from pvz.core.scheduler import PeriodicTask, Scheduler


@pytest.fixture(autouse=True)
def _no_async_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests close connections in the test's own thread (the outage path does). After the browser
    tests, Playwright's event loop is left running in that thread and Django would refuse the close as
    "from an async context"; the loop is the test session's, not the code's, so the guard is off here."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _wrapped(inner: BaseException) -> OperationalError:
    """As Django raises it: its own class, from the driver's."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg_pool.PoolTimeout("couldn't get a connection after 10.00 sec"), True),
        (_wrapped(psycopg.OperationalError("connection refused")), True),
        (_wrapped(sqlite3.OperationalError("database is locked")), True),
        (OperationalError("connection already closed"), True),
        # Bugs stay bugs (500): bad SQL, a missing table, a broken constraint.
        (_wrapped(sqlite3.OperationalError("no such table: shipments_shipment")), False),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
        (ProgrammingError("syntax error"), False),
        (ValueError("not a database error"), False),
        (None, False),
    ],
)
def test_an_outage_is_told_apart_from_a_bug(exc: BaseException | None, outage: bool) -> None:
    assert is_database_outage(exc) is outage


def _down(request: HttpRequest) -> HttpResponse:
    raise _wrapped(psycopg.OperationalError("connection refused"))


def _bug(request: HttpRequest) -> HttpResponse:
    raise _wrapped(sqlite3.OperationalError("no such table: nowhere"))


# An API of the test's own with the real error handlers: an outage inside a handler is the API's own
# catch-all's to answer, not Django's 500 handler's.
outage_api = NinjaAPI(urls_namespace="outage-test")
register_error_handlers(outage_api)


@outage_api.get("/inside")
def _inside(request: HttpRequest) -> dict[str, str]:
    raise _wrapped(psycopg.OperationalError("server closed the connection unexpectedly"))


@outage_api.get("/bug")
def _api_bug(request: HttpRequest) -> dict[str, str]:
    raise _wrapped(sqlite3.OperationalError("no such table: nowhere"))


urlpatterns = [
    path("api/v1/down", _down),
    path("down", _down),
    path("bug", _bug),
    path("api/v1/handler/", outage_api.urls),
]
handler500 = "pvz.config.errors.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_an_outage_answers_503_with_retry_after_in_the_api_and_on_pages() -> None:
    client = Client(raise_request_exception=False)
    api = client.get("/api/v1/down")
    assert api.status_code == 503
    assert api["Retry-After"] == "5"
    body = json.loads(api.content)
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "недоступна" in body["error"]["message"]

    page = client.get("/down")
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "SERVICE_UNAVAILABLE" in page.content.decode()

    with override_settings(LANGUAGE_CODE="en"):
        english = client.get("/api/v1/down", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 503


@override_settings(ROOT_URLCONF=__name__)
def test_an_outage_inside_an_api_handler_is_503_too() -> None:
    client = Client(raise_request_exception=False)
    inside = client.get("/api/v1/handler/inside")
    assert inside.status_code == 503
    assert inside["Retry-After"] == "5"
    assert inside.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    bug = client.get("/api/v1/handler/bug")
    assert bug.status_code == 500
    assert bug.json()["error"]["code"] == "INTERNAL"


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_is_still_500() -> None:
    response = Client(raise_request_exception=False).get("/bug")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_outage_tracebacks_are_dropped_from_django_request_only() -> None:
    keep = OutageTracebackFilter()
    outage = _wrapped(psycopg.OperationalError("connection refused"))

    def record(name: str, exc: BaseException) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, "x", None, (type(exc), exc, None))

    assert keep.filter(record("django.request", outage)) is False
    assert keep.filter(record("django.request", ValueError("bug"))) is True
    assert keep.filter(record("pvz.anything", outage)) is True


def test_backoff_doubles_to_its_ceiling_and_resets() -> None:
    backoff = Backoff(first=1.0, ceiling=30.0)
    backoff.stop.set()  # the waits return at once
    delays = [backoff.wait() for _ in range(7)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_scheduler_stops_the_tick_on_an_outage_and_tries_the_jobs_again() -> None:
    calls: list[str] = []
    down = True

    def enqueue(task_path: str) -> str:
        calls.append(task_path)
        if down:
            raise _wrapped(psycopg.OperationalError("connection refused"))
        return "ok"

    jobs = [PeriodicTask(60, "a.b.one"), PeriodicTask(60, "a.b.two")]
    scheduler = Scheduler(jobs, enqueue=enqueue)
    assert scheduler.tick(0.0) == []
    assert scheduler.database_down is True
    assert calls == ["a.b.one"]  # nothing more tried once the database is known to be down

    down = False
    assert [job.task_path for job, _ in scheduler.tick(1.0)] == ["a.b.one", "a.b.two"]
    assert scheduler.database_down is False


def test_the_worker_command_is_the_resilient_one() -> None:
    from pvz.core.management.commands.run_worker import Command, ResilientWorker

    assert issubclass(ResilientWorker, sys.modules["django_tasks_db.management.commands.db_worker"].Worker)
    assert Command.help
