"""A direct carriage loaded from a generated manifest, cells to put parcels in, and its operators."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from pvz.accounts.models import User
from pvz.inbound.models import Acceptance, Carriage, ManifestLine
from pvz.network.models import Partner, PickupPoint, SizeClass
from pvz.shipments.models import Shipment
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate
from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, operator_at
from tests.shipments.test_concurrency import needs_file_database  # noqa: F401 -- shared skip rule


@dataclass
class Delivery:
    point: PickupPoint
    partner: Partner
    carriage: Carriage
    operator: User

    def lines(self) -> list[ManifestLine]:
        return list(
            ManifestLine.objects.filter(carriage=self.carriage)
            .select_related("shipment", "tote")
            .order_by("pk")
        )

    def in_tote(self) -> list[Shipment]:
        return [line.shipment for line in self.lines() if line.tote is not None]

    def shipments(self) -> list[Shipment]:
        return [line.shipment for line in self.lines()]


def load_delivery(*, point=None, partner=None, seed: int = 7, parcels: int = 6, totes: int = 2, eta=None):
    point = point or PickupPointFactory()
    partner = partner or PartnerFactory()
    manifest = manifest_generate(seed=seed, parcels=parcels, totes=totes)
    carriage = manifest_load(
        manifest=manifest,
        partner=partner,
        point=point,
        eta=eta or dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC),
    )
    return carriage


@pytest.fixture
def delivery(clock) -> Delivery:
    point = PickupPointFactory()
    partner = PartnerFactory()
    for index in range(4):
        CellFactory(point=point, address=f"A-01-{index + 1}", size_class=SizeClass.XL, capacity=20)
    carriage = load_delivery(point=point, partner=partner)
    return Delivery(point=point, partner=partner, carriage=carriage, operator=operator_at(point))


@pytest.fixture
def acceptance(delivery) -> Acceptance:
    from pvz.inbound.services import acceptance_open

    return acceptance_open(actor=delivery.operator, carriage=delivery.carriage)


def new_scan_id() -> uuid.UUID:
    return uuid.uuid4()
