"""Every (from, to) pair of the carriage, acceptance and tote tables: an allowed pair moves the object, any
other is INVALID_TRANSITION with both statuses in its details and leaves the object as it was."""

from __future__ import annotations

import pytest
from django.db import models

from pvz.core.errors import ErrorCode, InvalidTransition
from pvz.core.lifecycle import Lifecycle
from pvz.inbound.models import (
    Acceptance,
    AcceptanceStatus,
    Carriage,
    CarriageStatus,
    Tote,
    ToteStatus,
)
from pvz.inbound.services import tote_send_back, tote_use_for_returns
from pvz.inbound.statuses import ACCEPTANCE, CARRIAGE, TOTE
from tests.factories import PickupPointFactory, ToteFactory, operator_at

C, A, T = CarriageStatus, AcceptanceStatus, ToteStatus

TABLES: dict[str, tuple[Lifecycle, type[models.Model]]] = {
    "carriage": (CARRIAGE, Carriage),
    "acceptance": (ACCEPTANCE, Acceptance),
    "tote": (TOTE, Tote),
}

# What the code does today, pair by pair; a change to a table must change this list too.
EXPECTED_ALLOWED = {
    "carriage": {
        (C.PLANNED, C.ARRIVED),  # arrival registered, or acceptance opened before it
        (C.IN_TRANSIT, C.ARRIVED),
        (C.ARRIVED, C.ACCEPTING),  # acceptance opened
        (C.ARRIVED, C.CLOSED),  # a return carriage whose arrival was registered, handed over
        (C.ACCEPTING, C.CLOSED),  # acceptance closed
        (C.PLANNED, C.CLOSED),  # a return carriage handed to the courier
    },
    "acceptance": {(A.OPEN, A.CLOSED)},
    "tote": {
        (T.IN_TRANSIT, T.FULL),  # the tote, or a parcel in it, scanned
        (T.IN_TRANSIT, T.EMPTY),  # its first scan accepts all it holds
        (T.FULL, T.EMPTY),  # its last parcel scanned, or the acceptance closed
        (T.EMPTY, T.FULL),  # an undo reopens it
        (T.EMPTY, T.RETURNS),  # by hand
        (T.EMPTY, T.SENT_BACK),  # by hand
        (T.RETURNS, T.SENT_BACK),  # by hand
        # A partner's manifest sends it out again from wherever it is.
        (T.FULL, T.IN_TRANSIT),
        (T.EMPTY, T.IN_TRANSIT),
        (T.RETURNS, T.IN_TRANSIT),
        (T.SENT_BACK, T.IN_TRANSIT),
    },
}

PAIRS = [(name, a, b) for name, (lifecycle, _model) in TABLES.items() for a, b in lifecycle.all_pairs()]
ALLOWED = [(name, a, b) for name, a, b in PAIRS if (a, b) in EXPECTED_ALLOWED[name]]
FORBIDDEN = [(name, a, b) for name, a, b in PAIRS if (a, b) not in EXPECTED_ALLOWED[name]]


def _ids(pairs: list[tuple[str, str, str]]) -> list[str]:
    return [f"{name}:{a}->{b}" for name, a, b in pairs]


@pytest.mark.parametrize("name", TABLES)
def test_the_table_holds_exactly_the_transitions_the_code_performs(name: str) -> None:
    lifecycle, _model = TABLES[name]

    assert set(lifecycle.transitions) == set(lifecycle.statuses)
    assert {(a, b) for a, b in lifecycle.all_pairs() if lifecycle.allowed(a, b)} == EXPECTED_ALLOWED[name]


def test_closed_carriages_and_acceptances_are_final() -> None:
    assert CARRIAGE.next(C.CLOSED) == frozenset()
    assert ACCEPTANCE.next(A.CLOSED) == frozenset()


@pytest.mark.parametrize(("name", "from_status", "to_status"), ALLOWED, ids=_ids(ALLOWED))
def test_allowed_pair_moves_the_object(name: str, from_status: str, to_status: str) -> None:
    lifecycle, model = TABLES[name]
    obj = model(status=from_status)

    lifecycle.check(from_status, to_status)
    previous = lifecycle.set(obj, to_status)

    assert (previous, obj.status) == (from_status, to_status)


@pytest.mark.parametrize(("name", "from_status", "to_status"), FORBIDDEN, ids=_ids(FORBIDDEN))
def test_forbidden_pair_is_refused_and_changes_nothing(name: str, from_status: str, to_status: str) -> None:
    lifecycle, model = TABLES[name]
    obj = model(status=from_status)

    with pytest.raises(InvalidTransition) as caught:
        lifecycle.set(obj, to_status)

    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert caught.value.details == {"from": from_status, "to": to_status}
    assert str(caught.value.message) == str(lifecycle.message)
    assert obj.status == from_status


def test_each_table_refuses_in_its_own_words() -> None:
    assert str(CARRIAGE.message) == "Это действие недоступно для перевозки в её текущем статусе."
    assert str(ACCEPTANCE.message) == "Приёмка уже закрыта."
    assert str(TOTE.message) == "Тару в этом состоянии так использовать нельзя."


@pytest.mark.django_db
def test_a_bulk_tote_move_with_a_forbidden_source_writes_nothing() -> None:
    full = ToteFactory(status=T.FULL)
    returns = ToteFactory(status=T.RETURNS)

    with pytest.raises(InvalidTransition):
        TOTE.update(
            Tote.objects.filter(pk__in=[full.pk, returns.pk]),
            from_statuses=[T.FULL, T.RETURNS],
            to_status=T.EMPTY,
        )

    assert dict(Tote.objects.filter(pk__in=[full.pk, returns.pk]).values_list("pk", "status")) == {
        full.pk: T.FULL,
        returns.pk: T.RETURNS,
    }


@pytest.mark.django_db
def test_a_bulk_tote_move_touches_only_rows_in_its_sources() -> None:
    full = ToteFactory(status=T.FULL)
    returns = ToteFactory(status=T.RETURNS)

    moved = TOTE.update(
        Tote.objects.filter(pk__in=[full.pk, returns.pk]), from_statuses=[T.FULL], to_status=T.EMPTY
    )

    assert moved == 1
    assert dict(Tote.objects.filter(pk__in=[full.pk, returns.pk]).values_list("pk", "status")) == {
        full.pk: T.EMPTY,
        returns.pk: T.RETURNS,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "move"),
    [
        (T.FULL, tote_use_for_returns),
        (T.RETURNS, tote_use_for_returns),
        (T.IN_TRANSIT, tote_send_back),
        (T.FULL, tote_send_back),
    ],
    ids=["full->returns", "returns->returns", "in_transit->sent_back", "full->sent_back"],
)
def test_a_hand_move_the_table_refuses_names_the_tote(from_status, move) -> None:
    point = PickupPointFactory()
    tote = ToteFactory(point=point, status=from_status, barcode="%101%55500011")

    with pytest.raises(InvalidTransition) as caught:
        move(actor=operator_at(point), tote=tote, point=point)

    assert str(caught.value.message) == "Тару %101%55500011 в этом состоянии так использовать нельзя."
    to_status = T.RETURNS if move is tote_use_for_returns else T.SENT_BACK
    assert caught.value.details == {"from": from_status, "to": to_status}
    assert Tote.objects.get(pk=tote.pk).status == from_status
