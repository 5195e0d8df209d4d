"""Idle sessions expire after PVZ_SESSION_IDLE_SECONDS (default 12 hours, a shift) without a request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _idle_for(client: Client, seconds: int) -> None:
    """As if the session's last save was `seconds` ago: its expiry moves back by that much."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=Session.objects.get(session_key=client.session.session_key).expire_date
        - dt.timedelta(seconds=seconds)
    )


def test_the_idle_limit_defaults_to_a_twelve_hour_shift():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_a_session_idle_just_under_the_limit_still_works(client: Client):
    client.force_login(UserFactory())

    _idle_for(client, settings.SESSION_COOKIE_AGE - 5)

    assert client.get("/api/v1/me").status_code == 200


def test_a_session_idle_past_the_limit_is_refused(client: Client):
    client.force_login(UserFactory())

    _idle_for(client, settings.SESSION_COOKIE_AGE + 1)

    api = client.get("/api/v1/me")
    assert (api.status_code, api.json()["error"]["code"]) == (401, "NOT_AUTHENTICATED")
    assert client.get("/points/")["Location"] == "/login/?next=/points/"
