from __future__ import annotations

import logging

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import SmsMessage
from pvz.accounts.services import login_code_request
from pvz.accounts.sms import OutboxSmsGateway, get_sms_gateway, sms_outbox_enabled, sms_send
from pvz.core.clock import FrozenClock
from tests.accounts.conftest import PHONE
from tests.factories import UserFactory


class RecordingGateway:
    """Stands in for a real operator's gateway: remembers what it was asked to send."""

    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))


@pytest.fixture
def recording_gateway(settings: Settings) -> list[tuple[str, str]]:
    settings.PVZ_SMS_BACKEND = f"{__name__}.RecordingGateway"
    RecordingGateway.sent = []
    return RecordingGateway.sent


@pytest.mark.django_db
def test_outbox_keeps_the_message_at_clock_time(clock: FrozenClock) -> None:
    OutboxSmsGateway().send(phone=PHONE, text="Проверка")

    message = SmsMessage.objects.get()
    assert (message.phone, message.text, message.created_at) == (PHONE, "Проверка", clock.now())


@pytest.mark.django_db
def test_outbox_writes_phone_and_text_to_the_server_log(
    clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pvz.accounts.sms"):
        OutboxSmsGateway().send(phone=PHONE, text="Код для входа: 123456")

    events = [r.msg for r in caplog.records if r.name == "pvz.accounts.sms"]
    assert [(e["event"], e["phone"], e["text"]) for e in events] == [
        ("sms_outbox", PHONE, "Код для входа: 123456")
    ]


def test_gateway_follows_the_setting_when_a_test_overrides_it(settings: Settings) -> None:
    assert isinstance(get_sms_gateway(), OutboxSmsGateway)
    assert sms_outbox_enabled() is True

    settings.PVZ_SMS_BACKEND = f"{__name__}.RecordingGateway"

    assert isinstance(get_sms_gateway(), RecordingGateway)
    assert sms_outbox_enabled() is False


@pytest.mark.django_db
def test_sms_send_uses_the_configured_gateway(recording_gateway: list[tuple[str, str]]) -> None:
    sms_send(phone=PHONE, text="Привет")

    assert recording_gateway == [(PHONE, "Привет")]
    assert SmsMessage.objects.count() == 0


@pytest.mark.django_db
def test_login_code_goes_through_the_configured_gateway(
    clock: FrozenClock,
    recording_gateway: list[tuple[str, str]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    UserFactory(phone=PHONE)

    with django_capture_on_commit_callbacks(execute=True):
        login_code_request(phone=PHONE)

    assert [phone for phone, _text in recording_gateway] == [PHONE]
    assert recording_gateway[0][1].startswith("Код для входа в OpenPVZ: ")
    assert SmsMessage.objects.count() == 0
