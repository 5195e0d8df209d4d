"""Who is acting and from where, for the request being served: set by `AuditContextMiddleware`, read by
`audit_record`, so services need no extra arguments to be audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse

from pvz.audit.models import USER_AGENT_MAX


class Actor(Protocol):
    """Whoever acts, as audit needs them: a signed-in `accounts.User` (audit imports no app)."""

    pk: Any
    phone: str


@dataclass(frozen=True)
class AuditContext:
    ip: str | None
    user_agent: str
    request: HttpRequest | None = None

    @property
    def user(self) -> Actor | None:
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @property
    def point_id(self) -> int | None:
        point = getattr(self.request, "point", None)
        return point.pk if point is not None else None


EMPTY = AuditContext(ip=None, user_agent="")
_current: ContextVar[AuditContext] = ContextVar("pvz_audit_context", default=EMPTY)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR only: X-Forwarded-For can be forged by any client. Behind a proxy, uvicorn's
    `--proxy-headers` (with `--forwarded-allow-ips` naming the proxy) sets REMOTE_ADDR from it, the same
    rule the API rate limit follows."""
    return request.META.get("REMOTE_ADDR") or None


def context_from_request(request: HttpRequest) -> AuditContext:
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
    return AuditContext(ip=client_ip(request), user_agent=agent, request=request)


def audit_context() -> AuditContext:
    return _current.get()


class AuditContextMiddleware:
    """Stores the request's audit context for the code that serves it. Sync, so under ASGI it runs in
    the same thread (and context) as the view; goes after CurrentPointMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(context_from_request(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


@contextmanager
def use_audit_context(context: AuditContext) -> Iterator[AuditContext]:
    """For code outside a request (commands, tests): act within `context`."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
