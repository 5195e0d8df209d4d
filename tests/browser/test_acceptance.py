"""Acceptance of a carriage in a real browser: typed scans and Enter only, a second session watching live.

The carriage is loaded in the server process (the simulator's manifest generator and loader): 20 parcels
in 2 totes, due now, plus one parcel of the point announced on another carriage (the surplus). The
operator scans the totes, 18 of the parcels and the surplus, with auto placement on (the demo default);
the point's manager has the same acceptance screen open and sees the progress move without reloading.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import MANAGER_PHONE, OWNER_PHONE, TVERSKAYA, Logins, ServerApp

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 10_000
CARRIAGE, OTHER_CARRIAGE = "CAR-7710777", "CAR-7710778"
# Fits the demo's Ozon pattern `ii\d{11}`, yet the generator never draws a leading zero: no such parcel.
UNKNOWN_LABEL, PRODUCT_EAN = "ii00000000001", "4607001234567"
# Set to a directory to keep screenshots of the screens at a counter PC's and a phone's size.
SHOTS = os.environ.get("PVZ_SCREENSHOTS")


def load_carriage(server: ServerApp) -> dict[str, Any]:
    """In the server process: the carriage of 20 parcels in 2 totes due now, and one more parcel of the
    point that travels on a carriage due tomorrow."""
    return server.run_python(
        f"""
        import dataclasses, datetime as dt
        from pvz.core import clock
        from pvz.network.models import Partner, PickupPoint
        from pvz.simulator.loader import manifest_load
        from pvz.simulator.manifests import manifest_generate

        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        partner = Partner.objects.get(code="ozon")
        # A seed whose first 21 parcels all travel in totes: XL parcels travel loose, and the demo point
        # has no XL cells for them.
        for seed in range(7000, 7500):
            m = manifest_generate(seed=seed, parcels=21, totes=2, carriage_number={CARRIAGE!r})
            totes = {{p.tote_barcode for p in m.parcels[:20]}}
            if all(p.tote_barcode for p in m.parcels) and len(totes) == 2:
                break
        main = dataclasses.replace(m, parcels=m.parcels[:20])
        extra = dataclasses.replace(
            m, carriage_number={OTHER_CARRIAGE!r}, tote_barcodes=(),
            parcels=(dataclasses.replace(m.parcels[20], tote_barcode=None),),
        )
        now = clock.now()
        manifest_load(manifest=main, partner=partner, point=point, eta=now)
        manifest_load(manifest=extra, partner=partner, point=point, eta=now + dt.timedelta(days=1))
        by_tote = sorted(main.parcels, key=lambda p: (p.tote_barcode, p.posting_number))
        result({{
            "totes": list(main.tote_barcodes),
            "parcels": [{{"barcode": p.barcode, "posting": p.posting_number, "tote": p.tote_barcode}}
                        for p in by_tote],
            "surplus": {{"barcode": m.parcels[20].barcode, "posting": m.parcels[20].posting_number}},
        }})
        """
    )


def stored(server: ServerApp, postings: list[str]) -> dict[str, list[Any]]:
    return server.run_python(
        f"""
        from pvz.shipments.models import Shipment
        rows = Shipment.objects.filter(posting_number__in={postings!r}).select_related("cell")
        result({{s.posting_number: [s.status, s.cell.address if s.cell else None] for s in rows}})
        """
    )


def scan(page: Any, code: str) -> None:
    """What a scanner does: the characters, then Enter, into whatever has focus."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in ((1366, 768), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def test_carriage_accepted_by_typed_scans_while_a_second_session_watches_live(
    server: ServerApp, logins: Logins, new_context: Any
) -> None:
    data = load_carriage(server)
    parcels, surplus = data["parcels"], data["surplus"]
    scanned, missing = parcels[:18], parcels[18:]
    # The owner scans (they operate at both points) and the manager watches: the operator's phone is left
    # to the login test, which must ask for a code of its own (one a minute per phone).
    owner_state = logins.state_for(
        OWNER_PHONE, typed_phone="8 999 000-00-03", point_name="ПВЗ на Тверской", new_context=new_context
    )
    page = new_context(storage_state=owner_state).new_page()

    # The notice of the approaching carriage is on every page, then the carriage opens by its code.
    page.goto("/")
    expect(page.locator(f'[data-approaching="{CARRIAGE}"]')).to_be_visible()
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Приёмка").click()
    expect(page.locator(f'tr[data-carriage="{CARRIAGE}"]')).to_be_visible()
    shoot(page, "list")
    # A scanner types into whatever has focus: wait until the page has put it on its scan field.
    expect(page.locator("#carriage-code")).to_be_focused()
    scan(page, CARRIAGE)
    expect(page).to_have_url(re.compile(r"/acceptance/carriages/\d+/$"))
    expect(page.locator("[data-start]")).to_be_focused()
    page.keyboard.press("Enter")  # «Начать приёмку» has the focus
    expect(page).to_have_url(re.compile(r"/acceptance/\d+/$"))
    screen_url = page.url

    manager_state = logins.state_for(
        MANAGER_PHONE, typed_phone="8 999 000-00-04", point_name="ПВЗ на Тверской", new_context=new_context
    )
    watcher = new_context(storage_state=manager_state).new_page()
    watcher.goto(screen_url)
    watched_scanned = watcher.locator("[data-progress-scanned]")
    expect(watched_scanned).to_have_text("0")
    expect(watcher.locator("[data-progress-expected]")).to_have_text("20")

    answer = page.locator("#acc-answer .acc-answer")
    progress = page.locator("[data-progress-scanned]")
    page.bring_to_front()
    expect(page.locator("#acc-code")).to_be_focused()
    count = 0
    for tote in data["totes"]:
        scan(page, tote)
        expect(answer).to_have_attribute("data-kind", "TOTE_OPENED")
        for parcel in [p for p in scanned if p["tote"] == tote]:
            scan(page, parcel["barcode"])
            count += 1
            expect(progress).to_have_text(str(count))
            expect(answer).to_have_attribute("data-kind", "ACCEPTED")
            expect(answer.locator("[data-cell]")).not_to_have_text("")
        # After each tote the other session has caught up without a reload.
        expect(watched_scanned).to_have_text(str(count), timeout=LIVE_TIMEOUT_MS)
        if count < len(scanned):
            shoot(page, "screen-midway")
    # The demo partners have label patterns: an Ozon label nobody announced is put aside for the act, a
    # product's own EAN-13 is refused as not a label.
    scan(page, UNKNOWN_LABEL)
    expect(answer).to_have_attribute("data-kind", "UNKNOWN_LABEL")
    expect(answer).to_have_attribute("data-scan-outcome", "warning")
    scan(page, PRODUCT_EAN)
    expect(answer).to_have_attribute("data-kind", "NOT_A_LABEL")
    expect(answer).to_have_attribute("data-scan-outcome", "error")
    scan(page, surplus["barcode"])
    expect(answer).to_have_attribute("data-kind", "SURPLUS")
    expect(watcher.locator("[data-progress-surplus]")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(watched_scanned).to_have_text("18")

    page.get_by_role("link", name="Закрыть приёмку").click()
    expect(page.locator("[data-shortage-count]")).to_have_attribute("data-shortage-count", "2")
    page.get_by_role("button", name="Закрыть и сформировать акт").click()
    expect(page).to_have_url(re.compile(r"/acceptance/\d+/act/$"))

    shortage = page.locator('[data-act-list="shortage"] [data-act-line]')
    expect(shortage).to_have_count(2)
    assert sorted(shortage.evaluate_all("rows => rows.map(r => r.dataset.actLine)")) == sorted(
        p["posting"] for p in missing
    )
    surplus_rows = page.locator('[data-act-list="surplus"] [data-act-line]')
    expect(surplus_rows).to_have_count(1)
    expect(surplus_rows).to_have_attribute("data-act-line", surplus["posting"])
    expect(page.locator('[data-count="accepted"]')).to_have_text("18")
    without_data = page.locator('[data-act-list="surplus_without_data"] [data-act-line]')
    expect(without_data).to_have_count(1)
    expect(without_data).to_have_attribute("data-act-line", UNKNOWN_LABEL)
    shoot(page, "act")
    # The watching session is taken to the act as well once the acceptance is closed.
    expect(watcher).to_have_url(re.compile(r"/acceptance/\d+/act/$"), timeout=LIVE_TIMEOUT_MS)

    on_shelves = stored(server, [p["posting"] for p in scanned] + [surplus["posting"]])
    assert len(on_shelves) == 19
    assert {status for status, _cell in on_shelves.values()} == {"STORED"}
    assert all(cell for _status, cell in on_shelves.values())
