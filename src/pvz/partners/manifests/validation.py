"""A manifest checked as a whole before anything is written: its shape by the pydantic models of `schema`,
then what no line shows alone (a posting number or barcode twice in the manifest, one order for two
customers) and what the partner already has (the point, its shipments and orders). Every error of every
line is collected and reported at once (MANIFEST_INVALID), in line order; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pvz.network.models import Partner, PartnerPoint, PickupPoint
from pvz.partners.manifests.errors import (
    ALREADY_EXISTS,
    BAD_PHONE,
    BAD_SIZE,
    DUPLICATE,
    EMPTY,
    INVALID,
    MESSAGES,
    NEGATIVE,
    NOT_POSITIVE,
    ORDER_CUSTOMER_MISMATCH,
    POINT_NOT_SERVED,
    REQUIRED,
    TOO_LARGE,
    TOO_LONG,
    TOO_MANY,
    UNKNOWN_FIELD,
    UNKNOWN_POINT,
    ManifestInvalid,
    manifest_error,
)
from pvz.partners.manifests.schema import (
    MANIFEST_MAX_LINES,
    SHIPMENT_LINES,
    ManifestHead,
    PhoneBook,
    ShipmentLine,
    key_of,
)
from pvz.partners.manifests.writing import CustomerIn, ShipmentIn
from pvz.shipments.models import Order, Shipment

# The per-line code of each pydantic error type the models raise themselves; the validators of `schema`
# raise our codes directly. Any other error is REQUIRED for a None where a value is expected, else INVALID.
_CODES = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,  # "" or only spaces
    "string_too_long": TOO_LONG,
    "extra_forbidden": UNKNOWN_FIELD,
    "greater_than": NOT_POSITIVE,
    "greater_than_equal": NEGATIVE,
    "less_than_equal": TOO_LARGE,
    "enum": BAD_SIZE,
    "too_short": EMPTY,  # the list of shipments
    "too_long": TOO_MANY,
}

# The order of one line's errors (and of the manifest's own): unknown fields first, by name; then the fields
# in the order of the shape; in the customer, its unknown fields, the phone, the name, and last whether the
# phone is a phone number at all.
_HEAD_ORDER = tuple(ManifestHead.model_fields)
_LINE_ORDER = tuple(ShipmentLine.model_fields)
_IN_CUSTOMER = {"customer": 0, "customer.phone": 2, "customer.name": 3}


@dataclass(frozen=True)
class ValidManifest:
    carriage_number: str
    point: PickupPoint
    eta: dt.datetime | None
    customers: list[CustomerIn]
    shipments: list[ShipmentIn]


def _code(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _CODES:
        return _CODES[kind]
    if kind in MESSAGES:
        return kind
    return REQUIRED if error["input"] is None else INVALID


def _place(field: str, code: str, order: Sequence[str]) -> tuple[Any, ...]:
    if code == UNKNOWN_FIELD and "." not in field:
        return (0, field)
    head = field.partition(".")[0]
    position = order.index(head) if head in order else -1  # -1: the line itself ("shipment")
    if head != "customer":
        return (1, position)
    if code == UNKNOWN_FIELD:
        return (1, position, 1, field)
    return (1, position, 4 if code == BAD_PHONE else _IN_CUSTOMER[field])


def _ordered(found: Iterable[tuple[str, str]], order: Sequence[str]) -> list[tuple[str, str]]:
    return sorted(found, key=lambda item: _place(item[0], item[1], order))


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _head_checked(
    partner: Partner, data: Any, context: dict[str, Any]
) -> tuple[ManifestHead | None, PickupPoint | None, list[dict[str, Any]]]:
    """The manifest's own fields and its point, with their errors; refused at once when the manifest is no
    object or has too many lines (its lines are not looked at then)."""
    head: ManifestHead | None = None
    found: list[tuple[str, str]] = []
    try:
        head = ManifestHead.model_validate(data, context=context)
    except ValidationError as error:
        if not isinstance(data, dict):
            raise ManifestInvalid(details={"errors": [manifest_error(None, "manifest", INVALID)]}) from None
        found = [(_field(e["loc"]), _code(e)) for e in error.errors()]
    code = key_of(data.get("point"))
    point = PickupPoint.objects.filter(code=code).first() if code else None
    if code and point is None:
        found.append(("point", UNKNOWN_POINT))
    elif point is not None and not PartnerPoint.objects.filter(partner=partner, point=point).exists():
        found.append(("point", POINT_NOT_SERVED))
    errors = [manifest_error(None, field, code) for field, code in _ordered(found, _HEAD_ORDER)]
    if any(error["code"] == TOO_MANY for error in errors):
        raise ManifestInvalid(details={"errors": errors, "max_lines": MANIFEST_MAX_LINES})
    return head, point, errors


def _lines_checked(
    rows: list[Any], context: dict[str, Any]
) -> tuple[list[ShipmentLine] | None, dict[int, list[tuple[str, str]]]]:
    """The valid lines (None if any is bad) and each bad row's (field, code) list, by index."""
    found: dict[int, list[tuple[str, str]]] = {}
    try:
        return SHIPMENT_LINES.validate_python(rows, context=context), found
    except ValidationError as error:
        for e in error.errors():
            index, *inner = e["loc"]
            # No field in the location: the line itself is not an object.
            entry = (_field(inner), _code(e)) if inner else ("shipment", INVALID)
            found.setdefault(int(index), []).append(entry)
    return None, found


def _keys(
    rows: list[Any], valid: list[ShipmentLine] | None, phones: PhoneBook
) -> list[tuple[str, str, str, str | None] | None]:
    """What the checks across lines compare, per row: posting number, barcode, order number and phone. Taken
    from the validated lines; in a manifest with bad lines, read from each row as far as it goes (None for
    a row that is no object), so that a bad line is still checked against the others."""
    if valid is not None:
        return [(s.posting_number, s.barcode, s.order_number, s.customer.phone) for s in valid]
    keys: list[tuple[str, str, str, str | None] | None] = []
    for row in rows:
        if not isinstance(row, dict):
            keys.append(None)
            continue
        customer = row.get("customer")
        raw_phone = key_of(customer.get("phone")) if isinstance(customer, dict) else ""
        keys.append(
            (
                key_of(row.get("posting_number")),
                key_of(row.get("barcode")).lower(),
                key_of(row.get("order_number")),
                phones.normalize(raw_phone) if raw_phone else None,
            )
        )
    return keys


def _chunks(values: Sequence[str], size: int = 5000) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _stored_conflicts(
    partner: Partner,
    *,
    seen_posting: dict[str, int],
    seen_barcode: dict[str, int],
    order_phone: dict[str, str],
    ordered_by: list[tuple[int, str, str]],
) -> list[dict[str, Any]]:
    """Against what the partner already has: a barcode or posting number is the partner's shipment for
    good, and an order number stays with its customer."""
    errors: list[dict[str, Any]] = []
    for posting_chunk in _chunks(list(seen_posting)):
        for posting in Shipment.objects.filter(partner=partner, posting_number__in=posting_chunk).values_list(
            "posting_number", flat=True
        ):
            errors.append(manifest_error(seen_posting[posting], "posting_number", ALREADY_EXISTS))
    for barcode_chunk in _chunks(list(seen_barcode)):
        for barcode in Shipment.objects.filter(partner=partner, barcode__in=barcode_chunk).values_list(
            "barcode", flat=True
        ):
            errors.append(manifest_error(seen_barcode[barcode], "barcode", ALREADY_EXISTS))
    existing_orders: dict[str, str] = {}
    for order_chunk in _chunks(list(order_phone)):
        existing_orders.update(
            Order.objects.filter(partner=partner, number__in=order_chunk).values_list(
                "number", "customer__phone"
            )
        )
    if existing_orders:
        for line, order_number, phone in ordered_by:
            known = existing_orders.get(order_number)
            if known is not None and known != phone:
                errors.append(manifest_error(line, "order_number", ORDER_CUSTOMER_MISMATCH))
    return errors


def manifest_validate(*, partner: Partner, data: Any, lines: Sequence[int] | None) -> ValidManifest:
    """The manifest ready for `manifest_write`; MANIFEST_INVALID with every error otherwise. `lines`
    numbers the shipments in the errors (the CSV's rows); by default they count from 1."""
    phones = PhoneBook()
    context = {"phones": phones}
    head, point, errors = _head_checked(partner, data, context)
    rows = data["shipments"] if not any(error["field"] == "shipments" for error in errors) else []
    valid, found = _lines_checked(rows, context)

    # Each line's own errors, then how it stands against the lines before it.
    seen_posting: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    order_phone: dict[str, str] = {}
    ordered_by: list[tuple[int, str, str]] = []  # (line, order number, phone) of every line
    for index, keys in enumerate(_keys(rows, valid, phones)):
        line = lines[index] if lines is not None else index + 1
        errors += [manifest_error(line, f, c) for f, c in _ordered(found.get(index, []), _LINE_ORDER)]
        if keys is None:
            continue
        posting, barcode, order_number, phone = keys
        if posting:
            if posting in seen_posting:
                errors.append(manifest_error(line, "posting_number", DUPLICATE))
            else:
                seen_posting[posting] = line
        if barcode:
            if barcode in seen_barcode:
                errors.append(manifest_error(line, "barcode", DUPLICATE))
            else:
                seen_barcode[barcode] = line
        if order_number and phone and order_phone.setdefault(order_number, phone) != phone:
            errors.append(manifest_error(line, "order_number", ORDER_CUSTOMER_MISMATCH))
        ordered_by.append((line, order_number, phone or ""))
    errors += _stored_conflicts(
        partner,
        seen_posting=seen_posting,
        seen_barcode=seen_barcode,
        order_phone=order_phone,
        ordered_by=ordered_by,
    )

    if errors:
        errors.sort(key=lambda item: (item["line"] is not None, item["line"] or 0))
        raise ManifestInvalid(details={"errors": errors})
    assert head is not None and valid is not None and point is not None
    return _valid_manifest(partner, head, point, valid)


def _valid_manifest(
    partner: Partner, head: ManifestHead, point: PickupPoint, lines: list[ShipmentLine]
) -> ValidManifest:
    threshold = partner.id_check_threshold_kop
    customers: dict[str, CustomerIn] = {}
    shipments: list[ShipmentIn] = []
    for line in lines:
        phone = line.customer.phone
        if phone not in customers:
            customers[phone] = CustomerIn(phone=phone, name=line.customer.name)
        shipments.append(
            ShipmentIn(
                posting_number=line.posting_number,
                barcode=line.barcode,
                order_number=line.order_number,
                customer_phone=phone,
                size_class=line.size_class.value,
                weight_g=line.weight_g,
                declared_value_kop=line.declared_value_kop,
                amount_due_kop=line.amount_due_kop,
                # The partner's threshold: above it the recipient shows an identity document.
                id_check_required=line.id_check_required
                or (threshold is not None and line.declared_value_kop > threshold),
                category=line.category,
                tote_barcode=line.tote or None,
                try_on_allowed=line.try_on_allowed,
                partial_refusal_allowed=line.partial_refusal_allowed,
                fragile=line.fragile,
            )
        )
    return ValidManifest(head.carriage_number, point, head.eta, list(customers.values()), shipments)
