"""A point with two zones of cells, parcels put on its shelves through the shipment services, its staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.inventory.models import InventoryCount
from pvz.inventory.services import inventory_scan_cell, inventory_scan_parcel
from pvz.network.models import Cell, PickupPoint, SizeClass
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at


@dataclass
class Shop:
    point: PickupPoint
    a1: Cell
    a2: Cell
    b1: Cell
    manager: User
    operator: User


@pytest.fixture
def shop(clock) -> Shop:
    point = PickupPointFactory()
    return Shop(
        point=point,
        a1=CellFactory(point=point, address="A-01-1", size_class=SizeClass.L, capacity=5),
        a2=CellFactory(point=point, address="A-01-2", size_class=SizeClass.L, capacity=5),
        b1=CellFactory(point=point, address="B-01-1", size_class=SizeClass.L, capacity=5),
        manager=operator_at(point, role=Role.MANAGER),
        operator=operator_at(point),
    )


def stored(point: PickupPoint, cell: Cell, **extra: object) -> Shipment:
    """A parcel placed in `cell` (ACCEPTED → STORED through the one transition function)."""
    parcel = ShipmentFactory(point=point, status=Status.ACCEPTED, **extra)
    return shipment_transition(actor=None, shipment_id=parcel.pk, to_status=Status.STORED, cell=cell).shipment


def cell_scan(count: InventoryCount, actor: User, code: str, scan_id: uuid.UUID | None = None):
    return inventory_scan_cell(actor=actor, count=count, code=code, scan_id=scan_id or uuid.uuid4())


def parcel_scan(count: InventoryCount, actor: User, code: str, scan_id: uuid.UUID | None = None):
    return inventory_scan_parcel(actor=actor, count=count, code=code, scan_id=scan_id or uuid.uuid4())


def fresh(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_related("cell").get(pk=shipment.pk)
