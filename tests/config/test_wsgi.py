"""The WSGI application takes the client's address from X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.signals import request_started
from django.db import close_old_connections

from pvz.config.wsgi import application

pytestmark = pytest.mark.django_db


def _remote_addr(peer: str, forwarded: str | None) -> tuple[str, str]:
    seen: list[str] = []

    def note(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        seen.append(environ["REMOTE_ADDR"])

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": peer,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    statuses: list[str] = []
    # As Django's test client does: closing "old" connections would close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_started.connect(note)
    try:
        b"".join(application(environ, lambda status, headers: statuses.append(status)))
    finally:
        request_started.disconnect(note)
        request_started.connect(close_old_connections)
    return seen[0], statuses[0]


def test_a_trusted_proxy_names_the_client() -> None:
    assert _remote_addr("127.0.0.1", "203.0.113.7") == ("203.0.113.7", "200 OK")


def test_anyone_else_cannot() -> None:
    assert _remote_addr("198.51.100.2", "203.0.113.7") == ("198.51.100.2", "200 OK")
    assert _remote_addr("127.0.0.1", None) == ("127.0.0.1", "200 OK")
