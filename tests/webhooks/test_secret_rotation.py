"""Rotating an endpoint's secret: the new secret signs from the next attempt, the replaced one signs next to
it for the chosen overlap (two signatures per request), then no more; on the screen the new secret is
shown once with the end of the overlap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import Partner
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.models import WebhookEndpoint
from pvz.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_previous_secrets_drop,
)
from pvz.webhooks.signing import SignatureInvalid, signature_verify
from tests.factories import PartnerFactory, ShipmentFactory, UserFactory
from tests.fakes.webhook_receiver import FakeWebhookReceiver, ReceivedWebhook


def _verifies(secret: str, request: ReceivedWebhook, now: float) -> bool:
    try:
        signature_verify(secret=secret, headers=request.headers, body=request.body, now=now)
    except SignatureInvalid:
        return False
    return True


def _one_change(partner: Partner) -> None:
    shipment_transition(
        actor=None, shipment_id=ShipmentFactory(partner=partner).pk, to_status=Status.ACCEPTED
    )


@pytest.mark.django_db
def test_the_old_secret_verifies_during_the_overlap_and_not_after_it_the_new_one_from_the_start(
    clock, receiver: FakeWebhookReceiver
) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url)
    old = endpoint.secret
    receiver.secret = old  # the partner's receiver still knows only the old secret

    rotated = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=24)
    new, rotated_at = rotated.secret, clock.now()
    _one_change(partner)
    webhooks_run()
    clock.advance(hours=23, minutes=59, seconds=59)
    _one_change(partner)
    webhooks_run()
    clock.advance(seconds=1)  # the overlap is over: exactly 24 h after the rotation
    _one_change(partner)
    webhooks_run()

    first, last_second, after = receiver.received
    now = clock.now().timestamp()
    assert first.headers["webhook-signature"].count("v1,") == 2
    assert [_verifies(old, r, float(r.headers["webhook-timestamp"])) for r in receiver.received] == [
        True,
        True,
        False,
    ]
    assert all(_verifies(new, r, float(r.headers["webhook-timestamp"])) for r in receiver.received)
    assert after.headers["webhook-signature"].count("v1,") == 1
    assert [r.answered for r in (first, last_second, after)] == [204, 204, 400]
    assert _verifies(new, after, now)
    assert (rotated.previous_secret, rotated.previous_secret_until) == (
        old,
        rotated_at + dt.timedelta(hours=24),
    )


@pytest.mark.django_db
def test_the_receiver_switched_to_the_new_secret_accepts_every_request_of_the_overlap(
    clock, receiver: FakeWebhookReceiver
) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url)
    receiver.secret = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=1).secret

    _one_change(partner)
    webhooks_run()

    assert [(r.verified, r.answered) for r in receiver.received] == [(True, 204)]


@pytest.mark.django_db
def test_an_overlap_of_zero_drops_the_old_secret_at_once(clock, receiver: FakeWebhookReceiver) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url=receiver.url)
    old = endpoint.secret

    rotated = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=0)
    receiver.secret = old
    _one_change(partner)
    webhooks_run()

    assert (rotated.previous_secret, rotated.previous_secret_until) == ("", None)
    (request,) = receiver.received
    assert request.headers["webhook-signature"].count("v1,") == 1
    assert (request.verified, request.answered) == (False, 400)


@pytest.mark.django_db
def test_rotating_again_during_the_overlap_drops_the_oldest_secret(clock) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")
    first = endpoint.secret
    second = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=24).secret
    clock.advance(hours=1)

    third = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=1)

    assert third.secrets_at(clock.now()) == [third.secret, second]
    assert first not in third.secrets_at(clock.now())
    assert third.previous_secret_until == clock.now() + dt.timedelta(hours=1)
    records = list(AuditRecord.objects.filter(action="webhook.endpoint_secret_rotated").order_by("id"))
    assert [r.details["older_secret_dropped"] for r in records] == [False, True]


@pytest.mark.django_db
def test_the_rotation_is_audited_without_any_secret(clock) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")
    old = endpoint.secret

    rotated = webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=72)

    record = AuditRecord.objects.get(action="webhook.endpoint_secret_rotated")
    assert record.details == {
        "url": "https://hooks.example/a",
        "overlap_hours": 72,
        "previous_secret_until": (clock.now() + dt.timedelta(hours=72))
        .astimezone(dt.UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "older_secret_dropped": False,
    }
    assert old not in str(record.details)
    assert rotated.secret not in str(record.details)


@pytest.mark.django_db
@pytest.mark.parametrize("hours", [-1, 2, 10_000])
def test_an_overlap_not_offered_is_refused_and_changes_nothing(clock, hours: int) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")

    with pytest.raises(DomainError) as caught:
        webhook_endpoint_rotate_secret(actor=None, endpoint=endpoint, overlap_hours=hours)

    assert (caught.value.code, caught.value.details) == (
        ErrorCode.VALIDATION_FAILED,
        {"field": "overlap_hours"},
    )
    stored = WebhookEndpoint.objects.get()
    assert (stored.secret, stored.previous_secret) == (endpoint.secret, "")
    assert not AuditRecord.objects.filter(action="webhook.endpoint_secret_rotated").exists()


@pytest.mark.django_db
def test_the_daily_drop_blanks_only_previous_secrets_whose_overlap_is_over(clock) -> None:
    partner = PartnerFactory()
    ending = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")
    running = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/b")
    webhook_endpoint_rotate_secret(actor=None, endpoint=ending, overlap_hours=1)
    clock.advance(minutes=30)
    webhook_endpoint_rotate_secret(actor=None, endpoint=running, overlap_hours=1)
    clock.advance(minutes=30)

    assert webhook_previous_secrets_drop() == 1

    ending.refresh_from_db()
    running.refresh_from_db()
    assert (ending.previous_secret, ending.previous_secret_until) == ("", None)
    assert running.previous_secret != ""
    assert webhook_previous_secrets_drop() == 0


# ---- the partner screen ---------------------------------------------------------------------------------


@pytest.fixture
def platform_admin(client: Client) -> User:
    admin = UserFactory(phone="+79161234567")
    admin.memberships.create(role=Role.PLATFORM_ADMIN, point=None)
    client.force_login(admin, backend="pvz.accounts.backends.PhoneCodeBackend")
    return admin


@pytest.mark.django_db
def test_the_screen_rotates_with_the_chosen_overlap_and_shows_the_new_secret_once(
    client: Client, platform_admin: User, clock
) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")
    old = endpoint.secret

    response = client.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/rotate/", {"overlap_hours": "1"})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.previous_secret, endpoint.previous_secret_until) == (
        old,
        clock.now() + dt.timedelta(hours=1),
    )
    first = client.get(f"/partners/{partner.pk}/").content.decode()
    second = client.get(f"/partners/{partner.pk}/").content.decode()
    assert endpoint.secret in first
    assert "data-previous-until" in first
    assert "27.11.2026 11:00" in first  # the overlap's end, Moscow time
    assert endpoint.secret not in second
    assert old not in first + second
    assert "Прежний секрет до 27.11.2026 11:00" in second
    assert '<option value="24" selected>' in second


@pytest.mark.django_db
def test_the_screen_without_a_choice_overlaps_for_24_hours(
    client: Client, platform_admin: User, clock
) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")

    client.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/rotate/")

    endpoint.refresh_from_db()
    assert endpoint.previous_secret_until == clock.now() + dt.timedelta(hours=24)


@pytest.mark.django_db
def test_the_screen_refuses_an_overlap_it_does_not_offer(client: Client, platform_admin: User, clock) -> None:
    partner = PartnerFactory()
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")

    response = client.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/rotate/", {"overlap_hours": "5x"})

    assert response.status_code == 422
    assert "Период перекрытия" in response.content.decode()
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
