"""manifest_load writes exactly what the manifest announces, in one go."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import Conflict
from pvz.inbound.models import Carriage, CarriageStatus, ManifestLine, ManifestTote, Tote, ToteStatus
from pvz.shipments.models import Customer, Order, Shipment
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate
from tests.factories import CustomerFactory, PartnerFactory, PickupPointFactory

pytestmark = pytest.mark.django_db

ETA = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def test_load_creates_the_carriage_totes_lines_and_expected_shipments():
    partner, point = PartnerFactory(), PickupPointFactory()
    manifest = manifest_generate(seed=11, parcels=25, totes=3)

    carriage = manifest_load(manifest=manifest, partner=partner, point=point, eta=ETA)

    assert (carriage.number, carriage.point, carriage.status, carriage.eta) == (
        manifest.carriage_number,
        point,
        CarriageStatus.IN_TRANSIT,
        ETA,
    )
    assert Customer.objects.count() == len(manifest.customers)
    assert Order.objects.count() == len({p.order_number for p in manifest.parcels})
    assert set(ManifestTote.objects.filter(carriage=carriage).values_list("tote__barcode", flat=True)) == set(
        manifest.tote_barcodes
    )
    assert Tote.objects.filter(point=point, status=ToteStatus.IN_TRANSIT).count() == 3
    assert ManifestLine.objects.filter(carriage=carriage).count() == 25
    shipments = {s.posting_number: s for s in Shipment.objects.select_related("order__customer", "tote")}
    assert len(shipments) == 25
    for parcel in manifest.parcels:
        shipment = shipments[parcel.posting_number]
        assert shipment.status == "EXPECTED"
        assert (shipment.barcode, shipment.size_class, shipment.weight_g) == (
            parcel.barcode,
            parcel.size_class,
            parcel.weight_g,
        )
        assert (shipment.declared_value_kop, shipment.amount_due_kop, shipment.id_check_required) == (
            parcel.declared_value_kop,
            parcel.amount_due_kop,
            parcel.id_check_required,
        )
        assert shipment.order.number == parcel.order_number
        assert shipment.order.customer.phone == parcel.customer_phone
        assert (shipment.tote.barcode if shipment.tote else None) == parcel.tote_barcode
        assert shipment.carriage_id == carriage.pk
    assert not Shipment.objects.exclude(manifest_lines__carriage=carriage).exists()


def test_returning_customer_is_matched_by_phone():
    manifest = manifest_generate(seed=12, parcels=5)
    known = CustomerFactory(phone=manifest.customers[0].phone, name="Уже знакомый")

    manifest_load(manifest=manifest, partner=PartnerFactory(), point=PickupPointFactory(), eta=ETA)

    assert Customer.objects.filter(phone=known.phone).count() == 1
    assert Shipment.objects.filter(order__customer=known).exists()


def test_loading_the_same_carriage_twice_is_refused_and_writes_nothing():
    partner, point = PartnerFactory(), PickupPointFactory()
    manifest = manifest_generate(seed=13, parcels=5)
    manifest_load(manifest=manifest, partner=partner, point=point, eta=ETA)

    with pytest.raises(Conflict):
        manifest_load(manifest=manifest, partner=partner, point=point, eta=ETA)

    assert Carriage.objects.count() == 1
    assert Shipment.objects.count() == 5
