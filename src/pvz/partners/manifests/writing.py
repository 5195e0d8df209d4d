"""Writing a valid manifest: the direct carriage, its totes and manifest, and every shipment as EXPECTED,
with bulk inserts in one transaction. `manifest_write` is the one writer of direct carriages (the
simulator's `manifest_load` goes through it too); its input is already valid."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
from pvz.inbound.statuses import TOTE
from pvz.network.models import Partner, PickupPoint
from pvz.network.services import point_lock_for_delivery
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.statuses import Status

PICKUP_NUMBER_DIGITS = 10


@dataclass(frozen=True)
class CustomerIn:
    phone: str  # E.164
    name: str
    pickup_number: str | None = None  # None: a new customer gets a random unused one


@dataclass(frozen=True)
class ShipmentIn:
    posting_number: str
    barcode: str  # lower case
    order_number: str
    customer_phone: str
    size_class: str
    weight_g: int
    declared_value_kop: int
    amount_due_kop: int
    id_check_required: bool
    category: str
    tote_barcode: str | None  # None: travels loose
    try_on_allowed: bool = False
    partial_refusal_allowed: bool = True
    fragile: bool = False


@dataclass(frozen=True)
class ManifestCounts:
    shipments: int
    totes: int
    customers_new: int
    orders_new: int


def _new_pickup_numbers(count: int) -> list[str]:
    """`count` random pickup numbers no customer has (10 digits, first not 0)."""
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = count - len(numbers)
        drawn = {
            str(10 ** (PICKUP_NUMBER_DIGITS - 1) + secrets.randbelow(9 * 10 ** (PICKUP_NUMBER_DIGITS - 1)))
            for _ in range(wanted)
        }
        drawn -= numbers
        taken = set(Customer.objects.filter(pickup_number__in=drawn).values_list("pickup_number", flat=True))
        numbers |= drawn - taken
    return list(numbers)[:count]


# What a new shipment is written with (the other columns are nullable and start empty).
SHIPMENT_COLUMNS = (
    "partner",
    "order",
    "point",
    "posting_number",
    "barcode",
    "size_class",
    "weight_g",
    "declared_value_kop",
    "amount_due_kop",
    "id_check_required",
    "try_on_allowed",
    "partial_refusal_allowed",
    "fragile",
    "category",
    "status",
    "carriage",
    "tote",
    "visit",
    "version",
    "created_at",
    "updated_at",
)


def _insert_rows(model: type[Model], fields: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows into `model`'s table without building model instances: COPY on PostgreSQL
    (10 000 shipments in a fraction of what `bulk_create` takes), one executemany elsewhere. Every other
    concrete column gets its field's default (None where nullable), as `bulk_create` would; nothing is
    returned (the caller reads ids back by natural key)."""
    if not rows:
        return
    meta = model._meta
    given = [cast("Field[Any, Any]", meta.get_field(name)) for name in fields]
    rest: list[Field[Any, Any]] = [
        field
        for field in meta.concrete_fields
        if field not in given and not field.primary_key and (field.has_default() or not field.null)
    ]
    fixed = tuple(field.get_default() for field in rest if not callable(field.default))
    per_row = [field for field in rest if callable(field.default)]
    rest = [field for field in rest if not callable(field.default)] + per_row
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in [*given, *rest])

    def full(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = (*row, *fixed, *(field.get_default() for field in per_row))
        return tuple(
            field.get_db_prep_save(value, connection)
            for field, value in zip([*given, *rest], values, strict=True)
        )

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *fixed) if not per_row else full(row))
        else:
            marks = ", ".join(["%s"] * (len(given) + len(rest)))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 (model's table and columns)
                [full(row) for row in rows],
            )


def manifest_write(
    *,
    partner: Partner,
    point: PickupPoint,
    carriage_number: str,
    eta: dt.datetime | None,
    customers: Sequence[CustomerIn],
    shipments: Sequence[ShipmentIn],
    tote_barcodes: Sequence[str] | None = None,
    status: CarriageStatus = CarriageStatus.IN_TRANSIT,
) -> tuple[Carriage, ManifestCounts]:
    """Create the carriage, its totes and manifest, and every shipment as EXPECTED, in one transaction.

    The one writer of direct carriages; its input is already valid. Customers are matched by phone and
    orders by number, so a returning customer keeps one record. A carriage number the partner already has
    is refused (CONFLICT): loading the same manifest twice is a mistake. A closing or closed point takes no
    new deliveries (POINT_CLOSING / POINT_CLOSED). Totes are reusable: one that came before is sent out
    again, now towards this point."""
    if tote_barcodes is None:
        tote_barcodes = list(dict.fromkeys(s.tote_barcode for s in shipments if s.tote_barcode))
    phones = [c.phone for c in customers]
    with transaction.atomic():
        point_lock_for_delivery(point=point)
        if Carriage.objects.filter(partner=partner, number=carriage_number.strip().upper()).exists():
            raise Conflict(
                _("У партнёра уже есть перевозка с этим номером."), details={"carriage": carriage_number}
            )

        now = timezone.now()
        # Ids are read once for what exists and once for what was just inserted (by natural key).
        customer_ids = dict(Customer.objects.filter(phone__in=phones).values_list("phone", "pk"))
        new = [c for c in customers if c.phone not in customer_ids]
        generated = iter(_new_pickup_numbers(sum(1 for c in new if c.pickup_number is None)))
        _insert_rows(
            Customer,
            ("phone", "name", "pickup_number", "created_at", "updated_at"),
            [(c.phone, c.name, c.pickup_number or next(generated), now, now) for c in new],
        )
        if new:
            customer_ids.update(
                Customer.objects.filter(phone__in=[c.phone for c in new]).values_list("phone", "pk")
            )

        order_phone = {s.order_number: s.customer_phone for s in shipments}
        order_ids = dict(
            Order.objects.filter(partner=partner, number__in=order_phone).values_list("number", "pk")
        )
        new_orders = [
            (partner.pk, number, customer_ids[phone], now, now)
            for number, phone in order_phone.items()
            if number not in order_ids
        ]
        _insert_rows(Order, ("partner", "number", "customer", "created_at", "updated_at"), new_orders)
        if new_orders:
            order_ids.update(
                Order.objects.filter(partner=partner, number__in=[row[1] for row in new_orders]).values_list(
                    "number", "pk"
                )
            )

        carriage = Carriage.objects.create(
            partner=partner,
            point=point,
            number=carriage_number,
            flow=CarriageFlow.DIRECT,
            status=status,
            eta=eta,
        )
        TOTE.update(
            Tote.objects.filter(partner=partner, barcode__in=tote_barcodes),
            from_statuses=list(ToteStatus),
            to_status=ToteStatus.IN_TRANSIT,
            point=point,
        )
        known_totes = set(
            Tote.objects.filter(partner=partner, barcode__in=tote_barcodes).values_list("barcode", flat=True)
        )
        Tote.objects.bulk_create(
            [
                Tote(partner=partner, barcode=barcode, point=point, status=ToteStatus.IN_TRANSIT)
                for barcode in tote_barcodes
                if barcode not in known_totes
            ]
        )
        tote_ids = dict(
            Tote.objects.filter(partner=partner, barcode__in=tote_barcodes).values_list("barcode", "pk")
        )
        ManifestTote.objects.bulk_create(
            [ManifestTote(carriage=carriage, tote_id=tote_ids[barcode]) for barcode in tote_barcodes]
        )
        _insert_rows(
            Shipment,
            SHIPMENT_COLUMNS,
            [
                (
                    partner.pk,
                    order_ids[s.order_number],
                    point.pk,
                    s.posting_number,
                    s.barcode.lower(),
                    s.size_class,
                    s.weight_g,
                    s.declared_value_kop,
                    s.amount_due_kop,
                    s.id_check_required,
                    s.try_on_allowed,
                    s.partial_refusal_allowed,
                    s.fragile,
                    s.category,
                    Status.EXPECTED.value,
                    carriage.pk,
                    tote_ids[s.tote_barcode] if s.tote_barcode else None,
                    1,
                    1,
                    now,
                    now,
                )
                for s in shipments
            ],
        )
        # Every shipment of the new carriage is on its manifest: one statement, no ids back and forth.
        lines_table, shipments_table = ManifestLine._meta.db_table, Shipment._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {lines_table} (carriage_id, shipment_id, tote_id) "  # noqa: S608 (model tables)
                f"SELECT carriage_id, id, tote_id FROM {shipments_table} WHERE carriage_id = %s ORDER BY id",
                [carriage.pk],
            )
    return carriage, ManifestCounts(
        shipments=len(shipments), totes=len(tote_barcodes), customers_new=len(new), orders_new=len(new_orders)
    )
