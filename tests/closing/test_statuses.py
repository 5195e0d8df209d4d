"""The point lifecycle (network.statuses.POINT) the closing app moves points along: every pair."""

from __future__ import annotations

from pvz.network.models import PointStatus as P
from pvz.network.statuses import POINT
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_table() -> None:
    assert_table(POINT, {(P.OPEN, P.CLOSING), (P.CLOSING, P.OPEN), (P.CLOSING, P.CLOSED)})


@all_pairs(POINT)
def test_every_pair(from_status: P, to_status: P) -> None:
    assert_pair(POINT, from_status, to_status)
