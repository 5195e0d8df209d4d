"""Thresholds of anomaly rules (those of lockouts and SMS limits are in `guard.conf`): Django settings
(from config/env.py), read on every use so tests can override them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Anomaly rules: N events by one operator within M minutes.
    "PVZ_ANOMALY_UNSCANNED_ISSUES": 3,
    "PVZ_ANOMALY_UNSCANNED_MINUTES": 60,
    "PVZ_ANOMALY_SMS_VERIFICATIONS": 10,
    "PVZ_ANOMALY_SMS_VERIFICATIONS_MINUTES": 30,
    "PVZ_ANOMALY_MANUAL_CODES": 5,
    "PVZ_ANOMALY_MANUAL_CODES_MINUTES": 10,
    # Issuing outside opening hours fires at once; on: a flag also suspends the account.
    "PVZ_ANOMALY_OUTSIDE_HOURS": True,
    "PVZ_ANOMALY_SUSPEND": False,
}


def value(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
