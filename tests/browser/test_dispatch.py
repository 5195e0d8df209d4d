"""A return carriage handed over to the courier in a real browser: create, scan a tote and 2 parcels,
seal the tote, confirm with the courier's code, print page of the act.

The 2 parcels (AWAITING_DISPATCH in the return zone of ПВЗ на Тверской) are made in the server process;
the courier's code is read there too, as the partner's courier would be told it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser


def load_returns(server: ServerApp, prefix: str) -> list[dict[str, str]]:
    return server.run_python(
        f"""
        from pvz.network.models import Partner, PickupPoint
        from pvz.shipments.models import Customer, Order, Shipment
        from pvz.shipments.services import return_zone_of
        from pvz.shipments.statuses import Status

        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        partner = Partner.objects.get(code="ozon")
        customer = Customer.objects.create(
            phone="+7916{prefix}000", name="Возврат", pickup_number="{prefix}0000"
        )
        zone = return_zone_of(point=point, actor=None)
        parcels = []
        for index in range(2):
            order = Order.objects.create(partner=partner, number=f"{prefix}{{index}}", customer=customer)
            shipment = Shipment.objects.create(
                partner=partner, order=order, point=point, status=Status.AWAITING_DISPATCH, cell=zone,
                posting_number=f"{{order.number}}-0001-1", barcode=f"ii{prefix}{{index}}",
            )
            parcels.append({{"barcode": shipment.barcode, "posting": shipment.posting_number}})
        result(parcels)
        """
    )


def courier_code(server: ServerApp, carriage_id: str) -> str:
    return server.run_python(
        f"""
        from pvz.outbound.models import Dispatch
        result(Dispatch.objects.get(carriage_id={carriage_id}).courier_code)
        """
    )


def statuses(server: ServerApp, postings: list[str]) -> dict[str, str]:
    return server.run_python(
        f"""
        from pvz.shipments.models import Shipment
        rows = Shipment.objects.filter(posting_number__in={postings!r})
        result({{s.posting_number: s.status for s in rows}})
        """
    )


def test_a_return_carriage_is_assembled_by_scans_and_handed_over_with_the_courier_code(
    server: ServerApp, operator_page: Any
) -> None:
    parcels = load_returns(server, "5550")
    page = operator_page
    page.goto("/dispatch/")
    page.get_by_label("Партнёр").select_option(label="Ozon")
    page.get_by_role("button", name="Создать отправку").click()
    expect(page).to_have_url(re.compile(r"/dispatch/\d+/$"))
    carriage_id = re.search(r"/dispatch/(\d+)/", page.url).group(1)
    field = page.locator("#dispatch-code")
    expect(field).to_be_focused()
    answer = page.locator("#dispatch-answer .placement-answer")

    page.keyboard.type("%101%55500000777")
    page.keyboard.press("Enter")
    expect(answer).to_have_attribute("data-kind", "tote_opened")
    for parcel in parcels:
        page.keyboard.type(parcel["barcode"])
        page.keyboard.press("Enter")
        expect(answer).to_have_attribute("data-kind", "added")
    expect(field).to_be_focused()
    expect(page.locator("[data-dispatch-board]")).to_have_attribute("data-in-totes", "2")

    page.locator('[data-tote="%101%55500000777"] input[name="seal_number"]').fill("PL7777")
    page.locator('[data-seal="%101%55500000777"]').click()
    expect(page.locator('[data-tote="%101%55500000777"]')).to_have_attribute("data-sealed", "1")

    page.get_by_label("Код курьера (6 цифр)").fill(courier_code(server, carriage_id))
    page.get_by_role("button", name="Передать курьеру", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/dispatch/{carriage_id}/act/$"))
    expect(page.locator('[data-count="parcels"]')).to_have_text("2")
    expect(page.locator("[data-act-parcel]")).to_have_count(2)
    assert statuses(server, [p["posting"] for p in parcels]) == {p["posting"]: "DISPATCHED" for p in parcels}
