"""Thresholds pinned for the anomaly tests (the defaults may change; the tests name their own), and the
counter fixtures reused for the operation rules."""

from __future__ import annotations

import pytest

from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.counter.conftest import counter, sms_outbox  # noqa: F401 -- a point, customer and operator
from tests.shipments.test_concurrency import needs_file_database  # noqa: F401 -- shared skip rule


@pytest.fixture(autouse=True)
def thresholds(settings) -> None:
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 5
    settings.PVZ_LOCKOUT_IP_FAILURES = 8
    settings.PVZ_LOCKOUT_WINDOW_SECONDS = 900
    settings.PVZ_LOCKOUT_BASE_SECONDS = 60
    settings.PVZ_LOCKOUT_MAX_SECONDS = 3600
    settings.PVZ_SMS_PHONE_PER_DAY = 3
    settings.PVZ_SMS_IP_PER_HOUR = 3
    settings.PVZ_SMS_IP_PER_DAY = 5
    settings.PVZ_SMS_PLATFORM_PER_DAY = 7
    settings.PVZ_ANOMALY_UNSCANNED_ISSUES = 3
    settings.PVZ_ANOMALY_UNSCANNED_MINUTES = 60
    settings.PVZ_ANOMALY_SMS_VERIFICATIONS = 3
    settings.PVZ_ANOMALY_SMS_VERIFICATIONS_MINUTES = 30
    settings.PVZ_ANOMALY_MANUAL_CODES = 3
    settings.PVZ_ANOMALY_MANUAL_CODES_MINUTES = 10
    settings.PVZ_ANOMALY_OUTSIDE_HOURS = True
    settings.PVZ_ANOMALY_SUSPEND = False
