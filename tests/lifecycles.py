"""The all-pairs test of a lifecycle table (`pvz.core.lifecycle`), shared by the apps' test_statuses.py.

`expected` is the table written out again in the test, so that a change to a lifecycle is a deliberate
change in two places; then every (from, to) pair of the statuses is tried: the listed ones pass the check,
every other one raises INVALID_TRANSITION naming both statuses and leaves the object as it was."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pvz.core.errors import ErrorCode, InvalidTransition
from pvz.core.lifecycle import Lifecycle


def assert_table(lifecycle: Lifecycle[Any], expected: set[tuple[str, str]]) -> None:
    allowed = {(str(a), str(b)) for a, b in lifecycle.all_pairs() if lifecycle.allowed(a, b)}
    assert allowed == {(str(a), str(b)) for a, b in expected}
    assert len(lifecycle.all_pairs()) == len(lifecycle.statuses) ** 2


def assert_pair(lifecycle: Lifecycle[Any], from_status: str, to_status: str) -> None:
    obj: Any = SimpleNamespace(**{lifecycle.field: from_status})
    if lifecycle.allowed(from_status, to_status):
        assert lifecycle.set(obj, to_status) == from_status
        assert getattr(obj, lifecycle.field) == to_status
        return
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.set(obj, to_status)
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert str(refused.value.message) == str(lifecycle.message)
    assert (refused.value.details["from"], refused.value.details["to"]) == (str(from_status), str(to_status))
    assert getattr(obj, lifecycle.field) == from_status


def all_pairs(lifecycle: Lifecycle[Any]) -> Any:
    """`pytest.mark.parametrize` over every (from, to) pair of `lifecycle`."""
    pairs = lifecycle.all_pairs()
    return pytest.mark.parametrize(("from_status", "to_status"), pairs, ids=[f"{a}->{b}" for a, b in pairs])
