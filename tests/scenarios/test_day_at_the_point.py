"""«День на точке»: one pickup point's Friday, driven through the real services with a moving clock.

The point is in Vladivostok (UTC+10), so its local day and the UTC day disagree for ten hours out of
every twenty-four; every "today" below is the point's today.

Last week, Fri 20 Nov
  09:00  a carriage with one tote (Z) arrives: W1, W2, W3, W5 are accepted and auto-placed; W4 is missing.
  09:30  the acceptance closes: W4 → SHORTAGE.
  Sat 21 Nov 18:30  Вера collects W1.
Today, Fri 27 Nov
  08:00  today's carriage (3 totes, T1–T6) and tomorrow's (N1, N2) are announced; W2, W3, W5 expire tonight.
  09:10  today's carriage arrives; 09:15–09:20 its totes and parcels are scanned, plus W4 (surplus).
  09:40  the acceptance closes: T6 → SHORTAGE, the third tote is emptied.
  12:00  Анна collects T1 and T2.
  15:00  Борис takes T4 and refuses T3; 15:05 T3 is scanned into the return zone.
  17:00  Вера returns W1 (issued 6 days ago).
  20:30  Дарья collects W3 on its last day.
  23:00  the evening dashboard; at 23:59:59.999999 the expiry job still finds nothing to do.
Tomorrow, Sat 28 Nov
  00:00  the expiry job: W2, W5 → EXPIRED.
  09:00  the operator scans them into the return zone.
  10:00  the courier takes a tote with T3, W1, W2, W5 and the three empty totes: all DISPATCHED.
  10:30  every count, status, history and tote is checked.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable

import pytest

from pvz.accounts.models import User
from pvz.cells.services import cells_create_bulk
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.identify import customer_identify
from pvz.counter.models import LineResult, SessionStatus
from pvz.counter.services import line_refuse_last, session_finish, session_open, session_scan
from pvz.inbound.models import Acceptance, Carriage, CarriageStatus, ScanOutcomeKind, Tote, ToteStatus
from pvz.inbound.services import acceptance_close, acceptance_open, acceptance_scan, carriage_register_arrival
from pvz.network.models import Partner, PartnerPoint, PickupPoint, SizeClass
from pvz.network.services import special_places_ensure
from pvz.outbound.models import ConfirmMethod, Dispatch
from pvz.outbound.services import (
    return_carriage_create,
    return_carriage_hand_over,
    return_empty_tote_add,
    return_parcel_scan,
    return_tote_scan,
    return_tote_seal,
)
from pvz.returns.models import ReturnCondition, ReturnReason
from pvz.returns.services import customer_return_create, return_visit_open
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.selectors import point_dashboard_counts
from pvz.shipments.services import shipment_to_return_zone, shipments_expire_overdue
from pvz.shipments.statuses import Status
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import Manifest, ManifestCustomer, ManifestParcel
from tests.factories import operator_at

TZ = zoneinfo.ZoneInfo("Asia/Vladivostok")
S = Status


def local(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> dt.datetime:
    """An instant of November 2026 on the point's wall clock."""
    return dt.datetime(2026, 11, day, hour, minute, second, micro, tzinfo=TZ)


# ---- the cast -----------------------------------------------------------------------------------------

CUSTOMERS = {
    name: ManifestCustomer(phone=f"+7914000000{index}", name=name, pickup_number=f"400000000{index}")
    for index, name in enumerate(
        ("Вера", "Григорий", "Дарья", "Елена", "Анна", "Борис", "Жанна", "Зоя", "Игорь"), start=1
    )
}
TOTE_Z, TOTE_1, TOTE_2, TOTE_3, TOTE_N = (
    "%101%20261120001",
    "%101%20261127001",
    "%101%20261127002",
    "%101%20261127003",
    "%101%20261128001",
)
# name: (posting number, customer, tote it travels in according to its manifest)
PARCELS: dict[str, tuple[str, str, str]] = {
    "W1": ("71000001-0001-1", "Вера", TOTE_Z),
    "W2": ("71000002-0001-1", "Григорий", TOTE_Z),
    "W3": ("71000003-0001-1", "Дарья", TOTE_Z),
    "W4": ("71000004-0001-1", "Елена", TOTE_Z),
    "W5": ("71000005-0001-1", "Григорий", TOTE_Z),
    "T1": ("72000001-0001-1", "Анна", TOTE_1),
    "T2": ("72000001-0001-2", "Анна", TOTE_1),
    "T3": ("72000002-0001-1", "Борис", TOTE_2),
    "T4": ("72000003-0001-1", "Борис", TOTE_2),
    "T5": ("72000004-0001-1", "Жанна", TOTE_3),
    "T6": ("72000005-0001-1", "Зоя", TOTE_3),
    "N1": ("73000001-0001-1", "Игорь", TOTE_N),
    "N2": ("73000001-0001-2", "Игорь", TOTE_N),
}
NAME_OF = {posting: name for name, (posting, _customer, _tote) in PARCELS.items()}


def barcode(name: str) -> str:
    """The label barcode, `ii` and 11 digits from the posting number: 71000001-0001-1 → ii71000001011."""
    posting = PARCELS[name][0]
    return f"ii{posting[:8]}{posting[11:13]}{posting[-1]}"


def manifest(number: str, totes: tuple[str, ...], names: tuple[str, ...]) -> Manifest:
    parcels = []
    for name in names:
        posting, customer, tote = PARCELS[name]
        parcels.append(
            ManifestParcel(
                posting_number=posting,
                barcode=barcode(name),
                order_number=posting.split("-")[0],
                customer_phone=CUSTOMERS[customer].phone,
                size_class=SizeClass.S,
                weight_g=400,
                category="Одежда",
                declared_value_kop=199_000,
                amount_due_kop=0,
                id_check_required=False,
                tote_barcode=tote,
            )
        )
    customers = tuple(dict.fromkeys(CUSTOMERS[PARCELS[name][1]] for name in names))
    return Manifest(carriage_number=number, tote_barcodes=totes, customers=customers, parcels=tuple(parcels))


# ---- helpers: what the operator does ------------------------------------------------------------------


class Point:
    """The point, its one operator, and short names for the parcels and totes of the story."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.partner = Partner.objects.create(code="ozon", name="Озон")
        self.point = PickupPoint.objects.create(
            code="vvo-1", name="ПВЗ Светланская", address="Владивосток, Светланская ул., 1", timezone=TZ.key
        )
        PartnerPoint.objects.create(partner=self.partner, point=self.point)
        self.operator: User = operator_at(self.point)
        special_places_ensure(actor=self.operator, point=self.point)
        # Six small-parcel cells A-01-1 … A-02-3, three parcels each.
        cells_create_bulk(
            actor=self.operator,
            point=self.point,
            zones=["A"],
            racks=(1, 2),
            shelves=(1, 3),
            size_class=SizeClass.M,
            capacity=3,
        )

    def at(self, moment: dt.datetime) -> None:
        self.clock.set(moment)

    def announce(
        self, number: str, totes: tuple[str, ...], names: tuple[str, ...], eta: dt.datetime
    ) -> Carriage:
        return manifest_load(
            manifest=manifest(number, totes, names), partner=self.partner, point=self.point, eta=eta
        )

    def parcel(self, name: str) -> Shipment:
        return Shipment.objects.select_related("cell").get(
            partner=self.partner, posting_number=PARCELS[name][0]
        )

    def customer(self, name: str) -> Customer:
        return Customer.objects.get(phone=CUSTOMERS[name].phone)

    def code_of(self, customer: str) -> str:
        """The pickup code the customer shows in the app."""
        return pickup_code_for(self.customer(customer))

    def tote(self, barcode: str) -> tuple[str, int | None]:
        tote = Tote.objects.get(partner=self.partner, barcode=barcode)
        return tote.status, tote.point_id

    def scan_in(self, acceptance: Acceptance, code: str) -> str:
        """One acceptance scan with the operator's own placement mode (auto: the scan places the parcel)."""
        return acceptance_scan(
            actor=self.operator,
            acceptance=acceptance,
            code=code,
            scan_id=uuid.uuid4(),
            auto_place=self.operator.auto_placement,
        ).kind

    def issue(self, customer: str, take: tuple[str, ...], refuse: str | None = None) -> dict[str, str]:
        """A counter visit: the customer shows the pickup code, every parcel is scanned, a refused one is
        refused with the #REFUSE1 command («Не подошёл размер») right after its scan; one finish."""
        identified = customer_identify(code=self.code_of(customer), now=self.clock.now())
        session = session_open(
            actor=self.operator,
            point=self.point,
            customer=identified.customer,
            verification=identified.verification,
        )
        for name in take:
            session_scan(actor=self.operator, session=session, code=barcode(name))
        if refuse is not None:
            session_scan(actor=self.operator, session=session, code=barcode(refuse))
            line_refuse_last(actor=self.operator, session=session, number=1)
        finished = session_finish(actor=self.operator, session=session)
        assert finished.session.status == SessionStatus.FINISHED
        return {NAME_OF[line.shipment.posting_number]: line.result for line in finished.lines}

    def to_return_zone(self, name: str) -> None:
        shipment_to_return_zone(
            actor=self.operator, point=self.point, code=barcode(name), key=f"zone:{name}:{uuid.uuid4()}"
        )

    def dashboard(self) -> dict[str, int]:
        return point_dashboard_counts(point=self.point).as_dict()

    def history(self, name: str) -> list[tuple[str, str, str, str, str | None]]:
        """(local day and time, from, to, reason, place) of every event of the parcel, in order."""
        return [
            (
                f"{event.at.astimezone(TZ):%d %H:%M}",
                event.from_status,
                event.to_status,
                event.reason,
                event.cell.address if event.cell else None,
            )
            for event in self.parcel(name).events.select_related("cell").order_by("at", "id")
        ]


def error_code(action: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as caught:
        action()
    return str(caught.value.code)


def dashboard(
    expected_today: int, stored: int, expiring_today: int, awaiting_dispatch: int
) -> dict[str, int]:
    return {
        "expected_today": expected_today,
        "stored": stored,
        "expiring_today": expiring_today,
        "awaiting_dispatch": awaiting_dispatch,
        "cancelled": 0,
    }


# ---- the day ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_day_at_the_point(clock: FrozenClock, settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"
    day = Point(clock)
    op = day.operator
    assert op.auto_placement  # the default placement mode: every acceptance scan places the parcel

    # ==== last week, Fri 20 Nov ==========================================================================
    day.at(local(20, 8))
    last_week = day.announce("CAR-20261120001", (TOTE_Z,), ("W1", "W2", "W3", "W4", "W5"), local(20, 9))

    # 09:00 the carriage is here; 09:05 the tote and four of its five parcels are scanned.
    day.at(local(20, 9))
    acceptance = acceptance_open(actor=op, carriage=last_week)
    day.at(local(20, 9, 5))
    kinds = [day.scan_in(acceptance, code) for code in (TOTE_Z, *map(barcode, ("W1", "W2", "W3", "W5")))]
    assert kinds == [ScanOutcomeKind.TOTE_OPENED] + [ScanOutcomeKind.ACCEPTED] * 4
    # 09:30 closing: W4 never turned up.
    day.at(local(20, 9, 30))
    last_week_act = acceptance_close(actor=op, acceptance=acceptance)
    assert [line.posting_number for line in last_week_act.shortage] == [PARCELS["W4"][0]]

    # Sat 21 Nov 18:30: Вера collects W1.
    day.at(local(21, 18, 30))
    assert day.issue("Вера", take=("W1",)) == {"W1": LineResult.ISSUED}

    # ==== today, Fri 27 Nov =============================================================================
    # 08:00 today's carriage (three totes, six parcels) is announced for 09:00, tomorrow's for 09:30 —
    # which is still the 27th in UTC, but tomorrow at the point.
    day.at(local(27, 8))
    today = day.announce(
        "CAR-20261127001", (TOTE_1, TOTE_2, TOTE_3), ("T1", "T2", "T3", "T4", "T5", "T6"), local(27, 9)
    )
    tomorrow = day.announce("CAR-20261128001", (TOTE_N,), ("N1", "N2"), local(28, 9, 30))
    # Six expected today; W2, W3, W5 on the shelves, all three on their last day (stored on the 20th).
    assert day.dashboard() == dashboard(expected_today=6, stored=3, expiring_today=3, awaiting_dispatch=0)
    for name in ("W2", "W3", "W5"):
        assert day.parcel(name).storage_deadline == local(27, 23, 59, 59, 999_999)

    # 09:10 the driver hands over the arrival act.
    day.at(local(27, 9, 10))
    carriage_register_arrival(
        actor=op, carriage=today, driver_name="Пётр Ли", vehicle_plate="а123вс 125", seal_numbers=["PL0042"]
    )
    # 09:15 acceptance opens; 09:20 each tote is opened and its parcels scanned. W4, last week's
    # shortage, lies in the third tote although this manifest does not list it: surplus.
    day.at(local(27, 9, 15))
    acceptance = acceptance_open(actor=op, carriage=today)
    day.at(local(27, 9, 20))
    scans = (TOTE_1, "T1", "T2", TOTE_2, "T3", "T4", TOTE_3, "T5", "W4")
    kinds = [day.scan_in(acceptance, code if code.startswith("%") else barcode(code)) for code in scans]
    assert kinds == [
        ScanOutcomeKind.TOTE_OPENED,
        ScanOutcomeKind.ACCEPTED,
        ScanOutcomeKind.ACCEPTED,
        ScanOutcomeKind.TOTE_OPENED,
        ScanOutcomeKind.ACCEPTED,
        ScanOutcomeKind.ACCEPTED,
        ScanOutcomeKind.TOTE_OPENED,
        ScanOutcomeKind.ACCEPTED,
        ScanOutcomeKind.SURPLUS,
    ]
    # Mid-acceptance: only T6 is still expected; the third tote is not empty while T6 is missing.
    assert day.dashboard() == dashboard(expected_today=1, stored=9, expiring_today=3, awaiting_dispatch=0)
    point_id = day.point.pk
    assert [day.tote(t) for t in (TOTE_1, TOTE_2, TOTE_3)] == [
        (ToteStatus.EMPTY, point_id),
        (ToteStatus.EMPTY, point_id),
        (ToteStatus.FULL, point_id),
    ]

    # 09:40 closing: T6 is a shortage, W4 the surplus, the third tote counts as emptied.
    day.at(local(27, 9, 40))
    act = acceptance_close(actor=op, acceptance=acceptance)
    assert act.counts == {
        "expected": 6,
        "accepted": 5,
        "shortage": 1,
        "surplus": 1,
        "damaged": 0,
        "other_point": 0,
        "surplus_without_data": 0,
    }
    assert [line.posting_number for line in act.shortage] == [PARCELS["T6"][0]]
    assert [line.posting_number for line in act.surplus] == [PARCELS["W4"][0]]
    assert (act.driver_name, act.vehicle_plate, act.seal_numbers) == ("Пётр Ли", "А123ВС125", ("PL0042",))
    assert day.tote(TOTE_3) == (ToteStatus.EMPTY, point_id)
    today.refresh_from_db()
    assert today.status == CarriageStatus.CLOSED
    assert day.dashboard() == dashboard(expected_today=0, stored=9, expiring_today=3, awaiting_dispatch=0)

    # 12:00 Анна shows her code and takes both parcels.
    day.at(local(27, 12))
    assert day.issue("Анна", take=("T1", "T2")) == {"T1": LineResult.ISSUED, "T2": LineResult.ISSUED}

    # 15:00 Борис takes T4 and refuses T3 (wrong size); 15:05 T3 goes from the counter into the return flow.
    day.at(local(27, 15))
    assert day.issue("Борис", take=("T4",), refuse="T3") == {
        "T3": LineResult.REFUSED,
        "T4": LineResult.ISSUED,
    }
    day.at(local(27, 15, 5))
    day.to_return_zone("T3")

    # 17:00 Вера brings back W1, issued on the 21st at 18:30: the window is open until the 28th, 18:30.
    day.at(local(27, 17))
    visit = return_visit_open(actor=op, point=day.point, code=day.code_of("Вера"))
    reason = ReturnReason.objects.get(partner=None, code="wrong_size")
    customer_return = customer_return_create(
        actor=op,
        visit=visit,
        code=barcode("W1"),
        reason_id=reason.pk,
        condition=ReturnCondition.NEW,
        key="return-w1",
    )
    assert (customer_return.issued_at, customer_return.window_ends_at) == (
        local(21, 18, 30),
        local(28, 18, 30),
    )

    # 20:30 Дарья collects W3 on the last day of its storage period.
    day.at(local(27, 20, 30))
    assert day.issue("Дарья", take=("W3",)) == {"W3": LineResult.ISSUED}

    # 23:00 the evening dashboard: W2 and W5 expire tonight; T3 and W1 wait for the courier; tomorrow's
    # carriage (09:30 local, 23:30 UTC today) is not expected today.
    day.at(local(27, 23))
    assert day.dashboard() == dashboard(expected_today=0, stored=4, expiring_today=2, awaiting_dispatch=2)
    # The deadline instant itself is still in time: the job has nothing to do.
    day.at(local(27, 23, 59, 59, 999_999))
    assert shipments_expire_overdue() == 0

    # ==== tomorrow, Sat 28 Nov ==========================================================================
    # 00:00 the night job expires W2 and W5; running it again changes nothing.
    day.at(local(28, 0))
    assert shipments_expire_overdue() == 2
    assert shipments_expire_overdue() == 0
    assert day.dashboard() == dashboard(expected_today=2, stored=2, expiring_today=0, awaiting_dispatch=2)

    # 09:00 the operator walks the racks and scans the expired parcels into the return zone.
    day.at(local(28, 9))
    day.to_return_zone("W2")
    day.to_return_zone("W5")
    assert day.dashboard() == dashboard(expected_today=2, stored=2, expiring_today=0, awaiting_dispatch=4)

    # 10:00 the courier: one tote of returns, the parcels waiting for dispatch; a parcel still in storage
    # and one already issued are refused and not added.
    day.at(local(28, 10))
    back = return_carriage_create(actor=op, point=day.point, partner_id=day.partner.pk)
    assert back.number == "RET-20261128-001"
    box = return_tote_scan(actor=op, carriage=back, code=TOTE_1).dispatch_tote
    for name in ("T3", "W1", "W2", "W5"):
        assert return_parcel_scan(actor=op, carriage=back, tote_id=box.pk, code=barcode(name)).created
    assert error_code(
        lambda: return_parcel_scan(actor=op, carriage=back, tote_id=box.pk, code=barcode("T5"))
    ) == (ErrorCode.STORAGE_NOT_EXPIRED)
    assert error_code(
        lambda: return_parcel_scan(actor=op, carriage=back, tote_id=box.pk, code=barcode("T1"))
    ) == (ErrorCode.ALREADY_ISSUED)
    day.at(local(28, 10, 10))
    return_tote_seal(actor=op, carriage=back, tote_id=box.pk, seal_number="PL7001")
    for tote in (TOTE_2, TOTE_3, TOTE_Z):
        assert return_empty_tote_add(actor=op, carriage=back, code=tote).created
    # 10:20 the courier says the code from the partner's app; the hand-over goes through.
    day.at(local(28, 10, 20))
    courier_code = Dispatch.objects.get(carriage=back).courier_code
    handed = return_carriage_hand_over(actor=op, carriage=back, courier_code=courier_code)
    assert isinstance(handed, Dispatch)
    assert (handed.method, handed.handed_over_at) == (ConfirmMethod.CODE, local(28, 10, 20))

    # ==== 10:30: the state of the point =================================================================
    day.at(local(28, 10, 30))
    # Tomorrow's carriage is late: its two parcels are expected today; T5 and W4 are on the shelves.
    assert day.dashboard() == dashboard(expected_today=2, stored=2, expiring_today=0, awaiting_dispatch=0)

    statuses = {name: (day.parcel(name).status, _cell(day.parcel(name))) for name in PARCELS}
    assert statuses == {
        "W1": (S.DISPATCHED, None),
        "W2": (S.DISPATCHED, None),
        "W3": (S.ISSUED, None),
        "W4": (S.STORED, "A-02-3"),
        "W5": (S.DISPATCHED, None),
        "T1": (S.ISSUED, None),
        "T2": (S.ISSUED, None),
        "T3": (S.DISPATCHED, None),
        "T4": (S.ISSUED, None),
        "T5": (S.STORED, "A-02-2"),
        "T6": (S.SHORTAGE, None),
        "N1": (S.EXPECTED, None),
        "N2": (S.EXPECTED, None),
    }
    # Stored today (the 27th): seven days from the next local day, to the end of 4 December.
    for name in ("T5", "W4"):
        assert day.parcel(name).storage_deadline == dt.datetime(2026, 12, 4, 23, 59, 59, 999_999, tzinfo=TZ)

    accepted_20 = [
        ("20 09:05", S.EXPECTED, S.ACCEPTED, "acceptance_scan", None),
    ]
    accepted_27 = [
        ("27 09:20", S.EXPECTED, S.ACCEPTED, "acceptance_scan", None),
    ]
    expired_and_sent_back = [
        ("28 00:00", S.STORED, S.EXPIRED, "storage_deadline_passed", "A-01-2"),
        ("28 09:00", S.EXPIRED, S.AWAITING_DISPATCH, "expired_to_return_zone", "RETURNS"),
        ("28 10:20", S.AWAITING_DISPATCH, S.DISPATCHED, "handed_to_courier", None),
    ]
    assert {name: day.history(name) for name in PARCELS} == {
        "W1": [
            *accepted_20,
            ("20 09:05", S.ACCEPTED, S.STORED, "placed", "A-01-1"),
            ("21 18:30", S.STORED, S.ISSUED, "issued", None),
            ("27 17:00", S.ISSUED, S.RETURNED, "customer_return:wrong_size", None),
            ("27 17:00", S.RETURNED, S.AWAITING_DISPATCH, "customer_return_to_zone", "RETURNS"),
            ("28 10:20", S.AWAITING_DISPATCH, S.DISPATCHED, "handed_to_courier", None),
        ],
        "W2": [*accepted_20, ("20 09:05", S.ACCEPTED, S.STORED, "placed", "A-01-2"), *expired_and_sent_back],
        "W3": [
            *accepted_20,
            ("20 09:05", S.ACCEPTED, S.STORED, "placed", "A-01-3"),
            ("27 20:30", S.STORED, S.ISSUED, "issued", None),
        ],
        "W4": [
            ("20 09:30", S.EXPECTED, S.SHORTAGE, "not_in_carriage", None),
            ("27 09:20", S.SHORTAGE, S.ACCEPTED, "surplus", None),
            ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-02-3"),
        ],
        # Григорий's second parcel joins his first in A-01-2.
        "W5": [*accepted_20, ("20 09:05", S.ACCEPTED, S.STORED, "placed", "A-01-2"), *expired_and_sent_back],
        # A-01-1 is free again since W1 left on the 21st; Анна's two parcels share it.
        "T1": [
            *accepted_27,
            ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-01-1"),
            ("27 12:00", S.STORED, S.ISSUED, "issued", None),
        ],
        "T2": [
            *accepted_27,
            ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-01-1"),
            ("27 12:00", S.STORED, S.ISSUED, "issued", None),
        ],
        "T3": [
            *accepted_27,
            ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-02-1"),
            ("27 15:00", S.STORED, S.REFUSED, "refused:wrong_size", "RETURNS"),
            ("27 15:05", S.REFUSED, S.AWAITING_DISPATCH, "refused_to_return_zone", "RETURNS"),
            ("28 10:20", S.AWAITING_DISPATCH, S.DISPATCHED, "handed_to_courier", None),
        ],
        "T4": [
            *accepted_27,
            ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-02-1"),
            ("27 15:00", S.STORED, S.ISSUED, "issued", None),
        ],
        "T5": [*accepted_27, ("27 09:20", S.ACCEPTED, S.STORED, "placed", "A-02-2")],
        "T6": [("27 09:40", S.EXPECTED, S.SHORTAGE, "not_in_carriage", None)],
        "N1": [],
        "N2": [],
    }
    # Every event was written by the operator, except the night job's expiries.
    for name in PARCELS:
        for event in day.parcel(name).events.all():
            assert event.actor_id == (None if event.reason == "storage_deadline_passed" else op.pk)
            assert (event.point_id, event.visit) == (day.point.pk, 1)

    # Every tote that came to the point has gone back; tomorrow's is still on its way here.
    assert {t: day.tote(t) for t in (TOTE_Z, TOTE_1, TOTE_2, TOTE_3, TOTE_N)} == {
        TOTE_Z: (ToteStatus.SENT_BACK, None),
        TOTE_1: (ToteStatus.SENT_BACK, None),
        TOTE_2: (ToteStatus.SENT_BACK, None),
        TOTE_3: (ToteStatus.SENT_BACK, None),
        TOTE_N: (ToteStatus.IN_TRANSIT, point_id),
    }
    carriages = {c.number: c.status for c in Carriage.objects.filter(point=day.point)}
    assert carriages == {
        last_week.number: CarriageStatus.CLOSED,
        today.number: CarriageStatus.CLOSED,
        tomorrow.number: CarriageStatus.IN_TRANSIT,
        back.number: CarriageStatus.CLOSED,
    }


def _cell(shipment: Shipment) -> str | None:
    return shipment.cell.address if shipment.cell else None
