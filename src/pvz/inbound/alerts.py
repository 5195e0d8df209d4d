"""The point's staff told that a carriage is about to arrive (a periodic job, `inbound.tasks`)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from pvz.core import clock
from pvz.inbound.models import Carriage, CarriageFlow
from pvz.inbound.selectors import APPROACHING_WITHIN, NOT_ARRIVED
from pvz.network.models import PickupPoint
from pvz.notifications.models import StaffKind, StaffMessage
from pvz.notifications.staff_services import staff_notify
from pvz.notifications.triggers import point_staff


def staff_notify_transport_approaching(*, now: dt.datetime | None = None) -> int:
    """Every direct carriage within 30 minutes of its ETA (the live notice's rule) notifies the point's
    staff once."""
    now = now or clock.now()
    carriages = (
        Carriage.objects.filter(
            flow=CarriageFlow.DIRECT,
            status__in=NOT_ARRIVED,
            eta__gte=now - dt.timedelta(hours=1),
            eta__lte=now + APPROACHING_WITHIN,
        )
        .select_related("point", "partner")
        .order_by("eta", "pk")
    )
    sent = 0
    for carriage in carriages:
        point = carriage.point
        key = f"{StaffKind.TRANSPORT_APPROACHING}:{carriage.pk}"
        if StaffMessage.objects.filter(dedup_key__startswith=f"{key}:").exists():
            continue
        eta = carriage.eta.astimezone(point.tz).strftime("%H:%M") if carriage.eta else "—"

        def render(
            carriage: Carriage = carriage, point: PickupPoint = point, eta: str = eta
        ) -> tuple[str, str]:
            text = gettext("%(point)s: перевозка %(number)s от %(partner)s прибудет около %(eta)s.") % {
                "point": point.name,
                "number": carriage.number,
                "partner": carriage.partner.name,
                "eta": eta,
            }
            return gettext("Подъезжает перевозка"), text

        sent += len(
            staff_notify(
                kind=StaffKind.TRANSPORT_APPROACHING,
                key=key,
                users=point_staff(point),
                point=point,
                render=render,
            )
        )
    return sent
