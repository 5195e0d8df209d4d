"""The worker delivers every event signed, retries failures with backoff for three days, keeps each
shipment's events in order per endpoint, and never raises into its caller."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.audit.models import AuditRecord
from pvz.network.models import Partner
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.errors import DeliveryNotReplayable
from pvz.webhooks.models import DeliveryAttempt, DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from pvz.webhooks.services import delivery_replay, webhook_endpoint_create
from tests.factories import PartnerFactory, ShipmentFactory
from tests.fakes.webhook_receiver import FakeWebhookReceiver


def _endpoint(receiver: FakeWebhookReceiver, partner: Partner) -> WebhookEndpoint:
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url)
    receiver.secret = endpoint.secret
    return endpoint


def _accept_then_damage(shipment: Shipment) -> None:
    """Two events of one shipment: EXPECTED → ACCEPTED → DAMAGED."""
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.DAMAGED, reason="wet")


def _one_shipment_change(receiver: FakeWebhookReceiver) -> None:
    """A partner with an endpoint at the receiver, and one change of one of its shipments: one event."""
    partner = PartnerFactory()
    _endpoint(receiver, partner)
    shipment_transition(
        actor=None, shipment_id=ShipmentFactory(partner=partner).pk, to_status=Status.ACCEPTED
    )


def _due_at(delivery: WebhookDelivery) -> dt.datetime:
    delivery.refresh_from_db()
    return delivery.next_attempt_at


@pytest.mark.django_db
def test_a_receiver_down_for_a_while_gets_every_event_afterwards_in_order_and_signed(clock, receiver) -> None:
    partner = PartnerFactory()
    _endpoint(receiver, partner)
    first, second = ShipmentFactory(partner=partner), ShipmentFactory(partner=partner)
    receiver.down()
    _accept_then_damage(first)
    _accept_then_damage(second)

    # Only the oldest event of each shipment is tried; the newer ones wait behind it.
    assert webhooks_run() == 2
    oldest = list(WebhookDelivery.objects.filter(event__payload__to_status="ACCEPTED"))
    assert [(d.attempts, d.status, d.last_status_code) for d in oldest] == [
        (1, DeliveryStatus.PENDING, None)
    ] * 2
    assert all(d.last_error.startswith("ConnectError") for d in oldest)
    assert {d.next_attempt_at for d in oldest} == {clock.now() + dt.timedelta(seconds=10)}
    assert webhooks_run() == 0  # nothing is due before the backoff ends

    for wait in (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30)):
        clock.set(_due_at(oldest[0]))
        assert webhooks_run() == 2
        assert [_due_at(d) for d in oldest] == [clock.now() + wait] * 2

    receiver.up()
    clock.set(_due_at(oldest[0]))
    assert webhooks_run() == 4

    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert [r.verified for r in receiver.received] == [True] * 4
    events = {e.event_id: e for e in OutboxEvent.objects.all()}
    assert sorted(r.event_id for r in receiver.accepted) == sorted(events)
    for shipment in (first, second):
        statuses = [
            r.json["data"]["to_status"]
            for r in receiver.accepted
            if r.json["data"]["shipment"]["barcode"] == shipment.barcode
        ]
        assert statuses == ["ACCEPTED", "DAMAGED"]
    sample = receiver.accepted[0]
    assert sample.json["type"] == "shipment.status_changed"
    assert sample.json["data"] == events[sample.event_id].payload
    assert sample.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert DeliveryAttempt.objects.count() == 2 * 5 + 2  # four failures and a success each, two at once


@pytest.mark.django_db
def test_failed_attempts_wait_by_the_backoff_schedule(clock, receiver) -> None:
    receiver.mode = "error_500"
    _one_shipment_change(receiver)
    webhooks_run()
    delivery = WebhookDelivery.objects.get()

    waits = []
    for _ in range(8):
        waits.append(_due_at(delivery) - clock.now())
        clock.set(_due_at(delivery))
        assert webhooks_run() == 1

    assert waits == [
        dt.timedelta(seconds=10),
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
        dt.timedelta(hours=6),
        dt.timedelta(hours=12),
        dt.timedelta(hours=12),
    ]


@pytest.mark.django_db
def test_jitter_stretches_a_wait_by_at_most_a_fifth(clock, receiver, monkeypatch) -> None:
    from pvz.webhooks import delivery as worker

    monkeypatch.setattr(worker, "random_fraction", lambda: 0.5)
    receiver.mode = "error_500"
    _one_shipment_change(receiver)

    webhooks_run()

    assert WebhookDelivery.objects.get().next_attempt_at == clock.now() + dt.timedelta(seconds=11)


@pytest.mark.django_db
def test_an_answer_500_counts_as_a_failure(clock, receiver) -> None:
    receiver.mode = "error_500"
    _one_shipment_change(receiver)

    assert webhooks_run() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.PENDING,
        1,
        500,
        "HTTP 500",
    )
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.delivery_id, attempt.at, attempt.status_code, attempt.error) == (
        delivery.pk,
        clock.now(),
        500,
        "HTTP 500",
    )
    assert [r.verified for r in receiver.received] == [True]


@pytest.mark.django_db
def test_a_receiver_that_stalls_times_out_and_counts_as_a_failure(clock, receiver, settings) -> None:
    settings.PVZ_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.mode, receiver.stall_seconds = "stall", 1.0
    _one_shipment_change(receiver)

    assert webhooks_run() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.PENDING,
        1,
        None,
    )
    assert delivery.last_error == "timeout: ReadTimeout"
    assert DeliveryAttempt.objects.get().duration_ms < 1000


@pytest.mark.django_db
def test_a_delivery_failing_for_three_days_is_dead_after_a_last_attempt_at_the_limit(clock, receiver) -> None:
    receiver.mode = "error_500"
    _one_shipment_change(receiver)
    webhooks_run()
    delivery = WebhookDelivery.objects.get()
    limit = OutboxEvent.objects.get().created_at + dt.timedelta(days=3)

    while delivery.status == DeliveryStatus.PENDING:
        clock.set(delivery.next_attempt_at)
        webhooks_run()
        delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == 13
    assert list(DeliveryAttempt.objects.values_list("at", flat=True))[-2:] == [
        limit - dt.timedelta(hours=3, minutes=23, seconds=50),
        limit,
    ]
    clock.advance(days=1)
    assert webhooks_run() == 0


@pytest.mark.django_db
def test_replay_sends_a_dead_delivery_again_with_the_same_event_id_and_is_audited(clock, receiver) -> None:
    receiver.mode = "error_500"
    _one_shipment_change(receiver)
    webhooks_run()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD)
    delivery.refresh_from_db()
    receiver.mode = "accept"
    clock.advance(days=4)

    replayed = delivery_replay(actor=None, delivery=delivery)

    assert (replayed.status, replayed.next_attempt_at, replayed.give_up_at) == (
        DeliveryStatus.PENDING,
        clock.now(),
        clock.now() + dt.timedelta(days=3),
    )
    record = AuditRecord.objects.get(action="webhook.delivery_replayed")
    assert record.details == {
        "event_id": delivery.event.event_id,
        "endpoint_id": delivery.endpoint_id,
        "was": "dead",
    }
    assert webhooks_run() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.delivered_at, delivery.attempts) == (
        DeliveryStatus.DELIVERED,
        clock.now(),
        2,
    )
    assert [r.event_id for r in receiver.received] == [delivery.event.event_id] * 2


@pytest.mark.django_db
def test_a_delivered_delivery_can_be_replayed_and_a_pending_one_cannot(clock, receiver) -> None:
    _one_shipment_change(receiver)
    webhooks_run()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED

    delivery_replay(actor=None, delivery=delivery)
    with pytest.raises(DeliveryNotReplayable):
        delivery_replay(actor=None, delivery=delivery)

    assert webhooks_run() == 1
    assert len(receiver.accepted) == 2


@pytest.mark.django_db
def test_an_older_pending_delivery_of_the_same_shipment_blocks_the_newer_one_only(clock, receiver) -> None:
    partner = PartnerFactory()
    _endpoint(receiver, partner)
    blocked, free = ShipmentFactory(partner=partner), ShipmentFactory(partner=partner)
    _accept_then_damage(blocked)
    webhooks_run(budget_seconds=0)  # fan out only
    WebhookDelivery.objects.filter(event__payload__to_status="ACCEPTED").update(
        next_attempt_at=clock.now() + dt.timedelta(hours=1)
    )
    shipment_transition(actor=None, shipment_id=free.pk, to_status=Status.ACCEPTED)

    assert webhooks_run() == 1

    assert [r.json["data"]["shipment"]["barcode"] for r in receiver.accepted] == [free.barcode]
    clock.advance(hours=1)
    assert webhooks_run() == 2
    assert [r.json["data"]["to_status"] for r in receiver.accepted[1:]] == ["ACCEPTED", "DAMAGED"]


@pytest.mark.django_db
def test_a_dead_older_delivery_no_longer_blocks_the_newer_one(clock, receiver) -> None:
    partner = PartnerFactory()
    _endpoint(receiver, partner)
    _accept_then_damage(ShipmentFactory(partner=partner))
    webhooks_run(budget_seconds=0)
    WebhookDelivery.objects.filter(event__payload__to_status="ACCEPTED").update(status=DeliveryStatus.DEAD)

    assert webhooks_run() == 1

    assert [r.json["data"]["to_status"] for r in receiver.accepted] == ["DAMAGED"]


@pytest.mark.django_db
def test_a_down_endpoint_does_not_hold_up_another_endpoint(clock, receiver) -> None:
    partner = PartnerFactory()
    _endpoint(receiver, partner)
    webhook_endpoint_create(actor=None, partner=partner, url="http://127.0.0.1:9/refused")
    shipment_transition(
        actor=None, shipment_id=ShipmentFactory(partner=partner).pk, to_status=Status.ACCEPTED
    )

    assert webhooks_run() == 2

    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
    ]
    assert len(receiver.accepted) == 1


@pytest.mark.django_db
def test_a_failing_worker_run_is_logged_not_raised(clock, monkeypatch) -> None:
    from pvz.webhooks import delivery as worker

    def broken(**kwargs: object) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker, "webhooks_fan_out", broken)

    assert webhooks_run() == 0


@pytest.mark.django_db
def test_the_scheduler_runs_the_delivery_task_every_ten_seconds(clock, receiver, settings) -> None:
    from pvz.core.scheduler import PERIODIC_TASKS
    from pvz.webhooks.tasks import deliver_webhooks

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _one_shipment_change(receiver)

    result = deliver_webhooks.enqueue()

    assert result.return_value == 1
    assert len(receiver.accepted) == 1
    jobs = {job.task_path: job.every_seconds for job in PERIODIC_TASKS}
    assert jobs["pvz.webhooks.tasks.deliver_webhooks"] == 10
