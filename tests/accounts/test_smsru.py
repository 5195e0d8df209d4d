"""The SMS.ru gateway against a local fake of its HTTP API: what it sends, and that every way the provider
can fail becomes an SmsDeliveryError without the API key in it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.test import override_settings

from pvz.accounts.services import login_code_request
from pvz.accounts.sms import get_sms_gateway, sms_send
from pvz.accounts.smsru import SmsDeliveryError, SmsRuGateway
from tests.factories import UserFactory
from tests.fakes.smsru import FakeSmsRu, fake_smsru

API_ID = "SECRET-KEY-123"


@pytest.fixture
def provider() -> Iterator[FakeSmsRu]:
    with (
        fake_smsru() as fake,
        override_settings(
            PVZ_SMS_BACKEND="pvz.accounts.smsru.SmsRuGateway",
            PVZ_SMSRU_URL=fake.url,
            PVZ_SMSRU_API_ID=API_ID,
            PVZ_SMS_SENDER="OpenPVZ",
            PVZ_SMS_TIMEOUT_SECONDS=0.5,
        ),
    ):
        yield fake


def test_a_message_is_posted_with_the_key_the_number_digits_the_text_and_the_sender(provider) -> None:
    sms_send(phone="+79161234567", text="Код для входа: 123456")

    assert provider.received == [
        {
            "api_id": API_ID,
            "to": "79161234567",
            "msg": "Код для входа: 123456",
            "json": "1",
            "from": "OpenPVZ",
        }
    ]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("refuse_number", "refused the number: 207"),
        ("refuse_key", "refused the request: 200"),
        ("error_500", "HTTPStatusError"),
        ("stall", "ReadTimeout"),
    ],
)
def test_every_refusal_or_failure_raises_without_the_key(provider, mode: str, reason: str) -> None:
    provider.mode = mode

    with pytest.raises(SmsDeliveryError, match=reason) as caught:
        sms_send(phone="+79161234567", text="текст")

    assert API_ID not in str(caught.value)


def test_a_provider_that_is_down_raises() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        override_settings(
            PVZ_SMSRU_URL=f"http://127.0.0.1:{port}/sms/send",
            PVZ_SMSRU_API_ID=API_ID,
            PVZ_SMS_TIMEOUT_SECONDS=0.5,
        ),
        pytest.raises(SmsDeliveryError, match="ConnectError"),
    ):
        SmsRuGateway().send(phone="+79161234567", text="текст")


def test_the_gateway_refuses_to_send_without_a_key(provider) -> None:
    with override_settings(PVZ_SMSRU_API_ID=""), pytest.raises(SmsDeliveryError, match="PVZ_SMSRU_API_ID"):
        SmsRuGateway().send(phone="+79161234567", text="текст")

    assert provider.received == []


@pytest.mark.django_db
def test_a_login_code_reaches_the_provider_after_commit(provider, django_capture_on_commit_callbacks) -> None:
    user = UserFactory(phone="+79161234567")
    assert isinstance(get_sms_gateway(), SmsRuGateway)

    with django_capture_on_commit_callbacks(execute=True):
        login_code_request(phone=user.phone)

    assert [message["to"] for message in provider.received] == ["79161234567"]
    assert "Код для входа в OpenPVZ" in provider.received[0]["msg"]
