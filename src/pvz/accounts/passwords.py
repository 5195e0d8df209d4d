"""The optional staff password: setting, changing, signing in with it, and resetting it by an SMS code.

Users start without one (phone + SMS code is always enough). A password is strength-checked by
`AUTH_PASSWORD_VALIDATORS`, hashed by Django's default hasher and never logged. Every wrong password or
code is counted by the anomalies guard (lockout with backoff) and committed before its error is raised.
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import CodePurpose, User
from pvz.accounts.one_time_codes import CodeInvalid, otp_spend
from pvz.accounts.sms_codes import sms_code_issue
from pvz.audit.services import audit_record
from pvz.core.errors import Conflict, DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.guard.services import attempt_check, attempt_failed, attempt_succeeded
from pvz.usersessions.models import EndReason
from pvz.usersessions.services import user_sessions_end

log = get_logger(__name__)

# Guard kinds (pvz.guard.services): wrong passwords, and wrong password-reset codes.
GUARD_PASSWORD = "password"  # noqa: S105 (a guard kind, not a secret)
GUARD_RESET = "password_reset"


class PasswordWeak(DomainError):
    code = ErrorCode.PASSWORD_WEAK
    default_message = _("Пароль слишком простой.")


class PasswordInvalid(DomainError):
    code = ErrorCode.PASSWORD_INVALID
    default_message = _("Неверный телефон или пароль.")


class CurrentPasswordInvalid(DomainError):
    code = ErrorCode.PASSWORD_INVALID
    default_message = _("Текущий пароль введён неверно.")


def password_is_set(user: User) -> bool:
    """Whether `user` may sign in with a password: users start with an unusable one (`create_user`), and
    an empty one (a row made without the manager) counts as none too."""
    return bool(user.password) and user.has_usable_password()


def password_check_strength(*, password: str, user: User | None) -> None:
    """Raise PasswordWeak listing every validator's complaint (details: `reasons`, their stable codes)."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        messages = [str(message) for message in error.messages]
        reasons = [item.code for item in error.error_list if item.code]
        raise PasswordWeak(" ".join(messages), details={"reasons": reasons, "messages": messages}) from None


def password_reset_request(*, phone: str, ip: str | None = None) -> None:
    """Issue a password code for `phone` and text it after commit (the same limits as login codes).

    A phone without an active user gets the same answer and the same limits but no SMS. The code serves
    both the reset from the login page and setting the first password on «Безопасность».
    """
    phone = normalize_phone(phone)
    message = _("Код для смены пароля OpenPVZ: %(code)s. Никому не сообщайте его.")
    otp, user = sms_code_issue(phone=phone, purpose=CodePurpose.PASSWORD_RESET, ip=ip, message=message)
    log.info("password_code_issued", code_id=otp.pk, ip=ip, sent=user is not None)


def _spend_reset_code(*, phone: str, code: str, user: User | None, ip: str | None) -> None:
    """Spend the newest password code of `phone`, or save the failed try and count it, then raise.

    Not inside an outer transaction, which the error would roll back with the counted try. The caller has
    run `attempt_check` first."""
    with transaction.atomic():
        outcome = otp_spend(phone=phone, purpose=CodePurpose.PASSWORD_RESET, code=code)
        if not isinstance(outcome, DomainError) and user is None:
            outcome = CodeInvalid()  # a right guess for an unknown phone reveals nothing
        if isinstance(outcome, DomainError):
            audit_record(
                action="auth.password_code_failed", actor_phone=phone, details={"error": str(outcome.code)}
            )
    if isinstance(outcome, DomainError):
        attempt_failed(kind=GUARD_RESET, phone=phone, ip=ip)
        raise outcome


def _password_write(*, user: User, new_password: str, action: str, guard: str) -> User:
    """Store the checked `new_password`, audit and log it as `action`, and clear the `guard` failures."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(action=action, actor=user, obj=user)
    attempt_succeeded(kind=guard, phone=user.phone)
    log.info(action.removeprefix("auth."), user_id=user.pk)
    return user


def password_set(*, user: User, code: str, new_password: str, ip: str | None = None) -> User:
    """Give `user` their first password. Needs a fresh password code sent to their phone, so a session
    left open on a counter PC cannot plant a password; a user who has one changes it instead."""
    if password_is_set(user):
        raise Conflict(_("Пароль уже задан. Чтобы сменить его, введите текущий пароль."))
    attempt_check(kind=GUARD_RESET, phone=user.phone, ip=ip)
    password_check_strength(password=new_password, user=user)
    _spend_reset_code(phone=user.phone, code=code, user=user, ip=ip)
    return _password_write(
        user=user, new_password=new_password, action="auth.password_set", guard=GUARD_RESET
    )


def password_change(*, user: User, current_password: str, new_password: str, ip: str | None = None) -> User:
    """Replace the password of `user` when `current_password` is right; a wrong one counts towards the
    password lockout like a wrong sign-in, so a stolen session cannot guess it."""
    if not password_is_set(user):
        raise Conflict(_("Пароль ещё не задан."))
    attempt_check(kind=GUARD_PASSWORD, phone=user.phone, ip=ip)
    if not user.check_password(current_password):
        audit_record(action="auth.password_change_failed", actor=user, obj=user)
        attempt_failed(kind=GUARD_PASSWORD, phone=user.phone, ip=ip)
        raise CurrentPasswordInvalid()
    password_check_strength(password=new_password, user=user)
    return _password_write(
        user=user, new_password=new_password, action="auth.password_changed", guard=GUARD_PASSWORD
    )


def password_login_verify(*, phone: str, password: str, ip: str | None = None) -> User:
    """The active user of `phone` whose password is `password`, else PasswordInvalid.

    An unknown phone, a user without a password, a deactivated user and a wrong password give one and
    the same error after one run of the hasher each, so neither the answer nor its timing tells them apart.
    """
    phone = normalize_phone(phone)
    attempt_check(kind=GUARD_PASSWORD, phone=phone, ip=ip)
    user = User.objects.filter(phone=phone, is_active=True).first()
    if user is not None:
        matches = user.check_password(password)  # an unusable password still runs the hasher once
    else:
        matches = check_password(password, make_password(None))
    if not matches or user is None:
        audit_record(action="auth.login_failed", actor_phone=phone, details={"method": "password"})
        attempt_failed(kind=GUARD_PASSWORD, phone=phone, ip=ip)
        log.info("password_login_refused", ip=ip)
        raise PasswordInvalid()
    attempt_succeeded(kind=GUARD_PASSWORD, phone=phone)
    log.info("password_login_accepted", user_id=user.pk, ip=ip)
    return user


def password_reset_confirm(*, phone: str, code: str, new_password: str, ip: str | None = None) -> User:
    """Set a new password for the active user of `phone` with the password code sent there, spend the
    code and end every session of the user (they sign in again, with the new password or a code)."""
    phone = normalize_phone(phone)
    attempt_check(kind=GUARD_RESET, phone=phone, ip=ip)
    user = User.objects.filter(phone=phone, is_active=True).first()
    password_check_strength(password=new_password, user=user)
    # The code is spent first, in its own transaction: a wrong try must stay counted.
    _spend_reset_code(phone=phone, code=code, user=user, ip=ip)
    assert user is not None  # an unknown phone was refused as a wrong code
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(action="auth.password_reset", actor=user, obj=user)
        ended = user_sessions_end(user=user, reason=EndReason.PASSWORD_RESET)
    attempt_succeeded(kind=GUARD_RESET, phone=phone)
    attempt_succeeded(kind=GUARD_PASSWORD, phone=phone)
    log.info("password_reset", user_id=user.pk, sessions_ended=ended)
    return user
