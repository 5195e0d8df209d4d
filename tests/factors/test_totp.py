"""Authenticator apps: enrolment, the accepted time window, replay, backup codes."""

from __future__ import annotations

import pyotp
import pytest

from pvz.audit.models import AuditRecord
from pvz.factors import services
from pvz.factors.models import BackupCode, FactorMethod, TotpDevice
from pvz.factors.selectors import factor_summary, second_factor_method
from pvz.factors.totp import totp_matching_step
from pvz.guard.services import LockedOut

pytestmark = pytest.mark.django_db


def test_enrolment_gives_ten_distinct_backup_codes_and_makes_the_app_the_second_factor(user, enrol):
    _app, codes = enrol(user)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert second_factor_method(user=user) == FactorMethod.TOTP
    summary = factor_summary(user=user)
    assert (summary.totp, summary.totp_pending, summary.backup_codes_left) == (True, False, 10)
    record = AuditRecord.objects.get(action="factor.enrolled")
    assert record.details == {"method": "totp"}
    assert record.actor == user


def test_the_secret_is_stored_encrypted_and_not_shown_after_confirmation(user, clock):
    enrolment = services.totp_enrol_start(user=user)
    assert enrolment.uri.startswith("otpauth://totp/OpenPVZ:%2B79161112233?secret=")
    device = TotpDevice.objects.get(user=user)
    assert enrolment.secret not in device.secret_encrypted

    services.totp_enrol_confirm(user=user, code=pyotp.TOTP(enrolment.secret).at(clock.now()))

    assert services.totp_enrolment_pending(user=user) is None


def test_enrolment_refuses_a_wrong_code_and_stays_unconfirmed(user, clock):
    enrolment = services.totp_enrol_start(user=user)
    right = pyotp.TOTP(enrolment.secret).at(clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    with pytest.raises(services.FactorCodeInvalid):
        services.totp_enrol_confirm(user=user, code=wrong)

    assert TotpDevice.objects.get(user=user).confirmed_at is None
    assert second_factor_method(user=user) is None


def test_a_code_of_the_current_step_signs_in_and_is_audited(user, enrol):
    app, _codes = enrol(user)

    assert services.second_factor_verify(user=user, code=app.code()) == FactorMethod.TOTP

    record = AuditRecord.objects.get(action="auth.second_factor_ok")
    assert record.details == {"method": "totp"}


def test_the_code_of_the_previous_step_is_accepted(user, enrol, clock):
    app, _codes = enrol(user)
    clock.advance(seconds=30)  # the enrolment used step -1; now -1 is two back, 0 is the previous one

    assert services.second_factor_verify(user=user, code=app.code(-1)) == FactorMethod.TOTP


def test_the_code_of_the_next_step_is_accepted(user, enrol):
    app, _codes = enrol(user)

    assert services.second_factor_verify(user=user, code=app.code(+1)) == FactorMethod.TOTP


def test_a_code_two_steps_back_is_refused_and_audited_as_failed(user, enrol, clock):
    app, _codes = enrol(user)
    clock.advance(seconds=60)

    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=app.code(-2))

    record = AuditRecord.objects.get(action="auth.login_failed")
    assert record.details == {"method": "totp", "error": "CODE_INVALID"}


def test_a_code_two_steps_ahead_is_refused(user, enrol):
    app, _codes = enrol(user)

    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=app.code(+2))


def test_the_same_code_is_refused_the_second_time(user, enrol):
    app, _codes = enrol(user)
    code = app.code()
    services.second_factor_verify(user=user, code=code)

    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=code)


def test_after_a_newer_step_was_used_an_older_step_is_refused(user, enrol):
    app, _codes = enrol(user)
    services.second_factor_verify(user=user, code=app.code(+1))

    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=app.code())


def test_the_step_used_to_confirm_enrolment_cannot_sign_in(user, enrol):
    app, _codes = enrol(user)  # confirmed with the code of step -1

    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=app.code(-1))


def test_matching_ignores_spaces_and_refuses_other_shapes(clock):
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(clock.now())
    step = pyotp.TOTP(secret).timecode(clock.now())

    assert totp_matching_step(secret, f"{code[:3]} {code[3:]}", at=clock.now(), after_step=None) == step
    assert totp_matching_step(secret, code + "0", at=clock.now(), after_step=None) is None
    assert totp_matching_step(secret, code, at=clock.now(), after_step=step) is None


def test_a_backup_code_signs_in_once(user, enrol):
    _app, codes = enrol(user)

    assert services.second_factor_verify(user=user, code=codes[3].upper()) == FactorMethod.BACKUP
    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=codes[3])

    assert factor_summary(user=user).backup_codes_left == 9
    assert AuditRecord.objects.get(action="auth.second_factor_ok").details == {"method": "backup"}
    assert AuditRecord.objects.get(action="auth.login_failed").details == {
        "method": "backup",
        "error": "CODE_INVALID",
    }


def test_backup_codes_are_stored_hashed(user, enrol):
    _app, codes = enrol(user)

    stored = set(BackupCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}


def test_regenerating_backup_codes_voids_the_old_ones(user, enrol):
    _app, old = enrol(user)

    new = services.backup_codes_regenerate(user=user)

    assert not set(new) & set(old)
    with pytest.raises(services.FactorCodeInvalid):
        services.second_factor_verify(user=user, code=old[0])
    assert services.second_factor_verify(user=user, code=new[0]) == FactorMethod.BACKUP
    assert AuditRecord.objects.filter(action="factor.backup_codes_regenerated").count() == 1


def test_backup_codes_need_an_app(user):
    with pytest.raises(services.Conflict):
        services.backup_codes_regenerate(user=user)


def test_the_guard_locks_the_phone_out_at_the_nth_wrong_code_even_for_the_right_code(user, enrol, settings):
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 5
    app, _codes = enrol(user)
    for _attempt in range(4):
        with pytest.raises(services.FactorCodeInvalid):
            services.second_factor_verify(user=user, code="zzzzz-zzzzz")
    # four failures do not lock yet: a right code still works, and clears the phone's count
    assert services.second_factor_verify(user=user, code=app.code()) == FactorMethod.TOTP

    for _attempt in range(5):
        with pytest.raises(services.FactorCodeInvalid):
            services.second_factor_verify(user=user, code="zzzzz-zzzzz")
    with pytest.raises(LockedOut):
        services.second_factor_verify(user=user, code=app.code(+1))


def test_a_second_app_needs_the_first_removed(user, enrol):
    enrol(user)

    with pytest.raises(services.Conflict):
        services.totp_enrol_start(user=user)


def test_removing_the_app_needs_a_current_code_and_takes_the_backup_codes(user, enrol):
    app, _codes = enrol(user)
    with pytest.raises(services.FactorCodeInvalid):
        services.factor_remove(user=user, method="totp", code="")
    assert TotpDevice.objects.filter(user=user).exists()

    services.factor_remove(user=user, method="totp", code=app.code())

    assert not TotpDevice.objects.filter(user=user).exists()
    assert not BackupCode.objects.filter(user=user).exists()
    assert AuditRecord.objects.get(action="factor.removed").details == {"method": "totp"}


def test_an_unfinished_enrolment_is_dropped_without_a_code(user):
    services.totp_enrol_start(user=user)

    services.factor_remove(user=user, method="totp", code="")

    assert not TotpDevice.objects.filter(user=user).exists()


def test_removing_a_factor_the_person_does_not_have_changes_nothing(user):
    services.factor_remove(user=user, method="email", code="")

    assert not AuditRecord.objects.filter(action="factor.removed").exists()
