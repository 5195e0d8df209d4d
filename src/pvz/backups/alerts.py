"""A failed backup alerts the people responsible for the data: every active owner and platform admin."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.backups.models import Backup
from pvz.notifications.models import StaffKind
from pvz.notifications.staff_services import staff_notify


def backup_failed_notify(*, backup: Backup) -> int:
    people = User.objects.filter(
        Q(memberships__role=Role.OWNER, memberships__point__isnull=False)
        | Q(memberships__role=Role.PLATFORM_ADMIN, memberships__point__isnull=True),
        is_active=True,
        memberships__is_active=True,
    ).distinct()

    def render() -> tuple[str, str]:
        text = gettext("Резервная копия от %(when)s не создана: %(error)s.") % {
            "when": f"{backup.started_at:%d.%m.%Y %H:%M} UTC",
            "error": backup.error[:200],
        }
        return gettext("Резервная копия не создана"), text

    return len(
        staff_notify(
            kind=StaffKind.BACKUP_FAILED,
            key=f"{StaffKind.BACKUP_FAILED}:{backup.pk}",
            users=people,
            point=None,
            render=render,
            link="/",
        )
    )
