"""Writes a generated manifest into the database as a direct carriage with everything it announces."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from pvz.core.errors import Conflict
from pvz.inbound.models import (
    Carriage,
    CarriageFlow,
    CarriageStatus,
    ManifestLine,
    ManifestTote,
    Tote,
    ToteStatus,
)
from pvz.network.models import Partner, PickupPoint
from pvz.network.services import point_lock_for_delivery
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.statuses import Status
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

    Customers are matched by phone and orders by number, so a returning customer keeps one record.
    A carriage number the partner already has is refused: loading the same manifest twice is a mistake.
    """
    with transaction.atomic():
        point_lock_for_delivery(point=point)  # a closing or closed point takes no new deliveries
        if Carriage.objects.filter(partner=partner, number=manifest.carriage_number).exists():
            raise Conflict(details={"carriage": manifest.carriage_number})

        customers = {
            c.phone: c for c in Customer.objects.filter(phone__in=[m.phone for m in manifest.customers])
        }
        Customer.objects.bulk_create(
            [
                Customer(phone=m.phone, name=m.name, pickup_number=m.pickup_number)
                for m in manifest.customers
                if m.phone not in customers
            ]
        )
        customers = {
            c.phone: c for c in Customer.objects.filter(phone__in=[m.phone for m in manifest.customers])
        }

        order_customer = {p.order_number: customers[p.customer_phone] for p in manifest.parcels}
        existing_orders = set(
            Order.objects.filter(partner=partner, number__in=order_customer).values_list("number", flat=True)
        )
        Order.objects.bulk_create(
            [
                Order(partner=partner, number=number, customer=customer)
                for number, customer in order_customer.items()
                if number not in existing_orders
            ]
        )
        orders = {o.number: o for o in Order.objects.filter(partner=partner, number__in=order_customer)}

        carriage = Carriage.objects.create(
            partner=partner,
            point=point,
            number=manifest.carriage_number,
            flow=CarriageFlow.DIRECT,
            status=status,
            eta=eta,
        )

        # Totes are reusable: one that came before is sent out again, now towards this point.
        Tote.objects.filter(partner=partner, barcode__in=manifest.tote_barcodes).update(
            point=point, status=ToteStatus.IN_TRANSIT
        )
        known_totes = set(
            Tote.objects.filter(partner=partner, barcode__in=manifest.tote_barcodes).values_list(
                "barcode", flat=True
            )
        )
        Tote.objects.bulk_create(
            [
                Tote(partner=partner, barcode=barcode, point=point, status=ToteStatus.IN_TRANSIT)
                for barcode in manifest.tote_barcodes
                if barcode not in known_totes
            ]
        )
        totes = {
            t.barcode: t for t in Tote.objects.filter(partner=partner, barcode__in=manifest.tote_barcodes)
        }
        ManifestTote.objects.bulk_create(
            [ManifestTote(carriage=carriage, tote=totes[barcode]) for barcode in manifest.tote_barcodes]
        )

        shipments = Shipment.objects.bulk_create(
            [
                Shipment(
                    partner=partner,
                    order=orders[p.order_number],
                    point=point,
                    posting_number=p.posting_number,
                    barcode=p.barcode.lower(),
                    size_class=p.size_class,
                    weight_g=p.weight_g,
                    declared_value_kop=p.declared_value_kop,
                    amount_due_kop=p.amount_due_kop,
                    id_check_required=p.id_check_required,
                    category=p.category,
                    status=Status.EXPECTED,
                    carriage=carriage,
                    tote=totes[p.tote_barcode] if p.tote_barcode else None,
                )
                for p in manifest.parcels
            ]
        )
        ManifestLine.objects.bulk_create(
            [ManifestLine(carriage=carriage, shipment=shipment, tote=shipment.tote) for shipment in shipments]
        )
    return carriage
