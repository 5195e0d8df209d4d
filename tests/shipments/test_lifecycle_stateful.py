"""A hypothesis state machine drives random transitions through the one transition function and checks the
lifecycle invariants after every step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from pvz.core.clock import FrozenClock, use_clock
from pvz.core.errors import DomainError
from pvz.network.models import SizeClass
from pvz.shipments.errors import CellFull, IdempotencyMismatch, InvalidTransition
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_move, shipment_transition
from pvz.shipments.statuses import AT_POINT, NEEDS_CELL, OFF_SHELF, Status, is_allowed
from tests.conftest import MSK
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory

SHIPMENTS = 4


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, so examples never see each other.
        self.savepoint = transaction.savepoint()
        self.point = PickupPointFactory()
        # Small cells so that capacity is really exercised.
        self.cells = [CellFactory(point=self.point, capacity=2, size_class=SizeClass.L) for _ in range(2)]
        self.ids = [ShipmentFactory(point=self.point).pk for _ in range(SHIPMENTS)]
        self.events = dict.fromkeys(self.ids, 0)
        self.keys: dict[str, tuple[int, Status]] = {}

    @rule(
        index=st.integers(0, SHIPMENTS - 1),
        to_status=st.sampled_from(list(Status)),
        cell_index=st.integers(0, 1),
        key=st.one_of(st.none(), st.sampled_from([f"k{i}" for i in range(6)])),
    )
    def transition(self, index: int, to_status: Status, cell_index: int, key: str | None) -> None:
        shipment_id = self.ids[index]
        before = Shipment.objects.get(pk=shipment_id).status
        try:
            result = shipment_transition(
                actor=None,
                shipment_id=shipment_id,
                to_status=to_status,
                cell=self.cells[cell_index] if to_status in NEEDS_CELL else None,
                idempotency_key=key,
            )
        except IdempotencyMismatch:
            assert key in self.keys and self.keys[key] != (shipment_id, to_status)
            return
        except InvalidTransition:
            assert not is_allowed(before, to_status)
            return
        except CellFull:
            assert to_status in NEEDS_CELL
            return
        if result.replayed:
            assert self.keys[key] == (shipment_id, to_status)  # type: ignore[index]
            return
        assert is_allowed(before, to_status)
        self.events[shipment_id] += 1
        if key:
            self.keys[key] = (shipment_id, to_status)

    @rule(index=st.integers(0, SHIPMENTS - 1), cell_index=st.integers(0, 1))
    def move(self, index: int, cell_index: int) -> None:
        shipment_id = self.ids[index]
        try:
            shipment_move(actor=None, shipment_id=shipment_id, cell=self.cells[cell_index])
        except DomainError:
            return
        self.events[shipment_id] += 1

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    @invariant()
    def one_event_per_change(self) -> None:
        for shipment_id, count in self.events.items():
            assert ShipmentEvent.objects.filter(shipment_id=shipment_id).count() == count
            assert Shipment.objects.get(pk=shipment_id).version == count + 1

    @invariant()
    def history_is_consistent_with_status(self) -> None:
        for shipment in Shipment.objects.filter(pk__in=self.ids):
            events = list(shipment.events.order_by("at", "id"))
            status = Status.EXPECTED
            for event in events:
                assert event.from_status == status
                if event.kind == EventKind.MOVE:
                    assert event.to_status == event.from_status
                else:
                    assert is_allowed(event.from_status, event.to_status)
                status = Status(event.to_status)
            assert shipment.status == status

    @invariant()
    def places_are_consistent(self) -> None:
        for shipment in Shipment.objects.filter(pk__in=self.ids):
            if shipment.status in NEEDS_CELL:
                assert shipment.cell_id is not None
            if shipment.status in OFF_SHELF:
                assert shipment.cell_id is None
        for cell in self.cells:
            assert Shipment.objects.filter(cell=cell, status__in=AT_POINT).count() <= cell.capacity


@pytest.mark.django_db
def test_random_transitions_keep_the_lifecycle_invariants() -> None:
    with use_clock(FrozenClock(dt.datetime(2026, 11, 27, 10, 0, tzinfo=MSK))):
        run_state_machine_as_test(
            LifecycleMachine,
            settings=settings(
                max_examples=30,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
