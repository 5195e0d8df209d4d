"""The second step of the web sign-in, enrolment forced by an owner's rule, and the factor screens."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.core import mail
from django.test import Client

from pvz.accounts.models import SmsMessage
from pvz.accounts.roles import Role
from pvz.factors import services
from pvz.factors.models import TotpDevice
from pvz.factors.selectors import point_requires_second_factor, second_factor_method
from tests.factories import operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox(settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"


def _first_factor(client: Client, capture, phone: str, next_url: str = ""):
    """Phone and SMS code, as a person signs in; returns the response to the code."""
    with capture(execute=True):
        client.post(f"/login/{next_url}", {"phone": phone})
    text = SmsMessage.objects.filter(phone=phone).first().text
    code = re.search(r"\b(\d{6})\b", text).group(1)
    return client.post("/login/code/", {"code": code})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _enrolled_app(user, clock) -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(services.totp_enrol_start(user=user).secret)
    codes = services.totp_enrol_confirm(user=user, code=totp.at(clock.now().timestamp() - 30))
    return totp, codes


@pytest.fixture
def owner(point):
    return operator_at(point, Role.OWNER)


def test_a_person_without_factors_is_signed_in_by_the_sms_code_alone(
    client, django_capture_on_commit_callbacks, operator
):
    response = _first_factor(client, django_capture_on_commit_callbacks, operator.phone)

    assert response["Location"] == "/points/"
    assert _signed_in(client)


def test_a_person_with_an_app_is_asked_for_its_code_before_being_signed_in(
    client, django_capture_on_commit_callbacks, operator, clock
):
    totp, _codes = _enrolled_app(operator, clock)

    response = _first_factor(client, django_capture_on_commit_callbacks, operator.phone)

    assert response["Location"] == "/login/second-factor/"
    assert not _signed_in(client)
    assert client.get("/points/").status_code == 302  # nothing opens before the second step
    page = client.get("/login/second-factor/").content.decode()
    assert 'data-second-factor="totp"' in page

    response = client.post("/login/second-factor/", {"action": "verify", "code": totp.at(clock.now())})

    assert response["Location"] == "/points/"
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_the_second_step_keeps_where_the_sign_in_was_headed(
    client, django_capture_on_commit_callbacks, operator, clock
):
    totp, _codes = _enrolled_app(operator, clock)
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone, next_url="?next=/audit/")

    response = client.post("/login/second-factor/", {"action": "verify", "code": totp.at(clock.now())})

    assert response["Location"] == "/audit/"


def test_a_wrong_code_at_the_second_step_is_refused_with_code_invalid(
    client, django_capture_on_commit_callbacks, operator, clock
):
    _enrolled_app(operator, clock)
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)

    response = client.post("/login/second-factor/", {"action": "verify", "code": "zzzzz-zzzzz"})

    assert response.status_code == 200
    assert '<code class="code">CODE_INVALID</code>' in response.content.decode()
    assert not _signed_in(client)


def test_a_backup_code_completes_the_second_step(client, django_capture_on_commit_callbacks, operator, clock):
    _totp, codes = _enrolled_app(operator, clock)
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)

    response = client.post("/login/second-factor/", {"action": "verify", "code": codes[0]})

    assert response["Location"] == "/points/"
    assert _signed_in(client)


def test_the_pending_sign_in_still_waits_at_ten_minutes(
    client, django_capture_on_commit_callbacks, operator, clock
):
    totp, _codes = _enrolled_app(operator, clock)
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)
    clock.advance(minutes=10)

    response = client.post("/login/second-factor/", {"action": "verify", "code": totp.at(clock.now())})

    assert response["Location"] == "/points/"


def test_the_pending_sign_in_has_expired_at_ten_minutes_and_a_second(
    client, django_capture_on_commit_callbacks, operator, clock
):
    totp, _codes = _enrolled_app(operator, clock)
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)
    clock.advance(minutes=10, seconds=1)

    response = client.post("/login/second-factor/", {"action": "verify", "code": totp.at(clock.now())})

    assert response["Location"] == "/login/"
    assert not _signed_in(client)
    assert "Время на вход истекло. Войдите заново." in client.get("/login/").content.decode()


def test_the_second_step_without_a_first_factor_goes_to_the_login_page(client):
    assert client.get("/login/second-factor/")["Location"] == "/login/"


def test_the_e_mail_second_step_mails_a_code_and_accepts_it(
    client, django_capture_on_commit_callbacks, operator, clock
):
    with django_capture_on_commit_callbacks(execute=True):
        services.email_factor_add(user=operator, email="op@example.ru")
    services.email_factor_confirm(user=operator, code=re.search(r"\d{6}", mail.outbox[-1].body).group(0))
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)
    assert 'data-second-factor="email"' in client.get("/login/second-factor/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/login/second-factor/", {"action": "send"})
    assert "Код отправлен на e-mail." in page.content.decode()
    code = re.search(r"\d{6}", mail.outbox[-1].body).group(0)
    response = client.post("/login/second-factor/", {"action": "verify", "code": code})

    assert response["Location"] == "/points/"
    assert _signed_in(client)


def test_the_owners_rule_sends_a_person_without_a_factor_to_enrolment_first(
    client, django_capture_on_commit_callbacks, point, owner, operator, clock
):
    services.point_factor_policy_set(actor=owner, point=point, required=True)

    response = _first_factor(client, django_capture_on_commit_callbacks, operator.phone)

    assert response["Location"] == "/login/second-factor/enrol/"
    assert not _signed_in(client)
    assert client.get("/login/second-factor/")["Location"] == "/login/second-factor/enrol/"
    page = client.get("/login/second-factor/enrol/").content.decode()
    assert "data-factor-required" in page

    client.post("/login/second-factor/enrol/", {"action": "totp_start"})
    page = client.get("/login/second-factor/enrol/").content.decode()
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    qr = client.get("/login/second-factor/enrol/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    response = client.post(
        "/login/second-factor/enrol/",
        {"action": "totp_confirm", "totp-code": pyotp.TOTP(secret).at(clock.now())},
    )

    assert response.status_code == 200
    assert len(re.findall(r"<li><code>[a-z2-9]{5}-[a-z2-9]{5}</code></li>", response.content.decode())) == 10
    assert response["Cache-Control"] == "no-store"
    assert client.session["_auth_user_id"] == str(operator.pk)
    assert TotpDevice.objects.get(user=operator).confirmed_at is not None


def test_the_owners_rule_applies_from_the_next_sign_in_not_to_an_open_session(
    client, django_capture_on_commit_callbacks, point, owner, operator, clock
):
    _first_factor(client, django_capture_on_commit_callbacks, operator.phone)
    assert _signed_in(client)

    services.point_factor_policy_set(actor=owner, point=point, required=True)

    assert client.get("/points/").status_code == 200
    client.post("/logout/")
    clock.advance(minutes=1)  # one login code a minute
    response = _first_factor(client, django_capture_on_commit_callbacks, operator.phone)
    assert response["Location"] == "/login/second-factor/enrol/"


def test_the_enrolment_qr_is_404_without_a_pending_enrolment(client):
    assert client.get("/login/second-factor/enrol/qr.svg").status_code == 404


def test_the_security_block_enrols_an_app_and_shows_the_backup_codes(sign_in, operator, clock):
    client = sign_in(operator)

    client.post("/account/factors/", {"action": "totp_start"})
    page = client.get("/account/factors/").content.decode()
    assert '<img class="totp-qr" src="/account/factors/qr.svg"' in page
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    assert client.get("/account/factors/qr.svg")["Content-Type"] == "image/svg+xml"
    response = client.post(
        "/account/factors/", {"action": "totp_confirm", "totp-code": pyotp.TOTP(secret).at(clock.now())}
    )

    assert "data-backup-codes" in response.content.decode()
    assert TotpDevice.objects.get(user=operator).confirmed_at is not None


def test_the_e_mail_is_added_and_confirmed_on_the_factor_page(
    sign_in, operator, django_capture_on_commit_callbacks
):
    client = sign_in(operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/factors/", {"action": "email_add", "email": "op@example.ru"})
    assert response["Location"] == "/account/factors/"
    code = re.search(r"\d{6}", mail.outbox[-1].body).group(0)
    response = client.post("/account/factors/", {"action": "email_confirm", "email-code": code})

    assert response["Location"] == "/account/security/"
    assert second_factor_method(user=operator) == "email"


def test_removing_the_app_on_the_page_needs_its_code(sign_in, operator, clock):
    totp, _codes = _enrolled_app(operator, clock)
    client = sign_in(operator)

    refused = client.post("/account/factors/totp/remove/", {"action": "remove", "code": "000000"})
    assert "CODE_INVALID" in refused.content.decode()
    response = client.post(
        "/account/factors/totp/remove/", {"action": "remove", "code": totp.at(clock.now())}
    )

    assert response["Location"] == "/account/security/"
    assert not TotpDevice.objects.filter(user=operator).exists()


def test_regenerated_backup_codes_are_shown_once(sign_in, operator, clock):
    _totp, old = _enrolled_app(operator, clock)
    client = sign_in(operator)

    response = client.post("/account/factors/backup-codes/")

    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert not set(codes) & set(old)


def test_the_factor_pages_need_a_sign_in(client):
    assert client.get("/account/factors/")["Location"] == "/login/?next=/account/factors/"


def test_the_owner_switches_the_rule_on_the_point_security_page(sign_in, point, owner):
    client = sign_in(owner, point)
    assert 'data-factor-policy="off"' in client.get("/points/security/").content.decode()

    response = client.post("/points/security/", {"require_second_factor": "on"})

    assert response["Location"] == "/points/security/"
    assert 'data-factor-policy="on"' in client.get("/points/security/").content.decode()


def test_a_manager_sees_the_rule_but_may_not_change_it(sign_in, point):
    client = sign_in(operator_at(point, Role.MANAGER), point)

    page = client.get("/points/security/").content.decode()
    assert "Изменить это может владелец точки." in page
    assert client.post("/points/security/", {"require_second_factor": "on"}).status_code == 403
    assert not point_requires_second_factor(point=point)


def test_an_operator_may_not_open_the_point_security_page(sign_in, point, operator):
    assert sign_in(operator, point).get("/points/security/").status_code == 403


def test_the_security_page_lists_the_factors_with_their_actions(sign_in, point, owner, clock):
    _enrolled_app(owner, clock)
    client = sign_in(owner, point)

    page = client.get("/account/security/").content.decode()

    assert "data-factors-block" in page
    assert "подключено; резервных кодов осталось: 10" in page
    assert 'href="/account/factors/totp/remove/"' in page
    assert 'action="/account/factors/backup-codes/"' in page
    assert 'href="/points/security/"' in page  # the owner's switch for the point


def test_a_password_sign_in_is_asked_for_the_second_factor_too(client, operator, clock):
    totp, _codes = _enrolled_app(operator, clock)
    operator.set_password("Kashtan-na-Tverskoy-17")
    operator.save(update_fields=["password"])

    response = client.post(
        "/login/password/", {"phone": operator.phone, "password": "Kashtan-na-Tverskoy-17"}
    )

    assert response["Location"] == "/login/second-factor/"
    assert not _signed_in(client)
    response = client.post("/login/second-factor/", {"action": "verify", "code": totp.at(clock.now())})
    assert response["Location"] == "/points/"
    assert client.session["_auth_user_id"] == str(operator.pk)
