from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from pvz.core.clock import FrozenClock
from pvz.inbound.models import Carriage
from pvz.network.models import Partner, PickupPoint, SizeClass
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import (
    CarriageFactory,
    CellFactory,
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
)
from tests.partners.keys import partner_key_for


@dataclass
class PartnerWorld:
    partner: Partner
    point: PickupPoint
    key: str
    stored: Shipment
    carriage: Carriage

    def client(self) -> Client:
        return Client(headers={"Authorization": f"Bearer {self.key}"})


def stored_shipment(partner: Partner, point: PickupPoint) -> Shipment:
    cell = CellFactory(point=point, size_class=SizeClass.XL, capacity=20)
    shipment = ShipmentFactory(partner=partner, point=point, status=Status.ACCEPTED)
    return shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell
    ).shipment


def partner_world(code: str) -> PartnerWorld:
    partner = PartnerFactory(code=code, name=code.upper())
    point = PickupPointFactory()
    PartnerPointFactory(partner=partner, point=point)
    return PartnerWorld(
        partner=partner,
        point=point,
        key=partner_key_for(partner),
        stored=stored_shipment(partner, point),
        carriage=CarriageFactory(partner=partner, point=point),
    )


@pytest.fixture
def ours(clock: FrozenClock, db: None) -> PartnerWorld:
    return partner_world("ours")


@pytest.fixture
def theirs(clock: FrozenClock, db: None) -> PartnerWorld:
    return partner_world("theirs")
