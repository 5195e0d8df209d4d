"""The point application lifecycle (onboarding.statuses.APPLICATION): every pair; reviewed once, final."""

from __future__ import annotations

from pvz.onboarding.models import ApplicationStatus as A
from pvz.onboarding.statuses import APPLICATION
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_table() -> None:
    assert_table(APPLICATION, {(A.PENDING, A.APPROVED), (A.PENDING, A.REJECTED)})


@all_pairs(APPLICATION)
def test_every_pair(from_status: A, to_status: A) -> None:
    assert_pair(APPLICATION, from_status, to_status)
