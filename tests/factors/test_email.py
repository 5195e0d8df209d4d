"""The e-mail factor: confirming the address, and the sign-in code mailed to it."""

from __future__ import annotations

import pytest
from django.core import mail

from pvz.accounts.models import CodePurpose, OneTimeCode
from pvz.accounts.one_time_codes import CodeExhausted, CodeExpired, CodeInvalid
from pvz.audit.models import AuditRecord
from pvz.factors import services
from pvz.factors.models import EmailFactor, FactorMethod
from pvz.factors.selectors import second_factor_method

pytestmark = pytest.mark.django_db

ADDRESS = "ivan@example.ru"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_adding_an_address_mails_a_confirmation_code_after_commit(user, mailed_code):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [ADDRESS]
    assert mail.outbox[0].subject == "Подтверждение e-mail в OpenPVZ"
    assert OneTimeCode.objects.get().purpose == CodePurpose.EMAIL_CONFIRM
    assert len(code) == 6
    assert second_factor_method(user=user) is None  # not a factor until confirmed


def test_the_code_confirms_the_address_and_makes_it_the_second_factor(user, mailed_code):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))

    services.email_factor_confirm(user=user, code=code)

    assert EmailFactor.objects.get(user=user).confirmed_at is not None
    assert second_factor_method(user=user) == FactorMethod.EMAIL
    assert AuditRecord.objects.get(action="factor.enrolled").details == {"method": "email"}


def test_a_confirmation_code_works_at_ten_minutes(user, mailed_code, clock):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    clock.advance(minutes=10)

    services.email_factor_confirm(user=user, code=code)

    assert second_factor_method(user=user) == FactorMethod.EMAIL


def test_a_confirmation_code_has_expired_at_ten_minutes_and_a_second(user, mailed_code, clock):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    clock.advance(minutes=10, seconds=1)

    with pytest.raises(CodeExpired):
        services.email_factor_confirm(user=user, code=code)

    assert second_factor_method(user=user) is None


def test_the_fifth_wrong_confirmation_code_kills_the_code(user, mailed_code):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeInvalid) as raised:
            services.email_factor_confirm(user=user, code=_wrong(code))
        assert raised.value.details == {"attempts_left": left}

    with pytest.raises(CodeExhausted):
        services.email_factor_confirm(user=user, code=_wrong(code))

    assert OneTimeCode.objects.get().attempts == 5
    assert EmailFactor.objects.get(user=user).confirmed_at is None


def test_a_confirmed_address_must_be_removed_before_another_is_set(user, mailed_code):
    code = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    services.email_factor_confirm(user=user, code=code)

    with pytest.raises(services.Conflict):
        services.email_factor_add(user=user, email="other@example.ru")


def test_the_sign_in_code_by_e_mail_works_once(user, mailed_code, clock):
    confirm = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    services.email_factor_confirm(user=user, code=confirm)
    clock.advance(minutes=1)  # one code a minute per purpose; a different purpose anyway

    code = mailed_code(lambda: services.email_second_factor_send(user=user))

    assert mail.outbox[-1].subject == "Код для входа в OpenPVZ"
    assert services.second_factor_verify(user=user, code=code) == FactorMethod.EMAIL
    with pytest.raises(CodeInvalid):
        services.second_factor_verify(user=user, code=code)
    assert AuditRecord.objects.get(action="auth.second_factor_ok").details == {"method": "email"}
    assert AuditRecord.objects.get(action="auth.login_failed").details == {
        "method": "email",
        "error": "CODE_INVALID",
    }


def test_the_sign_in_code_by_e_mail_expires_after_ten_minutes(user, mailed_code, clock):
    confirm = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    services.email_factor_confirm(user=user, code=confirm)
    code = mailed_code(lambda: services.email_second_factor_send(user=user))
    clock.advance(minutes=10, seconds=1)

    with pytest.raises(CodeExpired):
        services.second_factor_verify(user=user, code=code)


def test_no_sign_in_code_is_mailed_without_a_confirmed_address(user, mailed_code):
    with pytest.raises(services.Conflict):
        services.email_second_factor_send(user=user)
    assert mail.outbox == []


def test_removing_the_address_needs_a_mailed_code(user, mailed_code):
    confirm = mailed_code(lambda: services.email_factor_add(user=user, email=ADDRESS))
    services.email_factor_confirm(user=user, code=confirm)
    code = mailed_code(lambda: services.email_second_factor_send(user=user))

    services.factor_remove(user=user, method="email", code=code)

    assert not EmailFactor.objects.filter(user=user).exists()
    assert second_factor_method(user=user) is None


def test_a_malformed_address_is_refused_before_any_code_is_issued(user):
    with pytest.raises(services.DomainError) as raised:
        services.email_factor_add(user=user, email="ivan@")

    assert raised.value.code == "VALIDATION_FAILED"
    assert not OneTimeCode.objects.exists()
