"""Retention after a point closes: once `PVZ_RETENTION_DAYS` have passed since a point was CLOSED, the
personal data of customers who only ever had parcels at such points is anonymised.

What goes: the customer's name, phone and pickup number (replaced by placeholders that are no phone and
no pickup code), the phone and text of their SMS notifications and outbox messages, the phone on their
issue and return verification codes, and the last four ID digits noted at issue. What stays: shipments,
orders, events, acts and statistics (they point at the anonymised customer row), and the audit log,
which holds no customer data. A customer who also has parcels (or return visits) at a point still open,
closing, or closed more recently keeps everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from pvz.accounts.models import SmsMessage
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.logging import get_logger
from pvz.counter.models import CustomerCode, IssueLine
from pvz.network.models import PickupPoint, PointStatus
from pvz.notifications.models import Notification
from pvz.shipments.models import Customer

log = get_logger(__name__)

BATCH_SIZE = 500
PLACEHOLDER_PREFIX = "anon-"


@dataclass(frozen=True)
class RetentionRun:
    points: int  # closed points past the retention period
    customers: int  # customers anonymised by this run


def retention_period() -> dt.timedelta:
    return dt.timedelta(days=settings.PVZ_RETENTION_DAYS)


def points_past_retention(*, now: dt.datetime) -> QuerySet[PickupPoint]:
    """Points closed at least the retention period ago (at exactly the boundary the period is over)."""
    return PickupPoint.objects.filter(
        status=PointStatus.CLOSED, closed_at__isnull=False, closed_at__lte=now - retention_period()
    )


def customers_due_for_anonymisation(*, now: dt.datetime) -> QuerySet[Customer]:
    """Customers not yet anonymised whose every parcel and return visit belongs to points past retention."""
    expired = points_past_retention(now=now)
    others = PickupPoint.objects.exclude(pk__in=expired.values("pk"))
    return (
        Customer.objects.filter(anonymized_at__isnull=True, orders__shipments__point__in=expired.values("pk"))
        .exclude(orders__shipments__point__in=others.values("pk"))
        .exclude(return_visits__point__in=others.values("pk"))
        .distinct()
    )


def placeholder_for(customer_id: int) -> str:
    """`anon-<id>`: unique like the customer, at most 16 characters for ids below 10¹¹, and neither an
    E.164 phone nor a pickup number (both are digits only), so nobody can be found or served by it."""
    return f"{PLACEHOLDER_PREFIX}{customer_id}"


def _anonymise_batch(ids: list[int], *, now: dt.datetime) -> int:
    with transaction.atomic():
        customers = list(
            Customer.objects.select_for_update().filter(pk__in=ids, anonymized_at__isnull=True).order_by("pk")
        )
        if not customers:
            return 0
        ids = [customer.pk for customer in customers]
        phones = [customer.phone for customer in customers]
        for customer in customers:
            customer.name = ""
            customer.phone = placeholder_for(customer.pk)
            customer.pickup_number = placeholder_for(customer.pk)
            customer.email = ""
            customer.anonymized_at = now
        Customer.objects.bulk_update(customers, ["name", "phone", "pickup_number", "email", "anonymized_at"])
        Notification.objects.filter(customer_id__in=ids).update(recipient="", text="")
        CustomerCode.objects.filter(customer_id__in=ids).update(phone="")
        IssueLine.objects.filter(session__customer_id__in=ids).exclude(id_last4="").update(id_last4="")
        SmsMessage.objects.filter(phone__in=phones).update(phone="", text="")
    return len(customers)


def customers_anonymise_retired(*, batch_size: int = BATCH_SIZE) -> RetentionRun:
    """Anonymise every customer due (see the module docstring), `batch_size` per transaction, and record
    the run once in the audit log with its counts. Idempotent: anonymised customers are never due again."""
    now = clock.now()
    points = points_past_retention(now=now).count()
    total = 0
    if points:
        while True:
            ids = list(
                customers_due_for_anonymisation(now=now)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            done = _anonymise_batch(ids, now=now)
            total += done
            if done == 0:  # everything picked was anonymised meanwhile by a parallel run
                break
    with transaction.atomic():
        audit_record(
            action="retention.anonymize",
            object_type="customer",
            details={"points": points, "customers": total, "retention_days": settings.PVZ_RETENTION_DAYS},
        )
    log.info("retention_anonymised", points=points, customers=total)
    return RetentionRun(points=points, customers=total)
