"""What notifies whom: the periodic checks (expiring parcels, approaching transport) and the hooks that
other apps call (anomaly alerts). Each is idempotent through its messages' dedup keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.core import clock
from pvz.network.models import PickupPoint
from pvz.notifications.models import StaffKind
from pvz.notifications.services import notification_expiring_tomorrow
from pvz.notifications.staff_services import staff_notify
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from pvz.shipments.storage import end_of_local_day, start_of_local_day

# Daily messages go out from this local hour of each point (a job run earlier in the day waits).
CUSTOMER_EXPIRING_HOUR = 10
STAFF_EXPIRING_HOUR = 9


def point_staff(point: PickupPoint, roles: tuple[str, ...] | None = None) -> QuerySet[User]:
    members = User.objects.filter(is_active=True, memberships__point=point, memberships__is_active=True)
    if roles is not None:
        members = members.filter(memberships__role__in=roles)
    return members.distinct().order_by("pk")


def _points_past(hour: int, now: dt.datetime) -> Iterator[tuple[PickupPoint, dt.date]]:
    """Each point whose local time at `now` has reached `hour`, with its local date."""
    for point in PickupPoint.objects.order_by("pk"):
        local = now.astimezone(point.tz)
        if local.hour >= hour:
            yield point, local.date()


def customers_notify_expiring_tomorrow(*, now: dt.datetime | None = None) -> int:
    """From 10:00 local time of each point: every STORED parcel whose last storage day is tomorrow gets
    one "kept until tomorrow" SMS (the key makes reruns and restarts harmless)."""
    now = now or clock.now()
    count = 0
    for point, today in _points_past(CUSTOMER_EXPIRING_HOUR, now):
        tomorrow = today + dt.timedelta(days=1)
        shipments = Shipment.objects.filter(
            point=point,
            status=Status.STORED,
            storage_deadline__gte=start_of_local_day(tomorrow, point),
            storage_deadline__lte=end_of_local_day(tomorrow, point),
            order__customer__anonymized_at=None,
        ).select_related("order__customer", "point", "partner", "order")
        for shipment in shipments:
            with transaction.atomic():
                notification_expiring_tomorrow(shipment=shipment)
            count += 1
    return count


def staff_notify_expiring_today(*, now: dt.datetime | None = None) -> int:
    """From 09:00 local time of each point: its staff get one message a day with how many parcels' last
    storage day is today (none when there are none)."""
    now = now or clock.now()
    sent = 0
    for point, today in _points_past(STAFF_EXPIRING_HOUR, now):
        count = Shipment.objects.filter(
            point=point,
            status=Status.STORED,
            storage_deadline__gte=start_of_local_day(today, point),
            storage_deadline__lte=end_of_local_day(today, point),
        ).count()
        if not count:
            continue

        def render(point: PickupPoint = point, count: int = count) -> tuple[str, str]:
            text = ngettext(
                "%(point)s: сегодня последний день хранения у %(count)d заказа.",
                "%(point)s: сегодня последний день хранения у %(count)d заказов.",
                count,
            ) % {"point": point.name, "count": count}
            return gettext("Сегодня истекает срок хранения"), text

        sent += len(
            staff_notify(
                kind=StaffKind.EXPIRING_TODAY,
                key=f"{StaffKind.EXPIRING_TODAY}:{point.pk}:{today.isoformat()}",
                users=point_staff(point),
                point=point,
                render=render,
            )
        )
    return sent


def staff_notify_anomaly(*, flag_id: int, point: PickupPoint, rule_label: str, user_label: str) -> int:
    """An anomaly flag alerts the point's owners in-app (and by their channels)."""

    def render() -> tuple[str, str]:
        text = gettext("%(point)s: тревога «%(rule)s», сотрудник %(user)s. Раздел «Тревоги».") % {
            "point": point.name,
            "rule": rule_label,
            "user": user_label,
        }
        return gettext("Тревога"), text

    return len(
        staff_notify(
            kind=StaffKind.ANOMALY_ALERT,
            key=f"{StaffKind.ANOMALY_ALERT}:{flag_id}",
            users=point_staff(point, roles=(Role.OWNER,)),
            point=point,
            render=render,
            link=_anomalies_link(),
        )
    )


def _anomalies_link() -> str:
    try:
        return reverse("web:anomalies")
    except Exception:  # the screen's name is the anomalies app's; a link is a nicety, not a must
        return ""
