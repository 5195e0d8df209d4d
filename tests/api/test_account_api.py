"""GET /api/v1/me/security and POST /api/v1/me/password(/code): the caller's own optional password."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import SmsMessage, User
from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+79990000042"
STRONG = "Kx7#pLm2vQ"
STRONGER = "Tr4$wNb9zXq"


@pytest.fixture(autouse=True)
def fast_hasher_and_outbox(settings: Settings) -> None:
    # PBKDF2's million rounds would cost most of a second a hash; the hasher itself is tested in accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"


def with_password(password: str = STRONG) -> User:
    user = UserFactory(phone=PHONE)
    user.set_password(password)
    user.save()
    return user


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_security_summary_needs_sign_in(client: Client) -> None:
    assert error_of(client.get("/api/v1/me/security")) == (401, "NOT_AUTHENTICATED")


def test_security_summary_says_the_caller_has_no_password_at_first(signed_in) -> None:
    response = signed_in(UserFactory(phone=PHONE)).get("/api/v1/me/security")

    assert (response.status_code, response.json()) == (200, {"has_password": False})


def test_security_summary_says_the_caller_has_a_password_once_set(signed_in) -> None:
    response = signed_in(with_password()).get("/api/v1/me/security")

    assert (response.status_code, response.json()) == (200, {"has_password": True})


def test_first_password_is_set_with_the_texted_code_and_the_session_stays(
    signed_in, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    user = UserFactory(phone=PHONE)
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/api/v1/me/password/code")
    assert sent.status_code == 204
    code = re.search(r"\b(\d{6})\b", SmsMessage.objects.get(phone=PHONE).text).group(1)

    response = client.post(
        "/api/v1/me/password", {"code": code, "new_password": STRONG}, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (200, {"has_password": True})
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert client.get("/api/v1/me/security").status_code == 200
    assert AuditRecord.objects.filter(action="auth.password_set", actor=user).count() == 1


def test_first_password_without_a_code_is_refused(signed_in, clock: FrozenClock) -> None:
    client = signed_in(UserFactory(phone=PHONE))

    response = client.post("/api/v1/me/password", {"new_password": STRONG}, content_type="application/json")

    assert error_of(response) == (422, "VALIDATION_FAILED")
    assert response.json()["error"]["details"] == {"field": "code"}


def test_change_with_the_current_password(signed_in, clock: FrozenClock) -> None:
    user = with_password()
    client = signed_in(user)

    response = client.post(
        "/api/v1/me/password",
        {"current_password": STRONG, "new_password": STRONGER},
        content_type="application/json",
    )

    assert (response.status_code, response.json()) == (200, {"has_password": True})
    user.refresh_from_db()
    assert user.check_password(STRONGER)
    assert client.get("/api/v1/me/security").status_code == 200


def test_change_with_a_wrong_current_password_is_400_password_invalid(signed_in, clock: FrozenClock) -> None:
    user = with_password()

    response = signed_in(user).post(
        "/api/v1/me/password",
        {"current_password": STRONGER, "new_password": STRONGER},
        content_type="application/json",
    )

    assert error_of(response) == (400, "PASSWORD_INVALID")
    assert response.json()["error"]["message"] == "Текущий пароль введён неверно."
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_change_without_the_current_password_is_refused(signed_in, clock: FrozenClock) -> None:
    response = signed_in(with_password()).post(
        "/api/v1/me/password", {"new_password": STRONGER}, content_type="application/json"
    )

    assert error_of(response) == (422, "VALIDATION_FAILED")
    assert response.json()["error"]["details"] == {"field": "current_password"}


def test_change_to_a_weak_password_is_422_with_the_reasons(signed_in, clock: FrozenClock) -> None:
    response = signed_in(with_password()).post(
        "/api/v1/me/password",
        {"current_password": STRONG, "new_password": "1234567890"},
        content_type="application/json",
    )

    assert error_of(response) == (422, "PASSWORD_WEAK")
    assert response.json()["error"]["details"]["reasons"] == [
        "password_too_common",
        "password_entirely_numeric",
    ]


def test_password_posts_need_the_csrf_token(clock: FrozenClock) -> None:
    user = with_password()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")

    change = browser.post(
        "/api/v1/me/password",
        {"current_password": STRONG, "new_password": STRONGER},
        content_type="application/json",
    )
    code = browser.post("/api/v1/me/password/code")

    assert (error_of(change), error_of(code)) == ((403, "PERMISSION_DENIED"), (403, "PERMISSION_DENIED"))
    user.refresh_from_db()
    assert user.check_password(STRONG)
