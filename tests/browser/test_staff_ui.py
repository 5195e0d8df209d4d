"""The staff web UI in a real browser against a real server: sign-in, the scan box, live counts, isolation.

Each test sees the demo network loaded by the `server` fixture; what a test reads or changes on the
server goes through `server.run_python`, a separate process, never through the ORM of this process.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    MANAGER_PHONE,
    OPERATOR_PHONE,
    TVERSKAYA,
    VLADIVOSTOK,
    Logins,
    ServerApp,
)

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 10_000

# What a barcode scanner types when the Russian (ЙЦУКЕН) layout is active: the same keys.
_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>~'
_YCUKEN = "йцукенгшщзхъфывапролджэячсмитьбюё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
RUSSIAN_LAYOUT = str.maketrans(_QWERTY, _YCUKEN)


def as_russian_layout_scan(code: str) -> str:
    return code.translate(RUSSIAN_LAYOUT)


def a_shipment(server: ServerApp, *, point_code: str, status: str, newest: bool = False) -> dict[str, Any]:
    """One shipment of the point in `status`, read by another process."""
    order = "-pk" if newest else "pk"
    return server.run_python(
        f"""
        from pvz.shipments.models import Shipment
        s = Shipment.objects.filter(point__code={point_code!r}, status={status!r}).order_by({order!r}).first()
        result(None if s is None else
               {{"id": s.pk, "barcode": s.barcode, "posting_number": s.posting_number}})
        """
    )


def transition_as_manager(
    server: ServerApp, *, shipment_id: int, to_status: str, return_zone: bool = False
) -> dict[str, Any]:
    """Another session (the point's manager) changes a shipment through the service layer, so the change
    reaches the browser over the Redis channel layer."""
    return server.run_python(
        f"""
        from pvz.accounts.models import User
        from pvz.network.models import Cell, CellKind
        from pvz.shipments.models import Shipment
        from pvz.shipments.services import shipment_transition
        shipment = Shipment.objects.get(pk={shipment_id})
        cell = (Cell.objects.get(point_id=shipment.point_id, kind=CellKind.RETURN_ZONE)
                if {return_zone!r} else None)
        done = shipment_transition(
            actor=User.objects.get(phone={MANAGER_PHONE!r}),
            shipment_id=shipment.pk,
            to_status={to_status!r},
            reason="browser test: another session",
            cell=cell,
        )
        cell = done.shipment.cell
        result({{"status": done.shipment.status, "cell": cell.address if cell else None}})
        """
    )


def test_operator_logs_in_with_outbox_code_and_finds_shipment_by_russian_layout_scan(
    server: ServerApp, logins: Logins, page: Any
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    logins.sign_in(page, typed_phone="8 999 000-00-05", phone=OPERATOR_PHONE, point_name="ПВЗ на Тверской")

    expect(page).to_have_url(server.url("/"))
    expect(page.locator("h1")).to_have_text("ПВЗ на Тверской")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("nav.sections").get_by_role("link", name="Приёмка")).to_be_visible()
    expect(page.locator('[data-count="stored"]')).to_have_text(re.compile(r"^\d+$"))

    shipment = a_shipment(server, point_code=TVERSKAYA, status="STORED")
    assert shipment, "demo_network left no STORED shipment at ПВЗ на Тверской"
    scanned = as_russian_layout_scan(shipment["barcode"])
    assert scanned != shipment["barcode"], f"barcode {shipment['barcode']!r} has no letters to mistype"

    page.locator("h1").click()  # focus away from the scan box, then back with the shortcut
    page.keyboard.press("F2")
    scan_box = page.locator("[data-scan-input]")
    expect(scan_box).to_be_focused()
    page.keyboard.type(scanned)
    expect(scan_box).to_have_value(scanned)
    page.keyboard.press("Enter")

    expect(page).to_have_url(server.url(f"/shipments/{shipment['id']}/"))
    expect(page.locator('[data-field="posting_number"]')).to_have_text(shipment["posting_number"])
    expect(page.locator('[data-field="barcode"]')).to_have_text(shipment["barcode"])
    expect(page.locator('[data-field="status"]')).to_have_text("На хранении")
    stored_step = page.locator('[data-history] tr[data-event="ACCEPTED-STORED"]')
    expect(stored_step).to_have_count(1)
    expect(stored_step).to_contain_text("Принято → На хранении")


def test_dashboard_count_changes_live_when_another_session_changes_a_shipment(
    server: ServerApp, operator_page: Any
) -> None:
    page = operator_page
    stored = page.locator('[data-count="stored"]')
    awaiting = page.locator('[data-count="awaiting_dispatch"]')
    expect(stored).to_have_text(re.compile(r"^\d+$"))
    # Subscribed before the change, so the new numbers can only arrive as a push.
    expect(page.locator('[data-live-counts][data-live="on"]')).to_be_attached()
    stored_before, awaiting_before = int(stored.inner_text()), int(awaiting.inner_text())
    page.evaluate("window.__sameDocument = true")

    shipment = a_shipment(server, point_code=TVERSKAYA, status="STORED", newest=True)
    assert shipment, "demo_network left no STORED shipment at ПВЗ на Тверской"
    assert stored_before >= 1

    refused = transition_as_manager(server, shipment_id=shipment["id"], to_status="REFUSED")
    assert refused["status"] == "REFUSED"
    expect(stored).to_have_text(str(stored_before - 1), timeout=LIVE_TIMEOUT_MS)
    expect(awaiting).to_have_text(str(awaiting_before))

    moved = transition_as_manager(
        server, shipment_id=shipment["id"], to_status="AWAITING_DISPATCH", return_zone=True
    )
    assert moved == {"status": "AWAITING_DISPATCH", "cell": "RETURNS"}
    expect(awaiting).to_have_text(str(awaiting_before + 1), timeout=LIVE_TIMEOUT_MS)
    expect(stored).to_have_text(str(stored_before - 1))

    assert page.evaluate("window.__sameDocument") is True, "the dashboard was reloaded"


def test_operator_of_one_point_gets_not_found_for_another_points_shipment_page(
    server: ServerApp, operator_page: Any
) -> None:
    page = operator_page
    expect(page.locator("h1")).to_have_text("ПВЗ на Тверской")
    foreign = a_shipment(server, point_code=VLADIVOSTOK, status="STORED")
    assert foreign, "demo_network left no STORED shipment at ПВЗ во Владивостоке"

    response = page.goto(f"/shipments/{foreign['id']}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Не найдено NOT_FOUND")
    expect(page.locator("main")).to_contain_text("Такой страницы нет, или она относится к другой точке.")
    for secret in (foreign["posting_number"], foreign["barcode"]):
        expect(page.locator("body")).not_to_contain_text(secret)

    # The scan box is the counter's way in: its not-found page is the product's own, in Russian.
    page.goto("/")
    page.keyboard.press("F2")
    page.keyboard.type(foreign["barcode"])
    with page.expect_response(re.compile(r"/scan/\?code=")) as scan:
        page.keyboard.press("Enter")
    assert scan.value.status == 404
    expect(page.locator('[data-error-code="NOT_FOUND"] h1')).to_have_text(
        "Не найдено на этой точке NOT_FOUND"
    )
    expect(page.locator('[data-field="normalized"]')).to_have_text(foreign["barcode"])
    expect(page.locator("main")).not_to_contain_text(foreign["posting_number"])

    api = page.request.get("/api/v1/shipments/lookup", params={"code": foreign["barcode"]})
    assert api.status == 404, api.text()
    body = api.json()
    assert body["error"]["code"] == "NOT_FOUND", body
    assert foreign["posting_number"] not in api.text()

    # The same lookup of the operator's own point works, so the 404 above is about the point.
    own = a_shipment(server, point_code=TVERSKAYA, status="STORED")
    mine = page.request.get("/api/v1/shipments/lookup", params={"code": own["barcode"]})
    assert mine.status == 200, mine.text()
    assert mine.json()["posting_number"] == own["posting_number"]
