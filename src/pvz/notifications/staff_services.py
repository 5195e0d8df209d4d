"""Staff notifications: one in-app message per person at once (live over the websocket), and a delivery per
outside channel the person chose, held until their quiet hours end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import translation

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import group_publish
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.network.models import PickupPoint
from pvz.notifications.attempts import attempt_send
from pvz.notifications.gateway import staff_delivery_deliver
from pvz.notifications.models import (
    DeliveryStatus,
    PushSubscription,
    QuietHours,
    StaffChannel,
    StaffDelivery,
    StaffKind,
    StaffMessage,
    StaffPreference,
)
from pvz.notifications.quiet_hours import quiet_hours_end
from pvz.notifications.selectors import staff_preferences, staff_unread_count
from pvz.notifications.statuses import STAFF_DELIVERY

log = get_logger(__name__)

MAX_ATTEMPTS = 5


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _push_live(user_id: int, payload: dict[str, Any]) -> None:
    group_publish(user_group(user_id), {"type": "staff.message", **payload})


def staff_notify(
    *,
    kind: StaffKind,
    key: str,
    users: Iterable[User],
    point: PickupPoint | None,
    render: Callable[[], tuple[str, str]],
    link: str = "",
) -> list[StaffMessage]:
    """Create one message per person (once per `key` and person), push it live after commit, and create its
    outside deliveries, due now or at the end of the person's quiet hours (in the point's timezone).

    `render` returns (title, text) and is called in each person's language."""
    from pvz.notifications.tasks import staff_delivery_send  # noqa: PLC0415 (tasks imports this module)

    now = clock.now()
    created: list[StaffMessage] = []
    with transaction.atomic():
        for user in users:
            user_key = f"{key}:{user.pk}"
            if StaffMessage.objects.filter(dedup_key=user_key).exists():
                continue
            with translation.override(user.language or "ru"):
                title, text = render()
            message = StaffMessage.objects.create(
                user=user,
                point=point,
                kind=kind,
                title=title,
                text=text,
                link=link,
                created_at=now,
                dedup_key=user_key,
            )
            created.append(message)
            preferences = staff_preferences(user=user)
            quiet = preferences.quiet_hours
            due = now
            if quiet is not None and point is not None:
                due = quiet_hours_end(now=now, start=quiet.start, end=quiet.end, tz=point.tz) or now
            for channel in StaffChannel:
                if not preferences.enabled[(kind, channel)]:
                    continue
                delivery = StaffDelivery.objects.create(message=message, channel=channel, due_at=due)
                if due <= now:
                    staff_delivery_send.enqueue(delivery.pk)
            after_commit(
                _push_live,
                user.pk,
                {
                    "id": message.pk,
                    "kind": kind,
                    "title": title,
                    "text": text,
                    "link": link,
                    "unread": staff_unread_count(user=user),
                },
            )
    return created


def staff_delivery_send_now(*, delivery_id: int) -> StaffDelivery:
    """Deliver one due delivery; a failure is recorded and retried by the periodic job up to the limit."""
    with transaction.atomic():
        delivery = StaffDelivery.objects.select_for_update().select_related("message").get(pk=delivery_id)
        if delivery.status == DeliveryStatus.SENT or delivery.attempts >= MAX_ATTEMPTS:
            return delivery
        if delivery.due_at > clock.now():
            return delivery
        if not attempt_send(delivery, lifecycle=STAFF_DELIVERY, deliver=staff_delivery_deliver):
            log.warning("staff_delivery_failed", delivery_id=delivery.pk, error=delivery.error)
        delivery.save()
    return delivery


def staff_deliveries_send_due() -> int:
    """Send every delivery whose quiet hours have ended (and retry failed ones); returns how many went."""
    ids = list(
        StaffDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
            due_at__lte=clock.now(),
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    sent = 0
    for delivery_id in ids:
        if staff_delivery_send_now(delivery_id=delivery_id).status == DeliveryStatus.SENT:
            sent += 1
    return sent


class QuietHoursInvalid(DomainError):
    pass


def staff_preferences_save(
    *,
    user: User,
    enabled: dict[tuple[str, str], bool],
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
) -> None:
    """Store a person's channel choices (every kind × channel given) and quiet hours (both or neither;
    equal times are refused: "no quiet hours" is both empty)."""
    if (quiet_start is None) != (quiet_end is None) or (quiet_start is not None and quiet_start == quiet_end):
        raise QuietHoursInvalid(
            translation.gettext("Укажите начало и конец тихих часов (разные) или оставьте оба пустыми."),
            details={"field": "quiet_start"},
        )
    if any(moment is not None and moment.tzinfo is not None for moment in (quiet_start, quiet_end)):
        # Quiet hours are wall-clock times at the message's point; an offset would mean nothing there.
        raise QuietHoursInvalid(
            translation.gettext("Укажите время тихих часов без часового пояса: оно местное для точки."),
            details={"field": "quiet_start"},
        )
    with transaction.atomic():
        for (kind, channel), on in enabled.items():
            StaffPreference.objects.update_or_create(
                user=user, kind=kind, channel=channel, defaults={"enabled": on}
            )
        if quiet_start is None or quiet_end is None:
            QuietHours.objects.filter(user=user).delete()
        else:
            QuietHours.objects.update_or_create(user=user, defaults={"start": quiet_start, "end": quiet_end})
        audit_record(
            action="notifications.preferences_saved",
            actor=user,
            obj=user,
            details={
                "off": sorted(f"{kind}/{channel}" for (kind, channel), on in enabled.items() if not on),
                "quiet_hours": f"{quiet_start}–{quiet_end}" if quiet_start else "",
            },
        )


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember this browser's subscription for the person (a browser re-subscribing moves to them)."""
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "created_at": clock.now()},
        )
        audit_record(action="notifications.push_subscribed", actor=user, obj=subscription)
    return subscription


def push_unsubscribe(*, user: User, endpoint: str) -> bool:
    with transaction.atomic():
        deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
        if deleted:
            audit_record(action="notifications.push_unsubscribed", actor=user, details={"endpoint": endpoint})
    return bool(deleted)


def staff_messages_mark_read(*, user: User) -> int:
    """Mark every unread message of the person read; returns how many."""
    with transaction.atomic():
        count = StaffMessage.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())
        if count:
            audit_record(action="notifications.read", actor=user, details={"count": count})
    after_commit(_push_live, user.pk, {"unread": 0})
    return count
