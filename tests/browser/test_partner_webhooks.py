"""«Партнёры» in a real browser: a platform admin adds a webhook endpoint (its secret shown once) and
replays a dead letter from the dead-letter list, with no Content-Security-Policy violation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Logins, ServerApp

pytestmark = pytest.mark.browser

ADMIN_PHONE = "+79990000001"  # the demo platform admin (pvz.simulator.demo.STAFF)


def _dead_letter(server: ServerApp) -> dict[str, Any]:
    """A dead delivery of the first demo partner, made by another process."""
    return server.run_python(
        """
        from django.utils import timezone
        from pvz.network.models import Partner
        from pvz.webhooks.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
        partner = Partner.objects.order_by("pk").first()
        endpoint = WebhookEndpoint.objects.create(
            partner=partner, url="https://down.example/hooks", secret="whsec_browser"
        )
        now = timezone.now()
        event = OutboxEvent.objects.create(
            event_id="evt_browser_dead", partner=partner, type="carriage.updated",
            ordering_key="carriage:0", payload={}, created_at=now, fanned_out_at=now,
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, ordering_key="carriage:0", status=DeliveryStatus.DEAD,
            attempts=12, next_attempt_at=now, give_up_at=now, created_at=now,
        )
        result({"partner_id": partner.pk, "delivery_id": delivery.pk})
        """
    )


def _delivery_status(server: ServerApp, delivery_id: int) -> str:
    return server.run_python(
        f"""
        from pvz.webhooks.models import WebhookDelivery
        result(WebhookDelivery.objects.get(pk={delivery_id}).status)
        """
    )


def test_a_platform_admin_adds_an_endpoint_and_replays_a_dead_letter(
    server: ServerApp, logins: Logins, new_context: Callable[..., Any]
) -> None:
    dead = _dead_letter(server)
    state = logins.state_for(
        ADMIN_PHONE, typed_phone="8 999 000-00-01", point_name="ПВЗ на Тверской", new_context=new_context
    )
    page = new_context(storage_state=state).new_page()

    page.goto("/onboarding/applications/")
    page.locator("[data-partners-link]").click()
    expect(page).to_have_url(re.compile(r"/partners/$"))
    page.locator(f'tr[data-partner="{dead["partner_id"]}"] a').first.click()

    form = page.locator("[data-endpoint-add]")
    form.get_by_label("Адрес (https://…)").fill("https://hooks.partner.example/pvz")
    form.get_by_role("button", name="Добавить").click()
    secret = page.locator("[data-secret]")
    expect(secret).to_have_text(re.compile(r"^whsec_"))
    page.reload()
    expect(page.locator("[data-secret]")).to_have_count(0)

    page.goto(f"/partners/{dead['partner_id']}/deliveries/?status=dead")
    row = page.locator(f'tr[data-delivery="{dead["delivery_id"]}"]')
    row.get_by_role("checkbox").check()
    page.locator("[data-replay-selected]").click()

    expect(page.locator('[data-message="success"]')).to_contain_text("Поставлено на повторную отправку: 1")
    assert _delivery_status(server, dead["delivery_id"]) == "pending"
