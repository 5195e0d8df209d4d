"""Security headers, cookie flags and closed CORS, on pages and on API answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws://testserver wss://testserver; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), "
    "midi=(), display-capture=(), accelerometer=(), gyroscope=(), magnetometer=()"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize(
    "path",
    [
        "/login/",  # a page
        "/api/v1/me",  # an API answer (401 to an anonymous caller)
        "/api/v1/no-such-endpoint",  # the API's fallback 404
        "/healthz",
    ],
)
def test_every_response_carries_the_security_headers(client: Client, path: str):
    response = client.get(path)

    assert {name: response.get(name) for name in HEADERS} == HEADERS
    assert "Strict-Transport-Security" not in response  # only in production, over HTTPS


def test_static_files_carry_the_policies_too(client: Client):
    response = client.get("/static/pvz/app.css")

    # WhiteNoise answers before XFrameOptionsMiddleware runs; the CSP's frame-ancestors 'none' covers it.
    expected = {name: value for name, value in HEADERS.items() if name != "X-Frame-Options"}
    assert response.status_code == 200
    assert {name: response.get(name) for name in expected} == expected


def test_a_signed_in_page_carries_the_same_policy(client: Client):
    point = PickupPointFactory()
    client.force_login(operator_at(point), backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()

    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    html = response.content.decode()
    htmx_config = """content='{"allowEval": false, "includeIndicatorStyles": false}'"""
    assert f'<meta name="htmx-config" {htmx_config}>' in html


def test_the_csrf_cookie_is_httponly_and_lax_and_the_token_is_in_a_meta_tag(client: Client):
    response = client.get("/login/")

    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""  # Secure only in production (tested below)
    assert '<meta name="csrf-token" content="' in response.content.decode()


def test_the_session_cookie_is_httponly_and_lax(client: Client):
    point = PickupPointFactory()
    client.force_login(operator_at(point), backend="pvz.accounts.backends.PhoneCodeBackend")

    response = client.post("/points/", {"point_id": point.pk})  # saves the session: sets its cookie

    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_cors_preflight_to_the_api_gets_no_cors_headers(client: Client):
    response = client.options(
        "/api/v1/me",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-CSRFToken",
        },
    )

    assert [name for name in response.headers if name.lower().startswith("access-control-")] == []


def test_a_cross_origin_api_call_gets_no_cors_headers(client: Client):
    point = PickupPointFactory()
    client.force_login(operator_at(point), backend="pvz.accounts.backends.PhoneCodeBackend")

    response = client.get("/api/v1/me", headers={"Origin": "https://evil.example"})

    assert response.status_code == 200
    assert [name for name in response.headers if name.lower().startswith("access-control-")] == []


def _settings_in(environment: dict[str, str], names: list[str]) -> dict[str, object]:
    """The named settings as a fresh process computes them from `environment`."""
    code = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'pvz.config.settings'\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {names!r}}}))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PVZ_")}
    env.pop("DATABASE_URL", None)
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


HTTPS_SETTINGS = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_HTTPONLY",
]


def test_production_sends_hsts_and_secure_cookies():
    production = _settings_in(
        {
            "PVZ_PRODUCTION": "true",
            "PVZ_SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://pvz@127.0.0.1:5432/pvz",
        },
        HTTPS_SETTINGS,
    )

    assert production == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_development_sends_no_hsts_and_plain_http_cookies():
    development = _settings_in({"PVZ_PRODUCTION": "false"}, HTTPS_SETTINGS)

    assert development == {
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_HTTPONLY": True,
    }
