"""The return-flow board in a real browser follows a change made elsewhere at the point, without a reload.

A parcel of ПВЗ на Тверской is cancelled by the partner in the server's own environment (as the partner API
will do it); the board open in the operator's browser counts it among the parcels to move within seconds,
through the point's live socket (`static/pvz/live_region.js`).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 10_000


def cancel_a_new_parcel(server: ServerApp) -> int:
    return int(
        server.run_python(
            f"""
            from pvz.network.models import Cell, CellKind, Partner, PickupPoint
            from pvz.shipments.cancellation import shipment_cancel
            from pvz.shipments.models import Customer, Order, Shipment
            from pvz.shipments.services import shipment_transition
            from pvz.shipments.statuses import Status

            point = PickupPoint.objects.get(code={TVERSKAYA!r})
            partner = Partner.objects.get(code="ozon")
            customer = Customer.objects.create(
                phone="+79160007700", name="Отменённый", pickup_number="77007700"
            )
            order = Order.objects.create(partner=partner, number="77007700", customer=customer)
            shipment = Shipment.objects.create(
                partner=partner, order=order, point=point, status=Status.ACCEPTED, size_class="S",
                posting_number="77007700-0001-1", barcode="ii77007700",
            )
            cells = Cell.objects.filter(point=point, kind=CellKind.REGULAR, is_active=True)
            cell = cells.order_by("address")[0]
            shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
            stored = Shipment.objects.get(pk=shipment.pk)
            shipment_cancel(actor=None, shipment=stored, reason="Отмена", key=None)
            result(shipment.pk)
            """
        )
    )


def test_the_board_shows_a_parcel_cancelled_elsewhere_without_a_reload(
    server: ServerApp, operator_page: Any
) -> None:
    page = operator_page
    page.goto("/returnflow/")
    to_move = page.locator('[data-count="flow_to_move"]')
    before = int(to_move.inner_text())
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

    shipment_id = cancel_a_new_parcel(server)

    expect(to_move).to_have_text(str(before + 1), timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(f'[data-shipment="{shipment_id}"]')).to_have_attribute("data-stage", "to_move")
    assert page.evaluate("window.__sameDocument") is True
