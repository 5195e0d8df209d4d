"""Login and logout signal receivers: they only hand the request's session to the services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pvz.audit.context import client_ip
from pvz.usersessions.services import user_session_forget, user_session_start


def session_started(
    sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None or user is None:
        return
    if session.session_key is None:
        session.save()
    assert session.session_key is not None
    user_session_start(
        user=user,
        session_key=session.session_key,
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )


def session_forgotten(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        user_session_forget(session_key=session.session_key)
