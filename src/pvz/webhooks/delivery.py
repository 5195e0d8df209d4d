"""The delivery worker: claim due deliveries, POST them signed, record each outcome.

Claiming moves a delivery's `next_attempt_at` a lease ahead in a short transaction (with SKIP LOCKED on
PostgreSQL, so workers share the load); the HTTP requests run outside any transaction, in parallel, each
with a timeout; the outcomes are written in one transaction per batch. A worker that dies mid-batch leaves
its claims to expire with the lease, after which they are sent again (at least once; partners deduplicate
by the event id). A delivery waits while an older pending delivery of the same shipment to the same
endpoint exists, so each endpoint receives a shipment's events in order.

That "no older pending one" check decides; `next_attempt_at` of the waiting ones only keeps them out of
the claim's way: a waiting delivery is scheduled no earlier than the one it waits for (at the fan-out, and
whenever that one fails), and brought back to now once that one is delivered or dead. So a claim reads
about a batch of rows from the due index however large the backlog, even behind an endpoint that is down.
A schedule left behind by a race costs at most a lease of delay, never a lost or reordered delivery."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from pvz.core import clock
from pvz.core.bulk import bulk_update_rows
from pvz.core.logging import get_logger
from pvz.webhooks.models import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from pvz.webhooks.services import PARKED_UNTIL, webhooks_fan_out
from pvz.webhooks.signing import signature_headers
from pvz.webhooks.statuses import DELIVERY
from pvz.webhooks.transport import GuardedTransport
from pvz.webhooks.urlguard import AddressRefused

log = get_logger(__name__)

# Wait after the n-th failed attempt (the last one repeats), before up to +20 % jitter; capped so the
# final attempt happens at `give_up_at`.
RETRY_DELAYS = (
    dt.timedelta(seconds=10),
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
)
JITTER = 0.2
# How long a claimed delivery is reserved for the worker sending it.
CLAIM_LEASE = dt.timedelta(minutes=2)
USER_AGENT = "OpenPVZ-Webhooks/1"


def random_fraction() -> float:
    """A jitter fraction in [0, 1); tests replace it to make the schedule exact."""
    return random.random()  # noqa: S311 - spreading retries, not security


def retry_delay(attempts: int, *, fraction: float) -> dt.timedelta:
    """The wait after `attempts` failed attempts, stretched by `fraction` of the jitter."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (1 + JITTER * fraction)


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    at: dt.datetime
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# Plan types the claim must not use (PostgreSQL, for its transaction only), leaving only the bounded
# plan: the due index in claim order, per row the order index, the event and endpoint by primary key.
_CLAIM_PLANNER_OFF = ("seqscan", "bitmapscan", "sort", "hashjoin", "mergejoin", "material")


def _walk_indexes_only() -> None:
    """Pin the claim's plan. With statistics that lag behind the backlog (a fresh table, or thousands of
    deliveries fanned out since the last autovacuum analyze) the planner took the due set for a few rows
    and read and sorted the whole backlog on every claim, or anti-joined it with itself in a nested loop:
    18 ms at 10,000 pending with fresh statistics, 7.5 s without, 1 ms pinned (docs/performance.md)."""
    settings_sql = ", ".join(f"set_config('enable_{name}', 'off', true)" for name in _CLAIM_PLANNER_OFF)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {settings_sql}")


def _claim(*, batch_size: int) -> list[WebhookDelivery]:
    now = clock.now()
    older_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        status=DeliveryStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _walk_indexes_only()
        due = (
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
            )
            .exclude(Exists(older_pending))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due.select_related("endpoint", "event")[:batch_size])
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                next_attempt_at=now + CLAIM_LEASE
            )
    return claimed


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes for every attempt of an event."""
    event = delivery.event
    envelope = {"type": event.type, "timestamp": event.payload.get("at"), "data": event.payload}
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _send(client: httpx.Client, delivery: WebhookDelivery) -> Outcome:
    """POST one delivery; never raises: every failure becomes an outcome."""
    at = clock.now()
    body = body_of(delivery)
    headers = signature_headers(
        secret=delivery.endpoint.secrets_at(at),
        msg_id=delivery.event.event_id,
        timestamp=int(at.timestamp()),
        body=body,
    )
    headers["content-type"] = "application/json"
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        response = client.post(delivery.endpoint.url, content=body, headers=headers)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.TimeoutException as exc:
        error = f"timeout: {type(exc).__name__}"
    except AddressRefused as exc:
        error = f"refused: {exc}"
    except Exception as exc:  # connection refused, DNS, TLS…: all retried the same way
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(delivery.pk, at, status_code, error[:300], duration_ms)


def _record(claimed: list[WebhookDelivery], outcomes: list[Outcome]) -> None:
    by_id = {delivery.pk: delivery for delivery in claimed}
    with transaction.atomic():
        for outcome in outcomes:
            delivery = by_id[outcome.delivery_id]
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            if outcome.ok:
                DELIVERY.set(delivery, DeliveryStatus.DELIVERED)
                delivery.delivered_at = outcome.at
            elif outcome.at >= delivery.give_up_at:
                DELIVERY.set(delivery, DeliveryStatus.DEAD)
                log.warning("webhook_dead", delivery_id=delivery.pk, event_id=delivery.event.event_id)
            else:
                wait = retry_delay(delivery.attempts, fraction=random_fraction())
                delivery.next_attempt_at = min(outcome.at + wait, delivery.give_up_at)
        # An endpoint switched off while its batch was on the wire: what is still pending stays parked.
        inactive = set(
            WebhookEndpoint.objects.filter(
                pk__in={d.endpoint_id for d in claimed}, is_active=False
            ).values_list("pk", flat=True)
        )
        for delivery in claimed:
            if delivery.endpoint_id in inactive and delivery.status == DeliveryStatus.PENDING:
                delivery.next_attempt_at = PARKED_UNTIL
        bulk_update_rows(
            WebhookDelivery,
            claimed,
            ["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"],
        )
        _reschedule_followers([d for d in claimed if d.endpoint_id not in inactive], now=clock.now())
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery_id=o.delivery_id,
                at=o.at,
                status_code=o.status_code,
                error=o.error,
                duration_ms=o.duration_ms,
            )
            for o in outcomes
        )


def _reschedule_followers(claimed: list[WebhookDelivery], *, now: dt.datetime) -> None:
    """Keep waiting deliveries out of the claim's due range (see the module docstring): behind one that
    failed, no earlier than its next attempt; behind one that is done (delivered or dead), due now. One
    query reads the pending deliveries of the batch's shipments (usually none), one writes the changes."""
    ahead = {(d.endpoint_id, d.ordering_key): d for d in claimed}
    waiting = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            endpoint_id__in={d.endpoint_id for d in claimed},
            ordering_key__in={d.ordering_key for d in claimed},
        )
        .exclude(pk__in=[d.pk for d in claimed])
        .only("endpoint_id", "ordering_key", "event_id", "next_attempt_at")
        .order_by()
    )
    changed = []
    for follower in waiting:
        before = ahead.get((follower.endpoint_id, follower.ordering_key))
        if before is None or follower.event_id < before.event_id:
            continue
        if before.status == DeliveryStatus.PENDING:
            due = max(follower.next_attempt_at, before.next_attempt_at)
        else:
            due = min(follower.next_attempt_at, now)
        if due != follower.next_attempt_at:
            follower.next_attempt_at = due
            changed.append(follower)
    bulk_update_rows(WebhookDelivery, changed, ["next_attempt_at"])


def webhooks_deliver_batch(*, client: httpx.Client, batch_size: int, concurrency: int) -> int:
    """Claim, send and record one batch; returns how many deliveries were attempted."""
    claimed = _claim(batch_size=batch_size)
    if not claimed:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(claimed)))) as pool:
        outcomes = list(pool.map(lambda delivery: _send(client, delivery), claimed))
    _record(claimed, outcomes)
    return len(claimed)


def _client() -> httpx.Client:
    """Connections only to addresses the SSRF guard accepts, checked as they are opened (see
    `GuardedTransport`); no redirects, no proxies from the environment."""
    timeout = float(settings.PVZ_WEBHOOK_TIMEOUT_SECONDS)
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
        transport=GuardedTransport(),
    )


def webhooks_run(
    *,
    budget_seconds: float = 8.0,
    batch_size: int | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Fan out every new outbox event, then deliver batches until nothing is due or the time budget is
    spent (the next periodic run continues); returns how many deliveries were attempted. Never raises
    into the caller."""
    batch = batch_size or int(settings.PVZ_WEBHOOK_BATCH_SIZE)
    concurrency = int(settings.PVZ_WEBHOOK_CONCURRENCY)
    deadline = monotonic() + budget_seconds
    attempted = 0
    try:
        while webhooks_fan_out() and monotonic() < deadline:
            pass
        with _client() as client:
            while monotonic() < deadline:
                sent = webhooks_deliver_batch(client=client, batch_size=batch, concurrency=concurrency)
                attempted += sent
                if sent == 0:
                    break
    except Exception:
        log.exception("webhooks_run_failed")
    return attempted
