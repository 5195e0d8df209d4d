"""Writes on second factors: enrolling and removing them, the sign-in step that checks one, and the
owners' rule for their points.

Every code a person types here (an e-mail code, an authenticator code, a backup code) goes through the
"second_factor" guard of `pvz.guard.services`: a locked-out phone is refused before any check, and a
wrong code is counted in its own transaction before the error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import CodePurpose, User
from pvz.accounts.one_time_codes import CodeInvalid, otp_issue, otp_spend
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.codes import code_hash
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, ErrorCode, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.factors.models import BackupCode, EmailFactor, FactorMethod, PointFactorPolicy, TotpDevice
from pvz.factors.sealing import secret_open, secret_seal
from pvz.factors.selectors import second_factor_method, second_factor_required
from pvz.factors.totp import (
    BACKUP_CODE_COUNT,
    backup_code_new,
    backup_code_normalize,
    looks_like_totp,
    totp_matching_step,
    totp_new_secret,
    totp_uri,
)
from pvz.guard.services import attempt_check, attempt_failed, attempt_succeeded
from pvz.network.models import PickupPoint

log = get_logger(__name__)
GUARD_KIND = "second_factor"


class FactorCodeInvalid(CodeInvalid):
    default_message = _("Неверный код. Проверьте код в приложении, резервный код или код из письма.")


class FactorLast(DomainError):
    code = ErrorCode.CONFLICT
    default_message = _(
        "Это ваш единственный второй фактор, а на вашей точке он обязателен. Сначала подключите другой."
    )


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str


# --- e-mail -------------------------------------------------------------------------------------------


def _send_code_mail(*, user: User, email: str, code: str, purpose: str) -> None:
    with translation.override(user.language or translation.get_language()):
        if purpose == CodePurpose.EMAIL_CONFIRM:
            subject = str(_("Подтверждение e-mail в OpenPVZ"))
            body = str(
                _("Код для подтверждения e-mail в OpenPVZ: %(code)s. Он действует 10 минут.") % {"code": code}
            )
        else:
            subject = str(_("Код для входа в OpenPVZ"))
            body = str(
                _("Код для входа в OpenPVZ: %(code)s. Он действует 10 минут. Никому не сообщайте его.")
                % {"code": code}
            )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])


def _issue_email_code(*, user: User, email: str, purpose: str, ip: str | None) -> None:
    """Inside the caller's transaction, with the user row locked (otp_issue's rate limits)."""
    otp, code = otp_issue(phone=user.phone, purpose=purpose, ip=ip)
    after_commit(_send_code_mail, user=user, email=email, code=code, purpose=purpose)
    audit_record(action="auth.code_sent", actor=user, details={"purpose": purpose, "channel": "email"})
    log.info("email_code_issued", code_id=otp.pk, purpose=purpose)


def email_factor_add(*, user: User, email: str, ip: str | None = None) -> EmailFactor:
    """Set the address (replacing an unconfirmed one) and mail it a confirmation code. A confirmed address
    must be removed first, so that one code from the old factor is needed to change it."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Проверьте адрес e-mail."), details={"field": "email"}) from None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        factor = EmailFactor.objects.select_for_update().filter(user=user).first()
        if factor is not None and factor.confirmed_at is not None:
            raise Conflict(_("E-mail уже подтверждён. Чтобы сменить его, сначала удалите текущий."))
        if factor is None:
            factor = EmailFactor(user=user, created_at=clock.now())
        factor.email = email
        factor.save()
        _issue_email_code(user=user, email=email, purpose=CodePurpose.EMAIL_CONFIRM, ip=ip)
    return factor


def email_factor_confirm(*, user: User, code: str, ip: str | None = None) -> EmailFactor:
    """The address becomes a second factor once the newest EMAIL_CONFIRM code is typed back."""
    attempt_check(kind=GUARD_KIND, phone=user.phone, ip=ip)
    with transaction.atomic():
        factor = EmailFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if factor is None:
            raise Conflict(_("Нет e-mail, ожидающего подтверждения: сначала укажите адрес."))
        outcome = otp_spend(phone=user.phone, purpose=CodePurpose.EMAIL_CONFIRM, code=code)
        if not isinstance(outcome, DomainError):
            factor.confirmed_at = clock.now()
            factor.save(update_fields=["confirmed_at"])
            audit_record(
                action="factor.enrolled", actor=user, obj=factor, details={"method": FactorMethod.EMAIL}
            )
    if isinstance(outcome, DomainError):
        attempt_failed(kind=GUARD_KIND, phone=user.phone, ip=ip)
        raise outcome
    attempt_succeeded(kind=GUARD_KIND, phone=user.phone)
    return factor


def email_second_factor_send(*, user: User, ip: str | None = None) -> None:
    """Mail a sign-in (or removal) code to the confirmed address."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        factor = EmailFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
        if factor is None:
            raise Conflict(_("Подтверждённого e-mail нет."))
        _issue_email_code(user=user, email=factor.email, purpose=CodePurpose.EMAIL_SECOND_FACTOR, ip=ip)


# --- authenticator app and backup codes ---------------------------------------------------------------


def totp_enrol_start(*, user: User) -> TotpEnrolment:
    """A new secret for an authenticator app, replacing an unconfirmed one; shown to the person now and
    never again once confirmed. A confirmed app must be removed first."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise Conflict(
                _("Приложение-аутентификатор уже подключено. Чтобы заменить его, сначала удалите.")
            )
        secret = totp_new_secret()
        if device is None:
            device = TotpDevice(user=user)
        device.secret_encrypted = secret_seal(secret)
        device.created_at = clock.now()
        device.last_used_step = None
        device.save()
    return TotpEnrolment(secret=secret, uri=totp_uri(secret, account=user.phone))


def totp_enrolment_pending(*, user: User) -> TotpEnrolment | None:
    """The secret of an enrolment not confirmed yet (to redraw its QR), else None."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    secret = secret_open(device.secret_encrypted)
    return TotpEnrolment(secret=secret, uri=totp_uri(secret, account=user.phone))


def _backup_codes_replace(*, user: User) -> list[str]:
    now = clock.now()
    BackupCode.objects.filter(user=user).delete()
    codes = [backup_code_new() for _i in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(
            user=user,
            code_hash=code_hash("backup", user.pk, code=backup_code_normalize(code)),
            created_at=now,
        )
        for code in codes
    )
    return codes


def totp_enrol_confirm(*, user: User, code: str, ip: str | None = None) -> list[str]:
    """Confirm the app with a code it shows now (that step is then used up) and return ten new backup
    codes, shown this once; earlier backup codes are void."""
    attempt_check(kind=GUARD_KIND, phone=user.phone, ip=ip)
    codes: list[str] = []
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if device is None:
            raise Conflict(_("Подключение приложения не начато."))
        now = clock.now()
        step = totp_matching_step(secret_open(device.secret_encrypted), code, at=now, after_step=None)
        if step is not None:
            device.confirmed_at, device.last_used_step = now, step
            device.save(update_fields=["confirmed_at", "last_used_step"])
            codes = _backup_codes_replace(user=user)
            audit_record(
                action="factor.enrolled", actor=user, obj=device, details={"method": FactorMethod.TOTP}
            )
    if step is None:
        attempt_failed(kind=GUARD_KIND, phone=user.phone, ip=ip)
        raise FactorCodeInvalid(
            _("Неверный код из приложения. Проверьте время на телефоне и введите новый код.")
        )
    attempt_succeeded(kind=GUARD_KIND, phone=user.phone)
    return codes


def backup_codes_regenerate(*, user: User) -> list[str]:
    """Ten new backup codes; the old ones, used or not, stop working."""
    with transaction.atomic():
        if not TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise Conflict(_("Резервные коды выдаются к приложению-аутентификатору: сначала подключите его."))
        codes = _backup_codes_replace(user=user)
        audit_record(action="factor.backup_codes_regenerated", actor=user, details={"count": len(codes)})
    return codes


# --- checking a code ----------------------------------------------------------------------------------


def _spend_code(*, user: User, code: str) -> FactorMethod | DomainError:
    """Spend `code` as the person's second factor: with an app, a code of it (6 digits) or a backup code;
    else an e-mail code. Inside a transaction; the returned error is raised by the caller after commit."""
    method = second_factor_method(user=user)
    if method is None:
        return FactorCodeInvalid(_("Второй фактор не подключён."))
    if method == FactorMethod.EMAIL:
        outcome = otp_spend(phone=user.phone, purpose=CodePurpose.EMAIL_SECOND_FACTOR, code=code)
        return outcome if isinstance(outcome, DomainError) else FactorMethod.EMAIL
    now = clock.now()
    if looks_like_totp(code):
        device = TotpDevice.objects.select_for_update().get(user=user, confirmed_at__isnull=False)
        step = totp_matching_step(
            secret_open(device.secret_encrypted), code, at=now, after_step=device.last_used_step
        )
        if step is None:
            return FactorCodeInvalid()
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return FactorMethod.TOTP
    spent = BackupCode.objects.filter(
        user=user,
        used_at__isnull=True,
        code_hash=code_hash("backup", user.pk, code=backup_code_normalize(code)),
    ).update(used_at=now)
    return FactorMethod.BACKUP if spent else FactorCodeInvalid()


def _method_of(code: str, user: User) -> str:
    method = second_factor_method(user=user)
    if method == FactorMethod.TOTP and not looks_like_totp(code):
        return FactorMethod.BACKUP
    return str(method or "")


def second_factor_verify(*, user: User, code: str, ip: str | None = None) -> FactorMethod:
    """The sign-in's second step: the method that proved it, or the error (audited, counted by the guard).
    Not inside an outer transaction: the failed attempt must be committed before the error is raised."""
    attempt_check(kind=GUARD_KIND, phone=user.phone, ip=ip)
    with transaction.atomic():
        outcome = _spend_code(user=user, code=code)
        if isinstance(outcome, DomainError):
            details = {"method": _method_of(code, user), "error": str(outcome.code)}
            audit_record(action="auth.login_failed", actor_phone=user.phone, details=details)
        else:
            audit_record(action="auth.second_factor_ok", actor=user, details={"method": outcome})
    if isinstance(outcome, DomainError):
        attempt_failed(kind=GUARD_KIND, phone=user.phone, ip=ip)
        log.info("second_factor_refused", user_id=user.pk, error=str(outcome.code))
        raise outcome
    attempt_succeeded(kind=GUARD_KIND, phone=user.phone)
    return outcome


def factor_remove(*, user: User, method: str, code: str, ip: str | None = None) -> None:
    """Remove the e-mail factor or the authenticator app (its backup codes go with it); one the person does
    not have is already removed. Needs a current code of the person's second factor, as at sign-in. A
    person who must have a second factor (a point of theirs requires it) cannot remove their last one."""
    if method not in (FactorMethod.EMAIL, FactorMethod.TOTP):
        raise NotFound(details={"method": method})
    attempt_check(kind=GUARD_KIND, phone=user.phone, ip=ip)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        model = EmailFactor if method == FactorMethod.EMAIL else TotpDevice
        factor = model.objects.filter(user=user).first()
        if factor is None:
            return  # nothing to remove: removing twice is not an error
        if factor.confirmed_at is None:
            outcome: FactorMethod | DomainError = FactorMethod(
                method
            )  # an unfinished enrolment is dropped freely
        else:
            confirmed = {
                FactorMethod.EMAIL: EmailFactor.objects.filter(
                    user=user, confirmed_at__isnull=False
                ).exists(),
                FactorMethod.TOTP: TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists(),
            }
            if sum(confirmed.values()) == 1 and second_factor_required(user=user):
                raise FactorLast()
            outcome = _spend_code(user=user, code=code)
        if not isinstance(outcome, DomainError):
            factor.delete()
            if method == FactorMethod.TOTP:
                BackupCode.objects.filter(user=user).delete()
            audit_record(action="factor.removed", actor=user, details={"method": method})
    if isinstance(outcome, DomainError):
        attempt_failed(kind=GUARD_KIND, phone=user.phone, ip=ip)
        raise outcome
    attempt_succeeded(kind=GUARD_KIND, phone=user.phone)


# --- the owners' rule ---------------------------------------------------------------------------------


def may_set_factor_policy(*, user: User, point: PickupPoint) -> bool:
    """`Perm.SET_FACTOR_POLICY` (owners and platform admins); managers do not decide how their owner's
    staff sign in."""
    return user_can(user=user, perm=Perm.SET_FACTOR_POLICY, point=point)


def point_factor_policy_set(*, actor: User, point: PickupPoint, required: bool) -> PointFactorPolicy:
    """Switch «Требовать второй фактор для сотрудников» at `point`. It applies from each person's next
    sign-in; setting the current value again changes nothing."""
    if not may_set_factor_policy(user=actor, point=point):
        raise PermissionDenied(details={"point": point.pk})
    with transaction.atomic():
        policy, created = PointFactorPolicy.objects.select_for_update().get_or_create(
            point=point, defaults={"updated_at": clock.now(), "set_by": actor}
        )
        if created or policy.require_second_factor != required:
            policy.require_second_factor, policy.set_by, policy.updated_at = required, actor, clock.now()
            policy.save()
            audit_record(
                action="factor.policy_set",
                actor=actor,
                point_id=point.pk,
                obj=policy,
                details={"required": required},
            )
    return policy
