"""GET /api/v1/me: the caller and their points with roles."""

from __future__ import annotations

import pytest

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from tests.factories import PickupPointFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_me_lists_points_with_the_callers_roles(signed_in):
    tverskaya = PickupPointFactory(name="ПВЗ на Тверской", code="pvz-tverskaya")
    arbat = PickupPointFactory(name="ПВЗ на Арбате", code="pvz-arbat")
    PickupPointFactory(name="Чужой ПВЗ")
    user = UserFactory(phone="+79990000004", full_name="Елена Волкова")
    Membership.objects.create(user=user, point=tverskaya, role=Role.MANAGER)
    Membership.objects.create(user=user, point=tverskaya, role=Role.OPERATOR)
    Membership.objects.create(user=user, point=arbat, role=Role.OPERATOR)

    response = signed_in(user).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json() == {
        "phone": "+79990000004",
        "name": "Елена Волкова",
        "points": [
            {
                "id": arbat.pk,
                "code": "pvz-arbat",
                "name": "ПВЗ на Арбате",
                "timezone": "Europe/Moscow",
                "roles": ["operator"],
            },
            {
                "id": tverskaya.pk,
                "code": "pvz-tverskaya",
                "name": "ПВЗ на Тверской",
                "timezone": "Europe/Moscow",
                "roles": ["manager", "operator"],
            },
        ],
    }


def test_inactive_membership_gives_no_point(signed_in):
    user = UserFactory()
    Membership.objects.create(user=user, point=PickupPointFactory(), role=Role.OPERATOR, is_active=False)

    response = signed_in(user).get("/api/v1/me")

    assert response.json()["points"] == []
