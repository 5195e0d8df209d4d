"""The customer page from the "ready" SMS: current QR token and pickup code, no sign-in, forged links 404."""

from __future__ import annotations

import re

import pytest

from pvz.counter.tokens import qr_token_verify
from pvz.inbound.placement import shipment_place
from pvz.notifications.models import Notification
from pvz.shipments.customer_links import customer_link_sign
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, CustomerFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def test_page_shows_a_current_qr_token_and_the_pickup_code_without_sign_in(client, clock) -> None:
    customer = CustomerFactory()

    response = client.get(f"/c/{customer_link_sign(customer)}/")

    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r'data-qr-token="([^"]+)"', html)
    assert token is not None
    assert qr_token_verify(token=token.group(1), now=clock.now()).pickup_number == customer.pickup_number
    assert pickup_code_for(customer) in html
    assert "<svg" in html
    assert '<meta http-equiv="refresh" content="60">' in html
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_forged_link_is_404(client) -> None:
    customer = CustomerFactory()
    link = customer_link_sign(customer)

    assert client.get(f"/c/{link[:-1]}{'A' if link[-1] != 'A' else 'B'}/").status_code == 404
    assert client.get(f"/c/{customer.pickup_number}/").status_code == 404


def test_ready_notification_carries_the_customer_page_link(clock, client) -> None:
    shipment = ShipmentFactory(status=Status.ACCEPTED)
    CellFactory(point=shipment.point)

    shipment_place(actor=None, shipment_id=shipment.pk)

    text = Notification.objects.get(shipment=shipment).text
    link = re.search(r"(/c/[^/\s]+/)", text)
    assert link is not None, text
    assert client.get(link.group(1)).status_code == 200
    assert pickup_code_for(shipment.order.customer) in text
