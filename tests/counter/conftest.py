"""A point with cells, a customer with parcels ready there, and the counter's operator."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from pvz.accounts.models import SmsMessage, User
from pvz.counter.models import IssueSession, Verification
from pvz.counter.services import session_open
from pvz.network.models import Partner, PickupPoint, SizeClass
from pvz.shipments.models import Customer, Shipment
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
from tests.shipments.test_concurrency import needs_file_database  # noqa: F401 -- shared skip rule

OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> None:
    settings.PVZ_SMS_BACKEND = OUTBOX


@dataclass
class Counter:
    point: PickupPoint
    partner: Partner
    customer: Customer
    operator: User

    def stored(self, customer: Customer | None = None, cell: str = "A-01-1", **fields) -> Shipment:
        """A parcel of `customer` (default: the counter's customer) placed now in `cell` at this point."""
        return stored_parcel(self.point, customer or self.customer, partner=self.partner, cell=cell, **fields)

    def session(self, verification: Verification = Verification.PICKUP_CODE) -> IssueSession:
        return session_open(
            actor=self.operator, point=self.point, customer=self.customer, verification=verification
        )


def stored_parcel(
    point: PickupPoint, customer: Customer, *, partner: Partner, cell: str, **fields
) -> Shipment:
    place = point.cells.filter(address=cell).first() or CellFactory(
        point=point, address=cell, size_class=SizeClass.XL, capacity=20
    )
    order = OrderFactory(partner=partner, customer=customer)
    shipment = ShipmentFactory(point=point, partner=partner, order=order, status=Status.ACCEPTED, **fields)
    return shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=place
    ).shipment


@pytest.fixture
def counter(clock) -> Counter:
    point = PickupPointFactory()
    for address in ("A-01-1", "A-01-2", "B-01-1"):
        CellFactory(point=point, address=address, size_class=SizeClass.XL, capacity=20)
    return Counter(
        point=point, partner=PartnerFactory(), customer=CustomerFactory(), operator=operator_at(point)
    )


def last_sms_code(phone: str) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-id").first()
    assert message is not None, "no SMS was sent"
    found = re.search(r"\b(\d{6})\b", message.text)
    assert found is not None, message.text
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
