"""Cell endpoints: scoping (another point is 404), permissions (403), success, idempotent replay."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.network.models import Cell, CellKind
from tests.factories import CellFactory, PickupPointFactory, operator_at

MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"
BULK = {
    "zones": ["A", "ф"],
    "racks": {"first": 1, "last": 2},
    "shelves": {"first": 1, "last": 3},
    "size_class": "M",
    "capacity": 8,
}


@pytest.fixture
def api(client: Client):
    def as_user(user) -> Client:
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return as_user


def _post(client: Client, url: str, body: dict | None = None, key: str | None = None):
    return client.post(
        url,
        body or {},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def _patch(client: Client, url: str, body: dict, key: str | None = None):
    return client.patch(
        url, body, content_type="application/json", headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


# Reads


def test_list_needs_a_signed_in_caller(client, point):
    response = client.get(f"/api/v1/points/{point.pk}/cells")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_list_shows_occupancy_and_totals_to_an_operator(api, point, store):
    cell = CellFactory(point=point, address="A-01-1", size_class="S", capacity=4)
    CellFactory(point=point, address="B-01-1", size_class="S", capacity=4)
    store(cell)

    response = api(operator_at(point)).get(f"/api/v1/points/{point.pk}/cells?zone=A")

    assert response.status_code == 200
    body = response.json()
    assert [(c["address"], c["zone"], c["held"], c["free"], c["fill"]) for c in body["cells"]] == [
        ("A-01-1", "A", 1, 3, 0.25)
    ]
    assert body["totals"] == [{"size_class": "S", "cells": 1, "capacity": 4, "held": 1, "free": 3}]


def test_list_of_another_point_is_404(api, point):
    other = PickupPointFactory()
    CellFactory(point=other)

    response = api(operator_at(point, Role.MANAGER)).get(f"/api/v1/points/{other.pk}/cells")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_labels_pdf_for_a_zone(api, point):
    CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="B-01-1")

    response = api(operator_at(point)).get(f"/api/v1/points/{point.pk}/cells/labels.pdf?zone=A")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_labels_with_a_cell_id_of_another_point_is_404(api, point):
    mine = CellFactory(point=point)
    other = CellFactory(point=PickupPointFactory())
    url = f"/api/v1/points/{point.pk}/cells/labels.pdf?ids={mine.pk}&ids={other.pk}"

    response = api(operator_at(point)).get(url)

    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"cell_ids": [other.pk]}


# Writes: who may


def test_bulk_create_anonymous_is_401(client, point):
    response = _post(client, f"/api/v1/points/{point.pk}/cells/bulk", BULK)

    assert response.status_code == 401
    assert not Cell.objects.exists()


def test_bulk_create_at_another_point_is_404(api, point):
    other = PickupPointFactory()

    response = _post(api(operator_at(other, Role.MANAGER)), f"/api/v1/points/{point.pk}/cells/bulk", BULK)

    assert response.status_code == 404
    assert not Cell.objects.exists()


def test_bulk_create_by_an_operator_without_manage_point_is_403(api, point):
    response = _post(api(operator_at(point)), f"/api/v1/points/{point.pk}/cells/bulk", BULK)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert not Cell.objects.exists()


def test_bulk_create_by_a_manager_is_201(api, point):
    response = _post(api(operator_at(point, Role.MANAGER)), f"/api/v1/points/{point.pk}/cells/bulk", BULK)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 6
    assert [c["address"] for c in body["cells"]][:3] == ["A-01-1", "A-01-2", "A-01-3"]
    assert Cell.objects.filter(point=point).count() == 6


def test_bulk_create_replayed_with_the_same_key_creates_nothing_twice(api, point):
    client = api(operator_at(point, Role.MANAGER))
    key = str(uuid.uuid4())
    url = f"/api/v1/points/{point.pk}/cells/bulk"

    first = _post(client, url, BULK, key=key)
    again = _post(client, url, BULK, key=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Cell.objects.filter(point=point).count() == 6


def test_bulk_create_without_idempotency_key_is_400(api, point):
    client = api(operator_at(point, Role.MANAGER))

    response = client.post(f"/api/v1/points/{point.pk}/cells/bulk", BULK, content_type="application/json")

    assert response.status_code == 400
    assert not Cell.objects.exists()


def test_bulk_create_clash_is_422_with_the_clashing_addresses(api, point):
    CellFactory(point=point, address="A-02-3")

    response = _post(api(operator_at(point, Role.MANAGER)), f"/api/v1/points/{point.pk}/cells/bulk", BULK)

    assert response.status_code == 422
    assert response.json()["error"]["details"]["clashes"] == ["A-02-3"]
    assert Cell.objects.filter(point=point).count() == 1


def test_update_capacity_below_held_is_422_and_equal_is_200(api, point, store):
    cell = CellFactory(point=point, capacity=5)
    store(cell)
    store(cell)
    client = api(operator_at(point, Role.MANAGER))

    refused = _patch(client, f"/api/v1/cells/{cell.pk}", {"capacity": 1})
    allowed = _patch(client, f"/api/v1/cells/{cell.pk}", {"capacity": 2})

    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == {"cell": cell.address, "capacity": 1, "held": 2}
    assert allowed.status_code == 200
    assert (allowed.json()["capacity"], allowed.json()["held"], allowed.json()["free"]) == (2, 2, 0)


def test_update_by_operator_is_403_and_of_another_point_is_404(api, point):
    cell = CellFactory(point=point, capacity=5)
    other = CellFactory(point=PickupPointFactory(), capacity=5)

    assert _patch(api(operator_at(point)), f"/api/v1/cells/{cell.pk}", {"capacity": 3}).status_code == 403
    manager = api(operator_at(point, Role.MANAGER))
    assert _patch(manager, f"/api/v1/cells/{other.pk}", {"capacity": 3}).status_code == 404
    assert Cell.objects.get(pk=cell.pk).capacity == 5
    assert Cell.objects.get(pk=other.pk).capacity == 5


def test_retire_empty_is_200_and_holding_one_is_409(api, point, store):
    empty = CellFactory(point=point)
    holding = CellFactory(point=point)
    store(holding)
    client = api(operator_at(point, Role.MANAGER))

    ok = _post(client, f"/api/v1/cells/{empty.pk}/retire")
    refused = _post(client, f"/api/v1/cells/{holding.pk}/retire")

    assert ok.status_code == 200
    assert ok.json()["is_active"] is False
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"cell": holding.address, "held": 1}
    assert Cell.objects.get(pk=holding.pk).is_active is True


def test_retire_by_operator_is_403(api, point):
    cell = CellFactory(point=point)

    response = _post(api(operator_at(point)), f"/api/v1/cells/{cell.pk}/retire")

    assert response.status_code == 403
    assert Cell.objects.get(pk=cell.pk).is_active is True


def test_special_places_endpoint_is_idempotent_by_nature(api, point):
    client = api(operator_at(point, Role.MANAGER))
    url = f"/api/v1/points/{point.pk}/cells/special-places"

    first = _post(client, url)
    second = _post(client, url)

    assert first.status_code == second.status_code == 200
    assert [c["address"] for c in second.json()] == ["INSPECTION", "RETURNS", "TRANSIT", "CONSUMABLES"]
    assert Cell.objects.filter(point=point).exclude(kind=CellKind.REGULAR).count() == 4
