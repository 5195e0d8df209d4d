"""Platform admins manage endpoints and replay dead letters in the Django admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from pvz.webhooks.services import webhook_endpoint_create, webhooks_fan_out
from tests.factories import PartnerFactory, ShipmentFactory, UserFactory


@pytest.fixture
def platform_admin(client: Client) -> User:
    admin = UserFactory(phone="+79161234567")
    admin.memberships.create(role=Role.PLATFORM_ADMIN, point=None)
    client.force_login(admin)
    return admin


@pytest.mark.django_db
def test_an_endpoint_added_in_the_admin_gets_a_fresh_secret_and_is_audited(
    client, platform_admin, clock
) -> None:
    partner = PartnerFactory()

    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "partner": partner.pk,
            "url": "https://partner.example/hooks",
            "is_active": "on",
            "event_types": "[]",
        },
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.partner_id, endpoint.url, endpoint.is_active) == (
        partner.pk,
        "https://partner.example/hooks",
        True,
    )
    assert endpoint.secret.startswith("whsec_")
    record = AuditRecord.objects.get(action="webhook.endpoint_created")
    assert (record.actor_id, record.object_id) == (platform_admin.pk, str(endpoint.pk))
    assert endpoint.secret not in str(record.details)


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
def test_the_replay_action_puts_dead_letters_back_in_the_queue(client, platform_admin, clock) -> None:
    partner = PartnerFactory()
    webhook_endpoint_create(actor=None, partner=partner, url="http://127.0.0.1:9/hooks")
    shipment_transition(
        actor=None, shipment_id=ShipmentFactory(partner=partner).pk, to_status=Status.ACCEPTED
    )
    webhooks_fan_out()
    WebhookDelivery.objects.update(status=DeliveryStatus.DEAD)
    delivery = WebhookDelivery.objects.get()
    dead_letters = reverse("admin:webhooks_deadletter_changelist")
    assert client.get(dead_letters).context["cl"].result_count == 1

    response = client.post(dead_letters, {"action": "replay", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.PENDING, clock.now())
    assert AuditRecord.objects.get(action="webhook.delivery_replayed").actor_id == platform_admin.pk
    assert client.get(dead_letters).context["cl"].result_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["webhookendpoint", "outboxevent", "webhookdelivery", "deadletter"])
def test_the_webhook_lists_open_for_a_platform_admin(client, platform_admin, clock, name: str) -> None:
    assert client.get(reverse(f"admin:webhooks_{name}_changelist")).status_code == 200


@pytest.mark.django_db
def test_the_admin_refuses_unknown_event_types(client, platform_admin, clock) -> None:
    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "partner": PartnerFactory().pk,
            "url": "https://partner.example/hooks",
            "event_types": '["order.paid"]',
        },
    )

    assert response.status_code == 200
    assert "event_types" in response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()
