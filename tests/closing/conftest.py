"""Closing test set-up: the point being closed."""

from __future__ import annotations

import pytest

from pvz.network.models import PickupPoint
from tests.factories import PickupPointFactory


@pytest.fixture
def point(db: None) -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Тверская")
