"""One-time codes of staff accounts, whatever they are for (login, password reset, e-mail confirmation,
e-mail second factor): issued with rate limits, kept as keyed hashes, spent once, attempt-limited.

Every kind follows one rule: 6 digits, valid 10 minutes, single use, 5 wrong tries kill the code, a new
code retires the older ones of the same phone and purpose, at most one code a minute and five an hour per
phone and purpose. The caller decides where the digits go (SMS or e-mail) and who may ask.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import OneTimeCode
from pvz.core import clock
from pvz.core.codes import code_hash, code_matches, code_new, code_retry_after
from pvz.core.errors import DomainError, ErrorCode, RateLimited

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)
CODES_PER_WINDOW = 5
RATE_WINDOW = dt.timedelta(hours=1)


class CodeInvalid(DomainError):
    code = ErrorCode.CODE_INVALID
    default_message = _("Неверный код. Проверьте цифры из SMS или запросите новый код.")


class CodeExpired(DomainError):
    code = ErrorCode.CODE_EXPIRED
    default_message = _("Срок действия кода истёк. Запросите новый код.")


class CodeExhausted(DomainError):
    code = ErrorCode.CODE_EXHAUSTED
    default_message = _("Код введён неверно слишком много раз и больше не действует. Запросите новый код.")


def otp_retry_after(*, phone: str, purpose: str, now: dt.datetime) -> int | None:
    """Whole seconds until `phone` may get another code for `purpose`, or None when it may get one now."""
    recent = list(
        OneTimeCode.objects.filter(phone=phone, purpose=purpose, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    return code_retry_after(
        recent, now=now, resend_interval=RESEND_INTERVAL, window=RATE_WINDOW, per_window=CODES_PER_WINDOW
    )


def otp_issue(*, phone: str, purpose: str, ip: str | None = None) -> tuple[OneTimeCode, str]:
    """A new code for (`phone`, `purpose`) and its digits, or RateLimited with `retry_after`.

    Call inside the caller's transaction, after locking whatever serialises requests for that phone (the
    user row), so two requests cannot both slip under the limit. The digits are never stored.
    """
    now = clock.now()
    retry_after = otp_retry_after(phone=phone, purpose=purpose, now=now)
    if retry_after is not None:
        raise RateLimited(
            _("Новый код можно запросить через %(seconds)s с.") % {"seconds": retry_after},
            details={"retry_after": retry_after},
        )
    digits = code_new()
    otp = OneTimeCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=code_hash(phone, purpose, code=digits),
        created_at=now,
        expires_at=now + CODE_TTL,
        ip=ip,
    )
    return otp, digits


def otp_spend(*, phone: str, purpose: str, code: str) -> OneTimeCode | DomainError:
    """The spent code when `code` matches the newest code of (`phone`, `purpose`), else the error to raise.

    A wrong try is counted on the row, so the caller must commit before raising the returned error (run
    this in its own `transaction.atomic()` and raise outside it), or the attempt limit would not hold.
    """
    now = clock.now()
    otp = (
        OneTimeCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )
    if otp is None or otp.used_at is not None:
        return CodeInvalid()
    if otp.attempts >= CODE_MAX_ATTEMPTS:
        return CodeExhausted()
    if now > otp.expires_at:
        return CodeExpired()
    if not code_matches(otp.code_hash, phone, otp.purpose, code=code):
        otp.attempts += 1
        otp.save(update_fields=["attempts"])
        attempts_left = CODE_MAX_ATTEMPTS - otp.attempts
        if attempts_left == 0:
            return CodeExhausted()
        return CodeInvalid(
            _("Неверный код. Осталось попыток: %(left)s.") % {"left": attempts_left},
            details={"attempts_left": attempts_left},
        )
    otp.used_at = now
    otp.save(update_fields=["used_at"])
    return otp


def otp_verify(*, phone: str, purpose: str, code: str) -> OneTimeCode:
    """`otp_spend` with the attempt committed before its error is raised; not inside an outer atomic block."""
    with transaction.atomic():
        outcome = otp_spend(phone=phone, purpose=purpose, code=code)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome
