"""Writes of the webhooks app: endpoints, the fan-out of outbox events into deliveries, and a manual
replay. The outbox rows themselves are written by the apps whose changes they report
(`shipments.outbox`, `inbound.outbox`), in their transactions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils.translation import gettext as _

from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.clock import iso_utc
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.network.models import Partner
from pvz.webhooks.errors import DeliveryNotReplayable
from pvz.webhooks.lookups import lookups_resolve
from pvz.webhooks.models import (
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from pvz.webhooks.signing import secret_generate
from pvz.webhooks.statuses import DELIVERY
from pvz.webhooks.urlguard import webhook_url_check

if TYPE_CHECKING:
    from pvz.accounts.models import User

log = get_logger(__name__)

# Deliveries are retried for this long after the event (or after a manual replay), then dead.
RETRY_WINDOW = dt.timedelta(days=3)


def webhook_endpoint_create(
    *,
    actor: User | None,
    partner: Partner,
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
) -> WebhookEndpoint:
    """A new active endpoint with a fresh secret; audited (the secret is not in the audit details).
    The URL must pass the SSRF guard (`webhook_url_check`): VALIDATION_FAILED on field `url` if not."""
    url = webhook_url_check(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            partner=partner,
            url=url,
            secret=secret_generate(),
            event_types=list(event_types or []),
            description=description,
        )
        audit_record(
            action="webhook.endpoint_created",
            actor=actor,
            obj=endpoint,
            details={"partner": partner.code, "url": url, "event_types": endpoint.event_types},
        )
    return endpoint


def webhook_endpoint_update(*, actor: User | None, endpoint: WebhookEndpoint, changed: list[str]) -> None:
    """Save an endpoint edited in the admin; audited with the names of the changed fields. A changed URL
    must pass the SSRF guard (`webhook_url_check`): VALIDATION_FAILED on field `url`, nothing saved."""
    stored = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("url", flat=True).first()
    if endpoint.url != stored:  # whatever `changed` says: a new URL is never saved unchecked
        endpoint.url = webhook_url_check(endpoint.url)
    with transaction.atomic():
        endpoint.save()
        audit_record(
            action="webhook.endpoint_changed",
            actor=actor,
            obj=endpoint,
            details={"changed": changed, "url": endpoint.url, "is_active": endpoint.is_active},
        )


def webhooks_fan_out(*, batch_size: int = 500) -> int:
    """Turn one batch of new outbox events (in id order) into deliveries, one per active endpoint of the
    event's partner that wants its type; returns how many events were fanned out.

    The batch is locked without SKIP LOCKED: concurrent fan-outs queue, so deliveries of one shipment
    are always created in the order of its events."""
    now = clock.now()
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update()
            .filter(fanned_out_at__isnull=True)
            .order_by("id")[:batch_size]
        )
        if not events:
            return 0
        lookups_resolve(events)
        endpoints: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in WebhookEndpoint.objects.filter(
            partner_id__in={event.partner_id for event in events}, is_active=True
        ).order_by("id"):
            endpoints.setdefault(endpoint.partner_id, []).append(endpoint)
        deliveries = [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                ordering_key=event.ordering_key,
                next_attempt_at=now,
                give_up_at=event.created_at + RETRY_WINDOW,
                created_at=now,
            )
            for event in events
            for endpoint in endpoints.get(event.partner_id, [])
            if endpoint.wants(event.type)
        ]
        _wait_behind_pending(deliveries, now=now)
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        for event in events:
            event.fanned_out_at = now
        OutboxEvent.objects.bulk_update(events, ["payload", "lookups", "fanned_out_at"])
    return len(events)


def _wait_behind_pending(deliveries: list[WebhookDelivery], *, now: dt.datetime) -> None:
    """Schedule a new delivery no earlier than the pending one of its shipment and endpoint it will wait
    for (one query for the batch), so the worker's claim does not keep reading it while it waits; the
    worker's order check still decides (`pvz.webhooks.delivery`)."""
    if not deliveries:
        return
    waits: dict[tuple[int, str], dt.datetime] = {
        (row["endpoint_id"], row["ordering_key"]): row["latest"]
        for row in WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            endpoint_id__in={d.endpoint_id for d in deliveries},
            ordering_key__in={d.ordering_key for d in deliveries},
        )
        .values("endpoint_id", "ordering_key")
        .annotate(latest=Max("next_attempt_at"))
        .order_by()
    }
    for delivery in deliveries:
        latest = waits.get((delivery.endpoint_id, delivery.ordering_key))
        if latest is not None and latest > now:
            delivery.next_attempt_at = latest


def delivery_replay(*, actor: User | None, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a dead or delivered delivery again, now, with the same event id (partners deduplicate by
    it); it gets a fresh three-day retry window. Audited."""
    now = clock.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == DeliveryStatus.PENDING:
            raise DeliveryNotReplayable(details={"delivery_id": locked.pk})
        previous = DELIVERY.set(locked, DeliveryStatus.PENDING)
        locked.next_attempt_at = now if locked.endpoint.is_active else PARKED_UNTIL
        locked.give_up_at = now + RETRY_WINDOW
        locked.save(update_fields=["status", "next_attempt_at", "give_up_at"])
        audit_record(
            action="webhook.delivery_replayed",
            actor=actor,
            obj=locked,
            details={"event_id": locked.event.event_id, "endpoint_id": locked.endpoint_id, "was": previous},
        )
    return locked


# How long a replaced secret keeps signing next to the new one, in hours (the screen's choices); 0 drops
# it at once (a leaked secret).
SECRET_OVERLAP_HOURS = (0, 1, 24, 72, 168)
SECRET_OVERLAP_DEFAULT_HOURS = 24


def webhook_endpoint_rotate_secret(
    *, actor: User | None, endpoint: WebhookEndpoint, overlap_hours: int = SECRET_OVERLAP_DEFAULT_HOURS
) -> WebhookEndpoint:
    """A fresh secret, signing from the next attempt; the replaced one signs next to it (two signatures
    per request) for `overlap_hours`, one of SECRET_OVERLAP_HOURS, so the partner can switch its receiver
    without losing a request. Rotating again during an overlap drops the oldest secret at once. Audited
    without any secret; a bad overlap is VALIDATION_FAILED on `overlap_hours` and changes nothing."""
    if overlap_hours not in SECRET_OVERLAP_HOURS:
        raise DomainError(
            _("Период перекрытия: один из %(choices)s ч.")
            % {"choices": ", ".join(str(h) for h in SECRET_OVERLAP_HOURS)},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "overlap_hours"},
        )
    now = clock.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        dropped = len(locked.secrets_at(now)) > 1
        if overlap_hours:
            locked.previous_secret = locked.secret
            locked.previous_secret_until = now + dt.timedelta(hours=overlap_hours)
        else:
            locked.previous_secret, locked.previous_secret_until = "", None
        locked.secret = secret_generate()
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
        until = locked.previous_secret_until
        audit_record(
            action="webhook.endpoint_secret_rotated",
            actor=actor,
            obj=locked,
            details={
                "url": locked.url,
                "overlap_hours": overlap_hours,
                "previous_secret_until": iso_utc(until) if until else None,
                "older_secret_dropped": dropped,
            },
        )
    return locked


def webhook_previous_secrets_drop() -> int:
    """Blank the replaced secrets whose overlap is over (they no longer sign anything: `secrets_at`);
    returns how many. Run daily with the history purge."""
    return WebhookEndpoint.objects.filter(
        previous_secret_until__lte=clock.now(), previous_secret__gt=""
    ).update(previous_secret="", previous_secret_until=None)


# Where the pending deliveries of an inactive endpoint wait: past any real schedule.
PARKED_UNTIL = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def webhook_endpoint_set_active(
    *, actor: User | None, endpoint: WebhookEndpoint, is_active: bool
) -> WebhookEndpoint:
    """Stop (or resume) fanning new events out to the endpoint; while it is inactive its pending
    deliveries wait, parked at `PARKED_UNTIL` so that the worker's claim, which walks the due ones in
    time order, never steps over them; resuming makes them due at once (in order per shipment, as
    always). Audited; a no-op when already so."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.is_active == is_active:
            return locked
        locked.is_active = is_active
        locked.save(update_fields=["is_active", "updated_at"])
        pending = WebhookDelivery.objects.filter(endpoint=locked, status=DeliveryStatus.PENDING)
        if is_active:
            pending.filter(next_attempt_at=PARKED_UNTIL).update(next_attempt_at=clock.now())
        else:
            pending.update(next_attempt_at=PARKED_UNTIL)
        audit_record(
            action="webhook.endpoint_changed",
            actor=actor,
            obj=locked,
            details={"changed": ["is_active"], "url": locked.url, "is_active": is_active},
        )
    return locked


# Dead deliveries wait for a replay this many times the retention of delivered ones.
DEAD_RETENTION_FACTOR = 3
PURGE_BATCH_SIZE = 1000


def webhook_history_purge(*, batch_size: int = PURGE_BATCH_SIZE) -> dict[str, int]:
    """Delete old webhook history in batches (each its own transaction); returns the deleted counts.

    With `days` = PVZ_WEBHOOK_RETENTION_DAYS: a delivered delivery and its attempts go once
    `delivered_at` is strictly more than `days` ago; a dead one once `give_up_at` is strictly more than
    3 × `days` ago (until then it waits for a replay; a replayed one is pending again and counts anew).
    A fanned-out outbox event goes when it is older than `days` (`created_at`) and has no delivery left
    (all delivered and purged, or none was made). Pending deliveries and their events are never touched.
    Idempotent: it only deletes by age."""
    now = clock.now()
    retention = dt.timedelta(days=int(settings.PVZ_WEBHOOK_RETENTION_DAYS))
    cutoff = now - retention
    counts = {"deliveries": 0, "attempts": 0, "events": 0}
    for status, field, older_than in (
        (DeliveryStatus.DELIVERED, "delivered_at", cutoff),
        (DeliveryStatus.DEAD, "give_up_at", now - retention * DEAD_RETENTION_FACTOR),
    ):
        while True:
            with transaction.atomic():
                # Locked: a replay (which locks the delivery too) waits, or wins and it is skipped.
                ids = list(
                    WebhookDelivery.objects.select_for_update()
                    .filter(status=status, **{f"{field}__lt": older_than})
                    .order_by("id")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not ids:
                    break
                attempts = DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()[0]
                deliveries = WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
            counts["attempts"] += attempts
            counts["deliveries"] += deliveries
            if len(ids) < batch_size:
                break
    has_delivery = WebhookDelivery.objects.filter(event=OuterRef("pk"))
    while True:
        with transaction.atomic():
            event_ids = list(
                OutboxEvent.objects.filter(fanned_out_at__isnull=False, created_at__lt=cutoff)
                .filter(~Exists(has_delivery))
                .order_by("id")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not event_ids:
                break
            events = OutboxEvent.objects.filter(pk__in=event_ids).delete()[0]
        counts["events"] += events
        if len(event_ids) < batch_size:
            break
    log.info("webhook_history_purged", **counts)
    return counts
