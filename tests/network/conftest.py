"""Cells test set-up: a point, its manager, and parcels put on shelves through the real lifecycle."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.network.models import Cell, PickupPoint
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, ShipmentFactory, operator_at

Store = Callable[..., Shipment]


@pytest.fixture
def point(db: None) -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Тверская")


@pytest.fixture
def manager(point: PickupPoint) -> User:
    return operator_at(point, Role.MANAGER)


@pytest.fixture
def store(manager: User) -> Store:
    """Put a new parcel of `size_class` into `cell` (ACCEPTED → STORED), as placement would."""

    def _store(cell: Cell, size_class: str = "S") -> Shipment:
        shipment = ShipmentFactory(point=cell.point, size_class=size_class)
        shipment_transition(actor=manager, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
        shipment_transition(actor=manager, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
        return Shipment.objects.get(pk=shipment.pk)

    return _store
