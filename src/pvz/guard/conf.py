"""Thresholds of lockouts and SMS limits: Django settings (from config/env.py), read on every use so tests
can override them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Failed attempts (codes, passwords) before a lockout, per phone and per IP, in a rolling window.
    "PVZ_LOCKOUT_PHONE_FAILURES": 10,
    "PVZ_LOCKOUT_IP_FAILURES": 20,
    "PVZ_LOCKOUT_WINDOW_SECONDS": 15 * 60,
    # First lockout; each further lockout of the same phone/IP within a day doubles it, up to the cap.
    "PVZ_LOCKOUT_BASE_SECONDS": 60,
    "PVZ_LOCKOUT_MAX_SECONDS": 3600,
    # SMS codes sent: per phone a day, per IP an hour and a day, the whole platform a day.
    "PVZ_SMS_PHONE_PER_DAY": 10,
    "PVZ_SMS_IP_PER_HOUR": 20,
    "PVZ_SMS_IP_PER_DAY": 50,
    "PVZ_SMS_PLATFORM_PER_DAY": 10000,
}


def value(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
