"""Roles and what each may do, declared once. Views and endpoints name the permission they need."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Администратор платформы")
    SUPPORT = "support", _("Поддержка")
    OWNER = "owner", _("Владелец")
    MANAGER = "manager", _("Управляющий")
    OPERATOR = "operator", _("Оператор")


# Platform roles are not tied to one point: their membership has no point and reaches every point.
PLATFORM_ROLES: frozenset[str] = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT})


class Perm(StrEnum):
    VIEW_POINT = "view_point"
    OPERATE = "operate"  # acceptance, placement, issuing, returns, dispatch, search
    MANAGE_POINT = "manage_point"  # cells, inventory, staff schedule, reports
    VIEW_FINANCE = "view_finance"
    MANAGE_STAFF = "manage_staff"
    VIEW_SMS_OUTBOX = "view_sms_outbox"
    ADMIN_PLATFORM = "admin_platform"
    VIEW_AUDIT = "view_audit"  # the audit log (owners: their points; platform admins: everything)
    # Switch a person off everywhere (and on again); only for people who work solely at the actor's points.
    DEACTIVATE_STAFF = "deactivate_staff"
    # Decisions that belong to the owner of a point (and platform admins), never to its manager:
    CLOSE_POINT = "close_point"  # start, cancel and complete closing the point
    SET_FACTOR_POLICY = "set_factor_policy"  # require a second factor of the point's staff
    LIFT_SUSPENSION = "lift_suspension"  # lift an anomaly suspension of the point's staff


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.OPERATOR: frozenset({Perm.VIEW_POINT, Perm.OPERATE}),
    Role.MANAGER: frozenset({Perm.VIEW_POINT, Perm.OPERATE, Perm.MANAGE_POINT, Perm.MANAGE_STAFF}),
    Role.OWNER: frozenset(
        {
            Perm.VIEW_POINT,
            Perm.OPERATE,
            Perm.MANAGE_POINT,
            Perm.MANAGE_STAFF,
            Perm.DEACTIVATE_STAFF,
            Perm.VIEW_FINANCE,
            Perm.VIEW_AUDIT,
            Perm.CLOSE_POINT,
            Perm.SET_FACTOR_POLICY,
            Perm.LIFT_SUSPENSION,
        }
    ),
    Role.SUPPORT: frozenset({Perm.VIEW_POINT, Perm.VIEW_SMS_OUTBOX}),
    Role.PLATFORM_ADMIN: frozenset(
        {
            Perm.VIEW_POINT,
            Perm.MANAGE_POINT,
            Perm.VIEW_FINANCE,
            Perm.VIEW_SMS_OUTBOX,
            Perm.ADMIN_PLATFORM,
            Perm.VIEW_AUDIT,
            Perm.DEACTIVATE_STAFF,
            Perm.CLOSE_POINT,
            Perm.SET_FACTOR_POLICY,
            Perm.LIFT_SUSPENSION,
        }
    ),
}


# Optional permissions an owner (or whoever holds the permission and manages that role) may grant one
# person on top of their role at one point. MANAGE_STAFF and the platform permissions are never optional:
# who manages whom follows the role (ROLE_MANAGES).
ROLE_GRANTABLE: dict[str, frozenset[Perm]] = {
    Role.MANAGER: frozenset({Perm.VIEW_FINANCE, Perm.VIEW_AUDIT}),
    Role.OPERATOR: frozenset({Perm.MANAGE_POINT}),
    Role.OWNER: frozenset(),
    Role.SUPPORT: frozenset(),
    Role.PLATFORM_ADMIN: frozenset(),
}

# Whose memberships a role may hand out, withdraw and tune at its point: owners their managers and
# operators, managers their operators. Platform admins manage every role everywhere.
ROLE_MANAGES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({Role.MANAGER, Role.OPERATOR}),
    Role.MANAGER: frozenset({Role.OPERATOR}),
}

# How the staff screen names each permission.
PERM_LABELS: dict[Perm, StrOrPromise] = {
    Perm.VIEW_POINT: _("Просмотр точки"),
    Perm.OPERATE: _("Работа с отправлениями"),
    Perm.MANAGE_POINT: _("Управление точкой: ячейки, инвентаризация, отчёты"),
    Perm.VIEW_FINANCE: _("Финансы"),
    Perm.MANAGE_STAFF: _("Сотрудники"),
    Perm.VIEW_SMS_OUTBOX: _("SMS-журнал"),
    Perm.ADMIN_PLATFORM: _("Администрирование платформы"),
    Perm.VIEW_AUDIT: _("Журнал действий"),
    Perm.DEACTIVATE_STAFF: _("Отключение сотрудников"),
    Perm.CLOSE_POINT: _("Закрытие точки"),
    Perm.SET_FACTOR_POLICY: _("Требование второго фактора"),
    Perm.LIFT_SUSPENSION: _("Снятие блокировки сотрудника"),
}


def roles_with(perm: Perm) -> list[str]:
    """The roles whose own permissions include `perm`, sorted (for SQL that reads memberships)."""
    return sorted(role for role, perms in ROLE_PERMS.items() if perm in perms)


def roles_grantable(perm: Perm) -> list[str]:
    """The roles that may be granted `perm` on top of their own, sorted (for SQL that reads grants)."""
    return sorted(role for role, perms in ROLE_GRANTABLE.items() if perm in perms)
