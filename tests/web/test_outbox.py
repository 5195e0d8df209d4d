import datetime as dt

import pytest
from django.test import Client

from pvz.accounts.models import SmsMessage
from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint
from tests.factories import operator_at

pytestmark = pytest.mark.django_db


class SilentGateway:
    """A gateway that is not the outbox, as a production SMS contract would be."""

    def send(self, *, phone: str, text: str) -> None:
        pass


@pytest.fixture
def message() -> SmsMessage:
    return SmsMessage.objects.create(
        phone="+79990000001",
        text="Код для входа в OpenPVZ: 123456.",
        created_at=dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC),
    )


def test_public_outbox_is_open_without_login(client: Client, settings, message):
    settings.PVZ_SMS_OUTBOX_PUBLIC = True

    response = client.get("/dev/sms-outbox/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Код для входа в OpenPVZ: 123456." in html
    assert "27.11.2026 10:00:00" in html  # shown in Moscow time
    assert 'hx-trigger="every 3s"' in html


def test_private_outbox_sends_an_anonymous_visitor_to_login(client: Client, settings, message):
    settings.PVZ_SMS_OUTBOX_PUBLIC = False

    response = client.get("/dev/sms-outbox/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dev/sms-outbox/"


def test_private_outbox_refuses_an_operator(sign_in, settings, point: PickupPoint, operator, message):
    settings.PVZ_SMS_OUTBOX_PUBLIC = False
    client = sign_in(operator, point)

    assert client.get("/dev/sms-outbox/").status_code == 403


def test_private_outbox_lets_support_read_it(sign_in, settings, point: PickupPoint, message):
    settings.PVZ_SMS_OUTBOX_PUBLIC = False
    client = sign_in(operator_at(point, Role.SUPPORT))

    response = client.get("/dev/sms-outbox/")

    assert response.status_code == 200
    assert "Код для входа в OpenPVZ: 123456." in response.content.decode()


def test_without_the_outbox_gateway_the_page_does_not_exist(client: Client, settings, message):
    settings.PVZ_SMS_OUTBOX_PUBLIC = True
    settings.PVZ_SMS_BACKEND = "tests.web.test_outbox.SilentGateway"

    assert client.get("/dev/sms-outbox/").status_code == 404
    assert 'href="/dev/sms-outbox/"' not in client.get("/login/").content.decode()
