"""Writes on a point's staff: inviting by phone, optional permissions, withdrawal, deactivation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import PERM_LABELS, ROLE_GRANTABLE, Perm, Role
from pvz.accounts.selectors import may_manage_role, perms_at_point, roles_at_point
from pvz.accounts.services import membership_grant, membership_revoke, user_create
from pvz.accounts.sms import sms_send
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.network.models import PickupPoint
from pvz.staff.models import PermissionGrant
from pvz.usersessions.services import user_sessions_end

log = get_logger(__name__)


@dataclass(frozen=True)
class Invitation:
    user: User
    user_created: bool
    memberships: list[Membership]


def _invitation_text(*, user: User, role: str, points: Sequence[PickupPoint]) -> str:
    with translation.override(user.language or translation.get_language()):
        return _(
            "Вас добавили в OpenPVZ: %(role)s, %(points)s. Чтобы начать работу, войдите по номеру "
            "телефона %(phone)s — код для входа придёт в SMS."
        ) % {
            "role": Role(role).label,
            "points": ", ".join(point.name for point in points),
            "phone": user.phone,
        }


def staff_invite(
    *, actor: User, phone: str, full_name: str, role: str, points: Sequence[PickupPoint]
) -> Invitation:
    """Give the person with `phone` the role at every one of `points`, creating the user when the phone is
    new; all or nothing (one point the actor may not staff refuses the whole invitation). The person
    gets an SMS after commit when anything was granted. A deactivated person is reactivated, not invited."""
    phone = normalize_phone(phone)
    if not points:
        raise DomainError(_("Выберите хотя бы одну точку."), details={"field": "points"})
    if not full_name.strip() and not User.objects.filter(phone=phone).exists():
        raise DomainError(_("Укажите имя сотрудника."), details={"field": "full_name"})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone=phone).first()
        created = user is None
        if user is None:
            user = user_create(phone=phone, full_name=full_name, actor=actor)
        elif not user.is_active:
            raise Conflict(
                _("Сотрудник с телефоном %(phone)s отключён. Включите его в списке сотрудников.")
                % {"phone": phone},
                details={"field": "phone", "user": user.pk},
            )
        before = set(
            Membership.objects.filter(user=user, role=role, point__in=points, is_active=True).values_list(
                "pk", flat=True
            )
        )
        memberships = [membership_grant(actor=actor, user=user, role=role, point=point) for point in points]
        new_points = [m.point for m in memberships if m.pk not in before and m.point is not None]
        audit_record(
            action="staff.invite",
            actor=actor,
            point_id=points[0].pk,
            obj=user,
            details={"role": role, "points": [point.pk for point in points], "user_created": created},
        )
        if new_points:
            after_commit(
                sms_send, phone=phone, text=_invitation_text(user=user, role=role, points=new_points)
            )
    log.info("staff_invited", user_id=user.pk, actor_id=actor.pk, role=role, created=created)
    return Invitation(user=user, user_created=created, memberships=memberships)


def _locked_membership(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "point")
        .get(pk=membership.pk)
    )


def _check_may_grant(*, actor: User, membership: Membership, perm: str) -> Perm:
    """The actor must manage this person's role at this point and hold `perm` there themself."""
    if perm not in ROLE_GRANTABLE[membership.role]:
        label = PERM_LABELS[Perm(perm)] if perm in set(Perm) else perm
        raise DomainError(
            _("Роли «%(role)s» нельзя дать право «%(perm)s».")
            % {"role": Role(membership.role).label, "perm": label},
            details={"field": "perm", "perm": perm},
        )
    if not membership.is_active or not may_manage_role(
        actor=actor, role=membership.role, point=membership.point
    ):
        raise PermissionDenied(details={"role": membership.role})
    if Perm(perm) not in perms_at_point(user=actor, point=membership.point):
        raise PermissionDenied(
            _("Нельзя дать право, которого у вас самих нет."), details={"permission": perm}
        )
    return Perm(perm)


def _permission_audit(action: str, *, actor: User, membership: Membership, perm: Perm) -> None:
    """The audit record of a permission granted or withdrawn: whose membership, which role, which perm."""
    audit_record(
        action=action,
        actor=actor,
        point_id=membership.point_id,
        obj=membership,
        details={"user": membership.user_id, "role": membership.role, "perm": str(perm)},
    )


def permission_grant(*, actor: User, membership: Membership, perm: str) -> PermissionGrant:
    """Grant an optional permission on top of the role; it works from the person's next request.
    Granting a held permission again changes nothing."""
    with transaction.atomic():
        membership = _locked_membership(membership)
        checked = _check_may_grant(actor=actor, membership=membership, perm=perm)
        grant, created = PermissionGrant.objects.get_or_create(
            membership=membership, perm=checked, defaults={"granted_by": actor, "created": clock.now()}
        )
        if created:
            _permission_audit("permission.grant", actor=actor, membership=membership, perm=checked)
    log.info("permission_granted", membership_id=membership.pk, perm=perm, actor_id=actor.pk)
    return grant


def permission_withdraw(*, actor: User, membership: Membership, perm: str) -> None:
    """Withdraw an optional permission; the same rules as granting it. Withdrawing one not held changes
    nothing."""
    with transaction.atomic():
        membership = _locked_membership(membership)
        checked = _check_may_grant(actor=actor, membership=membership, perm=perm)
        deleted, _rows = PermissionGrant.objects.filter(membership=membership, perm=checked).delete()
        if deleted:
            _permission_audit("permission.withdraw", actor=actor, membership=membership, perm=checked)
    log.info("permission_withdrawn", membership_id=membership.pk, perm=perm, actor_id=actor.pk)


def _check_not_last_owner(membership: Membership) -> None:
    if membership.role != Role.OWNER or not membership.is_active:
        return
    others = (
        Membership.objects.filter(
            point_id=membership.point_id, role=Role.OWNER, is_active=True, user__is_active=True
        )
        .exclude(user_id=membership.user_id)
        .exists()
    )
    if not others:
        raise Conflict(
            _("Нельзя отключить последнего владельца точки «%(point)s».")
            % {"point": membership.point.name if membership.point else ""},
            details={"point": membership.point_id},
        )


def _check_not_self(*, actor: User, user: User) -> None:
    if actor.pk == user.pk:
        raise PermissionDenied(_("Нельзя отключить самого себя."), details={"user": user.pk})


def staff_withdraw(*, actor: User, membership: Membership) -> Membership:
    """End the person's role at this point (membership_revoke) and drop its optional permissions. Nobody
    withdraws themself, and the last owner of a point stays."""
    with transaction.atomic():
        membership = _locked_membership(membership)
        _check_not_self(actor=actor, user=membership.user)
        _check_not_last_owner(membership)
        membership = membership_revoke(actor=actor, membership=membership)
        PermissionGrant.objects.filter(membership=membership).delete()
    return membership


def _check_may_deactivate(*, actor: User, user: User) -> None:
    """Platform admins may switch off anyone but themselves. Otherwise (owners) the actor needs
    DEACTIVATE_STAFF at every point where the person holds a role, and must manage that role there, so
    nobody shuts a person out of another owner's point."""
    _check_not_self(actor=actor, user=user)
    if Perm.ADMIN_PLATFORM in perms_at_point(user=actor, point=None):
        return
    memberships = list(Membership.objects.filter(user=user, is_active=True).select_related("point"))
    visible = [m for m in memberships if m.point is not None and roles_at_point(user=actor, point=m.point)]
    if not visible:
        raise NotFound(details={"user": user.pk})
    for membership in memberships:
        point = membership.point
        if (
            point is None
            or Perm.DEACTIVATE_STAFF not in perms_at_point(user=actor, point=point)
            or not may_manage_role(actor=actor, role=membership.role, point=point)
        ):
            raise PermissionDenied(
                _("Сотрудник работает и в других точках. Отзовите его роль в своей точке."),
                details={"user": user.pk},
            )


def _user_set_active(*, actor: User, user: User, active: bool) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_may_deactivate(actor=actor, user=user)
        if not active:
            for membership in Membership.objects.filter(user=user, role=Role.OWNER, is_active=True):
                _check_not_last_owner(membership)
        if user.is_active == active:
            return user
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            action="user.activate" if active else "user.deactivate",
            actor=actor,
            obj=user,
            details={"user": user.pk},
        )
        if not active:
            user_sessions_end(user=user, reason="deactivated")
    log.info("user_active_set", user_id=user.pk, active=active, actor_id=actor.pk)
    return user


def user_deactivate(*, actor: User, user: User) -> User:
    """Switch the person off everywhere at once: they cannot sign in, every session ends, and their next
    request is anonymous. Memberships are kept, so reactivation restores them."""
    return _user_set_active(actor=actor, user=user, active=False)


def user_reactivate(*, actor: User, user: User) -> User:
    """Switch a deactivated person on again, with the roles they had; the same rules as deactivation."""
    return _user_set_active(actor=actor, user=user, active=True)
