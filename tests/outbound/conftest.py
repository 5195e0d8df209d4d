"""A point with a partner, its return zone, an operator and parcels waiting for dispatch."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pvz.accounts.models import User
from pvz.inbound.models import Carriage, Tote, ToteStatus
from pvz.network.models import Cell, Partner, PickupPoint
from pvz.outbound.services import return_carriage_create
from pvz.shipments.models import Shipment
from pvz.shipments.services import return_zone_of
from pvz.shipments.statuses import Status
from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.factories import (
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)
from tests.shipments.test_concurrency import needs_file_database  # noqa: F401 -- shared skip rule


@dataclass
class Yard:
    point: PickupPoint
    partner: Partner
    operator: User
    zone: Cell

    def waiting(self, partner: Partner | None = None, point: PickupPoint | None = None) -> Shipment:
        """A parcel AWAITING_DISPATCH in the return zone (set up directly: the flow that puts it there
        is tested elsewhere)."""
        point = point or self.point
        return ShipmentFactory(
            point=point,
            partner=partner or self.partner,
            status=Status.AWAITING_DISPATCH,
            cell=return_zone_of(point=point, actor=None) if point == self.point else None,
        )

    def empty_tote(self, barcode: str, point: PickupPoint | None = None) -> Tote:
        return Tote.objects.create(
            partner=self.partner, barcode=barcode, point=point or self.point, status=ToteStatus.EMPTY
        )

    def carriage(self, courier_phone: str = "") -> Carriage:
        return return_carriage_create(
            actor=self.operator, point=self.point, partner_id=self.partner.pk, courier_phone=courier_phone
        )


@pytest.fixture
def yard(clock, db) -> Yard:
    point = PickupPointFactory()
    partner = PartnerFactory()
    PartnerPointFactory(partner=partner, point=point)
    return Yard(
        point=point,
        partner=partner,
        operator=operator_at(point),
        zone=return_zone_of(point=point, actor=None),
    )
