"""The SSRF guard lives in the services: every create and every URL change of an endpoint passes it, so
neither the Django admin nor any API can register a private address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.webhooks.models import WebhookEndpoint
from pvz.webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from tests.factories import PartnerFactory, UserFactory

PRIVATE = "Внутренние и локальные адреса запрещены."


@pytest.fixture
def platform_admin(client: Client) -> User:
    admin = UserFactory(phone="+79161234567")
    admin.memberships.create(role=Role.PLATFORM_ADMIN, point=None)
    client.force_login(admin)
    return admin


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["https://10.1.2.3/a", "https://169.254.169.254/latest", "http://127.0.0.1:9/a"]
)
def test_the_service_refuses_a_private_url_with_the_guards_error(url: str) -> None:
    with pytest.raises(DomainError) as caught:
        webhook_endpoint_create(actor=None, partner=PartnerFactory(), url=url)

    assert (caught.value.code, caught.value.details) == (ErrorCode.VALIDATION_FAILED, {"field": "url"})
    assert not WebhookEndpoint.objects.exists()
    assert not AuditRecord.objects.filter(action="webhook.endpoint_created").exists()


@pytest.mark.django_db
def test_the_service_refuses_plain_http_to_a_public_host() -> None:
    with pytest.raises(DomainError) as caught:
        webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="http://hooks.example/a")

    assert str(caught.value.message).startswith("Только https")


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
@pytest.mark.parametrize("url", ["https://10.1.2.3/a", "http://127.0.0.1:9/a"])
def test_private_urls_are_allowed_with_the_setting(url: str) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url=url)

    assert WebhookEndpoint.objects.get().url == endpoint.url == url


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
@pytest.mark.parametrize("url", ["http://hooks.example/a", "http://10.1.2.3/a"])
def test_the_setting_still_wants_https_beyond_loopback(url: str) -> None:
    with pytest.raises(DomainError) as caught:
        webhook_endpoint_create(actor=None, partner=PartnerFactory(), url=url)

    assert str(caught.value.message).startswith("Только https")


@pytest.mark.django_db
def test_a_url_changed_to_a_private_one_is_refused_and_not_saved() -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")
    endpoint.url = "https://192.168.0.10/a"

    with pytest.raises(DomainError) as caught:
        webhook_endpoint_update(actor=None, endpoint=endpoint, changed=[])

    assert caught.value.details == {"field": "url"}
    assert WebhookEndpoint.objects.get().url == "https://hooks.example/a"
    assert not AuditRecord.objects.filter(action="webhook.endpoint_changed").exists()


@pytest.mark.django_db
def test_other_changes_of_an_endpoint_keep_its_stored_url_unchecked(settings) -> None:
    settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://10.0.0.5/a")
    settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS = False
    endpoint.description = "склад"

    webhook_endpoint_update(actor=None, endpoint=endpoint, changed=["description"])

    assert WebhookEndpoint.objects.values_list("url", "description").get() == ("https://10.0.0.5/a", "склад")


@pytest.mark.django_db
def test_the_admin_shows_the_guards_refusal_on_the_url_field(client, platform_admin) -> None:
    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "partner": PartnerFactory().pk,
            "url": "https://10.1.2.3/hooks",
            "is_active": "on",
            "event_types": "[]",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"] == [PRIVATE]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_changing_the_url_to_a_private_one(client, platform_admin) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")

    response = client.post(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        {"url": "https://localhost/hooks", "is_active": "on", "event_types": "[]"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"] == [PRIVATE]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example/a"
