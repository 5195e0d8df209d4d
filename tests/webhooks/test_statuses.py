"""The webhook delivery lifecycle (webhooks.statuses.DELIVERY): every pair; only a replay goes back."""

from __future__ import annotations

from pvz.webhooks.models import DeliveryStatus as D
from pvz.webhooks.statuses import DELIVERY
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_table() -> None:
    assert_table(
        DELIVERY,
        {(D.PENDING, D.DELIVERED), (D.PENDING, D.DEAD), (D.DELIVERED, D.PENDING), (D.DEAD, D.PENDING)},
    )


@all_pairs(DELIVERY)
def test_every_pair(from_status: D, to_status: D) -> None:
    assert_pair(DELIVERY, from_status, to_status)
