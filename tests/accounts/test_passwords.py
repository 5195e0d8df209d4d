"""The optional password: strength, set and change, sign-in, and recovery by an SMS code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import global_settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.sessions.models import Session
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import CodePurpose, OneTimeCode, SmsMessage, User
from pvz.accounts.passwords import (
    password_change,
    password_check_strength,
    password_is_set,
    password_login_verify,
    password_reset_confirm,
    password_reset_request,
    password_set,
)
from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode
from pvz.guard.models import AuthFailure
from pvz.usersessions.models import UserSession, session_key_hash
from tests.accounts.conftest import PHONE, wrong
from tests.factories import UserFactory

STRONG = "Kx7#pLm2vQ"  # 10 characters, not common, not numeric, like no phone or name
STRONGER = "Tr4$wNb9zXq"


class CountingHasher(MD5PasswordHasher):
    """A fast hasher that counts how often a password was hashed (real runs of the hasher)."""

    runs = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.runs += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def fast_hasher(settings: Settings) -> Iterator[None]:
    """PBKDF2 with a million rounds costs most of a second a hash; only the hasher test needs the real one."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.runs = 0
    yield


@pytest.fixture(autouse=True)
def generous_lockout(settings: Settings) -> None:
    """The guard's lockout is its own subject; tests of it set the threshold they need."""
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 100
    settings.PVZ_LOCKOUT_IP_FAILURES = 100


@pytest.fixture
def reset_code(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Callable[..., str]:
    """Ask for a password code as a person would and read it from the SMS they got."""

    def ask(phone: str = PHONE) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            password_reset_request(phone=phone)
        text = SmsMessage.objects.filter(phone=phone).values_list("text", flat=True).first()
        assert text is not None, "no SMS was sent"
        found = re.search(r"\b(\d{6})\b", text)
        assert found is not None, text
        return found.group(1)

    return ask


def refused(call: Callable[..., Any], **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def with_password(password: str = STRONG, **kwargs: Any) -> User:
    user = UserFactory(phone=PHONE, **kwargs)
    user.set_password(password)
    user.save()
    return user


# ---- strength ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nine_characters_are_refused_as_weak() -> None:
    error = refused(password_check_strength, password="Kx7#pLm2v", user=UserFactory())

    assert error.code == ErrorCode.PASSWORD_WEAK
    assert error.http_status == 422
    assert error.details["reasons"] == ["password_too_short"]
    assert str(error.message) == (
        "Введённый пароль слишком короткий. Он должен состоять из как минимум 10 символов."
    )


@pytest.mark.django_db
def test_ten_characters_are_accepted_when_not_common() -> None:
    password_check_strength(password=STRONG, user=UserFactory())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("qwertyuiop", "password_too_common"),
        ("8406172953", "password_entirely_numeric"),
        ("+79161234567", "password_too_similar"),
        ("анастасия кузнецова", "password_too_similar"),
    ],
)
def test_common_numeric_and_personal_passwords_are_refused(password: str, reason: str) -> None:
    user = UserFactory(phone="+79161234567", full_name="Анастасия Кузнецова")

    error = refused(password_check_strength, password=password, user=user)

    assert error.code == ErrorCode.PASSWORD_WEAK
    assert reason in error.details["reasons"]


# ---- first password ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_users_start_without_a_password() -> None:
    assert not password_is_set(User.objects.create_user("+79160000001"))


@pytest.mark.django_db
def test_first_password_is_set_with_a_fresh_code_and_hashed_with_the_default_hasher(
    clock: FrozenClock, reset_code: Callable[..., str], settings: Settings
) -> None:
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # Django's default: PBKDF2 first
    user = UserFactory(phone=PHONE)

    password_set(user=user, code=reset_code(), new_password=STRONG)

    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.check_password(STRONG)
    assert OneTimeCode.objects.get(purpose=CodePurpose.PASSWORD_RESET).used_at == clock.now()
    record = AuditRecord.objects.get(action="auth.password_set")
    assert (record.actor_id, record.details) == (user.pk, {})
    assert STRONG not in str(list(AuditRecord.objects.values()))


@pytest.mark.django_db
def test_first_password_needs_the_right_code(clock: FrozenClock, reset_code: Callable[..., str]) -> None:
    user = UserFactory(phone=PHONE)
    code = reset_code()

    error = refused(password_set, user=user, code=wrong(code), new_password=STRONG)

    assert (error.code, error.details) == (ErrorCode.CODE_INVALID, {"attempts_left": 4})
    user.refresh_from_db()
    assert not password_is_set(user)


@pytest.mark.django_db
def test_a_weak_first_password_does_not_spend_the_code(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = UserFactory(phone=PHONE)
    code = reset_code()

    assert (
        refused(password_set, user=user, code=code, new_password="Kx7#pLm2v").code == ErrorCode.PASSWORD_WEAK
    )
    password_set(user=user, code=code, new_password=STRONG)

    assert user.check_password(STRONG)


@pytest.mark.django_db
def test_setting_a_first_password_twice_is_a_conflict(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = with_password()

    error = refused(password_set, user=user, code=reset_code(), new_password=STRONGER)

    assert error.code == ErrorCode.CONFLICT
    assert user.check_password(STRONG)


# ---- change --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_change_with_the_current_password_replaces_it(clock: FrozenClock) -> None:
    user = with_password()

    password_change(user=user, current_password=STRONG, new_password=STRONGER)

    user.refresh_from_db()
    assert user.check_password(STRONGER)
    assert not user.check_password(STRONG)
    assert AuditRecord.objects.filter(action="auth.password_changed", actor=user).count() == 1


@pytest.mark.django_db
def test_change_with_a_wrong_current_password_is_refused_and_counted(clock: FrozenClock) -> None:
    user = with_password()

    error = refused(
        password_change, user=user, current_password=STRONGER, new_password=STRONGER, ip="10.0.0.9"
    )

    assert (error.code, error.http_status) == (ErrorCode.PASSWORD_INVALID, 400)
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert AuthFailure.objects.filter(kind="password", key=PHONE).count() == 1
    assert AuditRecord.objects.filter(action="auth.password_change_failed", actor=user).count() == 1


@pytest.mark.django_db
def test_change_to_a_weak_password_keeps_the_old_one(clock: FrozenClock) -> None:
    user = with_password()

    error = refused(password_change, user=user, current_password=STRONG, new_password="qwertyuiop")

    assert error.code == ErrorCode.PASSWORD_WEAK
    user.refresh_from_db()
    assert user.check_password(STRONG)


# ---- sign-in -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_right_password_signs_in_with_the_phone_in_any_format(clock: FrozenClock) -> None:
    user = with_password()

    assert password_login_verify(phone="8 916 123-45-67", password=STRONG) == user


def _no_password() -> None:
    UserFactory(phone=PHONE)


def _inactive() -> None:
    with_password(is_active=False)


def _wrong_password() -> None:
    with_password(STRONGER)


@pytest.mark.django_db
@pytest.mark.parametrize("given", [_wrong_password, _no_password, _inactive, lambda: None])
def test_wrong_password_no_password_inactive_and_unknown_phone_get_one_answer_after_one_hash(
    clock: FrozenClock, given: Callable[[], None]
) -> None:
    given()
    CountingHasher.runs = 0

    error = refused(password_login_verify, phone=PHONE, password=STRONG)

    assert (error.code, str(error.message), error.details) == (
        ErrorCode.PASSWORD_INVALID,
        "Неверный телефон или пароль.",
        {},
    )
    assert CountingHasher.runs == 1
    record = AuditRecord.objects.get(action="auth.login_failed")
    assert (record.actor_phone, record.details) == (PHONE, {"method": "password"})


@pytest.mark.django_db
def test_fifth_wrong_password_locks_the_phone_out_even_for_the_right_one(
    clock: FrozenClock, settings: Settings
) -> None:
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 5
    with_password()
    for _ in range(4):
        refused(password_login_verify, phone=PHONE, password=STRONGER)
    assert password_login_verify(phone=PHONE, password=STRONG).phone == PHONE  # a success clears the count
    for _ in range(5):
        assert (
            refused(password_login_verify, phone=PHONE, password=STRONGER).code == ErrorCode.PASSWORD_INVALID
        )

    error = refused(password_login_verify, phone=PHONE, password=STRONG)

    assert (error.code, error.details) == (ErrorCode.LOCKED_OUT, {"retry_after": 60})


# ---- recovery ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reset_code_goes_by_sms_to_a_registered_phone(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    UserFactory(phone=PHONE)

    code = reset_code()

    assert SmsMessage.objects.get().text == f"Код для смены пароля OpenPVZ: {code}. Никому не сообщайте его."
    assert AuditRecord.objects.get(action="auth.code_sent").details == {"purpose": "password_reset"}


@pytest.mark.django_db
def test_reset_for_an_unknown_phone_answers_the_same_and_sends_nothing(
    clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert password_reset_request(phone=PHONE) is None

    assert SmsMessage.objects.count() == 0
    assert OneTimeCode.objects.filter(phone=PHONE, purpose=CodePurpose.PASSWORD_RESET).count() == 1
    error = refused(password_reset_confirm, phone=PHONE, code="123456", new_password=STRONG)
    assert error.code == ErrorCode.CODE_INVALID


@pytest.mark.django_db
def test_reset_sets_the_password_spends_the_code_and_is_audited(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = with_password()
    code = reset_code()

    password_reset_confirm(phone=PHONE, code=code, new_password=STRONGER)

    user.refresh_from_db()
    assert user.check_password(STRONGER)
    assert AuditRecord.objects.filter(action="auth.password_reset", actor=user).count() == 1
    again = refused(password_reset_confirm, phone=PHONE, code=code, new_password=STRONG)
    assert again.code == ErrorCode.CODE_INVALID
    user.refresh_from_db()
    assert user.check_password(STRONGER)


@pytest.mark.django_db
def test_reset_code_is_valid_at_exactly_ten_minutes(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = UserFactory(phone=PHONE)
    code = reset_code()

    clock.advance(minutes=10)
    password_reset_confirm(phone=PHONE, code=code, new_password=STRONG)

    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.django_db
def test_reset_code_has_expired_one_second_after_ten_minutes(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = UserFactory(phone=PHONE)
    code = reset_code()

    clock.advance(minutes=10, seconds=1)
    error = refused(password_reset_confirm, phone=PHONE, code=code, new_password=STRONG)

    assert error.code == ErrorCode.CODE_EXPIRED
    user.refresh_from_db()
    assert not password_is_set(user)


@pytest.mark.django_db
def test_fifth_wrong_reset_code_kills_it(clock: FrozenClock, reset_code: Callable[..., str]) -> None:
    UserFactory(phone=PHONE)
    code = reset_code()
    answers = [
        refused(password_reset_confirm, phone=PHONE, code=wrong(code), new_password=STRONG).code
        for _ in range(5)
    ]

    error = refused(password_reset_confirm, phone=PHONE, code=code, new_password=STRONG)

    assert answers == [ErrorCode.CODE_INVALID] * 4 + [ErrorCode.CODE_EXHAUSTED]
    assert error.code == ErrorCode.CODE_EXHAUSTED
    assert AuthFailure.objects.filter(kind="password_reset", key=PHONE).count() == 6


@pytest.mark.django_db
def test_a_weak_new_password_does_not_spend_the_reset_code(
    clock: FrozenClock, reset_code: Callable[..., str]
) -> None:
    user = UserFactory(phone=PHONE)
    code = reset_code()

    assert refused(password_reset_confirm, phone=PHONE, code=code, new_password="1234567890").code == (
        ErrorCode.PASSWORD_WEAK
    )
    password_reset_confirm(phone=PHONE, code=code, new_password=STRONG)

    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.django_db
def test_reset_ends_every_session_of_the_user(clock: FrozenClock, reset_code: Callable[..., str]) -> None:
    user = UserFactory(phone=PHONE)
    other = UserFactory()
    sessions = []
    for owner in (user, user, other):
        session = Session.objects.create(
            session_key=f"key{len(sessions)}", session_data="", expire_date=clock.now().replace(year=2027)
        )
        UserSession.objects.create(
            user=owner,
            session_key=session.session_key,
            key_hash=session_key_hash(session.session_key),
            created_at=clock.now(),
        )
        sessions.append(session.session_key)
    code = reset_code()

    password_reset_confirm(phone=PHONE, code=code, new_password=STRONG)

    assert list(Session.objects.values_list("session_key", flat=True)) == [sessions[2]]
    assert list(UserSession.objects.filter(user=user).values_list("end_reason", flat=True)) == [
        "password_reset",
        "password_reset",
    ]


# ---- authentication backend ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_django_authenticate_with_phone_and_password_returns_the_user(clock: FrozenClock) -> None:
    user = with_password()

    assert authenticate(None, phone=PHONE, password=STRONG) == user


@pytest.mark.django_db
def test_django_authenticate_refuses_a_wrong_password_through_the_guard(clock: FrozenClock) -> None:
    with_password()

    error = refused(authenticate, request=None, phone=PHONE, password=STRONGER)

    assert error.code == ErrorCode.PASSWORD_INVALID
    assert AuthFailure.objects.filter(kind="password", key=PHONE).count() == 1
