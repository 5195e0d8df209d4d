"""Signed-in clients for the staff web UI tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from pvz.accounts.models import User
from pvz.network.models import PickupPoint
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PickupPointFactory, operator_at

SignIn = Callable[..., Client]


@pytest.fixture
def sign_in(client: Client) -> SignIn:
    """Sign `user` in on the test client, at `point` when given (as if picked on the point picker)."""

    def _sign_in(user: User, point: PickupPoint | None = None) -> Client:
        client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
        if point is not None:
            session = client.session
            session[POINT_SESSION_KEY] = point.pk
            session.save()
        return client

    return _sign_in


@pytest.fixture
def point(db: None) -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Тверская", address="Москва, Тверская ул., 1")


@pytest.fixture
def operator(point: PickupPoint) -> User:
    return operator_at(point)
