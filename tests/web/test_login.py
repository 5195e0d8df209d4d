import re

import pytest
from django.test import Client

from pvz.accounts.models import SmsMessage
from pvz.accounts.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+79990000042"


def _request_code(client: Client, django_capture_on_commit_callbacks, phone: str = PHONE) -> str:
    # The SMS is sent after commit; the outbox gateway stores it where the demo shows it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/login/", {"phone": phone})
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    text = SmsMessage.objects.get(phone=PHONE).text
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_login_with_the_code_from_the_sms_outbox_signs_in_and_opens_the_point_picker(
    client: Client, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(user=UserFactory(phone=PHONE), role=Role.OPERATOR)
    code = _request_code(client, django_capture_on_commit_callbacks, phone="8 999 000-00-42")

    page = client.get("/login/code/")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    response = client.post("/login/code/", {"code": code})

    assert response.status_code == 302
    assert response["Location"] == "/points/"
    assert client.session["_auth_user_id"] == str(membership.user.pk)
    picker = client.get("/points/").content.decode()
    assert membership.point.name in picker


def test_wrong_code_shows_the_translated_message_with_code_invalid(
    client: Client, django_capture_on_commit_callbacks
):
    UserFactory(phone=PHONE)
    code = _request_code(client, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post("/login/code/", {"code": wrong})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Неверный код. Осталось попыток: 4." in html
    assert '<code class="code">CODE_INVALID</code>' in html
    assert "_auth_user_id" not in client.session


def test_wrong_code_message_is_english_after_switching_language(
    client: Client, django_capture_on_commit_callbacks
):
    UserFactory(phone=PHONE)
    code = _request_code(client, django_capture_on_commit_callbacks)
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/code/"})

    response = client.post("/login/code/", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})

    html = response.content.decode()
    assert "Wrong code. Attempts left: 4." in html
    assert "CODE_INVALID" in html


def test_a_malformed_phone_is_refused_with_validation_failed(client: Client):
    response = client.post("/login/", {"phone": "12"})

    assert response.status_code == 200
    assert "VALIDATION_FAILED" in response.content.decode()
    assert "login_phone" not in client.session


def test_code_page_without_a_requested_code_goes_back_to_the_phone_form(client: Client):
    response = client.get("/login/code/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_login_page_links_to_the_sms_outbox_while_the_outbox_gateway_is_on(client: Client):
    html = client.get("/login/").content.decode()

    assert 'href="/dev/sms-outbox/"' in html


def test_logout_needs_post_and_ends_the_session(client: Client):
    client.force_login(UserFactory(), backend="pvz.accounts.backends.PhoneCodeBackend")

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_goes_through_the_phone_login_and_back(client) -> None:
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_admin_refuses_a_signed_in_operator_and_admits_a_platform_admin(client) -> None:
    from pvz.accounts.models import Membership
    from pvz.accounts.roles import Role
    from tests.factories import PickupPointFactory, UserFactory

    operator, admin = UserFactory(), UserFactory()
    Membership.objects.create(user=operator, point=PickupPointFactory(), role=Role.OPERATOR)
    Membership.objects.create(user=admin, point=None, role=Role.PLATFORM_ADMIN)

    client.force_login(operator, backend="pvz.accounts.backends.PhoneCodeBackend")
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    client.force_login(admin, backend="pvz.accounts.backends.PhoneCodeBackend")
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_login_page_links_to_the_application_to_open_a_point(client: Client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert 'href="/apply/"' in response.content.decode()
