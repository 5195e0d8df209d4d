"""Rate limits on the HTTP API: a fixed window per signed-in user, and per client IP for anonymous calls.

Every request under /api/v1/ counts, whatever it answers: a Django middleware rather than a ninja
throttle, because ninja throttles run after authentication and would never see the anonymous requests
it refuses. The count lives in the Django cache (Redis when REDIS_URL is set, so all workers share it).
A fixed window is one atomic increment per request; its cost is that a caller may fit up to twice the
limit across a window boundary. Over the limit the answer is 429 RATE_LIMITED with `Retry-After`, the
seconds until the window ends. The limits are settings (`PVZ_API_RATE_LIMIT_USER`,
`PVZ_API_RATE_LIMIT_ANON`, "off" disables one); the client IP is REMOTE_ADDR, which uvicorn's
`--proxy-headers` sets from the trusted proxy's X-Forwarded-For (docs/deploy.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from pvz.api.partner_auth import request_partner_key
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger

API_PREFIX = "/api/v1/"
PARTNER_PREFIX = "/api/v1/partner/"
CACHE_ALIAS = "default"
RETRY_AFTER_HEADER = "Retry-After"
log = get_logger(__name__)

_UNITS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    default_message = _("Слишком много запросов. Подождите и повторите.")


@lru_cache(maxsize=16)
def rate_parse(value: str) -> Rate | None:
    """`"600/min"` → Rate(600, 60); `"off"` → None (no limit)."""
    if value.strip().lower() == "off":
        return None
    match = _RATE.match(value.lower())
    if not match or match.group(2) not in _UNITS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f'API rate limit {value!r}: expected "<requests>/<s|min|h>" or "off"')
    return Rate(requests=int(match.group(1)), seconds=_UNITS[match.group(2)])


def rate_limit_hit(*, key: str, rate: Rate, now: float) -> int | None:
    """Counts one request against `key`: None while the window holds at most `rate.requests` of them,
    else the whole seconds (at least 1) until the window ends."""
    window = int(now // rate.seconds)
    cache = caches[CACHE_ALIAS]
    cache_key = f"ratelimit:{key}:{rate.seconds}:{window}"
    # The window's number is in the key, so the timeout only clears old keys away.
    try:
        count = _count(cache, cache_key, timeout=rate.seconds + 1)
    except RedisError as exc:
        # Redis down: the limit is suspended, the request goes on. A counter must keep working through a
        # cache outage; the limit protects the service, it is not what the service is for.
        _unavailable_log(exc, now)
        return None
    if count <= rate.requests:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


_last_logged: list[float] = []


def _unavailable_log(exc: Exception, now: float) -> None:
    """One warning per 10 seconds while Redis is away, not one per request."""
    if _last_logged and now - _last_logged[0] < 10:
        return
    _last_logged[:] = [now]
    log.warning(
        "ratelimit_suspended", reason="the cache is unreachable", error=f"{type(exc).__name__}: {exc}"[:200]
    )


# INCR, and the expiry on the window's first request, atomically: one command per request.
_COUNT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _count(cache: BaseCache, cache_key: str, *, timeout: int) -> int:
    """The window's count after adding this request: on Redis one command (a script that increments and,
    the first time, sets the expiry); elsewhere through the cache API."""
    if isinstance(cache, RedisCache):
        redis_key = cache.make_key(cache_key)  # our own keys: no need to validate them per request
        client = cache._cache.get_client(redis_key, write=True)  # type: ignore[attr-defined]
        return int(_script(client)(keys=[redis_key], args=[timeout], client=client))
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1


_script_of_process: list[Any] = []


def _script(client: Any) -> Any:
    """The counting script, made once per process (redis-py runs it by its SHA on whichever client it is
    given, and loads it where the server does not know it yet)."""
    if not _script_of_process:
        _script_of_process.append(client.register_script(_COUNT_SCRIPT))
    return _script_of_process[0]


def _caller(request: HttpRequest) -> tuple[str, Rate | None]:
    """Whose count a request goes to, and that caller's limit."""
    if request.path_info.startswith(PARTNER_PREFIX):
        # The partner API counts per valid key (`PVZ_API_RATE_LIMIT_PARTNER`); a request without one is
        # counted by IP like any anonymous call (and then refused 401).
        partner_key = request_partner_key(request)
        if partner_key is not None:
            return f"partner-key:{partner_key.prefix}", rate_parse(settings.PVZ_API_RATE_LIMIT_PARTNER)
        return f"ip:{request.META.get('REMOTE_ADDR', '')}", rate_parse(settings.PVZ_API_RATE_LIMIT_ANON)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", rate_parse(settings.PVZ_API_RATE_LIMIT_USER)
    return f"ip:{request.META.get('REMOTE_ADDR', '')}", rate_parse(settings.PVZ_API_RATE_LIMIT_ANON)


class ApiRateLimitMiddleware:
    """Refuses API requests over the caller's limit before any view runs. Goes after
    AuthenticationMiddleware (it reads `request.user`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            key, rate = _caller(request)
            if rate is not None:
                retry_after = rate_limit_hit(key=key, rate=rate, now=clock.now().timestamp())
                if retry_after is not None:
                    return _refusal(retry_after)
        return self.get_response(request)


def _refusal(retry_after: int) -> HttpResponse:
    error = RateLimited(details={"retry_after": retry_after})
    response = JsonResponse({"error": error.as_dict()}, status=error.http_status)
    response[RETRY_AFTER_HEADER] = str(retry_after)
    return response
