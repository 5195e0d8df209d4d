"""Issuing at the counter in a real browser, with only scans and one confirming key press.

The customer and their 3 parcels (STORED in 3 cells of ПВЗ на Тверской) are made in the server process.
The operator scans the customer's pickup code, the 3 parcels (and, in one visit, the refusal command
#REFUSE1 right after the parcel the customer refuses), then presses Enter once in the empty scan field.
Every operator action is counted (a scan = 1, a key press = 1): the issue promises 5 for 3 parcels and 6
with one refusal.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/h2-shots")


def load_customer(server: ServerApp, phone: str, pickup_number: str) -> dict[str, Any]:
    """In the server process: a customer with 3 parcels STORED in 3 different cells of the point."""
    return server.run_python(
        f"""
        from pvz.network.models import Cell, CellKind, Partner, PickupPoint
        from pvz.shipments.models import Customer, Order, Shipment
        from pvz.shipments.pickup_codes import pickup_code_for
        from pvz.shipments.services import shipment_transition
        from pvz.shipments.statuses import Status

        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        partner = Partner.objects.get(code="ozon")
        customer = Customer.objects.create(
            phone={phone!r}, name="Иванова Анна", pickup_number={pickup_number!r}
        )
        cells = list(
            Cell.objects.filter(point=point, kind=CellKind.REGULAR, is_active=True).order_by("address")
        )
        parcels = []
        for index in range(3):
            number = f"{pickup_number}{{index}}"
            order = Order.objects.create(partner=partner, number=number, customer=customer)
            shipment = Shipment.objects.create(
                partner=partner, order=order, point=point, status=Status.ACCEPTED, size_class="S",
                posting_number=f"{{order.number}}-0001-1", barcode=f"ii{pickup_number}{{index}}",
            )
            cell = cells[(index * 3) % len(cells)]
            shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
            parcels.append({{"barcode": shipment.barcode, "posting": shipment.posting_number}})
        result({{"code": pickup_code_for(customer), "parcels": parcels}})
        """
    )


def statuses(server: ServerApp, postings: list[str]) -> dict[str, list[Any]]:
    return server.run_python(
        f"""
        from pvz.shipments.models import Shipment
        rows = Shipment.objects.filter(posting_number__in={postings!r}).select_related("cell")
        result({{s.posting_number: [s.status, s.cell.kind if s.cell else None] for s in rows}})
        """
    )


class Operator:
    """Types like a scanner (the text, then Enter) and counts every action."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions = 0

    def scan(self, code: str) -> None:
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")
        self.actions += 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions += 1


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in ((1280, 800), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def start(page: Any, data: dict[str, Any]) -> Operator:
    page.goto("/issue/")
    expect(page.locator("#issue-code")).to_be_focused()
    operator = Operator(page)
    operator.scan(data["code"])
    expect(page).to_have_url(re.compile(r"/issue/\d+/$"))
    expect(page.locator("[data-fetch-cell]")).to_have_count(3)
    expect(page.locator("#issue-code")).to_be_focused()
    return operator


def test_a_full_issue_of_3_parcels_with_one_refusal_by_scans_and_one_key_press(
    server: ServerApp, operator_page: Any
) -> None:
    data = load_customer(server, "+79165550101", "77001001")
    keep_a, refuse, keep_b = data["parcels"]
    page = operator_page
    operator = start(page, data)
    answer = page.locator("#issue-live .issue-answer")
    shoot(page, "session-start")

    for parcel in (keep_a, refuse):
        operator.scan(parcel["barcode"])
        expect(answer).to_have_attribute("data-kind", "taken")
        expect(answer.locator("[data-posting]")).to_have_attribute("data-posting", parcel["posting"])
    operator.scan("#REFUSE1")
    expect(answer).to_have_attribute("data-kind", "refused")
    expect(page.locator(f'[data-line="{refuse["posting"]}"]')).to_have_attribute("data-state", "refused")
    operator.scan(keep_b["barcode"])
    expect(answer).to_have_attribute("data-kind", "taken")
    expect(page.locator("[data-fetch-done]")).to_be_visible()
    shoot(page, "session")

    operator.press("Enter")  # the empty field: finish

    expect(page).to_have_url(re.compile(r"/issue/\d+/result/$"))
    issued = page.locator('[data-result-list="issued"] [data-result-line]')
    expect(issued).to_have_count(2)
    assert sorted(issued.evaluate_all("rows => rows.map(r => r.dataset.resultLine)")) == sorted(
        [keep_a["posting"], keep_b["posting"]]
    )
    expect(page.locator('[data-result-list="refused"] [data-result-line]')).to_have_attribute(
        "data-result-line", refuse["posting"]
    )
    expect(page.locator("[data-next-customer]")).to_be_focused()
    assert operator.actions == 6

    assert statuses(server, [p["posting"] for p in data["parcels"]]) == {
        keep_a["posting"]: ["ISSUED", None],
        keep_b["posting"]: ["ISSUED", None],
        refuse["posting"]: ["REFUSED", "return_zone"],
    }

    # Enter on the result page leads to the next customer with the focus in the scan field.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/issue/$"))
    expect(page.locator("#issue-code")).to_be_focused()


def test_3_parcels_without_refusal_take_5_actions_even_when_enter_follows_the_last_scan_at_once(
    server: ServerApp, operator_page: Any
) -> None:
    data = load_customer(server, "+79165550102", "77001002")
    page = operator_page
    operator = start(page, data)

    for parcel in data["parcels"]:
        operator.scan(parcel["barcode"])
    operator.press("Enter")  # no wait: the finish waits for the scans still on their way

    expect(page).to_have_url(re.compile(r"/issue/\d+/result/$"))
    expect(page.locator('[data-result-list="issued"] [data-result-line]')).to_have_count(3)
    assert operator.actions == 5
    assert {
        status for status, _kind in statuses(server, [p["posting"] for p in data["parcels"]]).values()
    } == {"ISSUED"}
