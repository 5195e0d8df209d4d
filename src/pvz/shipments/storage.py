"""The storage-deadline rule: the end (23:59:59.999999, point-local) of the Nth local day after the day
the shipment became STORED. The day of storing itself is not counted, so a parcel stored at 21:00 does
not lose a day."""

from __future__ import annotations

import datetime as dt

from pvz.network.models import Partner, PartnerPoint, PickupPoint


def end_of_local_day(day: dt.date, point: PickupPoint) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=point.tz)


def start_of_local_day(day: dt.date, point: PickupPoint) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=point.tz)


def storage_days(partner: Partner, point: PickupPoint) -> int:
    link = PartnerPoint.objects.filter(partner=partner, point=point).select_related("partner").first()
    return link.effective_storage_days() if link else partner.storage_days


def storage_deadline(*, stored_at: dt.datetime, days: int, point: PickupPoint) -> dt.datetime:
    """Deadline for a shipment stored at `stored_at` with a storage period of `days` days."""
    if days < 1:
        raise ValueError("storage period must be at least one day")
    return end_of_local_day(point.local_date(stored_at) + dt.timedelta(days=days), point)
