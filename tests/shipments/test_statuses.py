"""The shipment lifecycle as `SHIPMENT` (shipments.statuses), the table `shipment_transition` sets a
status through: every pair of it, without the database (`test_transitions.py` tries each through the
service)."""

from __future__ import annotations

import pytest

from pvz.shipments.errors import InvalidTransition
from pvz.shipments.statuses import SHIPMENT, TRANSITIONS
from pvz.shipments.statuses import Status as S
from tests.lifecycles import all_pairs, assert_pair, assert_table

# What the code does today, pair by pair; a change to the table must change this list too.
EXPECTED_ALLOWED = {
    (S.EXPECTED, S.ACCEPTED),
    (S.EXPECTED, S.SHORTAGE),
    (S.SHORTAGE, S.ACCEPTED),
    (S.ACCEPTED, S.STORED),
    (S.ACCEPTED, S.DAMAGED),
    (S.ACCEPTED, S.LOST),
    (S.ACCEPTED, S.EXPECTED),  # an acceptance scan undone
    (S.ACCEPTED, S.SHORTAGE),  # an acceptance scan undone
    (S.STORED, S.ISSUED),
    (S.STORED, S.REFUSED),
    (S.STORED, S.EXPIRED),
    (S.STORED, S.CANCELLED),
    (S.STORED, S.LOST),
    (S.STORED, S.ACCEPTED),  # a placement undone, or damaged at acceptance
    (S.DAMAGED, S.AWAITING_DISPATCH),
    (S.ISSUED, S.RETURNED),
    (S.RETURNED, S.AWAITING_DISPATCH),
    (S.REFUSED, S.AWAITING_DISPATCH),
    (S.EXPIRED, S.AWAITING_DISPATCH),
    (S.CANCELLED, S.AWAITING_DISPATCH),
    (S.AWAITING_DISPATCH, S.DISPATCHED),
    (S.AWAITING_DISPATCH, S.LOST),
    (S.DISPATCHED, S.EXPECTED),  # announced again: a new visit
}


def test_shipment_table() -> None:
    assert_table(SHIPMENT, EXPECTED_ALLOWED)


def test_the_lifecycle_is_the_transitions_table() -> None:
    assert SHIPMENT.transitions == TRANSITIONS


@all_pairs(SHIPMENT)
def test_every_shipment_pair(from_status: S, to_status: S) -> None:
    assert_pair(SHIPMENT, from_status, to_status)


def test_a_refusal_keeps_the_shipment_message_and_details() -> None:
    with pytest.raises(InvalidTransition) as refused:
        SHIPMENT.check(S.LOST, S.STORED)

    assert str(refused.value.message) == "Это действие недоступно для отправления в его текущем статусе."
    assert refused.value.details == {"from": "LOST", "to": "STORED"}
