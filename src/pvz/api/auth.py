"""How API callers prove who they are.

The staff web app calls the API with its Django session cookie. Session auth checks the CSRF token on
unsafe methods (POST, PUT, PATCH, DELETE): the web app sends it in the `X-CSRFToken` header, read from
the page's `<meta name="csrf-token">` (the cookie itself is HttpOnly); a missing or stale token is a 403
PERMISSION_DENIED. Partners authenticate with API keys instead
(`api/partner_auth.py`), on the `/api/v1/partner/...` routers only.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import SessionAuth

from pvz.accounts.models import User

session_auth = SessionAuth(csrf=True)


def caller(request: HttpRequest) -> User:
    """The signed-in user a handler acts for (the router's auth has already refused anyone else)."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user
