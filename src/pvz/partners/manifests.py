"""Manifest ingest: a partner announces a direct carriage with its totes and shipments in one request.

The manifest is validated as a whole before anything is written, and every line's errors are collected
(`[{line, field, code, message}]`): one bad line refuses the whole manifest with MANIFEST_INVALID (422) and
nothing is stored. A valid one is written with bulk inserts in one transaction by `manifest_write`, the
one writer of direct carriages (the simulator's `manifest_load` goes through it too).

The shape (JSON body of POST /api/v1/partner/carriages; the CSV upload builds the same dict):

    {"carriage_number": "CAR-20261127001", "point": "<point code>", "eta": "<ISO 8601 with offset>|null",
     "shipments": [{"posting_number", "barcode", "order_number",
                    "customer": {"phone", "name"}, "size_class": "S|M|L|XL", "weight_g",
                    "declared_value_kop", "amount_due_kop", "category", "tote": "<barcode>|null",
                    "id_check_required": false, "try_on_allowed": false,
                    "partial_refusal_allowed": true, "fragile": false}, ...]}

Lines are numbered from 1 in the order of `shipments` (the CSV upload passes its own row numbers);
manifest-level fields (carriage number, point, ETA, the list itself) report `line` null.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from pvz.audit.services import audit_record
from pvz.core.errors import Conflict, DomainError, ErrorCode
from pvz.core.instants import instant_storable
from pvz.core.phone import normalize_phone
from pvz.inbound.models import (
    Carriage,
    CarriageFlow,
    CarriageStatus,
    ManifestLine,
    ManifestTote,
    Tote,
    ToteStatus,
)
from pvz.network.models import Partner, PartnerPoint, PickupPoint, SizeClass
from pvz.network.services import point_lock_for_delivery
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.statuses import Status

# One request carries at most this many shipments (the bulk case is 10 000).
MANIFEST_MAX_LINES = 10_000
CODE_MAX = 40  # carriage number, posting number, barcode, order number, tote barcode: the columns' length
NAME_MAX = 200
CATEGORY_MAX = 60
WEIGHT_MAX_G = 1_000_000  # 1 t: anything heavier is a typo, not a parcel
MONEY_MAX_KOP = 10**12  # 10 000 000 000 ₽
PICKUP_NUMBER_DIGITS = 10

SHIPMENT_FIELDS = frozenset(
    {
        "posting_number",
        "barcode",
        "order_number",
        "customer",
        "size_class",
        "weight_g",
        "declared_value_kop",
        "amount_due_kop",
        "category",
        "tote",
        "id_check_required",
        "try_on_allowed",
        "partial_refusal_allowed",
        "fragile",
    }
)
MANIFEST_FIELDS = frozenset({"carriage_number", "point", "eta", "shipments"})
CUSTOMER_FIELDS = frozenset({"phone", "name"})
# Already E.164 and plainly a Russian mobile number: skips the (slow) full parse for the common case.
_RU_MOBILE = re.compile(r"\+79\d{9}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Per-line error codes (stable, in `details.errors[].code`).
REQUIRED = "required"
INVALID = "invalid"
TOO_LONG = "too_long"
DUPLICATE = "duplicate"
ALREADY_EXISTS = "already_exists"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_POINT = "unknown_point"
POINT_NOT_SERVED = "point_not_served"
BAD_SIZE = "bad_size"
NOT_POSITIVE = "not_positive"
NEGATIVE = "negative"
TOO_LARGE = "too_large"
BAD_PHONE = "bad_phone"
ORDER_CUSTOMER_MISMATCH = "order_customer_mismatch"
EMPTY = "empty"
TOO_MANY = "too_many"

_MESSAGES: dict[str, Any] = {
    REQUIRED: _("Обязательное поле."),
    INVALID: _("Неверное значение."),
    TOO_LONG: _("Слишком длинное значение."),
    DUPLICATE: _("Значение повторяется в манифесте."),
    ALREADY_EXISTS: _("Такое отправление у партнёра уже есть."),
    UNKNOWN_FIELD: _("Неизвестное поле."),
    UNKNOWN_POINT: _("Нет такой точки."),
    POINT_NOT_SERVED: _("Партнёр не работает с этой точкой."),
    BAD_SIZE: _("Размер должен быть одним из S, M, L, XL."),
    NOT_POSITIVE: _("Значение должно быть больше нуля."),
    NEGATIVE: _("Сумма не может быть отрицательной."),
    TOO_LARGE: _("Слишком большое значение."),
    BAD_PHONE: _("Неверный номер телефона."),
    ORDER_CUSTOMER_MISMATCH: _("Заказ с этим номером принадлежит другому покупателю."),
    EMPTY: _("В манифесте нет отправлений."),
    TOO_MANY: _("Слишком много отправлений в одном манифесте."),
}


class ManifestInvalid(DomainError):
    code = ErrorCode.MANIFEST_INVALID
    default_message = _("Манифест не принят: исправьте ошибки в строках и отправьте его целиком заново.")


# ---- what the writer takes --------------------------------------------------------------------------


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


# ---- validation -------------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, line: int | None, field: str, code: str) -> None:
        self.items.append({"line": line, "field": field, "code": code, "message": str(_MESSAGES[code])})


def _text(
    errors: _Errors,
    line: int | None,
    row: dict[str, Any],
    key: str,
    *,
    required: bool,
    limit: int,
    field: str = "",
) -> str:
    value = row.get(key)
    field = field or key
    if value is None or value == "":
        if required:
            errors.add(line, field, REQUIRED)
        return ""
    if not isinstance(value, str):
        errors.add(line, field, INVALID)
        return ""
    value = value.strip()
    if _CONTROL.search(value):  # NUL and other control characters: no code or name has them
        errors.add(line, field, INVALID)
        return ""
    if not value and required:
        errors.add(line, field, REQUIRED)
    elif len(value) > limit:
        errors.add(line, field, TOO_LONG)
    return value


def _integer(
    errors: _Errors, line: int, row: dict[str, Any], field: str, *, positive: bool, limit: int
) -> int:
    value = row.get(field)
    if value is None or value == "":
        if positive:
            errors.add(line, field, REQUIRED)
        return 0
    if isinstance(value, str):  # the CSV upload passes text
        try:
            value = int(value.strip())
        except ValueError:
            errors.add(line, field, INVALID)
            return 0
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(line, field, INVALID)
        return 0
    if positive and value <= 0:
        errors.add(line, field, NOT_POSITIVE)
    elif value < 0:
        errors.add(line, field, NEGATIVE)
    elif value > limit:
        errors.add(line, field, TOO_LARGE)
    return value


def _flag(errors: _Errors, line: int, row: dict[str, Any], field: str, *, default: bool = False) -> bool:
    value = row.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "да"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "нет"}:
        return False
    errors.add(line, field, INVALID)
    return False


class _Phones:
    """E.164 of each raw phone, parsed once per distinct value."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}

    def normalize(self, raw: str) -> str | None:
        if raw not in self.cache:
            if _RU_MOBILE.fullmatch(raw):
                self.cache[raw] = raw
            else:
                try:
                    self.cache[raw] = normalize_phone(raw)
                except DomainError:
                    self.cache[raw] = None
        return self.cache[raw]


def _chunks(values: Sequence[str], size: int = 5000) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class _Valid:
    carriage_number: str
    point: PickupPoint
    eta: dt.datetime | None
    customers: list[CustomerIn]
    shipments: list[ShipmentIn]


def _validate(*, partner: Partner, data: Any, lines: Sequence[int] | None) -> _Valid:
    errors = _Errors()
    if not isinstance(data, dict):
        errors.add(None, "manifest", INVALID)
        raise ManifestInvalid(details={"errors": errors.items})
    for field in sorted(set(data) - MANIFEST_FIELDS):
        errors.add(None, field, UNKNOWN_FIELD)
    carriage_number = _text(errors, None, data, "carriage_number", required=True, limit=CODE_MAX).upper()
    point_code = _text(errors, None, data, "point", required=True, limit=CODE_MAX)
    point = PickupPoint.objects.filter(code=point_code).first() if point_code else None
    if point_code and point is None:
        errors.add(None, "point", UNKNOWN_POINT)
    elif point is not None and not PartnerPoint.objects.filter(partner=partner, point=point).exists():
        errors.add(None, "point", POINT_NOT_SERVED)
    eta: dt.datetime | None = None
    raw_eta = data.get("eta")
    if raw_eta not in (None, ""):
        try:
            eta = parse_datetime(raw_eta) if isinstance(raw_eta, str) else None
            eta = instant_storable(eta) if eta is not None else None
        except (ValueError, OverflowError):
            eta = None
        if eta is None or eta.tzinfo is None:
            errors.add(None, "eta", INVALID)
            eta = None

    rows = data.get("shipments")
    if not isinstance(rows, list):
        errors.add(None, "shipments", REQUIRED if rows is None else INVALID)
        rows = []
    elif not rows:
        errors.add(None, "shipments", EMPTY)
    elif len(rows) > MANIFEST_MAX_LINES:
        errors.add(None, "shipments", TOO_MANY)
        raise ManifestInvalid(details={"errors": errors.items, "max_lines": MANIFEST_MAX_LINES})

    phones = _Phones()
    threshold = partner.id_check_threshold_kop
    shipments: list[ShipmentIn] = []
    line_of: list[int] = []
    customers: dict[str, CustomerIn] = {}
    seen_posting: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    order_phone: dict[str, str] = {}
    for index, row in enumerate(rows):
        line = lines[index] if lines is not None else index + 1
        if not isinstance(row, dict):
            errors.add(line, "shipment", INVALID)
            continue
        for field in sorted(set(row) - SHIPMENT_FIELDS):
            errors.add(line, field, UNKNOWN_FIELD)
        posting = _text(errors, line, row, "posting_number", required=True, limit=CODE_MAX)
        barcode = _text(errors, line, row, "barcode", required=True, limit=CODE_MAX).lower()
        order_number = _text(errors, line, row, "order_number", required=True, limit=CODE_MAX)
        category = _text(errors, line, row, "category", required=False, limit=CATEGORY_MAX)
        tote = _text(errors, line, row, "tote", required=False, limit=CODE_MAX) or None
        size = row.get("size_class")
        if size is None or size == "":
            errors.add(line, "size_class", REQUIRED)
        elif not isinstance(size, str) or size.strip().upper() not in SizeClass.values:
            errors.add(line, "size_class", BAD_SIZE)
        size = size.strip().upper() if isinstance(size, str) else ""
        weight = _integer(errors, line, row, "weight_g", positive=True, limit=WEIGHT_MAX_G)
        value = _integer(errors, line, row, "declared_value_kop", positive=False, limit=MONEY_MAX_KOP)
        due = _integer(errors, line, row, "amount_due_kop", positive=False, limit=MONEY_MAX_KOP)
        id_check = _flag(errors, line, row, "id_check_required")
        try_on = _flag(errors, line, row, "try_on_allowed")
        partial_refusal = _flag(errors, line, row, "partial_refusal_allowed", default=True)
        fragile = _flag(errors, line, row, "fragile")

        customer = row.get("customer")
        phone: str | None = None
        name = ""
        if not isinstance(customer, dict):
            errors.add(line, "customer", REQUIRED if customer is None else INVALID)
        else:
            for field in sorted(set(customer) - CUSTOMER_FIELDS):
                errors.add(line, f"customer.{field}", UNKNOWN_FIELD)
            raw_phone = _text(
                errors, line, customer, "phone", required=True, limit=32, field="customer.phone"
            )
            name = _text(
                errors, line, customer, "name", required=False, limit=NAME_MAX, field="customer.name"
            )
            if raw_phone:
                phone = phones.normalize(raw_phone)
                if phone is None:
                    errors.add(line, "customer.phone", BAD_PHONE)

        if posting:
            if posting in seen_posting:
                errors.add(line, "posting_number", DUPLICATE)
            else:
                seen_posting[posting] = line
        if barcode:
            if barcode in seen_barcode:
                errors.add(line, "barcode", DUPLICATE)
            else:
                seen_barcode[barcode] = line
        if order_number and phone and order_phone.setdefault(order_number, phone) != phone:
            errors.add(line, "order_number", ORDER_CUSTOMER_MISMATCH)
        if phone and phone not in customers:
            customers[phone] = CustomerIn(phone=phone, name=name)
        if threshold is not None and value > threshold:
            id_check = True  # the partner's threshold: above it the recipient shows an identity document
        shipments.append(
            ShipmentIn(
                posting_number=posting,
                barcode=barcode,
                order_number=order_number,
                customer_phone=phone or "",
                size_class=size,
                weight_g=weight,
                declared_value_kop=value,
                amount_due_kop=due,
                id_check_required=id_check,
                category=category,
                tote_barcode=tote,
                try_on_allowed=try_on,
                partial_refusal_allowed=partial_refusal,
                fragile=fragile,
            )
        )
        line_of.append(line)

    # Against what the partner already has: a barcode or posting number is the partner's shipment for good.
    for posting_chunk in _chunks(list(seen_posting)):
        for posting in Shipment.objects.filter(partner=partner, posting_number__in=posting_chunk).values_list(
            "posting_number", flat=True
        ):
            errors.add(seen_posting[posting], "posting_number", ALREADY_EXISTS)
    for barcode_chunk in _chunks(list(seen_barcode)):
        for barcode in Shipment.objects.filter(partner=partner, barcode__in=barcode_chunk).values_list(
            "barcode", flat=True
        ):
            errors.add(seen_barcode[barcode], "barcode", ALREADY_EXISTS)
    existing_orders: dict[str, str] = {}
    for order_chunk in _chunks(list(order_phone)):
        existing_orders.update(
            Order.objects.filter(partner=partner, number__in=order_chunk).values_list(
                "number", "customer__phone"
            )
        )
    if existing_orders:
        for shipment, line in zip(shipments, line_of, strict=True):
            known = existing_orders.get(shipment.order_number)
            if known is not None and known != shipment.customer_phone:
                errors.add(line, "order_number", ORDER_CUSTOMER_MISMATCH)

    if errors.items:
        errors.items.sort(key=lambda item: (item["line"] is not None, item["line"] or 0))
        raise ManifestInvalid(details={"errors": errors.items})
    assert point is not None
    return _Valid(carriage_number, point, eta, list(customers.values()), shipments)


# ---- writing ----------------------------------------------------------------------------------------


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
        Tote.objects.filter(partner=partner, barcode__in=tote_barcodes).update(
            point=point, status=ToteStatus.IN_TRANSIT
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


def manifest_ingest(*, partner: Partner, data: Any, lines: Sequence[int] | None = None) -> Carriage:
    """Validate a partner's manifest as a whole (MANIFEST_INVALID with every line's errors, nothing stored)
    and write it as a direct carriage IN_TRANSIT with its shipments EXPECTED; audited as
    `carriage.manifest_ingested`. `lines` numbers the shipments for errors (the CSV upload's row numbers);
    by default they count from 1."""
    valid = _validate(partner=partner, data=data, lines=lines)
    try:
        carriage = _ingest_write(partner=partner, valid=valid)
    except IntegrityError:
        # A concurrent manifest of the partner took the carriage number or a barcode first (another point:
        # the point lock does not serialise the two); the checks above ran before it committed.
        raise Conflict(details={"carriage": valid.carriage_number}) from None
    return carriage


def _ingest_write(*, partner: Partner, valid: _Valid) -> Carriage:
    with transaction.atomic():
        carriage, counts = manifest_write(
            partner=partner,
            point=valid.point,
            carriage_number=valid.carriage_number,
            eta=valid.eta,
            customers=valid.customers,
            shipments=valid.shipments,
        )
        audit_record(
            action="carriage.manifest_ingested",
            point_id=valid.point.pk,
            obj=carriage,
            details={
                "partner": partner.code,
                "number": carriage.number,
                "shipments": counts.shipments,
                "totes": counts.totes,
                "customers_new": counts.customers_new,
                "orders_new": counts.orders_new,
            },
        )
    return carriage
