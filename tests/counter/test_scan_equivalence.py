"""Two implementations of the counter's parcel scan, the same results (docs/adr/0006-scan-hot-path.md).

On PostgreSQL the scan endpoint's work is one call of `pvz_counter_scan`; on SQLite, and on PostgreSQL for
a blank code or a command barcode, it runs as Python. Random sequences of scans (the customer's parcels
in every state — ready, past the deadline, on it, expired, issued, cancelled, not placed —, another
customer's, one in another open session, by label, by posting number, in the Russian layout, unknown,
blank, a command; into an open session and a finished one; by operators, by someone without "operate", by
an operator of another point) run twice on the same world, once through Python only and once with the
function, each rolled back afterwards. The API's answer (the line as the endpoint shows it), the errors and
everything written must be the same. PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.api.counter.rendering import line_fresh_out, line_out
from pvz.core.errors import DomainError
from pvz.counter import scan_database
from pvz.counter.models import IssueLine, IssueSession, SessionStatus, TypedParcel, Verification
from pvz.counter.services import session_open, session_scan_as
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from tests.counter.conftest import stored_parcel
from tests.equivalence import isolated
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    UserFactory,
    operator_at,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


class World:
    def __init__(self) -> None:
        self.point = PickupPointFactory()
        elsewhere = PickupPointFactory()
        partner = PartnerFactory(id_check_threshold_kop=100_000)
        for address in ("A-01-1", "A-01-2"):
            CellFactory(point=self.point, address=address, size_class=SizeClass.XL, capacity=30)
        alice, bob, carol = CustomerFactory(), CustomerFactory(), CustomerFactory()
        self.actors = [
            operator_at(self.point),
            operator_at(self.point),
            operator_at(self.point, role=Role.SUPPORT),
            operator_at(elsewhere),
        ]
        named = UserFactory(full_name="Пётр Кассиров")
        Membership.objects.create(user=named, point=self.point, role=Role.OPERATOR)

        def ready(customer: Any, **fields: Any) -> Shipment:
            return stored_parcel(self.point, customer, partner=partner, cell="A-01-1", **fields)

        day = dt.timedelta(days=1)
        parcels = [
            ready(alice),  # 0
            ready(alice, declared_value_kop=150_000, amount_due_kop=5000),  # 1 ID check, payment
            ready(alice, try_on_allowed=True),  # 2
            ready(bob),  # 3 another customer's
        ]
        past, on_deadline, expired, issued, cancelled = (ready(alice) for _ in range(5))
        Shipment.objects.filter(pk=past.pk).update(storage_deadline=NOW - day)
        Shipment.objects.filter(pk=on_deadline.pk).update(storage_deadline=NOW)
        Shipment.objects.filter(pk=expired.pk).update(status=Status.EXPIRED)
        Shipment.objects.filter(pk=issued.pk).update(status=Status.ISSUED, cell=None)
        Shipment.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
        accepted = ShipmentFactory(
            point=self.point, partner=partner, order=OrderFactory(partner=partner, customer=alice),
            status=Status.ACCEPTED,
        )  # fmt: skip
        contested = ready(alice)
        foreign = ShipmentFactory(
            point=elsewhere, partner=partner, order=OrderFactory(partner=partner, customer=alice),
            status=Status.STORED,
        )  # fmt: skip
        parcels += [past, on_deadline, expired, issued, cancelled, accepted, contested]  # 4..10
        self.codes = [p.barcode for p in parcels] + [
            parcels[0].posting_number,  # 11 typed in
            parcels[1].barcode.replace("ii", "шш"),  # 12 Russian layout
            parcels[2].barcode.upper(),  # 13
            foreign.barcode,  # 14
            "ii99999999999",  # 15
            " ",  # 16
            "#REFUSE1",  # 17 a command
        ]
        self.sessions = [
            session_open(
                actor=self.actors[0], point=self.point, customer=alice, verification=Verification.QR
            ),
            session_open(actor=named, point=self.point, customer=bob, verification=Verification.PICKUP_CODE),
            session_open(
                actor=self.actors[1], point=self.point, customer=carol, verification=Verification.QR
            ),
        ]
        # The contested parcel sits in Bob's open session (its order changed hands since, say).
        IssueLine.objects.create(
            session=self.sessions[1], shipment=contested, scanned_at=NOW, scanned_by=named
        )
        IssueSession.objects.filter(pk=self.sessions[2].pk).update(status=SessionStatus.FINISHED)


CODES = 18

ACTION = st.tuples(
    st.integers(0, CODES - 1),
    st.sampled_from([0, 0, 0, 0, 1, 2]),  # the session: Alice's, Bob's, a finished one
    st.sampled_from([0, 0, 0, 1, 2, 3]),  # who
)


def _run(world: World, actions: list[tuple[int, int, int]]) -> list[Any]:
    answers: list[Any] = []
    for code, session, who in actions:
        try:
            outcome = session_scan_as(
                actor=world.actors[who], session_id=world.sessions[session].pk, code=world.codes[code]
            )
        except DomainError as error:
            answers.append(("error", str(error.code), str(error.message), error.details))
            continue
        line = line_out(outcome.line) if outcome.complete else line_fresh_out(outcome.line)
        answers.append((outcome.created, line.model_dump(exclude={"id"})))  # ids differ between the runs
    return answers


def _state() -> dict[str, Any]:
    return {
        "lines": list(
            IssueLine.objects.order_by("pk").values_list(
                "session_id",
                "shipment_id",
                "state",
                "scanned_at",
                "scanned_by_id",
                "refusal_reason_id",
                "refusal_note",
                "id_document",
                "id_last4",
                "payment_method",
                "paid_kop",
                "result",
                "result_code",
            )
        ),
        "typed": list(TypedParcel.objects.order_by("pk").values_list("line__shipment_id", "at")),
        "sessions": list(IssueSession.objects.order_by("pk").values_list("pk", "status", "first_scan_at")),
        "shipments": list(Shipment.objects.order_by("pk").values_list("pk", "status", "cell_id", "version")),
    }


def _difference(a: Any, b: Any) -> Any:
    """Where two answers differ (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _difference(a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    if isinstance(a, tuple | list) and isinstance(b, tuple | list) and len(a) == len(b):
        return [_difference(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return (a, b)


@given(actions=st.lists(ACTION, min_size=1, max_size=20))
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@example(actions=[(0, 0, 0), (0, 0, 0), (11, 0, 1), (1, 0, 0), (3, 0, 0), (4, 0, 0), (5, 0, 0), (6, 0, 0)])
@example(actions=[(7, 0, 0), (8, 0, 0), (9, 0, 0), (10, 0, 0), (12, 0, 0), (13, 0, 0), (14, 0, 0)])
@example(actions=[(15, 0, 0), (16, 0, 0), (17, 0, 0), (0, 2, 0), (0, 0, 2), (0, 0, 3), (3, 1, 1)])
def test_the_function_and_the_python_path_write_the_same(actions, clock, monkeypatch) -> None:
    clock.set(NOW)
    with transaction.atomic():
        world = World()
        assert len(world.codes) == CODES

        def both(database: bool) -> tuple[list[Any], dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(scan_database, "available", lambda: database)
                answers = _run(world, actions)
            return answers, _state()

        python_answers, python_state = isolated(lambda: both(False))
        database_answers, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    for n, (database, python) in enumerate(zip(database_answers, python_answers, strict=True)):
        assert database == python, (n, actions[n], _difference(database, python))
    for key in python_state:
        assert database_state[key] == python_state[key], key


@pytest.mark.parametrize(
    ("code", "session", "who", "expected"),
    [
        (0, 0, 3, "NOT_FOUND"),
        (0, 0, 2, "PERMISSION_DENIED"),
        (0, 2, 0, "SESSION_CLOSED"),
        (15, 0, 0, "NOT_FOUND"),
        (14, 0, 0, "NOT_FOUND"),
        (3, 0, 0, "WRONG_CUSTOMER"),
        (10, 0, 0, "CONFLICT"),
        (4, 0, 0, "STORAGE_EXPIRED"),
        (6, 0, 0, "STORAGE_EXPIRED"),
        (7, 0, 0, "ALREADY_ISSUED"),
        (8, 0, 0, "INVALID_TRANSITION"),
        (9, 0, 0, "INVALID_TRANSITION"),
    ],
)
def test_the_function_itself_refuses(code, session, who, expected, clock, monkeypatch) -> None:
    clock.set(NOW)
    world = World()
    lines = IssueLine.objects.count()
    calls: list[Any] = []
    real = scan_database.scan_in_database
    monkeypatch.setattr(scan_database, "scan_in_database", lambda **k: calls.append(real(**k)) or calls[-1])

    with pytest.raises(DomainError) as refused:
        session_scan_as(
            actor=world.actors[who], session_id=world.sessions[session].pk, code=world.codes[code]
        )

    assert str(refused.value.code) == expected
    assert len(calls) == 1 and "error" in calls[0]
    assert IssueLine.objects.count() == lines


def test_the_function_scans_and_marks_a_typed_parcel(clock) -> None:
    clock.set(NOW)
    world = World()

    outcome = session_scan_as(actor=world.actors[0], session_id=world.sessions[0].pk, code=world.codes[11])
    again = session_scan_as(actor=world.actors[0], session_id=world.sessions[0].pk, code=world.codes[0])

    assert (outcome.created, outcome.complete, again.created, again.line.pk) == (
        True,
        True,
        False,
        outcome.line.pk,
    )
    assert TypedParcel.objects.filter(line_id=outcome.line.pk).exists()
    assert IssueSession.objects.get(pk=world.sessions[0].pk).first_scan_at == NOW
