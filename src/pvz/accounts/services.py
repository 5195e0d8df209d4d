"""Writes on accounts: login with a one-time SMS code, users, and their roles at points."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import CodePurpose, Membership, User
from pvz.accounts.one_time_codes import CodeInvalid, otp_spend
from pvz.accounts.roles import PLATFORM_ROLES, Perm, Role
from pvz.accounts.selectors import may_manage_role, perms_at_point
from pvz.accounts.sms_codes import sms_code_issue
from pvz.audit.services import audit_record
from pvz.core.errors import Conflict, DomainError, ErrorCode, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.guard.services import attempt_check, attempt_failed, attempt_succeeded
from pvz.network.models import PickupPoint

log = get_logger(__name__)


def login_code_request(*, phone: str, ip: str | None = None) -> None:
    """Issue a login code for `phone` and text it after commit; the newest code retires older ones.

    At most one code a minute and five in a rolling hour per phone. A phone without an active user gets
    the same answer and the same limits but no SMS, so nobody can learn which phones have accounts or
    pump SMS to strangers through us.
    """
    phone = normalize_phone(phone)
    message = _("Код для входа в OpenPVZ: %(code)s. Никому не сообщайте его.")
    otp, user = sms_code_issue(phone=phone, purpose=CodePurpose.LOGIN, ip=ip, message=message)
    log.info("login_code_issued", code_id=otp.pk, ip=ip, sent=user is not None)


def _spend_login_code(*, phone: str, code: str) -> User | DomainError:
    """The user the code logs in, or the error to raise once this attempt has been saved."""
    outcome = otp_spend(phone=phone, purpose=CodePurpose.LOGIN, code=code)
    if isinstance(outcome, DomainError):
        return outcome
    user = User.objects.filter(phone=phone, is_active=True).first()
    # Same answer as a wrong code, so a right guess for a blocked or unknown phone reveals nothing.
    return user if user is not None else CodeInvalid()


def login_code_verify(*, phone: str, code: str, ip: str | None = None) -> User:
    """The active user whose newest login code for `phone` is `code`; the code is spent.

    A wrong try is committed before its error is raised, so the attempt limit holds; do not call this
    inside a transaction that the error would roll back.
    """
    phone = normalize_phone(phone)
    attempt_check(kind="login_code", phone=phone, ip=ip)
    with transaction.atomic():
        outcome = _spend_login_code(phone=phone, code=code)
        if isinstance(outcome, DomainError):
            audit_record(action="auth.login_failed", actor_phone=phone, details={"error": str(outcome.code)})
    if isinstance(outcome, DomainError):
        attempt_failed(kind="login_code", phone=phone, ip=ip)
        log.info("login_code_refused", error=str(outcome.code), ip=ip)
        raise outcome
    attempt_succeeded(kind="login_code", phone=phone)
    log.info("login_code_accepted", user_id=outcome.pk, ip=ip)
    return outcome


def user_create(*, phone: str, full_name: str, actor: User | None = None) -> User:
    """A new active user who can log in by code; they can act nowhere until granted a membership,
    which is why creating one needs no permission of its own."""
    phone = normalize_phone(phone)
    with transaction.atomic():
        if User.objects.filter(phone=phone).exists():
            raise Conflict(
                _("Пользователь с телефоном %(phone)s уже есть.") % {"phone": phone},
                details={"field": "phone"},
            )
        user = User.objects.create_user(phone, full_name=full_name.strip())
        audit_record(action="user.create", actor=actor, obj=user)
    log.info("user_created", user_id=user.pk, actor_id=actor.pk if actor else None)
    return user


def _check_role_fits_point(*, role: str, point: PickupPoint | None) -> None:
    if role not in Role.values:
        raise DomainError(_("Неизвестная роль: %(role)s.") % {"role": role}, details={"field": "role"})
    label = Role(role).label
    if role in PLATFORM_ROLES and point is not None:
        raise DomainError(
            _("Роль «%(role)s» действует на всей платформе, точку указывать не нужно.") % {"role": label},
            details={"field": "point"},
        )
    if role not in PLATFORM_ROLES and point is None:
        raise DomainError(
            _("Для роли «%(role)s» укажите точку.") % {"role": label}, details={"field": "point"}
        )


def _check_may_manage(*, actor: User | None, role: str, point: PickupPoint | None) -> None:
    """Platform roles need a platform admin; at a point, owners manage managers and operators, managers
    operators only, and nobody hands out more than they hold (`selectors.may_manage_role`)."""
    if actor is None:  # the system itself: the demo loader, management commands
        return
    if not may_manage_role(actor=actor, role=role, point=point):
        raise PermissionDenied(details={"role": role})


def membership_grant(*, actor: User | None, user: User, role: str, point: PickupPoint | None) -> Membership:
    """Give `user` the role at `point` (platform-wide when None). Granting a held role again changes
    nothing; granting a revoked one restores it."""
    _check_role_fits_point(role=role, point=point)
    with transaction.atomic():
        _check_may_manage(actor=actor, role=role, point=point)
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, point=point, role=role
        )
        restored = not created and not membership.is_active
        if restored:
            membership.is_active = True
            membership.save(update_fields=["is_active", "updated_at"])
        if created or restored:
            _audit_membership(membership, action="membership.grant", actor=actor)
    user.__dict__.pop("platform_roles", None)  # the cached roles on this instance are now stale
    log.info("membership_granted", membership_id=membership.pk, actor_id=actor.pk if actor else None)
    return membership


def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    """Deactivate a membership (kept for the audit trail). The last platform admin cannot be revoked,
    or nobody could manage the platform any more."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user", "point")
            .get(pk=membership.pk)
        )
        _check_may_manage(actor=actor, role=membership.role, point=membership.point)
        if membership.is_active:
            if (
                membership.role == Role.PLATFORM_ADMIN
                and not Membership.objects.filter(
                    role=Role.PLATFORM_ADMIN, is_active=True, user__is_active=True
                )
                .exclude(pk=membership.pk)
                .exists()
            ):
                raise DomainError(
                    _("Нельзя отозвать роль у последнего администратора платформы."),
                    code=ErrorCode.CONFLICT,
                )
            membership.is_active = False
            membership.save(update_fields=["is_active", "updated_at"])
            _audit_membership(membership, action="membership.revoke", actor=actor)
    log.info("membership_revoked", membership_id=membership.pk, actor_id=actor.pk if actor else None)
    return membership


def user_set_auto_placement(*, actor: User, user: User, enabled: bool) -> User:
    """Switch «Автораспределение» for `user`. It is a personal working preference, so only the user
    themself or a platform admin may change it; setting the current value again changes nothing."""
    if actor.pk != user.pk and Perm.ADMIN_PLATFORM not in perms_at_point(user=actor, point=None):
        raise PermissionDenied(details={"user_id": user.pk})
    with transaction.atomic():
        updated = (
            User.objects.filter(pk=user.pk).exclude(auto_placement=enabled).update(auto_placement=enabled)
        )
        if updated:
            audit_record(action="user.auto_placement", actor=actor, obj=user, details={"enabled": enabled})
    user.auto_placement = enabled
    if updated:
        log.info("auto_placement_set", user_id=user.pk, enabled=enabled, actor_id=actor.pk)
    return user


def _audit_membership(membership: Membership, *, action: str, actor: User | None) -> None:
    audit_record(
        action=action,
        actor=actor,
        point_id=membership.point_id,
        obj=membership,
        details={"user": membership.user_id, "role": membership.role},
    )
