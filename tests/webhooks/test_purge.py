"""Old webhook history is purged daily: delivered deliveries, their attempts and fully delivered events
after PVZ_WEBHOOK_RETENTION_DAYS; dead deliveries wait three times as long for a replay."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pvz.webhooks.models import (
    DeliveryAttempt,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from pvz.webhooks.services import delivery_replay, webhook_history_purge
from tests.factories import PartnerFactory

US = dt.timedelta(microseconds=1)
DAYS = dt.timedelta(days=30)


@pytest.fixture
def endpoint(db) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(partner=PartnerFactory(), url="https://hooks.example/a", secret="s")


def _event(endpoint: WebhookEndpoint, created_at: dt.datetime, *, fanned_out: bool = True) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event_id=f"evt_{uuid.uuid4().hex}",
        partner=endpoint.partner,
        type=EventType.SHIPMENT_STATUS_CHANGED,
        ordering_key="shipment:1",
        payload={},
        created_at=created_at,
        fanned_out_at=created_at if fanned_out else None,
    )


def _delivery(
    endpoint: WebhookEndpoint,
    event: OutboxEvent,
    status: str,
    *,
    delivered_at: dt.datetime | None = None,
    give_up_at: dt.datetime | None = None,
) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        ordering_key=event.ordering_key,
        status=status,
        attempts=1,
        next_attempt_at=event.created_at,
        give_up_at=give_up_at or event.created_at + dt.timedelta(days=3),
        delivered_at=delivered_at,
        created_at=event.created_at,
    )
    DeliveryAttempt.objects.create(delivery=delivery, at=event.created_at, status_code=200, duration_ms=5)
    return delivery


def _delivered(endpoint: WebhookEndpoint, at: dt.datetime) -> WebhookDelivery:
    return _delivery(endpoint, _event(endpoint, at - dt.timedelta(minutes=1)), "delivered", delivered_at=at)


def _dead(endpoint: WebhookEndpoint, give_up_at: dt.datetime) -> WebhookDelivery:
    event = _event(endpoint, give_up_at - dt.timedelta(days=3))
    return _delivery(endpoint, event, "dead", give_up_at=give_up_at)


def _left(*rows: WebhookDelivery | OutboxEvent) -> list[bool]:
    return [type(row).objects.filter(pk=row.pk).exists() for row in rows]


def test_a_delivery_delivered_exactly_30_days_ago_stays_and_one_a_microsecond_older_goes(
    endpoint, clock
) -> None:
    kept = _delivered(endpoint, clock.now() - DAYS)
    gone = _delivered(endpoint, clock.now() - DAYS - US)

    counts = webhook_history_purge()

    assert counts == {"deliveries": 1, "attempts": 1, "events": 1}
    assert _left(kept, kept.event, gone, gone.event) == [True, True, False, False]
    assert list(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == [kept.pk]


def test_a_dead_delivery_waits_three_times_the_retention_for_a_replay(endpoint, clock) -> None:
    recent = _dead(endpoint, clock.now() - DAYS - US)
    kept = _dead(endpoint, clock.now() - 3 * DAYS)
    gone = _dead(endpoint, clock.now() - 3 * DAYS - US)

    counts = webhook_history_purge()

    assert counts == {"deliveries": 1, "attempts": 1, "events": 1}
    assert _left(recent, recent.event, kept, kept.event, gone, gone.event) == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_a_replayed_dead_delivery_is_pending_and_stays(endpoint, clock) -> None:
    replayed = _dead(endpoint, clock.now() - 3 * DAYS - US)
    delivery_replay(actor=None, delivery=replayed)

    assert webhook_history_purge() == {"deliveries": 0, "attempts": 0, "events": 0}
    assert _left(replayed, replayed.event) == [True, True]


def test_pending_deliveries_and_events_not_fanned_out_stay_however_old(endpoint, clock) -> None:
    old = clock.now() - 10 * DAYS
    pending = _delivery(endpoint, _event(endpoint, old), "pending")
    new = _event(endpoint, old, fanned_out=False)

    assert webhook_history_purge() == {"deliveries": 0, "attempts": 0, "events": 0}
    assert _left(pending, pending.event, new) == [True, True, True]


def test_an_event_goes_only_when_older_than_the_retention_and_every_delivery_is_gone(endpoint, clock) -> None:
    other = WebhookEndpoint.objects.create(
        partner=endpoint.partner, url="https://hooks.example/b", secret="s"
    )
    shared = _event(endpoint, clock.now() - 2 * DAYS)
    done = _delivery(endpoint, shared, "delivered", delivered_at=clock.now() - 2 * DAYS)
    waiting = _delivery(other, shared, "pending")
    # Replayed and delivered yesterday: the delivery is recent, so its old event stays with it.
    replayed = _event(endpoint, clock.now() - 2 * DAYS)
    recent = _delivery(endpoint, replayed, "delivered", delivered_at=clock.now() - dt.timedelta(days=1))
    # No endpoint wanted these: nothing to deliver, they go by age alone.
    unsent_kept = _event(endpoint, clock.now() - DAYS)
    unsent_gone = _event(endpoint, clock.now() - DAYS - US)

    counts = webhook_history_purge()

    assert counts == {"deliveries": 1, "attempts": 1, "events": 1}
    assert _left(done, waiting, shared, recent, replayed, unsent_kept, unsent_gone) == [
        False,
        True,
        True,
        True,
        True,
        True,
        False,
    ]


def test_the_purge_works_in_batches_and_the_retention_is_a_setting(endpoint, clock, settings) -> None:
    settings.PVZ_WEBHOOK_RETENTION_DAYS = 1
    old = [_delivered(endpoint, clock.now() - dt.timedelta(days=1) - US) for _ in range(5)]
    kept = _delivered(endpoint, clock.now() - dt.timedelta(days=1))

    counts = webhook_history_purge(batch_size=2)

    assert counts == {"deliveries": 5, "attempts": 5, "events": 5}
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(_left(*old))
    assert webhook_history_purge(batch_size=2) == {"deliveries": 0, "attempts": 0, "events": 0}


def test_the_scheduler_purges_the_history_daily(endpoint, clock, settings) -> None:
    from pvz.core.scheduler import PERIODIC_TASKS
    from pvz.webhooks.tasks import purge_webhook_history

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _delivered(endpoint, clock.now() - DAYS - US)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret="old", previous_secret_until=clock.now()
    )

    result = purge_webhook_history.enqueue()

    assert result.return_value == {"deliveries": 1, "attempts": 1, "events": 1, "secrets": 1}
    assert WebhookEndpoint.objects.values_list("previous_secret", "previous_secret_until").get() == ("", None)
    jobs = {job.task_path: job.every_seconds for job in PERIODIC_TASKS}
    assert jobs["pvz.webhooks.tasks.purge_webhook_history"] == 24 * 60 * 60
