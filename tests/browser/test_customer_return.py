"""A customer return in a real browser: the pickup code scanned, the parcel scanned, reason, condition and a
photo uploaded (a small PNG made here), then the return page with the label and the return zone.

The customer and the parcel issued to them are made in the server process; the operator works at ПВЗ на
Тверской, the way the counter test does."""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def load_issued(server: ServerApp, phone: str, pickup_number: str) -> dict[str, Any]:
    """In the server process: a customer and one parcel stored and then issued to them at the point."""
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
            phone={phone!r}, name="Петров Пётр", pickup_number={pickup_number!r}
        )
        cells = Cell.objects.filter(point=point, kind=CellKind.REGULAR, is_active=True)
        cell = cells.order_by("address").first()
        order = Order.objects.create(partner=partner, number={pickup_number!r} + "9", customer=customer)
        shipment = Shipment.objects.create(
            partner=partner, order=order, point=point, status=Status.ACCEPTED, size_class="S",
            posting_number=order.number + "-0001-1", barcode="ii" + {pickup_number!r} + "9",
        )
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ISSUED)
        result({{"code": pickup_code_for(customer), "barcode": shipment.barcode,
                 "posting": shipment.posting_number}})
        """
    )


def test_a_customer_return_with_a_photo_upload(server: ServerApp, operator_page: Any) -> None:
    data = load_issued(server, "+79165550301", "77003001")
    page = operator_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/returns/")
    expect(page.locator("#return-customer")).to_be_focused()
    page.keyboard.type(data["code"])
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/returns/visits/\d+/$"))
    expect(page.locator(f'[data-returnable="{data["posting"]}"]')).to_have_attribute("data-open", "true")
    expect(page.locator("#return-parcel")).to_be_focused()
    page.keyboard.type(data["barcode"])
    page.keyboard.press("Enter")

    expect(page.locator("[data-posting]")).to_have_attribute("data-posting", data["posting"])
    page.get_by_label("Не подошёл размер").check()
    page.get_by_label("Есть следы использования").check()
    page.locator("#return-note").fill("Упаковка вскрыта")
    page.locator("#return-photos").set_input_files(
        [{"name": "return.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.get_by_role("button", name="Принять возврат").click()

    expect(page).to_have_url(re.compile(r"/returns/\d+/$"))
    number = page.locator("[data-return-number]").inner_text()
    assert re.fullmatch(r"RET-\d{7}", number)
    zone = page.locator("[data-return-zone]").get_attribute("data-return-zone")
    expect(page.locator("[data-photo] img")).to_have_count(1)
    photo = page.request.get(page.locator("[data-photo]").get_attribute("href"))
    assert photo.status == 200
    # Stored re-encoded (pvz.core.uploads.photo_clean): the same picture, not the same bytes.
    stored, sent = (Image.open(io.BytesIO(data)) for data in (photo.body(), tiny_png()))
    assert stored.format == "PNG" and stored.size == sent.size
    assert stored.convert("RGB").tobytes() == sent.convert("RGB").tobytes()
    label = page.request.get(page.locator("[data-label]").get_attribute("href"))
    assert label.status == 200 and label.body().startswith(b"%PDF")

    state = server.run_python(
        f"""
        from pvz.returns.models import CustomerReturn
        from pvz.shipments.models import Shipment
        s = Shipment.objects.select_related("cell").get(posting_number={data["posting"]!r})
        r = CustomerReturn.objects.get(shipment=s)
        result([s.status, s.cell.kind, s.cell.address, r.number, r.reason.code, r.condition, r.note,
                r.photos.count(), list(s.events.values_list("to_status", flat=True))])
        """
    )
    assert state == [
        "AWAITING_DISPATCH",
        "return_zone",
        zone,
        number,
        "wrong_size",
        "used",
        "Упаковка вскрыта",
        1,
        ["STORED", "ISSUED", "RETURNED", "AWAITING_DISPATCH"],
    ]
