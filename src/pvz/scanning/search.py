"""«Поиск предметов»: one query box for every way staff name a parcel.

A query is read every way it could be meant — posting number, label barcode, order number, tote barcode,
pickup code, cell address, customer phone — and each reading is one lookup on an index (no scans, no
`LIKE`), limited to the points the caller may search. The hits are merged, each saying what it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import points_for_user, user_can
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.phone import normalize_phone
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.inbound.models import Tote
from pvz.network.models import Cell, PickupPoint
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.statuses import AT_POINT

QUERY_MAX_LENGTH = 100
QUERY_MIN_LENGTH = 3
SEARCH_LIMIT_MAX = 200

# Typed like a phone: digits with the usual separators, 10 to 15 digits in all.
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
_PHONE_DIGITS = (10, 15)


class SearchKind(models.TextChoices):
    """What a query matched, in the order results name it."""

    POSTING_NUMBER = "posting_number", _("номер отправления")
    BARCODE = "barcode", _("штрихкод")
    ORDER_NUMBER = "order_number", _("номер заказа")
    TOTE = "tote", _("тара")
    PICKUP_CODE = "pickup_code", _("код получения")
    CELL = "cell", _("ячейка")
    PHONE = "phone", _("телефон")


@dataclass(frozen=True)
class SearchHit:
    shipment: Shipment
    matched_by: tuple[SearchKind, ...]
    # Full customer phone only for those who manage the parcel's point; everyone else sees it masked.
    phone_visible: bool


@dataclass(frozen=True)
class SearchResult:
    query: str
    normalized: str
    phone: str | None  # the E.164 number searched for, when the query read as a phone
    hits: tuple[SearchHit, ...]
    cells: tuple[Cell, ...]  # cells whose address the query is (their contents are among the hits)
    truncated: bool  # more matched than `limit`

    @property
    def matched_kinds(self) -> tuple[SearchKind, ...]:
        found = {kind for hit in self.hits for kind in hit.matched_by}
        if self.cells:
            found.add(SearchKind.CELL)
        return tuple(kind for kind in SearchKind if kind in found)


def _malformed(message: str | Promise, **details: object) -> DomainError:
    return DomainError(message, code=ErrorCode.VALIDATION_FAILED, details={"field": "q", **details})


def _scope(user: User, point: PickupPoint | None) -> list[int]:
    points = points_for_user(user=user)
    if point is not None:
        if not points.filter(pk=point.pk).exists():
            raise NotFound(details={"point": point.pk})
        return [point.pk]
    return list(points.values_list("pk", flat=True))


def _phone_of(raw: str) -> str | None:
    """The E.164 number a query means, if it reads as a phone. Typed with "+" or "(" it can only be a
    phone, so a bad one is VALIDATION_FAILED saying what is wrong; plain digits may be a phone or an
    order number or barcode, so an invalid phone there is simply not a phone."""
    text = raw.strip()
    if not _PHONE_CHARS.match(text) or classify_scan(normalize_scan(text)).kind is ScanKind.POSTING_NUMBER:
        return None
    digits = sum(ch.isdigit() for ch in text)
    explicit = text.startswith("+") or "(" in text
    if not explicit and not _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        return None
    try:
        return normalize_phone(text)
    except DomainError as error:
        if explicit:
            raise _malformed(error.message, reading="phone") from None
        return None


def _matching_ids(
    normalized: str, phone: str | None, scope: list[int], cap: int
) -> dict[int, set[SearchKind]]:
    """Shipment ids per reading of the query, each an indexed equality lookup within the scope."""
    in_scope = Shipment.objects.filter(point_id__in=scope)
    guess = classify_scan(normalized)
    readings: list[tuple[SearchKind, Q]] = []
    if guess.kind is ScanKind.POSTING_NUMBER:
        readings.append((SearchKind.POSTING_NUMBER, Q(posting_number=normalized)))
    elif guess.kind is ScanKind.TOTE:
        totes = list(Tote.objects.filter(barcode=normalized).values_list("pk", flat=True))
        if totes:
            readings.append((SearchKind.TOTE, Q(tote_id__in=totes)))
    elif guess.kind is ScanKind.PICKUP_CODE:
        number = normalized.split("*", 1)[0]
        customer = Customer.objects.filter(pickup_number=number).values_list("pk", flat=True).first()
        if customer is not None:
            readings.append((SearchKind.PICKUP_CODE, Q(order__customer_id=customer)))
    else:
        readings.append((SearchKind.BARCODE, Q(barcode=normalized.lower())))
        readings.append((SearchKind.ORDER_NUMBER, Q(order__number=normalized)))
    if phone is not None:
        customer = Customer.objects.filter(phone=phone).values_list("pk", flat=True).first()
        if customer is not None:
            readings.append((SearchKind.PHONE, Q(order__customer_id=customer)))
    found: dict[int, set[SearchKind]] = {}
    for kind, condition in readings:
        ids = in_scope.filter(condition).order_by("-updated_at", "-pk").values_list("pk", flat=True)[:cap]
        for pk in ids:
            found.setdefault(pk, set()).add(kind)
    return found


def shipments_search(*, user: User, point: PickupPoint | None, query: str, limit: int = 50) -> SearchResult:
    """Parcels matching `query` at `point` (one of the caller's points), or at every point the caller
    may see when `point` is None; newest first, at most `limit`. A cell address lists what lies in that
    cell. Too short, too long or a malformed phone is VALIDATION_FAILED; nothing found is an empty result.
    """
    raw = query or ""
    if len(raw) > QUERY_MAX_LENGTH:
        raise _malformed(
            _("Слишком длинный запрос: не больше %(max)s символов.") % {"max": QUERY_MAX_LENGTH},
            max_length=QUERY_MAX_LENGTH,
        )
    normalized = normalize_scan(raw)
    if len(normalized) < QUERY_MIN_LENGTH:
        raise _malformed(
            _(
                "Введите номер отправления, штрихкод, номер заказа, телефон или ячейку — "
                "не меньше %(min)s знаков."
            )
            % {"min": QUERY_MIN_LENGTH},
            min_length=QUERY_MIN_LENGTH,
        )
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    scope = _scope(user, point)
    phone = _phone_of(raw)

    cells = tuple(Cell.objects.filter(point_id__in=scope, address=normalized.upper()).select_related("point"))
    found = _matching_ids(normalized, phone, scope, limit + 1)
    if cells:
        in_cells = (
            Shipment.objects.filter(point_id__in=scope, cell__in=cells, status__in=AT_POINT)
            .order_by("-updated_at", "-pk")
            .values_list("pk", flat=True)[: limit + 1]
        )
        for pk in in_cells:
            found.setdefault(pk, set()).add(SearchKind.CELL)

    shipments = list(
        Shipment.objects.filter(pk__in=found)
        .select_related("point", "partner", "order__customer", "cell")
        .order_by("-updated_at", "-pk")
    )
    if cells:
        # What is in a cell reads best in the order it lies there: by posting number.
        shipments.sort(key=lambda s: (SearchKind.CELL not in found[s.pk], s.posting_number))
    points = {s.point_id: s.point for s in shipments}
    visible_phone = {pk for pk, p in points.items() if user_can(user=user, perm=Perm.MANAGE_POINT, point=p)}
    hits = tuple(
        SearchHit(
            shipment=s,
            matched_by=tuple(kind for kind in SearchKind if kind in found[s.pk]),
            phone_visible=s.point_id in visible_phone,
        )
        for s in shipments[:limit]
    )
    return SearchResult(
        query=raw,
        normalized=normalized,
        phone=phone,
        hits=hits,
        cells=cells,
        truncated=len(shipments) > limit,
    )
