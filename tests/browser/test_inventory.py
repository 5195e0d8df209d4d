"""An inventory count in a real browser: the operator scans a cell label, the parcel on it and a parcel
that is not on a shelf (twice), and the screen answers each scan with its outcome and the count's progress.

The count is started in the server process by the point's manager, over a cell of ПВЗ на Тверской holding a
stored parcel of the demo network; what the screen says is checked against the server's rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, MANAGER_PHONE, TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser


def start_count(server: ServerApp) -> dict[str, Any]:
    return server.run_python(
        f"""
        from pvz.accounts.models import User
        from pvz.inventory.services import inventory_start
        from pvz.network.models import PickupPoint
        from pvz.shipments.models import Shipment
        from pvz.shipments.statuses import Status

        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        stored = (
            Shipment.objects.filter(point=point, status=Status.STORED, cell__kind="regular")
            .select_related("cell").order_by("pk").first()
        )
        issued = Shipment.objects.create(
            partner=stored.partner, order=stored.order, point=point, status=Status.ISSUED,
            posting_number=f"{{stored.order.number}}-0099-1", barcode="ii77700000099",
        )
        count = inventory_start(actor=User.objects.get(phone={MANAGER_PHONE!r}), point=point)
        result({{
            "count": count.pk, "cell": stored.cell.address, "held": stored.cell.held,
            "parcel": stored.barcode, "posting": stored.posting_number, "issued": issued.barcode,
        }})
        """
    )


def cancel_count(server: ServerApp, count_id: int) -> list[tuple[str, str]]:
    """Cancel the count (the point's other tests expect none open) and answer its scans' outcomes."""
    return server.run_python(
        f"""
        from pvz.accounts.models import User
        from pvz.inventory.models import InventoryCount, InventoryScan
        from pvz.inventory.services import inventory_cancel

        count = InventoryCount.objects.get(pk={count_id})
        inventory_cancel(actor=User.objects.get(phone={MANAGER_PHONE!r}), count=count)
        result([[s.kind, s.outcome] for s in InventoryScan.objects.filter(count=count).order_by("pk")])
        """
    )


def test_an_operator_scans_a_cell_and_its_parcels_and_sees_the_progress(
    server: ServerApp, operator_page: Any
) -> None:
    world = start_count(server)
    page = operator_page
    try:
        page.goto(f"/inventory/{world['count']}/")
        field = page.locator("#inv-code")
        expect(field).to_be_focused()
        answer = page.locator("#inv-answer .placement-answer")

        page.keyboard.type(world["cell"])
        page.keyboard.press("Enter")
        expect(answer).to_have_attribute("data-kind", "CELL")
        expect(answer.locator("[data-progress-cells]")).to_contain_text("1 / ")

        page.keyboard.type(world["parcel"])
        page.keyboard.press("Enter")
        expect(answer).to_have_attribute("data-kind", "FOUND")
        expect(answer).to_contain_text(world["posting"])
        expect(answer.locator("[data-progress-parcels]")).to_contain_text("1 / ")

        for outcome in ("UNKNOWN", "REPEAT"):  # an issued parcel is not on a shelf, scanned twice
            page.keyboard.type(world["issued"])
            page.keyboard.press("Enter")
            expect(answer).to_have_attribute("data-kind", outcome)
        expect(answer.locator("[data-progress-unknown]")).to_have_text("1")
        # Its repeat does not count as a parcel seen on a shelf.
        expect(answer.locator("[data-progress-parcels]")).to_contain_text("1 / ")
        expect(field).to_be_focused()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1366, 900), (360, 740)):  # a counter's screen and a phone
            page.set_viewport_size({"width": width, "height": height})
            expect(answer.locator("[data-progress-parcels]")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"inventory-scan-{width}x{height}.png"), full_page=True)
    finally:
        scans = cancel_count(server, world["count"])

    assert scans == [["cell", "CELL"], ["parcel", "FOUND"], ["parcel", "UNKNOWN"], ["parcel", "REPEAT"]]
