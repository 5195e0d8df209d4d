"""A point with cells, a partner, a customer with a parcel issued to them now, and the point's operator."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.accounts.models import User
from pvz.counter.models import Verification
from pvz.network.models import Partner, PickupPoint, SizeClass
from pvz.returns.models import ReturnReason, ReturnVisit
from pvz.returns.services import return_visit_open
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PVZ_SMS_BACKEND = OUTBOX


def png_bytes(padding: int = 0) -> bytes:
    """A real 1 × 1 PNG, optionally padded with trailing bytes to reach a size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return raw + b"\x00" * padding


def png(name: str = "photo.png", size: int | None = None) -> SimpleUploadedFile:
    body = png_bytes()
    if size is not None:
        body = png_bytes(size - len(body))
    return SimpleUploadedFile(name, body, content_type="image/png")


def not_an_image(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, io.BytesIO(b"%PDF-1.7 not a photo").read(), content_type="image/jpeg")


@dataclass
class Desk:
    point: PickupPoint
    partner: Partner
    customer: Customer
    operator: User

    def issued(self, customer: Customer | None = None, cell: str = "A-01-1") -> Shipment:
        """A parcel of `customer` (default: the desk's customer) stored and then issued now at this point."""
        place = self.point.cells.filter(address=cell).first() or CellFactory(
            point=self.point, address=cell, size_class=SizeClass.XL, capacity=20
        )
        order = OrderFactory(partner=self.partner, customer=customer or self.customer)
        shipment = ShipmentFactory(
            point=self.point, partner=self.partner, order=order, status=Status.ACCEPTED
        )
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=place)
        return shipment_transition(
            actor=self.operator, shipment_id=shipment.pk, to_status=Status.ISSUED
        ).shipment

    def stored(self) -> Shipment:
        order = OrderFactory(partner=self.partner, customer=self.customer)
        shipment = ShipmentFactory(
            point=self.point, partner=self.partner, order=order, status=Status.ACCEPTED
        )
        cell = self.point.cells.get(address="A-01-1")
        return shipment_transition(
            actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell
        ).shipment

    def visit(self, customer: Customer | None = None) -> ReturnVisit:
        visit = return_visit_open(
            actor=self.operator, point=self.point, code=pickup_code_for(customer or self.customer)
        )
        assert visit.verification == Verification.PICKUP_CODE
        return visit

    def reason(self, code: str = "wrong_size") -> ReturnReason:
        return ReturnReason.objects.get(partner=None, code=code)


def desk_new() -> Desk:
    """A point with one XL cell A-01-1, a partner, a customer and the point's operator."""
    point = PickupPointFactory()
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.XL, capacity=20)
    return Desk(
        point=point, partner=PartnerFactory(), customer=CustomerFactory(), operator=operator_at(point)
    )


@pytest.fixture
def desk(clock) -> Desk:
    return desk_new()
