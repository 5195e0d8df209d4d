"""Guards against guessing and SMS pumping: lockouts after failed attempts, limits on SMS sent.

Failures are counted per (kind, phone) and per (kind, IP) in a rolling window; the Nth failure locks that
phone or IP out for a while, doubling with each further lockout within a day up to a cap. Everything
is in the database, so it holds across workers and restarts. `attempt_failed` commits on its own when
called outside a transaction; call it outside the transaction that the caller's error rolls back.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode, RateLimited
from pvz.core.locks import lock_for_transaction
from pvz.core.logging import get_logger
from pvz.guard.conf import value
from pvz.guard.models import AuthFailure, AuthLockout, Scope, SmsSend

log = get_logger(__name__)

KINDS = frozenset({"login_code", "password", "second_factor", "password_reset", "customer_code"})
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


class LockedOut(DomainError):
    code = ErrorCode.LOCKED_OUT
    default_message = _("Слишком много неудачных попыток. Повторите позже.")


def _ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def _keys(*, phone: str | None, ip: str | None) -> list[tuple[str, str]]:
    keys = []
    if phone:
        keys.append((Scope.PHONE.value, phone))
    if ip := _ip(ip):
        keys.append((Scope.IP.value, ip))
    return keys


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def attempt_check(*, kind: str, phone: str | None, ip: str | None) -> None:
    """Raise LockedOut (details: retry_after seconds) while the phone or the IP is locked out for `kind`.
    One indexed query."""
    keys = _keys(phone=phone, ip=ip)
    if not keys:
        return
    now = clock.now()
    match = Q()
    for scope, key in keys:
        match |= Q(scope=scope, key=key)
    until = (
        AuthLockout.objects.filter(match, kind=kind, until__gt=now)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    if until is not None:
        retry_after = _seconds_until(until, now)
        raise LockedOut(
            _("Слишком много неудачных попыток. Повторите через %(seconds)s с.") % {"seconds": retry_after},
            details={"retry_after": retry_after},
        )


def _lock(*, kind: str, scope: str, key: str, now: dt.datetime) -> AuthLockout:
    earlier = AuthLockout.objects.filter(kind=kind, scope=scope, key=key, started_at__gt=now - DAY).count()
    base, cap = int(value("PVZ_LOCKOUT_BASE_SECONDS")), int(value("PVZ_LOCKOUT_MAX_SECONDS"))
    seconds = min(cap, base * 2 ** min(earlier, 30))
    lockout = AuthLockout.objects.create(
        kind=kind,
        scope=scope,
        key=key,
        started_at=now,
        until=now + dt.timedelta(seconds=seconds),
        seconds=seconds,
    )
    # The failures are used up: after the lockout the count starts again from zero.
    AuthFailure.objects.filter(kind=kind, scope=scope, key=key).delete()
    audit_record(
        action="auth.locked_out",
        actor_phone=key if scope == Scope.PHONE else "",
        object_type="authlockout",
        object_id=lockout.pk,
        details={"kind": kind, "scope": scope, "key": key, "seconds": seconds},
        at=now,
    )
    log.info("auth_locked_out", kind=kind, scope=scope, seconds=seconds)
    return lockout


def attempt_failed(*, kind: str, phone: str | None, ip: str | None) -> None:
    """Count one failed attempt; the Nth within the window locks the phone (or the IP) out."""
    now = clock.now()
    window = dt.timedelta(seconds=int(value("PVZ_LOCKOUT_WINDOW_SECONDS")))
    limits = {
        Scope.PHONE.value: int(value("PVZ_LOCKOUT_PHONE_FAILURES")),
        Scope.IP.value: int(value("PVZ_LOCKOUT_IP_FAILURES")),
    }
    with transaction.atomic():
        for scope, key in _keys(phone=phone, ip=ip):
            # Concurrent failures of one phone (or IP) count one after another, so none is lost between
            # another's insert and count and the Nth always locks (always phone before IP: no deadlock).
            lock_for_transaction("auth_failure", kind, scope, key)
            AuthFailure.objects.create(kind=kind, scope=scope, key=key, at=now)
            failures = AuthFailure.objects.filter(
                kind=kind, scope=scope, key=key, at__gt=now - window
            ).count()
            if failures >= limits[scope]:
                _lock(kind=kind, scope=scope, key=key, now=now)


def attempt_succeeded(*, kind: str, phone: str | None) -> None:
    """A success clears the phone's failure count (not the IP's, nor the lockout history)."""
    if phone:
        AuthFailure.objects.filter(kind=kind, scope=Scope.PHONE, key=phone).delete()


def _retry_after(*, rows: Q, limit: int, count: int, window: dt.timedelta, now: dt.datetime) -> int:
    """Seconds until the count within `window` drops below `limit` again."""
    oldest_to_expire = (
        SmsSend.objects.filter(rows, at__gt=now - window)
        .order_by("at")
        .values_list("at", flat=True)[count - limit : count - limit + 1]
    )
    at = next(iter(oldest_to_expire), now)
    return _seconds_until(at + window, now)


def sms_send_check(*, phone: str, ip: str | None) -> None:
    """Raise RateLimited (details: retry_after, limit) when one more SMS code to `phone` from `ip` would
    exceed a limit: per phone a day, per IP an hour and a day, the platform a day (rolling windows).
    When allowed, the send is counted at once, inside the caller's transaction: call it right before
    sending, after the caller's own checks. Concurrent checks queue (the platform limit is shared), so
    two requests cannot both pass the last free place."""
    with transaction.atomic():
        lock_for_transaction("sms_send")
        _sms_send_count(phone=phone, ip=_ip(ip))


def _sms_send_count(*, phone: str, ip: str | None) -> None:
    now = clock.now()
    counts = SmsSend.objects.filter(at__gt=now - DAY).aggregate(
        platform_day=Count("id"),
        phone_day=Count("id", filter=Q(phone=phone)),
        ip_day=Count("id", filter=Q(ip=ip)) if ip else Count("id", filter=Q(pk__in=[])),
        ip_hour=Count("id", filter=Q(ip=ip, at__gt=now - HOUR)) if ip else Count("id", filter=Q(pk__in=[])),
    )
    checks = [
        ("phone_day", Q(phone=phone), int(value("PVZ_SMS_PHONE_PER_DAY")), DAY),
        ("ip_hour", Q(ip=ip), int(value("PVZ_SMS_IP_PER_HOUR")), HOUR),
        ("ip_day", Q(ip=ip), int(value("PVZ_SMS_IP_PER_DAY")), DAY),
        ("platform_day", Q(), int(value("PVZ_SMS_PLATFORM_PER_DAY")), DAY),
    ]
    for name, rows, limit, window in checks:
        if counts[name] >= limit:
            retry_after = _retry_after(rows=rows, limit=limit, count=counts[name], window=window, now=now)
            log.warning("sms_limit_reached", limit=name)
            raise RateLimited(
                _("Слишком много SMS. Новый код можно запросить через %(seconds)s с.")
                % {"seconds": retry_after},
                details={"retry_after": retry_after, "limit": name},
            )
    SmsSend.objects.create(phone=phone, ip=ip, at=now)


def guard_records_purge() -> int:
    """Delete counters no check reads any more: failures past the longest window, lockouts and SMS sends
    older than a day (+1 hour of margin). Returns how many rows went; safe to run any time."""
    now = clock.now()
    window = dt.timedelta(seconds=int(value("PVZ_LOCKOUT_WINDOW_SECONDS")))
    keep = DAY + HOUR
    deleted = AuthFailure.objects.filter(at__lte=now - max(window, HOUR)).delete()[0]
    deleted += AuthLockout.objects.filter(until__lte=now - keep, started_at__lte=now - keep).delete()[0]
    deleted += SmsSend.objects.filter(at__lte=now - keep).delete()[0]
    return deleted
