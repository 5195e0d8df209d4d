"""`GET /api/v1/points/{id}/return-flow`: the board as JSON, with its access rules."""

from __future__ import annotations

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.network.services import special_places_ensure
from pvz.shipments.cancellation import shipment_cancel
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    point = PickupPointFactory(timezone="Asia/Yekaterinburg")
    special_places_ensure(actor=None, point=point)
    return point


def url(point) -> str:
    return f"/api/v1/points/{point.pk}/return-flow"


def cancelled(point) -> Shipment:
    shipment = ShipmentFactory(point=point, partner=PartnerFactory(code="ozon", name="Ozon"))
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    shipment_transition(
        actor=None,
        shipment_id=shipment.pk,
        to_status=Status.STORED,
        cell=CellFactory(point=point, address="A-01-1"),
    )
    shipment_cancel(actor=None, shipment=Shipment.objects.get(pk=shipment.pk), reason="Отмена", key=None)
    return Shipment.objects.get(pk=shipment.pk)


def test_the_board_answers_groups_with_ages_in_the_points_timezone(clock, signed_in, point) -> None:
    parcel = cancelled(point)
    clock.advance(days=3)

    body = signed_in(operator_at(point)).get(url(point)).json()

    assert {
        k: body[k]
        for k in ("point_id", "now", "overdue_after_days", "awaiting", "to_move", "overdue", "lost")
    } == {
        "point_id": point.pk,
        "now": "2026-11-30T12:00:00+05:00",
        "overdue_after_days": 3.0,
        "awaiting": 0,
        "to_move": 1,
        "overdue": 1,
        "lost": [],
    }
    assert body["groups"] == [
        {
            "partner": {"code": "ozon", "name": "Ozon"},
            "reason": "cancelled",
            "reason_label": "Отменено партнёром",
            "count": 1,
            "overdue": 1,
            "items": [
                {
                    "id": parcel.pk,
                    "posting_number": parcel.posting_number,
                    "barcode": parcel.barcode,
                    "partner": {"code": "ozon", "name": "Ozon"},
                    "status": "CANCELLED",
                    "status_label": "Отменено партнёром",
                    "stage": "to_move",
                    "cell": "A-01-1",
                    "reason_detail": "Отмена",
                    "entered_at": "2026-11-27T12:00:00+05:00",
                    "age_seconds": 3 * 86400,
                    "overdue": True,
                }
            ],
        }
    ]


def test_another_points_board_is_404(signed_in, point) -> None:
    response = signed_in(operator_at(PickupPointFactory())).get(url(point))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")


def test_a_role_without_operate_gets_403(signed_in, point) -> None:
    response = signed_in(operator_at(point, role=Role.SUPPORT)).get(url(point))

    assert (response.status_code, response.json()["error"]["code"]) == (403, "PERMISSION_DENIED")


def test_anonymous_callers_get_401(client: Client, point) -> None:
    assert client.get(url(point)).status_code == 401
