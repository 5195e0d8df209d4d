from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from pvz.accounts.backends import PhoneCodeBackend
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode
from tests.accounts.conftest import PHONE, wrong
from tests.factories import UserFactory

RequestCode = Callable[..., str]


@pytest.mark.django_db
def test_django_authenticate_accepts_phone_and_code(clock: FrozenClock, request_code: RequestCode) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    assert authenticate(None, phone="8 916 123 45 67", code=code) == user


@pytest.mark.django_db
def test_refused_code_reaches_the_caller_as_its_domain_error(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    UserFactory(phone=PHONE)
    code = request_code()

    with pytest.raises(DomainError) as caught:
        authenticate(None, phone=PHONE, code=wrong(code))

    assert caught.value.code == ErrorCode.CODE_INVALID
    assert caught.value.details == {"attempts_left": 4}


@pytest.mark.django_db
def test_password_credentials_are_left_to_other_backends(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)

    assert PhoneCodeBackend().authenticate(None, username=PHONE, password="secret") is None
    assert authenticate(None, username=PHONE, password="secret") is None


@pytest.mark.django_db
def test_login_by_code_starts_a_session_for_that_user(
    clock: FrozenClock, request_code: RequestCode, client: Client
) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    assert client.login(phone=PHONE, code=code) is True
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["_auth_user_backend"] == "pvz.accounts.backends.PhoneCodeBackend"


@pytest.mark.django_db
def test_get_user_returns_only_active_users() -> None:
    active = UserFactory(phone=PHONE)
    blocked = UserFactory(phone="+79035550101", is_active=False)
    backend = PhoneCodeBackend()

    assert backend.get_user(active.pk) == active
    assert backend.get_user(blocked.pk) is None
    assert backend.get_user(999_999) is None


@pytest.mark.django_db
def test_username_and_the_right_password_sign_nobody_in(clock: FrozenClock) -> None:
    """Django's username + password path would check the password with no lockout and no second factor;
    the one password sign-in is `phone=` + `password=` (pvz.accounts.passwords)."""
    user = UserFactory(phone=PHONE)
    user.set_password("ровно-десять-знаков-и-ещё")
    user.save()

    assert authenticate(None, username=PHONE, password="ровно-десять-знаков-и-ещё") is None
    assert authenticate(None, phone=PHONE, password="ровно-десять-знаков-и-ещё") == user
