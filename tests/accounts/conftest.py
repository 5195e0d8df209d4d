"""Accounts tests send SMS into the development outbox and read login codes back from it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import SmsMessage
from pvz.accounts.services import login_code_request

OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"
PHONE = "+79161234567"


@pytest.fixture(autouse=True)
def sms_outbox(settings: Settings) -> None:
    settings.PVZ_SMS_BACKEND = OUTBOX


@pytest.fixture
def request_code(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Callable[[str], str]:
    """Request a login code as a person would, and return the code read from the SMS they got."""

    def request(phone: str = PHONE) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            login_code_request(phone=phone)
        message = SmsMessage.objects.filter(phone=phone).first()
        assert message is not None, "no SMS was sent"
        found = re.search(r"\b(\d{6})\b", message.text)
        assert found is not None, message.text
        return found.group(1)

    return request


def wrong(code: str) -> str:
    """A well-formed code that is certainly not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
