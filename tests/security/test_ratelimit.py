"""API rate limits: a fixed window per signed-in user, and per client IP for anonymous calls."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from pvz.api.ratelimit import Rate, rate_parse
from pvz.core.clock import FrozenClock
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _cache(kind: str) -> dict[str, str]:
    if kind == "memory":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s2-ratelimit"}
    # What production uses (REDIS_URL), where a count is one pipelined round trip. Keys of this test
    # alone: nothing is flushed in a Redis that others may share.
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": f"pvztest-ratelimit-{uuid.uuid4().hex}",
    }


@pytest.fixture(params=["memory", "redis"])
def limits(request, settings, clock: FrozenClock) -> FrozenClock:
    """3 requests a minute per user, 2 per anonymous IP, counted in a cache of this test alone (in
    memory, and in Redis as in production), on the frozen clock (10:00:00 Moscow time: the start of a
    minute window)."""
    if request.param == "redis" and not _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required when CI=true")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    settings.CACHES = {"default": _cache(request.param)}
    from django.core.cache import cache

    if request.param == "memory":
        cache.clear()
    settings.PVZ_API_RATE_LIMIT_USER = "3/min"
    settings.PVZ_API_RATE_LIMIT_ANON = "2/min"
    assert clock.now().timestamp() % 60 == 0
    return clock


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _refused(response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    body = response.json()
    assert body["error"]["code"] == "RATE_LIMITED"
    assert body["error"]["details"] == {"retry_after": retry_after}
    assert body["error"]["message"]


def test_a_user_gets_exactly_the_limit_then_429_with_retry_after(limits: FrozenClock):
    client = _signed_in(operator_at(PickupPointFactory()))

    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    _refused(client.get("/api/v1/me"), retry_after=60)
    limits.advance(seconds=59)
    _refused(client.get("/api/v1/me"), retry_after=1)


def test_the_count_starts_again_in_the_next_window(limits: FrozenClock):
    client = _signed_in(operator_at(PickupPointFactory()))
    for _ in range(3):
        client.get("/api/v1/me")
    _refused(client.get("/api/v1/me"), retry_after=60)

    limits.advance(seconds=60)

    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_retry_after_counts_from_the_moment_of_the_refused_request(limits: FrozenClock):
    client = _signed_in(operator_at(PickupPointFactory()))
    limits.advance(seconds=20.5)
    for _ in range(3):
        client.get("/api/v1/me")

    _refused(client.get("/api/v1/me"), retry_after=40)  # 39.5 s left, rounded up


def test_each_user_has_a_count_of_their_own(limits: FrozenClock):
    point = PickupPointFactory()
    first, second = _signed_in(operator_at(point)), _signed_in(operator_at(point))
    for _ in range(3):
        first.get("/api/v1/me")
    _refused(first.get("/api/v1/me"), retry_after=60)

    assert [second.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]


def test_anonymous_calls_are_counted_per_ip_whatever_they_answer(limits: FrozenClock):
    client = Client(REMOTE_ADDR="203.0.113.7")

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/no-such-endpoint").status_code == 404
    _refused(client.get("/api/v1/me"), retry_after=60)
    assert Client(REMOTE_ADDR="203.0.113.8").get("/api/v1/me").status_code == 401


def test_a_signed_in_user_is_not_held_back_by_the_anonymous_count_of_their_ip(limits: FrozenClock):
    for _ in range(3):
        Client(REMOTE_ADDR="127.0.0.1").get("/api/v1/me")
    user_client = _signed_in(operator_at(PickupPointFactory()))

    assert user_client.get("/api/v1/me", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_pages_outside_the_api_are_not_counted(limits: FrozenClock):
    client = Client(REMOTE_ADDR="203.0.113.9")

    assert [client.get("/login/").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [401, 401, 429]


def test_off_switches_a_limit_off(limits: FrozenClock, settings):
    settings.PVZ_API_RATE_LIMIT_ANON = "off"
    client = Client(REMOTE_ADDR="203.0.113.10")

    assert [client.get("/api/v1/me").status_code for _ in range(10)] == [401] * 10


def test_the_refusal_speaks_the_callers_language(limits: FrozenClock):
    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(2):
        client.get("/api/v1/me")

    russian = client.get("/api/v1/me").json()["error"]["message"]

    assert russian == "Слишком много запросов. Подождите и повторите."


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("600/min", Rate(requests=600, seconds=60)),
        ("60/min", Rate(requests=60, seconds=60)),
        ("5/s", Rate(requests=5, seconds=1)),
        ("10 / sec", Rate(requests=10, seconds=1)),
        ("1000/h", Rate(requests=1000, seconds=3600)),
        ("2/hour", Rate(requests=2, seconds=3600)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_rate_parse_reads_the_setting(value: str, rate: Rate | None):
    assert rate_parse(value) == rate


@pytest.mark.parametrize("value", ["", "600", "600/day", "0/min", "-1/min", "many/min", "600/min/x"])
def test_rate_parse_refuses_a_malformed_setting(value: str):
    with pytest.raises(ImproperlyConfigured):
        rate_parse(value)


def test_an_unreachable_redis_suspends_the_limit_instead_of_failing_the_request(settings, clock: FrozenClock):
    """A counter keeps working through a cache outage: the limit is suspended (one warning per 10 s in
    the log), never a 500 (issue 15)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.PVZ_API_RATE_LIMIT_USER = "1/min"
    client = _signed_in(operator_at(PickupPointFactory()))
    answers = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
