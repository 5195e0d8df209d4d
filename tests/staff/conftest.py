"""Staff tests: SMS go to the development outbox, where the invitation text is read back."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def sms_outbox(settings: Settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"
