"""Sign-in, sign-out and refused sign-in, from Django's auth signals (admin password login included).
A refused phone code raises from the backend instead, so `login_code_verify` records that one itself."""

from __future__ import annotations

from typing import Any

from pvz.audit.services import audit_record


def on_login(sender: object, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, obj=user)


def on_logout(sender: object, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.logout", actor=user, obj=user)


def on_login_failed(sender: object, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    login = str(credentials.get("phone") or credentials.get("username") or "")[:16]
    audit_record(action="auth.login_failed", actor_phone=login)
