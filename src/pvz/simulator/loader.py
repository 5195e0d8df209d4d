"""Writes a generated manifest into the database as a direct carriage with everything it announces."""

from __future__ import annotations

import datetime as dt

from pvz.inbound.models import Carriage, CarriageStatus
from pvz.network.models import Partner, PickupPoint
from pvz.partners.manifests import CustomerIn, ShipmentIn, manifest_write
from pvz.simulator.manifests import Manifest


def manifest_load(
    *,
    manifest: Manifest,
    partner: Partner,
    point: PickupPoint,
    eta: dt.datetime | None,
    status: CarriageStatus = CarriageStatus.IN_TRANSIT,
) -> Carriage:
    """Create the carriage, its totes and manifest, and every shipment as EXPECTED, in one transaction.

    Goes through `pvz.partners.manifests.manifest_write`, the one writer of direct carriages: customers
    are matched by phone and orders by number, so a returning customer keeps one record. A carriage number
    the partner already has is refused: loading the same manifest twice is a mistake.
    """
    carriage, _counts = manifest_write(
        partner=partner,
        point=point,
        carriage_number=manifest.carriage_number,
        eta=eta,
        status=status,
        tote_barcodes=manifest.tote_barcodes,
        customers=[
            CustomerIn(phone=m.phone, name=m.name, pickup_number=m.pickup_number) for m in manifest.customers
        ],
        shipments=[
            ShipmentIn(
                posting_number=p.posting_number,
                barcode=p.barcode.lower(),
                order_number=p.order_number,
                customer_phone=p.customer_phone,
                size_class=p.size_class,
                weight_g=p.weight_g,
                declared_value_kop=p.declared_value_kop,
                amount_due_kop=p.amount_due_kop,
                id_check_required=p.id_check_required,
                category=p.category,
                tote_barcode=p.tote_barcode,
                try_on_allowed=p.try_on_allowed,
                partial_refusal_allowed=p.partial_refusal_allowed,
                fragile=p.fragile,
            )
            for p in manifest.parcels
        ],
    )
    return carriage
