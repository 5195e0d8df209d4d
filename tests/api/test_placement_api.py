"""Placement API: suggestion, placing (auto and into a scanned cell), moving, and the operator's mode."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint, SizeClass
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, OrderFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PickupPointFactory()


@pytest.fixture
def operator(point: PickupPoint) -> User:
    return operator_at(point)


@pytest.fixture
def api(signed_in, operator: User) -> Client:
    return signed_in(operator)


def accepted(point, **extra):
    # Set-up only: the parcel arrives as accepted; everything under test goes through the endpoints.
    return ShipmentFactory(point=point, **{"status": Status.ACCEPTED, **extra})


def post(client: Client, url: str, body: dict[str, object], key: str | None = None):
    return client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def suggestion_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/placement-suggestion"


def place_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/place"


def move_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/move"


# --- who may call


def test_anonymous_callers_get_401_everywhere(client: Client, point: PickupPoint) -> None:
    shipment = accepted(point)

    assert client.get(suggestion_url(shipment)).status_code == 401
    assert post(client, place_url(shipment), {"cell": None}).status_code == 401
    assert post(client, move_url(shipment), {"cell": "A-01-1"}).status_code == 401
    assert client.get("/api/v1/me/placement-mode").status_code == 401
    assert (
        client.put("/api/v1/me/placement-mode", {"auto": False}, content_type="application/json").status_code
        == 401
    )


def test_a_parcel_of_another_point_is_not_found(api: Client) -> None:
    elsewhere = PickupPointFactory()
    CellFactory(point=elsewhere, address="A-01-1")
    shipment = accepted(elsewhere)

    assert api.get(suggestion_url(shipment)).json()["error"]["code"] == "NOT_FOUND"
    response = post(api, place_url(shipment), {"cell": None})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    shipment.refresh_from_db()
    assert shipment.status == Status.ACCEPTED


def test_a_cell_of_another_point_is_not_found(api: Client, point: PickupPoint) -> None:
    CellFactory(point=PickupPointFactory(), address="Z-01-1")
    shipment = accepted(point)

    response = post(api, place_url(shipment), {"cell": "Z-01-1"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert "Z-01-1" in response.json()["error"]["message"]


def test_a_role_without_operate_gets_403(signed_in, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    shipment = accepted(point)
    # Support sees every point (view only) but does not work at the counter.
    client = signed_in(operator_at(point, role=Role.SUPPORT))

    assert client.get(suggestion_url(shipment)).status_code == 403
    response = post(client, place_url(shipment), {"cell": None})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    shipment.refresh_from_db()
    assert shipment.status == Status.ACCEPTED


# --- suggestion


def test_suggestion_names_the_cell_with_its_size_and_free_places(api: Client, point: PickupPoint) -> None:
    order = OrderFactory()
    customers_cell = CellFactory(point=point, address="B-02-1", size_class=SizeClass.M, capacity=3)
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    ShipmentFactory(
        point=point, order=order, partner=order.partner, status=Status.STORED, cell=customers_cell
    )
    shipment = accepted(point, order=order, partner=order.partner)

    response = api.get(suggestion_url(shipment))

    assert response.status_code == 200
    assert response.json() == {
        "shipment_id": shipment.pk,
        "cell": {"address": "B-02-1", "size_class": "M", "capacity": 3, "free": 2},
    }


def test_suggestion_without_a_fitting_free_cell_is_409_no_free_cell(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    shipment = accepted(point, size_class=SizeClass.L)

    response = api.get(suggestion_url(shipment))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NO_FREE_CELL"


def test_suggestion_for_a_parcel_that_is_not_accepted_is_409(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    shipment = accepted(point, status=Status.EXPECTED)

    response = api.get(suggestion_url(shipment))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"


# --- place


def test_place_without_a_cell_uses_the_suggested_one(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    shipment = accepted(point)

    response = post(api, place_url(shipment), {"cell": None})

    assert response.status_code == 200
    assert response.json() == {
        "shipment_id": shipment.pk,
        "status": "STORED",
        "cell": "A-01-1",
        "suggested": True,
    }
    shipment.refresh_from_db()
    assert shipment.status == Status.STORED
    assert shipment.cell is not None
    assert shipment.cell.address == "A-01-1"


def test_place_into_a_cell_scanned_in_the_russian_layout(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    chosen = CellFactory(point=point, address="A-03-2", size_class=SizeClass.L)
    shipment = accepted(point)

    response = post(api, place_url(shipment), {"cell": " ф-03-2 "})

    assert response.status_code == 200
    assert response.json() == {
        "shipment_id": shipment.pk,
        "status": "STORED",
        "cell": "A-03-2",
        "suggested": False,
    }
    shipment.refresh_from_db()
    assert shipment.cell == chosen
    event = ShipmentEvent.objects.get(shipment=shipment, to_status=Status.STORED)
    assert event.idempotency_key is not None
    assert event.idempotency_key.startswith("api-place:")


def test_place_into_a_full_cell_is_cell_full_and_changes_nothing(api: Client, point: PickupPoint) -> None:
    full = CellFactory(point=point, address="A-01-1", capacity=1)
    ShipmentFactory(point=point, status=Status.STORED, cell=full)
    shipment = accepted(point)

    response = post(api, place_url(shipment), {"cell": "A-01-1"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CELL_FULL"
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell) == (Status.ACCEPTED, None)


def test_place_into_a_too_small_cell_is_cell_too_small(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    shipment = accepted(point, size_class=SizeClass.L)

    response = post(api, place_url(shipment), {"cell": "A-01-1"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "CELL_TOO_SMALL"


def test_place_with_no_free_cell_is_409_no_free_cell(api: Client, point: PickupPoint) -> None:
    shipment = accepted(point)

    response = post(api, place_url(shipment), {"cell": None})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NO_FREE_CELL"


def test_placing_a_stored_parcel_again_is_invalid_transition(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    shipment = accepted(point)
    post(api, place_url(shipment), {"cell": None})

    response = post(api, place_url(shipment), {"cell": None})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"


def test_place_needs_an_idempotency_key(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    shipment = accepted(point)

    response = api.post(place_url(shipment), {"cell": None}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"header": "Idempotency-Key"}
    shipment.refresh_from_db()
    assert shipment.status == Status.ACCEPTED


def test_a_replayed_place_returns_the_first_answer_and_places_once(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    CellFactory(point=point, address="A-01-2", size_class=SizeClass.S)
    shipment = accepted(point)
    key = str(uuid.uuid4())

    first = post(api, place_url(shipment), {"cell": None}, key=key)
    again = post(api, place_url(shipment), {"cell": None}, key=key)

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ShipmentEvent.objects.filter(shipment=shipment, to_status=Status.STORED).count() == 1


def test_the_same_key_for_another_cell_is_idempotency_mismatch(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="A-01-2")
    shipment = accepted(point)
    key = str(uuid.uuid4())
    post(api, place_url(shipment), {"cell": "A-01-1"}, key=key)

    response = post(api, place_url(shipment), {"cell": "A-01-2"}, key=key)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    shipment.refresh_from_db()
    assert shipment.cell is not None
    assert shipment.cell.address == "A-01-1"


# --- move


def test_move_puts_a_stored_parcel_into_another_cell(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    target = CellFactory(point=point, address="B-01-1")
    shipment = accepted(point)
    post(api, place_url(shipment), {"cell": "A-01-1"})

    response = post(api, move_url(shipment), {"cell": "и-01-1"})

    assert response.status_code == 200
    assert response.json() == {
        "shipment_id": shipment.pk,
        "status": "STORED",
        "cell": "B-01-1",
        "from_cell": "A-01-1",
    }
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell) == (Status.STORED, target)


def test_move_into_a_full_cell_is_cell_full(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    full = CellFactory(point=point, address="B-01-1", capacity=1)
    ShipmentFactory(point=point, status=Status.STORED, cell=full)
    shipment = accepted(point)
    post(api, place_url(shipment), {"cell": "A-01-1"})

    response = post(api, move_url(shipment), {"cell": "B-01-1"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CELL_FULL"


def test_moving_a_parcel_that_is_not_placed_yet_is_invalid_transition(
    api: Client, point: PickupPoint
) -> None:
    CellFactory(point=point, address="A-01-1")
    shipment = accepted(point)

    response = post(api, move_url(shipment), {"cell": "A-01-1"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"


def test_a_replayed_move_moves_once(api: Client, point: PickupPoint) -> None:
    CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="B-01-1")
    shipment = accepted(point)
    post(api, place_url(shipment), {"cell": "A-01-1"})
    key = str(uuid.uuid4())

    first = post(api, move_url(shipment), {"cell": "B-01-1"}, key=key)
    again = post(api, move_url(shipment), {"cell": "B-01-1"}, key=key)

    assert again.json() == first.json()
    assert ShipmentEvent.objects.filter(shipment=shipment, kind="move").count() == 1


# --- mode


def test_placement_mode_is_on_by_default_and_can_be_switched(api: Client, operator: User) -> None:
    assert api.get("/api/v1/me/placement-mode").json() == {"auto": True}

    response = api.put(
        "/api/v1/me/placement-mode",
        {"auto": False},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert response.status_code == 200
    assert response.json() == {"auto": False}
    operator.refresh_from_db()
    assert operator.auto_placement is False
    assert api.get("/api/v1/me/placement-mode").json() == {"auto": False}


def test_placement_mode_rejects_a_body_without_auto(api: Client) -> None:
    response = api.put(
        "/api/v1/me/placement-mode",
        {},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
