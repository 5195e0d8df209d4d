"""Roles and what each may do, declared once. Views and endpoints name the permission they need."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


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


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.OPERATOR: frozenset({Perm.VIEW_POINT, Perm.OPERATE}),
    Role.MANAGER: frozenset({Perm.VIEW_POINT, Perm.OPERATE, Perm.MANAGE_POINT, Perm.MANAGE_STAFF}),
    Role.OWNER: frozenset(
        {
            Perm.VIEW_POINT,
            Perm.OPERATE,
            Perm.MANAGE_POINT,
            Perm.MANAGE_STAFF,
            Perm.VIEW_FINANCE,
            Perm.VIEW_AUDIT,
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
        }
    ),
}
