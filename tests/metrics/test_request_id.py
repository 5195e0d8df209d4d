"""Request ids: taken from a sane X-Request-ID or made, answered as a header, written into every log line
of the request, into API error bodies and onto the 500 and 503 pages."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from pvz.core.logging import get_logger, structured_formatter
from pvz.core.requestid import current_request_id, request_id_accept

pytestmark = pytest.mark.django_db

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON lines the root logger has written so far in the test (as production writes them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter(json=True))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _logs_a_line(request: HttpRequest) -> HttpResponse:
    get_logger("tests.metrics").info("inside_the_view", seen=current_request_id())
    return HttpResponse("ok")


def _refuses(request: HttpRequest) -> HttpResponse:
    return HttpResponseBadRequest("no")


def _down(request: HttpRequest) -> HttpResponse:
    try:
        raise psycopg.OperationalError("connection refused")
    except psycopg.OperationalError as exc:
        raise OperationalError(str(exc)) from exc


def _bug(request: HttpRequest) -> HttpResponse:
    raise sqlite3.OperationalError("no such table: nowhere")


urlpatterns = [
    path("logs", _logs_a_line),
    path("refuses", _refuses),
    path("down", _down),
    path("api/v1/down", _down),
    path("bug", _bug),
    path("api/v1/bug", _bug),
]
handler500 = "pvz.config.errors.server_error"


def test_an_answer_carries_a_request_id_made_here(client: Client) -> None:
    first = client.get("/healthz")
    second = client.get("/healthz")

    assert MADE.fullmatch(first["X-Request-ID"])
    assert MADE.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "sane", ["0f6c1d2e3b4a59687766554433221100", str(uuid.uuid4()), "Root-1.abc:def_9", "a" * 100]
)
def test_a_sane_request_id_from_the_proxy_is_kept(client: Client, sane: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": sane})

    assert response["X-Request-ID"] == sane


@pytest.mark.parametrize(
    "insane",
    ["", "a" * 101, "has space", 'quote"d', "new\nline", "-starts-with-dash", "юникод", "semi;colon"],
)
def test_an_unfit_request_id_is_replaced_not_cleaned(client: Client, insane: str) -> None:
    assert request_id_accept(insane) is None
    response = client.get("/healthz", headers={"X-Request-ID": insane} if "\n" not in insane else {})

    assert MADE.fullmatch(response["X-Request-ID"])


@override_settings(ROOT_URLCONF=__name__)
def test_every_log_line_of_a_request_names_it(
    client: Client, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    with_id = "req-1"
    client.get("/logs", headers={"X-Request-ID": with_id})
    client.get("/refuses", headers={"X-Request-ID": "req-2"})

    by_event = {str(line["event"]): line for line in log_lines()}
    assert by_event["inside_the_view"]["request_id"] == "req-1"
    assert by_event["inside_the_view"]["seen"] == "req-1"
    # The access line (pvz.request) and Django's own "Bad Request" line, logged after the middleware returned.
    requests = [line for line in log_lines() if line["event"] == "request"]
    assert [line["request_id"] for line in requests] == ["req-1", "req-2"]
    refused = [line for line in log_lines() if str(line["event"]).startswith("Bad Request")]
    assert [line["request_id"] for line in refused] == ["req-2"]
    assert current_request_id() is None  # nothing leaks out of the request


def test_an_api_error_body_names_the_request(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "support-ticket-7"})

    assert response.status_code == 404
    assert response.json()["error"]["request_id"] == "support-ticket-7"
    assert response["X-Request-ID"] == "support-ticket-7"


def test_an_error_made_outside_a_request_names_none() -> None:
    from pvz.core.errors import NotFound

    assert "request_id" not in NotFound().as_dict()


@override_settings(ROOT_URLCONF=__name__)
def test_the_503_answers_name_the_request() -> None:
    client = Client(raise_request_exception=False)

    api = client.get("/api/v1/down", headers={"X-Request-ID": "outage-1"})
    page = client.get("/down", headers={"X-Request-ID": "outage-2"})

    assert api.status_code == 503
    assert api.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert api.json()["error"]["request_id"] == "outage-1"
    assert page.status_code == 503
    assert "<code>outage-2</code>" in page.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_the_500_answers_name_the_request(log_lines: Callable[[], list[dict[str, Any]]]) -> None:
    client = Client(raise_request_exception=False)

    page = client.get("/bug", headers={"X-Request-ID": "bug-1"})
    api = client.get("/api/v1/bug", headers={"X-Request-ID": "bug-2"})

    assert page.status_code == 500
    assert "<code>bug-1</code>" in page.content.decode()
    assert page["X-Request-ID"] == "bug-1"
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "INTERNAL"
    assert api.json()["error"]["request_id"] == "bug-2"
    # The traceback's line names the request too, so the id on the page leads to it.
    errors = [line for line in log_lines() if str(line["event"]).startswith("Internal Server Error")]
    assert [line["request_id"] for line in errors] == ["bug-1", "bug-2"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_under_asgi_too(log_lines: Callable[[], list[dict[str, Any]]]) -> None:
    """`make run` serves through uvicorn: the sync middleware runs in a thread, and the id must still reach
    Django's own line logged back in the event loop after the answer."""
    response = await AsyncClient().get("/api/v1/no-such-thing", headers={"X-Request-ID": "asgi-1"})

    assert response["X-Request-ID"] == "asgi-1"
    assert response.json()["error"]["request_id"] == "asgi-1"
    not_found = [line for line in log_lines() if str(line["event"]).startswith("Not Found")]
    assert [line["request_id"] for line in not_found] == ["asgi-1"]
