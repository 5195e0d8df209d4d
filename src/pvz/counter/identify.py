"""Finding the customer at the counter: by a code the customer shows (verified), or by searching an order,
parcel or phone (not verified: issuing then needs an SMS code, see `verification`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, NotFound
from pvz.core.phone import normalize_phone
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.counter.models import Verification
from pvz.counter.tokens import pickup_code_verify, qr_token_verify
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer, Shipment

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Identified:
    customer: Customer
    verification: Verification


def customer_identify(*, code: str, now: dt.datetime) -> Identified:
    """The customer proven by a scanned pickup code or QR token (any keyboard layout).

    Pickup code: unknown number NOT_FOUND, wrong 4 digits CODE_INVALID. QR: see `tokens.qr_token_verify`.
    Anything else is VALIDATION_FAILED: an order number or phone alone never verifies anyone."""
    guess = classify_scan(normalize_scan(code))
    if guess.kind is ScanKind.PICKUP_CODE:
        return Identified(pickup_code_verify(code=guess.value), Verification.PICKUP_CODE)
    if guess.kind is ScanKind.COUNTER_QR:
        token = qr_token_verify(token=guess.value, now=now)
        customer = Customer.objects.filter(pickup_number=token.pickup_number).first()
        if customer is None:
            raise NotFound(_("Клиент с этим QR-кодом не найден."), details={"kind": "qr"})
        return Identified(customer, Verification.QR)
    raise DomainError(
        _("Это не код получения и не QR-код клиента. Найдите заказ через поиск и отправьте SMS-код."),
        details={"code": code, "normalized": guess.value},
    )


@dataclass(frozen=True)
class SearchHit:
    customer: Customer
    shipments: tuple[Shipment, ...]  # the customer's parcels at this point, of any status


def customer_search(*, point: PickupPoint, query: str) -> list[SearchHit]:
    """Customers with parcels at `point` matching an order number, posting number, label barcode or phone
    (any common way of writing it). Only parcels at this point are searched, so nobody is found through a
    point they have nothing at. Not a verification."""
    value = normalize_scan(query)
    if not value:
        raise DomainError(_("Введите номер заказа, отправления или телефон."), details={"field": "q"})
    match = Q(barcode=value.lower()) | Q(posting_number=value) | Q(order__number=value)
    phone = _phone_or_none(query)
    if phone is not None:
        match |= Q(order__customer__phone=phone)
    customer_ids = list(
        Shipment.objects.filter(match, point=point)
        .order_by("order__customer_id")
        .values_list("order__customer_id", flat=True)
        .distinct()[:SEARCH_LIMIT]
    )
    shipments = (
        Shipment.objects.filter(point=point, order__customer_id__in=customer_ids)
        .select_related("order__customer", "partner", "cell")
        .order_by("order__customer_id", "cell__address", "posting_number")
    )
    by_customer: dict[int, list[Shipment]] = {}
    for shipment in shipments:
        by_customer.setdefault(shipment.order.customer_id, []).append(shipment)
    return [
        SearchHit(customer=rows[0].order.customer, shipments=tuple(rows)) for rows in by_customer.values()
    ]


def _phone_or_none(raw: str) -> str | None:
    digits = sum(ch.isdigit() for ch in raw)
    if digits < 10 or any(ch.isalpha() for ch in raw):
        return None
    try:
        return normalize_phone(raw)
    except DomainError:
        return None
