"""Reads for staff notifications: channel choices, quiet hours, the in-app list and its unread count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from pvz.accounts.models import User
from pvz.notifications.models import QuietHours, StaffChannel, StaffKind, StaffMessage, StaffPreference

# Without an explicit choice: push on (it is opt-in per browser anyway), e-mail off (it is slow and noisy).
CHANNEL_DEFAULTS: dict[str, bool] = {StaffChannel.EMAIL: False, StaffChannel.PUSH: True}


@dataclass(frozen=True)
class Preferences:
    enabled: dict[tuple[str, str], bool]  # (kind, channel) → on
    quiet_hours: QuietHours | None


def staff_preferences(*, user: User) -> Preferences:
    enabled: dict[tuple[str, str], bool] = {
        (kind.value, channel.value): CHANNEL_DEFAULTS[channel]
        for kind in StaffKind
        for channel in StaffChannel
    }
    for row in StaffPreference.objects.filter(user=user):
        enabled[(row.kind, row.channel)] = row.enabled
    return Preferences(enabled=enabled, quiet_hours=QuietHours.objects.filter(user=user).first())


def staff_messages(*, user: User) -> QuerySet[StaffMessage]:
    return StaffMessage.objects.filter(user=user).select_related("point").order_by("-created_at", "-id")


def staff_unread_count(*, user: User) -> int:
    return StaffMessage.objects.filter(user=user, read_at__isnull=True).count()
