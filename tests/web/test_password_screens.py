"""Screens of the optional password: sign-in with it, «Забыли пароль?», and «Безопасность»."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import SmsMessage, User
from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from tests.factories import UserFactory
from tests.web.conftest import SignIn

pytestmark = pytest.mark.django_db

PHONE = "+79990000042"
STRONG = "Kx7#pLm2vQ"
STRONGER = "Tr4$wNb9zXq"
ERROR_NOTICE = re.compile(r'<div class="notice notice-error".*?</div>', re.S)


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


def sms_code(phone: str = PHONE) -> str:
    text = SmsMessage.objects.filter(phone=phone).values_list("text", flat=True).first()
    assert text is not None, "no SMS was sent"
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)


# ---- sign-in with a password ---------------------------------------------------------------------------


def test_phone_login_page_links_to_password_login_and_recovery(client: Client) -> None:
    html = client.get("/login/").content.decode()

    assert '<a href="/login/password/">Войти с паролем</a>' in html
    assert '<a href="/password/reset/">Забыли пароль?</a>' in html


def test_right_password_signs_in_and_goes_where_the_sign_in_was_headed(
    client: Client, clock: FrozenClock
) -> None:
    user = with_password()

    response = client.post(
        "/login/password/?next=/account/security/", {"phone": "8 999 000-00-42", "password": STRONG}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/security/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["_auth_user_backend"] == "pvz.accounts.backends.PhonePasswordBackend"
    assert client.get("/account/security/").status_code == 200


def test_wrong_password_and_unknown_phone_show_the_same_error(client: Client, clock: FrozenClock) -> None:
    with_password()

    wrong = client.post("/login/password/", {"phone": PHONE, "password": STRONGER})
    unknown = client.post("/login/password/", {"phone": "+79990000043", "password": STRONG})

    assert wrong.status_code == unknown.status_code == 200
    notices = [ERROR_NOTICE.findall(response.content.decode()) for response in (wrong, unknown)]
    assert notices[0] == notices[1]
    assert notices[0] == [
        '<div class="notice notice-error" role="alert" data-error-code="PASSWORD_INVALID">\n'
        '    <p>Неверный телефон или пароль. <code class="code">PASSWORD_INVALID</code></p>\n'
        "    \n  </div>"
    ]
    assert "_auth_user_id" not in client.session
    assert list(AuditRecord.objects.filter(action="auth.login_failed").values_list("details", flat=True)) == [
        {"method": "password"},
        {"method": "password"},
    ]


def test_password_login_needs_the_csrf_token(clock: FrozenClock) -> None:
    with_password()
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/login/password/", {"phone": PHONE, "password": STRONG})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


# ---- recovery ------------------------------------------------------------------------------------------


def test_reset_by_sms_sets_the_password_ends_other_sessions_and_sends_to_login(
    client: Client, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    user = with_password()
    counter_pc = Client()
    counter_pc.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
    assert counter_pc.get("/points/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/password/reset/", {"phone": PHONE})
    assert (asked.status_code, asked["Location"]) == (302, "/password/reset/confirm/")
    done = client.post(
        "/password/reset/confirm/",
        {"code": sms_code(), "new_password": STRONGER, "new_password_again": STRONGER},
    )

    assert (done.status_code, done["Location"]) == (302, "/login/")
    login_page = client.get("/login/").content.decode()
    assert "Пароль изменён. Войдите с новым паролем или по коду из SMS." in login_page
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.check_password(STRONGER)
    after = counter_pc.get("/points/")
    assert after.status_code == 302
    assert after["Location"].startswith("/login/")
    assert AuditRecord.objects.filter(action="auth.password_reset", actor=user).count() == 1


def test_reset_for_an_unknown_phone_looks_the_same_and_sends_nothing(
    client: Client, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password/reset/", {"phone": PHONE})

    assert (response.status_code, response["Location"]) == (302, "/password/reset/confirm/")
    assert SmsMessage.objects.count() == 0
    page = client.get("/password/reset/confirm/").content.decode()
    assert "Если номер +79990000042 зарегистрирован, на него отправлен 6-значный код." in page


def test_reset_with_different_passwords_is_refused_before_the_code_is_tried(
    client: Client, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with_password()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"phone": PHONE})

    response = client.post(
        "/password/reset/confirm/",
        {"code": sms_code(), "new_password": STRONGER, "new_password_again": STRONG},
    )

    assert response.status_code == 200
    assert 'Пароли не совпадают. <code class="code">VALIDATION_FAILED</code>' in response.content.decode()
    assert response.context["form"].errors == {"new_password_again": ["Пароли не совпадают."]}


def test_reset_with_a_weak_password_shows_the_translated_reason(
    client: Client, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with_password()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"phone": PHONE})

    response = client.post(
        "/password/reset/confirm/",
        {"code": sms_code(), "new_password": "1234567890", "new_password_again": "1234567890"},
    )

    html = response.content.decode()
    assert 'data-error-code="PASSWORD_WEAK"' in html
    assert "Введённый пароль состоит только из цифр." in html


def test_reset_confirm_without_a_phone_goes_back_to_the_first_step(client: Client) -> None:
    response = client.get("/password/reset/confirm/")

    assert (response.status_code, response["Location"]) == (302, "/password/reset/")


def test_reset_needs_the_csrf_token(clock: FrozenClock) -> None:
    with_password()
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/password/reset/", {"phone": PHONE})

    assert response.status_code == 403
    assert SmsMessage.objects.count() == 0


# ---- «Безопасность» ------------------------------------------------------------------------------------


def test_security_page_needs_sign_in(client: Client) -> None:
    response = client.get("/account/security/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/account/security/")


def test_security_page_is_linked_from_the_menu_and_holds_the_second_factor_block(
    sign_in: SignIn, clock: FrozenClock
) -> None:
    client = sign_in(UserFactory(phone=PHONE))

    response = client.get("/account/security/")

    html = response.content.decode()
    assert '<a class="btn btn-small" href="/account/security/">Безопасность</a>' in html
    assert 'data-password-state="none"' in html
    assert "web/factors/security_block.html" in [template.name for template in response.templates]


def test_first_password_is_set_with_a_code_from_sms_and_the_session_stays(
    sign_in: SignIn, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    user = UserFactory(phone=PHONE)
    client = sign_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/account/security/code/")
    assert (sent.status_code, sent["Location"]) == (302, "/account/security/")

    response = client.post(
        "/account/security/",
        {"code": sms_code(), "new_password": STRONG, "new_password_again": STRONG},
        follow=True,
    )

    html = response.content.decode()
    assert "Пароль задан. Теперь можно входить по телефону и паролю." in html
    assert 'data-password-state="set"' in html
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_first_password_with_a_wrong_code_is_refused(sign_in: SignIn, clock: FrozenClock) -> None:
    user = UserFactory(phone=PHONE)
    client = sign_in(user)

    response = client.post(
        "/account/security/", {"code": "000000", "new_password": STRONG, "new_password_again": STRONG}
    )

    assert response.status_code == 200
    assert 'data-error-code="CODE_INVALID"' in response.content.decode()
    user.refresh_from_db()
    assert not user.password


def test_change_needs_the_current_password(sign_in: SignIn, clock: FrozenClock) -> None:
    client = sign_in(with_password())

    response = client.post(
        "/account/security/",
        {"current_password": STRONGER, "new_password": STRONGER, "new_password_again": STRONGER},
    )

    html = response.content.decode()
    assert "Текущий пароль введён неверно." in html
    assert 'data-error-code="PASSWORD_INVALID"' in html


def test_change_keeps_this_session_signed_in(sign_in: SignIn, clock: FrozenClock) -> None:
    user = with_password()
    client = sign_in(user)

    response = client.post(
        "/account/security/",
        {"current_password": STRONG, "new_password": STRONGER, "new_password_again": STRONGER},
        follow=True,
    )

    assert response.redirect_chain == [("/account/security/", 302)]
    assert "Пароль изменён." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONGER)


def test_change_to_a_nine_character_password_is_refused_as_weak(sign_in: SignIn, clock: FrozenClock) -> None:
    client = sign_in(with_password())

    response = client.post(
        "/account/security/",
        {"current_password": STRONG, "new_password": "Tr4$wNb9z", "new_password_again": "Tr4$wNb9z"},
    )

    html = response.content.decode()
    assert 'data-error-code="PASSWORD_WEAK"' in html
    assert "Введённый пароль слишком короткий. Он должен состоять из как минимум 10 символов." in html


def test_security_page_posts_need_the_csrf_token(clock: FrozenClock) -> None:
    user = with_password()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")

    change = browser.post(
        "/account/security/",
        {"current_password": STRONG, "new_password": STRONGER, "new_password_again": STRONGER},
    )
    code = browser.post("/account/security/code/")

    assert (change.status_code, code.status_code) == (403, 403)
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_reset_from_a_signed_in_browser_signs_that_browser_out_too(
    sign_in: SignIn, clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    user = with_password()
    client = sign_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"phone": PHONE})

    done = client.post(
        "/password/reset/confirm/",
        {"code": sms_code(), "new_password": STRONGER, "new_password_again": STRONGER},
    )

    assert (done.status_code, done["Location"]) == (302, "/login/")
    assert "_auth_user_id" not in client.session
    assert (
        "Пароль изменён. Войдите с новым паролем или по коду из SMS."
        in client.get("/login/").content.decode()
    )
