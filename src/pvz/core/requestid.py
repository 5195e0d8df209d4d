"""The request's id: taken from the proxy's `X-Request-ID` when it is a sane value, else made here; bound
into every log line of the request (structlog's context variables, which the stdlib loggers' lines merge
too), answered as the `X-Request-ID` header and written into API error bodies and the 500/503 pages, so a
person's report of a failure leads to its log lines."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextvars import ContextVar

import structlog
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy's id may look like: nginx's $request_id (32 hex), a UUID, or a tracer's id with dots and
# colons. Anything else (too long, spaces, quotes, control characters) could forge or break a log line,
# so it is replaced, not cleaned.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")

_current: ContextVar[str | None] = ContextVar("pvz_request_id", default=None)


def request_id_accept(value: str | None) -> str | None:
    """`value` when it is an id we can log and answer as is, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def request_id_new() -> str:
    """32 hex digits, as nginx's $request_id (128 random bits)."""
    return os.urandom(16).hex()


def current_request_id() -> str | None:
    """The id of the request this code runs for; None outside a request (a job, a command)."""
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so the log lines of every later middleware carry the id too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.META.get(_META_KEY)) or request_id_new()
        token = _current.set(request_id)
        # Cleared rather than merged: a thread (granian's worker) serves one request after another. Left
        # bound after the answer: Django logs a 4xx/5xx answer ("Not Found: …") once the middleware chain
        # has returned, and that line belongs to this request too.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response
