"""GET /api/v1/shipments/lookup: find a parcel by scan, within the caller's points only."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.accounts.roles import Role
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    UserFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/shipments/lookup"


@pytest.fixture
def stored(clock):
    """A shipment at point A accepted at 10:00 and stored at 10:05 by A's operator."""
    point = PickupPointFactory(name="ПВЗ А")
    operator = operator_at(point)
    operator.full_name = "Алексей Смирнов"
    operator.save()
    cell = CellFactory(point=point, address="A-01-1")
    shipment = ShipmentFactory(
        point=point,
        partner=PartnerFactory(code="ozon", name="Ozon"),
        barcode="ii11807135000",
        posting_number="23281294-0063-2",
        order__number="23281294",
        size_class="S",
        weight_g=730,
        declared_value_kop=149_900,
        amount_due_kop=149_900,
        category="Одежда",
    )
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    clock.advance(minutes=5)
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
    shipment.refresh_from_db()
    return shipment, operator


def test_operator_finds_own_shipment_with_its_history_in_order(signed_in, stored):
    shipment, operator = stored

    response = signed_in(operator).get(URL, {"code": "ii11807135000"})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == shipment.pk
    assert body["posting_number"] == "23281294-0063-2"
    assert body["order_number"] == "23281294"
    assert body["status"] == {"code": "STORED", "label": "На хранении"}
    assert body["cell"] == "A-01-1"
    assert body["partner"] == {"code": "ozon", "name": "Ozon"}
    assert body["point"]["id"] == shipment.point_id
    assert body["declared_value_kop"] == 149_900
    assert body["amount_due_kop"] == 149_900
    assert (body["size_class"], body["weight_g"], body["category"]) == ("S", 730, "Одежда")
    # Point-local and millisecond precision, the JSON encoder's resolution.
    assert body["storage_deadline"] == "2026-12-04T23:59:59.999+03:00"
    assert body["stored_at"] == "2026-11-27T10:05:00+03:00"
    assert body["next_statuses"] == ["CANCELLED", "EXPIRED", "ISSUED", "LOST", "REFUSED"]
    assert [(e["from_status"]["code"], e["to_status"]["code"]) for e in body["history"]] == [
        ("EXPECTED", "ACCEPTED"),
        ("ACCEPTED", "STORED"),
    ]
    assert [e["actor"] for e in body["history"]] == ["Алексей Смирнов", "Алексей Смирнов"]
    assert [e["cell"] for e in body["history"]] == [None, "A-01-1"]
    first, second = (dt.datetime.fromisoformat(e["at"]) for e in body["history"])
    assert second - first == dt.timedelta(minutes=5)


def test_posting_number_finds_the_shipment_too(signed_in, stored):
    shipment, operator = stored

    response = signed_in(operator).get(URL, {"code": "23281294-0063-2"})

    assert response.status_code == 200
    assert response.json()["id"] == shipment.pk


def test_code_typed_in_russian_layout_finds_the_shipment(signed_in, stored):
    shipment, operator = stored

    response = signed_in(operator).get(URL, {"code": "шш11807135000"})

    assert response.status_code == 200
    assert response.json()["id"] == shipment.pk
    assert response.json()["barcode"] == "ii11807135000"


def test_operator_of_another_point_gets_404_not_403(signed_in, stored):
    stranger = operator_at(PickupPointFactory(name="ПВЗ Б"))

    response = signed_in(stranger).get(URL, {"code": "ii11807135000"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_user_without_any_point_gets_404(signed_in, stored):
    response = signed_in(UserFactory()).get(URL, {"code": "ii11807135000"})

    assert response.status_code == 404


def test_unknown_code_is_404_with_the_code_in_details(signed_in, stored):
    _, operator = stored

    response = signed_in(operator).get(URL, {"code": "шш00000000000"})

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "Не найдено.",
        "details": {"code": "шш00000000000", "normalized": "ii00000000000"},
        "request_id": response["X-Request-ID"],
    }


def test_point_filter_narrows_to_that_point(signed_in, stored):
    shipment, operator = stored
    other = PickupPointFactory()
    operator.memberships.create(point=other, role=Role.OPERATOR)
    client = signed_in(operator)

    assert client.get(URL, {"code": "ii11807135000", "point": shipment.point_id}).status_code == 200
    assert client.get(URL, {"code": "ii11807135000", "point": other.pk}).status_code == 404


def test_point_the_caller_does_not_work_at_is_404(signed_in, stored):
    _, operator = stored
    foreign = PickupPointFactory()

    response = signed_in(operator).get(URL, {"code": "ii11807135000", "point": foreign.pk})

    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"point": foreign.pk}


def test_platform_support_finds_shipments_of_any_point(signed_in, stored):
    shipment, _ = stored
    support = operator_at(shipment.point, role=Role.SUPPORT)

    response = signed_in(support).get(URL, {"code": "ii11807135000"})

    assert response.status_code == 200
