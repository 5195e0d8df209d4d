"""Resolve one scan to the thing it names at the current point, or to "not found"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from django.db.models import Q

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core import clock
from pvz.core.errors import DomainError, NotFound
from pvz.core.scan import ScanGuess, ScanKind, classify_scan, normalize_scan
from pvz.counter.tokens import qr_token_verify
from pvz.inbound.models import Carriage, ManifestLine, ManifestTote, Tote
from pvz.network.barcodes import label_partners
from pvz.network.models import Cell, Partner, PickupPoint
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.selectors import shipment_find, shipments_named
from pvz.shipments.statuses import AT_POINT, Status


class ScanTarget(StrEnum):
    SHIPMENT = "shipment"
    TOTE = "tote"
    CELL = "cell"
    CARRIAGE = "carriage"
    CUSTOMER = "customer"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ManifestCounts:
    totes: int
    shipments: int
    still_expected: int


@dataclass(frozen=True)
class ScanResult:
    raw: str
    normalized: str
    guess: ScanKind | None
    target: ScanTarget
    shipment: Shipment | None = None
    tote: Tote | None = None
    cell: Cell | None = None
    carriage: Carriage | None = None
    customer: Customer | None = None
    # Cell contents, a tote's expected parcels, or a customer's parcels ready here.
    shipments: tuple[Shipment, ...] = ()
    manifest: ManifestCounts | None = None
    # NOT_FOUND of a label barcode: the partners whose label patterns it matches ("looks like an Ozon
    # label"). Taken from the patterns alone, so it never reveals a shipment of another point.
    label_partners: tuple[Partner, ...] = ()

    @property
    def found(self) -> bool:
        return self.target is not ScanTarget.NOT_FOUND


_LIST_RELATED = ("partner", "order__customer", "cell")


def scan_resolve(*, user: User, point: PickupPoint, raw: str) -> ScanResult:
    """What `raw` names at `point`: a shipment, tote, cell, carriage or customer, else NOT_FOUND.

    The shape only suggests the kind; nothing counts as found until it is looked up at this point, so a
    code of another point's parcel answers "not found" rather than revealing that it exists elsewhere.
    """
    normalized = normalize_scan(raw)
    if not normalized:
        return ScanResult(raw=raw, normalized="", guess=None, target=ScanTarget.NOT_FOUND)
    guess = classify_scan(normalized)
    missing = ScanResult(raw=raw, normalized=guess.value, guess=guess.kind, target=ScanTarget.NOT_FOUND)
    if not points_for_user(user=user).filter(pk=point.pk).exists():
        return missing
    return _LOOKUPS[guess.kind](user, point, guess, missing)


def _shipment(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    try:
        shipment = shipment_find(user=user, code=guess.value, point=point)
    except NotFound:
        return missing
    return replace(missing, target=ScanTarget.SHIPMENT, shipment=shipment)


def _label(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    """A label barcode. Barcodes are unique per partner only: when namesakes of several partners are here,
    the one whose partner's patterns the code matches wins. The patterns are read (one query) only then,
    or to say whose label an unknown code looks like; a code found once costs what it did before."""
    found = list(shipments_named(user=user, value=guess.value, point=point))
    if len(found) == 1:
        return replace(missing, target=ScanTarget.SHIPMENT, shipment=found[0])
    owners = tuple(label_partners(guess.value))
    if not found:
        return replace(missing, label_partners=owners)
    owner_ids = {partner.pk for partner in owners}
    shipment = next((s for s in found if s.partner_id in owner_ids), found[0])
    return replace(missing, target=ScanTarget.SHIPMENT, shipment=shipment)


def _tote(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    # A tote is "here" once it sits at the point, or while a carriage to this point brings it.
    coming_here = ManifestTote.objects.filter(carriage__point=point).values("tote_id")
    tote = (
        Tote.objects.filter(barcode=guess.value)
        .filter(Q(point=point) | Q(pk__in=coming_here))
        .select_related("partner")
        .order_by("-updated_at")
        .first()
    )
    if tote is None:
        return missing
    expected = (
        Shipment.objects.filter(point=point, status=Status.EXPECTED)
        .filter(Q(tote=tote) | Q(manifest_lines__tote=tote))
        .select_related(*_LIST_RELATED)
        .distinct()
        .order_by("posting_number")
    )
    return replace(missing, target=ScanTarget.TOTE, tote=tote, shipments=tuple(expected))


def _cell(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    cell = Cell.objects.filter(point=point, address=guess.value).first()
    if cell is None:
        return missing
    held = (
        Shipment.objects.filter(point=point, cell=cell, status__in=AT_POINT)
        .select_related(*_LIST_RELATED)
        .order_by("posting_number")
    )
    return replace(missing, target=ScanTarget.CELL, cell=cell, shipments=tuple(held))


def _carriage(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    carriage = (
        Carriage.objects.filter(point=point, number=guess.value)
        .select_related("partner")
        .order_by("-updated_at")
        .first()
    )
    if carriage is None:
        return missing
    lines = ManifestLine.objects.filter(carriage=carriage)
    manifest = ManifestCounts(
        totes=ManifestTote.objects.filter(carriage=carriage).count(),
        shipments=lines.count(),
        still_expected=lines.filter(shipment__status=Status.EXPECTED).count(),
    )
    return replace(missing, target=ScanTarget.CARRIAGE, carriage=carriage, manifest=manifest)


def _customer(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    # Only the permanent part identifies the customer. The rotating 4 digits after "*" are not checked
    # yet: verifying them belongs to issuing (a later issue), and this lookup issues nothing.
    pickup_number = guess.value.split("*", 1)[0]
    customer = Customer.objects.filter(pickup_number=pickup_number, orders__shipments__point=point).first()
    if customer is None:
        return missing
    ready = (
        Shipment.objects.filter(point=point, order__customer=customer, status=Status.STORED)
        .select_related(*_LIST_RELATED)
        .order_by("cell__address", "posting_number")
    )
    return replace(missing, target=ScanTarget.CUSTOMER, customer=customer, shipments=tuple(ready))


def _customer_by_qr(user: User, point: PickupPoint, guess: ScanGuess, missing: ScanResult) -> ScanResult:
    # A genuine, current counter QR token names the customer by pickup number (pvz.counter.tokens).
    try:
        token = qr_token_verify(token=guess.value, now=clock.now())
    except DomainError:
        return missing
    return _customer(user, point, ScanGuess(ScanKind.PICKUP_CODE, token.pickup_number), missing)


_Lookup = Callable[[User, PickupPoint, ScanGuess, ScanResult], ScanResult]

_LOOKUPS: dict[ScanKind, _Lookup] = {
    ScanKind.PICKUP_CODE: _customer,
    ScanKind.POSTING_NUMBER: _shipment,
    ScanKind.TOTE: _tote,
    ScanKind.CELL: _cell,
    ScanKind.CARRIAGE: _carriage,
    ScanKind.COUNTER_QR: _customer_by_qr,
    ScanKind.BARCODE: _label,
}
