"""The permission matrix: every page and every API operation of the URL configuration × anonymous and
every role × the user's own point and a foreign one, asserting allowed, sign-in, 403 or 404.

Generated from the URL configuration (`tests/security/matrix.py`), so a new URL is in the matrix the
moment it is routed; one that declares nothing fails `test_every_url_declares_what_it_needs`. Platform
roles (support, platform admin) reach every point, so they have no "foreign" column.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.api.api import api
from pvz.config.metrics import ACCESS_METRICS
from pvz.factors.services import totp_enrol_start
from pvz.web.middleware import POINT_SESSION_KEY
from pvz.web.permissions import ACCESS_PUBLIC
from tests.factories import operator_at
from tests.security import matrix
from tests.security.matrix import ALLOWED, ANONYMOUS, FORBIDDEN, NOT_FOUND, PICK_POINT, SIGN_IN, Case, Site

ROUTES, EXCLUDED = matrix.project_routes()
CASES: list[Case] = [case for route in ROUTES for case in matrix.cases_for(route)]
OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"


class World:
    """Two points with one object of every kind, and a user for every role (point roles at `own`)."""

    def __init__(self) -> None:
        self.own: Site = matrix.site_build(seed=11)
        self.foreign: Site = matrix.site_build(seed=12)
        self.users: dict[str, User] = {Role.OPERATOR: self.own.operator}
        for role in (Role.MANAGER, Role.OWNER, Role.SUPPORT, Role.PLATFORM_ADMIN):
            self.users[role] = operator_at(self.own.point, role=role)
        for user in self.users.values():
            totp_enrol_start(user=user)  # an authenticator enrolment under way: its QR page has a QR to show
        self.openapi: dict[str, Any] = api.get_openapi_schema()
        # One signed-in session per role, working at the own point (signing in per test would double
        # the matrix's time).
        self.sessions: dict[str, str] = {}
        for role, user in self.users.items():
            client = Client()
            client.force_login(user)
            session = client.session
            session[POINT_SESSION_KEY] = self.own.point.pk
            session.save()
            self.sessions[role] = session.session_key or ""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at its end; each test runs in a savepoint
    of it (pytest-django's `db`), so what one request writes is gone before the next test."""
    media = tmp_path_factory.mktemp("matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PVZ_SMS_BACKEND=OUTBOX, PVZ_SMS_OUTBOX_PUBLIC=False),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield World()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _client(world: World, case: Case) -> Client:
    if case.role == matrix.PARTNER:
        return Client(headers={"Authorization": f"Bearer {world.own.partner_key}"})
    client = Client(REMOTE_ADDR=matrix.OUTSIDE_ADDRESS) if case.route.access == ACCESS_METRICS else Client()
    if case.role == ANONYMOUS:
        return client
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[case.role]
    if case.route.kind == "page" and case.scope == "foreign" and not matrix.names_object(case.route):
        session = client.session
        session[POINT_SESSION_KEY] = world.foreign.point.pk  # rolled back with the test
        session.save()
    return client


def _site(world: World, case: Case) -> Site:
    # A page's "foreign" case with an object names the foreign point's object from the own point.
    return world.foreign if case.scope == "foreign" else world.own


def _call_page(client: Client, path: str) -> Any:
    response = client.get(path)
    if response.status_code == 405:  # a page that only takes POST: the button's request, with no fields
        response = client.post(path)
    return response


def _call_api(client: Client, world: World, case: Case) -> Any:
    """The operation's request with a body valid for its schema (so that the permission, not the body,
    decides) and a fresh Idempotency-Key (else an idempotent write answers 400 before anything)."""
    request = matrix.api_request(world.openapi, case.route, _site(world, case))
    extra: dict[str, Any] = {
        "QUERY_STRING": urlencode(request["query"], doseq=True),
        "headers": {"Idempotency-Key": str(uuid.uuid4())},
    }
    if request["content_type"] == MULTIPART_CONTENT:
        extra.update(data=encode_multipart(BOUNDARY, request["body"]), content_type=MULTIPART_CONTENT)
    elif request["body"] is not None:
        extra.update(data=json.dumps(request["body"]), content_type="application/json")
    return client.generic(case.route.method, request["path"], **extra)


def _outcome(case: Case, response: Any) -> str:
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    if case.route.kind == "api":
        if status == 401:
            return SIGN_IN
    elif case.route.access == ACCESS_PUBLIC:
        pass  # a public page may well send a visitor on to the sign-in (e.g. signing out)
    elif location.startswith(reverse("web:login")):
        return SIGN_IN
    elif location.startswith(reverse("web:pick_point")):
        return PICK_POINT
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status in (401, 405) or status >= 500:
        return f"unexpected {status}"
    return ALLOWED


def test_every_url_declares_what_it_needs() -> None:
    undeclared = [route.label for route in ROUTES if route.access is None]
    assert undeclared == [], "these URLs declare nothing, so the permission matrix cannot check them; " + (
        matrix.HOW_TO_DECLARE + ":\n  " + "\n  ".join(undeclared)
    )


def test_matrix_walks_pages_and_api_and_leaves_out_only_what_it_names() -> None:
    """Guards the generator itself: the URL configuration really was walked, pages and API alike, and
    nothing is left out but the Django admin and the routes listed with their reasons."""
    names = {route.name for route in ROUTES}
    assert len({(route.route, route.method) for route in ROUTES}) == len(ROUTES), "a URL counted twice"
    assert {
        "web:dashboard",
        "web:cells_list",
        "healthz",
        "metrics",
        "api-docs",
        "me_get",
        "cells_update",
    } <= names
    left_out = {line.split(": ", 1)[0] for line in EXCLUDED}
    assert {f"/{route}" for route in matrix.EXCLUDED_ROUTES} <= left_out, (
        "a listed exclusion no longer exists"
    )
    assert {path for path in left_out if not path.startswith("/admin/")} == {
        f"/{route}" for route in matrix.EXCLUDED_ROUTES
    }
    assert any(path.startswith("/admin/") for path in left_out)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_permission_matrix(case: Case, world: World, db: None) -> None:
    client = _client(world, case)
    if case.route.kind == "page":
        response = _call_page(client, matrix.path_for(case.route, _site(world, case)))
    else:
        response = _call_api(client, world, case)
    body = "" if response.streaming else response.content[:300].decode(errors="replace")
    assert _outcome(case, response) == case.expected, (
        f"{case.route.label} as {case.role} ({case.scope}): expected {case.expected}, got "
        f"{response.status_code} {response.get('Location', '')} {body}"
    )
