"""Shared test set-up: a frozen clock, and the outbox of the development SMS gateway."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest

from pvz.core.clock import FrozenClock, use_clock
from tests.fakes.dns import FakeResolver

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """A frozen clock at 2026-11-27 10:00 Moscow time; move it with `clock.advance(...)`."""
    frozen = FrozenClock(dt.datetime(2026, 11, 27, 10, 0, tzinfo=MSK))
    with use_clock(frozen):
        yield frozen


@pytest.fixture(scope="session", autouse=True)
def _api_rate_limits_off() -> Iterator[None]:
    """The API rate limits count in a process-wide cache under a frozen clock, so across a test session
    every test's requests would add up; tests/security turns the limits on where it tests them."""
    from django.test import override_settings

    with override_settings(PVZ_API_RATE_LIMIT_USER="off", PVZ_API_RATE_LIMIT_ANON="off"):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Close connections after each use in tests: consumers and worker threads open their own, and a
    persistent one left in a finished thread would keep PostgreSQL from dropping the test database."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the product's language: `LanguageMiddleware` activates the request's language
    in the thread that served it, and the test client serves every request in the test's own thread, so an
    English request would otherwise leave later code of the same thread (a management command) in English."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """No test asks the real DNS: the webhook SSRF guard resolves host names from this table (a name not
    in it resolves to one public address); a test sets `fake_dns.table[name] = [addresses]`."""
    from pvz.webhooks import urlguard

    resolver = FakeResolver()
    monkeypatch.setattr(urlguard, "resolve", resolver)
    return resolver
