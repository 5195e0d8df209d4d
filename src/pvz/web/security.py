"""The browser-side security headers Django 5.2 does not send itself: Content-Security-Policy and
Permissions-Policy, on every response (pages, fragments, API answers, static files).

Django's SecurityMiddleware already sends `X-Content-Type-Options`, `Referrer-Policy`,
`Cross-Origin-Opener-Policy` and, in production, HSTS; XFrameOptionsMiddleware sends `X-Frame-Options`.
The policy allows only the project's own files: no inline script, handler or style attribute, no eval
(htmx runs with `allowEval: false`, see base.html). Live updates open a WebSocket to the page's own host,
named exactly because older Safari does not let `'self'` cover `ws:`/`wss:`. A private photo (a return's,
an application's) goes out through `private_photo_response`, which keeps it out of every cache.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_POLICY_HEADER = "Permissions-Policy"

_CSP_BEFORE_CONNECT = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
)
_CSP_AFTER_CONNECT = (
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

# The camera for scanning and photos of returns, on our own pages only; every other powerful feature off.
PERMISSIONS_POLICY = ", ".join(
    (
        "camera=(self)",
        "microphone=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "hid=()",
        "midi=()",
        "display-capture=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
    )
)


def content_security_policy(host: str | None) -> str:
    """The policy for a response to a request on `host` (None when the host is not allowed)."""
    connect = "connect-src 'self'" + (f" ws://{host} wss://{host}" if host else "")
    return "; ".join((*_CSP_BEFORE_CONNECT, connect, *_CSP_AFTER_CONNECT))


class SecurityHeadersMiddleware:
    """Adds the policies to every response that has not set its own. Goes right after SecurityMiddleware,
    before WhiteNoise, so static files get them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if CSP_HEADER not in response:
            try:
                host: str | None = request.get_host()
            except DisallowedHost:
                host = None  # Django answers 400 to a foreign Host header; no WebSocket for it either
            response[CSP_HEADER] = content_security_policy(host)
        response.setdefault(PERMISSIONS_POLICY_HEADER, PERMISSIONS_POLICY)
        return response


def private_photo_response(file: FieldFile, content_type: str) -> HttpResponse:
    """A stored private photo (at most 10 MB) as it is, never cached and never content-sniffed."""
    with file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
