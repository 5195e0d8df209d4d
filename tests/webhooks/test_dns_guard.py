"""The SSRF guard resolves host names: a name is refused when any of its addresses is internal, when it is
saved and again for every connection the worker opens, and the worker connects only to the address it
has checked (a name re-pointed at an internal address after it was saved reaches nothing). DNS is the
test table `fake_dns` (tests/fakes/dns.py), never the network."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import Partner
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.webhooks import urlguard
from pvz.webhooks.delivery import webhooks_run
from pvz.webhooks.models import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from pvz.webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from pvz.webhooks.signing import secret_generate
from tests.factories import PartnerFactory, ShipmentFactory
from tests.fakes.dns import PUBLIC_ADDRESS, FakeResolver
from tests.fakes.webhook_receiver import fake_webhook_receiver


@pytest.mark.django_db
@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.7"], ["127.0.0.1"], ["169.254.169.254"], ["::1"], ["fd00::1"], [PUBLIC_ADDRESS, "192.168.1.1"]],
)
def test_a_name_resolving_to_any_internal_address_is_refused_when_saved(
    fake_dns: FakeResolver, addresses: list[str]
) -> None:
    fake_dns.table["hooks.partner.example"] = addresses

    with pytest.raises(DomainError) as caught:
        webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.partner.example/in")

    assert (caught.value.code, caught.value.details) == (ErrorCode.VALIDATION_FAILED, {"field": "url"})
    internal = next(a for a in addresses if a != PUBLIC_ADDRESS)
    assert str(caught.value.message) == (
        f"Имя hooks.partner.example указывает на внутренний адрес {internal}: такие адреса запрещены."
    )
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_name_resolving_to_public_addresses_only_is_saved(fake_dns: FakeResolver) -> None:
    fake_dns.table["hooks.partner.example"] = [PUBLIC_ADDRESS, "2606:4700::1111"]

    endpoint = webhook_endpoint_create(
        actor=None, partner=PartnerFactory(), url="https://hooks.partner.example/in"
    )

    assert endpoint.url == "https://hooks.partner.example/in"
    assert fake_dns.lookups == ["hooks.partner.example"]


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_yet_is_saved_and_checked_again_at_delivery(
    fake_dns: FakeResolver,
) -> None:
    fake_dns.table["new.partner.example"] = []

    endpoint = webhook_endpoint_create(
        actor=None, partner=PartnerFactory(), url="https://new.partner.example/in"
    )

    assert WebhookEndpoint.objects.get().url == endpoint.url == "https://new.partner.example/in"


@pytest.mark.django_db
def test_a_lookup_that_does_not_answer_in_time_does_not_hold_the_save(
    fake_dns: FakeResolver, monkeypatch
) -> None:
    monkeypatch.setattr(urlguard, "RESOLVE_TIMEOUT_SECONDS", 0.05)
    fake_dns.slow.add("slow.partner.example")
    try:
        endpoint = webhook_endpoint_create(
            actor=None, partner=PartnerFactory(), url="https://slow.partner.example/in"
        )
    finally:
        fake_dns.release.set()

    assert endpoint.url == "https://slow.partner.example/in"
    assert fake_dns.lookups == ["slow.partner.example"]


@pytest.mark.django_db
def test_a_lookup_that_does_not_answer_in_time_at_delivery_is_a_failed_attempt(
    clock, fake_dns: FakeResolver, monkeypatch
) -> None:
    monkeypatch.setattr(urlguard, "RESOLVE_TIMEOUT_SECONDS", 0.05)
    partner = PartnerFactory()
    _endpoint_saved_earlier(partner, "https://slow.partner.example/hooks")
    fake_dns.slow.add("slow.partner.example")
    _one_change(partner)
    try:
        webhooks_run()
    finally:
        fake_dns.release.set()

    assert (
        WebhookDelivery.objects.get().last_error
        == "refused: slow.partner.example: DNS did not answer in time"
    )


@pytest.mark.django_db
def test_a_url_changed_to_a_name_of_an_internal_address_is_refused(fake_dns: FakeResolver) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")
    fake_dns.table["intranet.example"] = ["10.1.1.1"]
    endpoint.url = "https://intranet.example/a"

    with pytest.raises(DomainError):
        webhook_endpoint_update(actor=None, endpoint=endpoint, changed=["url"])

    assert WebhookEndpoint.objects.get().url == "https://hooks.example/a"


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
def test_with_private_urls_allowed_a_name_of_an_internal_address_is_saved(fake_dns: FakeResolver) -> None:
    fake_dns.table["hooks.lan.example"] = ["10.0.0.7"]

    endpoint = webhook_endpoint_create(
        actor=None, partner=PartnerFactory(), url="https://hooks.lan.example/in"
    )

    assert endpoint.url == "https://hooks.lan.example/in"


# ---- at delivery time ------------------------------------------------------------------------------------


def _endpoint_saved_earlier(partner: Partner, url: str) -> WebhookEndpoint:
    """An endpoint as stored before its name was re-pointed (not through the save-time check)."""
    return WebhookEndpoint.objects.create(partner=partner, url=url, secret=secret_generate())


def _one_change(partner: Partner) -> None:
    shipment_transition(
        actor=None, shipment_id=ShipmentFactory(partner=partner).pk, to_status=Status.ACCEPTED
    )


@pytest.mark.django_db
def test_a_name_re_pointed_at_an_internal_address_after_it_was_saved_reaches_nothing(
    clock, fake_dns: FakeResolver
) -> None:
    partner = PartnerFactory()
    with fake_webhook_receiver(now=lambda: clock.now().timestamp()) as receiver:
        # Saved while it pointed at a public address; now it points at the machine itself.
        _endpoint_saved_earlier(partner, f"http://rebind.partner.example:{receiver.port}/hooks")
        fake_dns.table["rebind.partner.example"] = ["127.0.0.1"]
        _one_change(partner)

        assert webhooks_run() == 1

        assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.PENDING,
        1,
        None,
    )
    assert (
        delivery.last_error == "refused: rebind.partner.example resolves to 127.0.0.1, not a public address"
    )
    assert DeliveryAttempt.objects.get().error == delivery.last_error


@pytest.mark.django_db
def test_one_internal_address_among_the_names_addresses_is_enough_to_refuse_the_connection(
    clock, fake_dns: FakeResolver
) -> None:
    partner = PartnerFactory()
    _endpoint_saved_earlier(partner, "https://mixed.partner.example/hooks")
    fake_dns.table["mixed.partner.example"] = [PUBLIC_ADDRESS, "10.0.0.9"]
    _one_change(partner)

    webhooks_run()

    assert WebhookDelivery.objects.get().last_error == (
        "refused: mixed.partner.example resolves to 10.0.0.9, not a public address"
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_private_urls")
def test_the_worker_connects_to_the_address_it_checked_and_keeps_the_name_in_host(
    clock, fake_dns: FakeResolver
) -> None:
    partner = PartnerFactory()
    with fake_webhook_receiver(now=lambda: clock.now().timestamp()) as receiver:
        endpoint = _endpoint_saved_earlier(partner, f"http://partner.example:{receiver.port}/hooks")
        receiver.secret = endpoint.secret
        # The real DNS has no such name: the request arrives only because the socket was opened to the
        # address the guard resolved and checked.
        fake_dns.table["partner.example"] = ["127.0.0.1"]
        _one_change(partner)
        _one_change(partner)

        assert webhooks_run() == 2

    assert [(r.verified, r.answered) for r in receiver.received] == [(True, 204)] * 2
    assert {r.headers["host"] for r in receiver.received} == {f"partner.example:{receiver.port}"}
    assert set(fake_dns.lookups) == {"partner.example"}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


@pytest.mark.django_db
def test_a_name_that_stops_resolving_is_a_failed_attempt_retried_later(clock, fake_dns: FakeResolver) -> None:
    partner = PartnerFactory()
    _endpoint_saved_earlier(partner, "https://gone.partner.example/hooks")
    fake_dns.table["gone.partner.example"] = []
    _one_change(partner)

    webhooks_run()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.PENDING,
        "refused: gone.partner.example does not resolve",
    )
