"""The demo network: two points, staff for every role, parcels on the way and on the shelves.

Idempotent by codes (partner and point codes, cell addresses, phones, carriage numbers), never by
dates: a second run, today or next month, creates nothing. Stock on the shelves goes through
`shipment_transition`, so its history is real; the clock is moved back for the parcels that must have
been stored days ago.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from pvz.accounts.models import User
from pvz.accounts.roles import PLATFORM_ROLES, Role
from pvz.accounts.services import membership_grant, user_create
from pvz.core import clock
from pvz.core.clock import FrozenClock, use_clock
from pvz.inbound.models import Carriage, CarriageStatus
from pvz.network.models import Cell, CellKind, Partner, PartnerPoint, PickupPoint, SizeClass
from pvz.network.services import SPECIAL_PLACES
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import AT_POINT, Status
from pvz.shipments.storage import end_of_local_day, storage_days
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate


@dataclass(frozen=True)
class PointSpec:
    code: str
    name: str
    address: str
    timezone: str
    partners: tuple[str, ...]


@dataclass(frozen=True)
class StaffSpec:
    phone: str
    full_name: str
    role: Role
    points: tuple[str, ...]  # empty for platform roles, which reach every point


@dataclass(frozen=True)
class CarriageSpec:
    number: str
    partner: str
    point: str
    seed: int
    parcels: int
    totes: int
    eta_in: dt.timedelta | None = None  # None: arrived earlier, its parcels are on the shelves


PARTNERS: tuple[tuple[str, str], ...] = (("ozon", "Ozon"), ("wildberries", "Wildberries"))
# Label barcode patterns (see `network.barcodes`) matching what `manifest_generate` prints on labels for
# either partner: `ii` + 11 digits, or 15 digits. So in the demo an unknown `ii…` label is "a label
# without data" and a product's EAN-13 (e.g. 4607001234567) is "not a label".
DEMO_BARCODE_PATTERNS: tuple[str, ...] = (r"ii\d{11}", r"\d{15}")

TVERSKAYA, VLADIVOSTOK = "pvz-tverskaya", "pvz-vladivostok"
POINTS: tuple[PointSpec, ...] = (
    PointSpec(
        TVERSKAYA, "ПВЗ на Тверской", "Москва, ул. Тверская, д. 7", "Europe/Moscow", ("ozon", "wildberries")
    ),
    PointSpec(
        VLADIVOSTOK,
        "ПВЗ во Владивостоке",
        "Владивосток, ул. Светланская, д. 29",
        "Asia/Vladivostok",
        ("ozon",),
    ),
)
OPENING_HOURS: dict[str, list[str] | None] = {
    **{day: ["09:00", "21:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": ["10:00", "20:00"],
    "sun": ["10:00", "18:00"],
}

STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("+79990000001", "Ирина Соколова", Role.PLATFORM_ADMIN, ()),
    StaffSpec("+79990000002", "Павел Кузнецов", Role.SUPPORT, ()),
    StaffSpec("+79990000003", "Сергей Морозов", Role.OWNER, (TVERSKAYA, VLADIVOSTOK)),
    StaffSpec("+79990000004", "Елена Волкова", Role.MANAGER, (TVERSKAYA,)),
    StaffSpec("+79990000005", "Алексей Смирнов", Role.OPERATOR, (TVERSKAYA,)),
    StaffSpec("+79990000006", "Дарья Ким", Role.OPERATOR, (VLADIVOSTOK,)),
)

CARRIAGES: tuple[CarriageSpec, ...] = (
    CarriageSpec(
        "CAR-7710001", "ozon", TVERSKAYA, 1001, parcels=24, totes=3, eta_in=dt.timedelta(minutes=25)
    ),
    CarriageSpec(
        "CAR-7710002", "wildberries", TVERSKAYA, 1002, parcels=16, totes=2, eta_in=dt.timedelta(hours=3)
    ),
    CarriageSpec("CAR-7720001", "ozon", VLADIVOSTOK, 2001, parcels=18, totes=2, eta_in=dt.timedelta(hours=2)),
    CarriageSpec("CAR-7719001", "ozon", TVERSKAYA, 1901, parcels=14, totes=2),
    CarriageSpec("CAR-7729001", "ozon", VLADIVOSTOK, 2901, parcels=6, totes=1),
)

# Zones A and B, racks 1–4, shelves 1–3; small parcels are the most common, so most racks hold S.
ZONES, RACKS, SHELVES = ("A", "B"), range(1, 5), range(1, 4)
RACK_SIZE: dict[int, SizeClass] = {1: SizeClass.S, 2: SizeClass.S, 3: SizeClass.M, 4: SizeClass.L}
CAPACITY: dict[str, int] = {SizeClass.S: 12, SizeClass.M: 8, SizeClass.L: 4, SizeClass.XL: 2}
REFUSAL_REASON = "Клиент отказался: не подошёл размер"


@dataclass(frozen=True)
class DemoLogin:
    phone: str
    full_name: str
    role: str
    points: tuple[str, ...]


def _cell_plan() -> list[tuple[str, SizeClass, CellKind]]:
    plan = []
    for zone in ZONES:
        for rack in RACKS:
            # The last rack of zone B is for bulky parcels.
            size = SizeClass.XL if (zone, rack) == ("B", 4) else RACK_SIZE[rack]
            plan += [(f"{zone}-{rack:02d}-{shelf}", size, CellKind.REGULAR) for shelf in SHELVES]
    return plan + [(address, SizeClass.XL, kind) for address, kind in SPECIAL_PLACES]


def _network() -> tuple[dict[str, Partner], dict[str, PickupPoint]]:
    partners = {
        code: Partner.objects.get_or_create(
            code=code, defaults={"name": name, "barcode_patterns": list(DEMO_BARCODE_PATTERNS)}
        )[0]
        for code, name in PARTNERS
    }
    for partner in partners.values():
        if not partner.barcode_patterns:  # a demo loaded before partners had patterns
            partner.barcode_patterns = list(DEMO_BARCODE_PATTERNS)
            partner.save(update_fields=["barcode_patterns", "updated_at"])
    points = {}
    for spec in POINTS:
        point, _ = PickupPoint.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "address": spec.address,
                "timezone": spec.timezone,
                "opening_hours": OPENING_HOURS,
            },
        )
        points[spec.code] = point
        for partner_code in spec.partners:
            PartnerPoint.objects.get_or_create(partner=partners[partner_code], point=point)
        for address, size, kind in _cell_plan():
            Cell.objects.get_or_create(
                point=point,
                address=address,
                defaults={
                    "size_class": size,
                    "kind": kind,
                    "capacity": CAPACITY[size] if kind == CellKind.REGULAR else 500,
                },
            )
    return partners, points


def _staff(points: dict[str, PickupPoint]) -> dict[str, User]:
    users = {}
    for spec in STAFF:
        user = User.objects.filter(phone=spec.phone).first() or user_create(
            phone=spec.phone, full_name=spec.full_name
        )
        users[spec.phone] = user
        targets: tuple[PickupPoint | None, ...] = (
            (None,) if spec.role in PLATFORM_ROLES else tuple(points[code] for code in spec.points)
        )
        for point in targets:
            membership_grant(actor=None, user=user, role=spec.role, point=point)
    return users


def _eta_today(*, now: dt.datetime, point: PickupPoint, eta_in: dt.timedelta) -> dt.datetime:
    """`now + eta_in`, but never past the point's local midnight: a demo carriage always comes today."""
    last_minute = end_of_local_day(point.local_date(now), point) - dt.timedelta(minutes=1)
    return max(now, min(now + eta_in, last_minute))


class _Shelves:
    """Picks the smallest cell of a point that fits a parcel and still has room (demo stocking only)."""

    def __init__(self, point: PickupPoint) -> None:
        self.cells = sorted(
            Cell.objects.filter(point=point, kind=CellKind.REGULAR, is_active=True),
            key=lambda c: (SizeClass.rank(c.size_class), c.address),
        )
        self.load = {c.pk: Shipment.objects.filter(cell=c, status__in=AT_POINT).count() for c in self.cells}
        self.return_zone = Cell.objects.get(point=point, kind=CellKind.RETURN_ZONE)

    def take(self, size_class: str) -> Cell:
        for cell in self.cells:
            if (
                SizeClass.rank(cell.size_class) >= SizeClass.rank(size_class)
                and self.load[cell.pk] < cell.capacity
            ):
                self.load[cell.pk] += 1
                return cell
        raise LookupError(f"no free cell for size {size_class}")


def _stock(*, carriage: Carriage, operator: User, now: dt.datetime) -> None:
    """Put a delivered carriage's parcels on the shelves as if over the last days: the first one stored
    exactly one storage period ago (so it expires today), the last two refused and awaiting dispatch."""
    shelves = _Shelves(carriage.point)
    days = storage_days(carriage.partner, carriage.point)
    shipments = list(Shipment.objects.filter(carriage=carriage).order_by("pk"))
    for index, shipment in enumerate(shipments):
        stored_ago = dt.timedelta(days=days) if index == 0 else dt.timedelta(days=index % 4, hours=1)
        moment = FrozenClock(now - stored_ago - dt.timedelta(minutes=10))
        with use_clock(moment):
            shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
            moment.advance(minutes=5)
            shipment_transition(
                actor=operator,
                shipment_id=shipment.pk,
                to_status=Status.STORED,
                cell=shelves.take(shipment.size_class),
            )
        if index >= len(shipments) - 2:
            shipment_transition(
                actor=operator, shipment_id=shipment.pk, to_status=Status.REFUSED, reason=REFUSAL_REASON
            )
            shipment_transition(
                actor=operator,
                shipment_id=shipment.pk,
                to_status=Status.AWAITING_DISPATCH,
                cell=shelves.return_zone,
            )
    carriage.arrived_at = now - dt.timedelta(days=days, minutes=30)
    carriage.closed_at = now - dt.timedelta(minutes=1)
    carriage.save(update_fields=["arrived_at", "closed_at", "updated_at"])


def _carriages(
    *, partners: dict[str, Partner], points: dict[str, PickupPoint], users: dict[str, User], now: dt.datetime
) -> None:
    operators = {
        code: next(users[s.phone] for s in STAFF if s.role == Role.OPERATOR and code in s.points)
        for code in points
    }
    for spec in CARRIAGES:
        partner, point = partners[spec.partner], points[spec.point]
        existing = Carriage.objects.filter(partner=partner, number=spec.number).first()
        if existing is not None:
            # A demo loaded on an earlier day: bring the still-travelling carriage back to today.
            stale = existing.eta is None or point.local_date(existing.eta) != point.local_date(now)
            if spec.eta_in is not None and existing.status == CarriageStatus.IN_TRANSIT and stale:
                existing.eta = _eta_today(now=now, point=point, eta_in=spec.eta_in)
                existing.save(update_fields=["eta", "updated_at"])
            continue
        manifest = manifest_generate(
            seed=spec.seed,
            parcels=spec.parcels,
            totes=spec.totes,
            carriage_number=spec.number,
            id_check_threshold_kop=partner.id_check_threshold_kop or 5_000_000,
        )
        if spec.eta_in is not None:
            manifest_load(
                manifest=manifest,
                partner=partner,
                point=point,
                eta=_eta_today(now=now, point=point, eta_in=spec.eta_in),
            )
        else:
            carriage = manifest_load(
                manifest=manifest,
                partner=partner,
                point=point,
                eta=now - dt.timedelta(days=storage_days(partner, point), hours=1),
                status=CarriageStatus.CLOSED,
            )
            _stock(carriage=carriage, operator=operators[spec.point], now=now)


def demo_network_load() -> list[DemoLogin]:
    """Create whatever of the demo network is missing, in one transaction; return the demo logins."""
    now = clock.now()
    with transaction.atomic():
        partners, points = _network()
        users = _staff(points)
        _carriages(partners=partners, points=points, users=users, now=now)
    names = {spec.code: spec.name for spec in POINTS}
    return [
        DemoLogin(
            phone=spec.phone,
            full_name=spec.full_name,
            role=str(spec.role.label),
            points=tuple(names[code] for code in spec.points),
        )
        for spec in STAFF
    ]
