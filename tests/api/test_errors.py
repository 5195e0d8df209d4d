"""The API answers every failure with the one error body."""

from __future__ import annotations

import pytest
from ninja.errors import HttpError

from pvz.core.errors import Conflict
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


def test_anonymous_caller_gets_401_with_error_body(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "NOT_AUTHENTICATED",
            "message": "Войдите в систему, чтобы продолжить.",
            "details": {},
            "request_id": response["X-Request-ID"],
        }
    }


def test_anonymous_lookup_is_401_not_404(client):
    response = client.get("/api/v1/shipments/lookup", {"code": "ii11807135000"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_missing_query_parameter_is_422_with_per_field_details(signed_in):
    client = signed_in(operator_at(PickupPointFactory()))

    response = client.get("/api/v1/shipments/lookup")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["details"] == {
        "fields": [{"in": "query", "field": "code", "type": "missing", "message": "Обязательное поле."}]
    }


def test_non_integer_point_is_422_naming_the_field(signed_in):
    client = signed_in(operator_at(PickupPointFactory()))

    response = client.get("/api/v1/shipments/lookup", {"code": "ii1", "point": "abc"})

    assert response.status_code == 422
    [field] = response.json()["error"]["details"]["fields"]
    assert (field["in"], field["field"], field["type"]) == ("query", "point", "int_parsing")


def test_unknown_api_path_is_404_with_error_body(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "Не найдено.",
        "details": {"path": "/api/v1/no-such-thing"},
        "request_id": response["X-Request-ID"],
    }


def test_domain_error_keeps_its_code_and_status(signed_in, monkeypatch):
    client = signed_in(operator_at(PickupPointFactory()))

    def conflicting(**kwargs):
        raise Conflict(details={"version": 3})

    monkeypatch.setattr("pvz.api.shipments.shipment_find", conflicting)
    response = client.get("/api/v1/shipments/lookup", {"code": "ii11807135000"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert response.json()["error"]["details"] == {"version": 3}


def test_unexpected_exception_is_500_internal_without_internals(signed_in, monkeypatch):
    client = signed_in(operator_at(PickupPointFactory()))

    def broken(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("pvz.api.shipments.shipment_find", broken)
    response = client.get("/api/v1/shipments/lookup", {"code": "ii11807135000"})

    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "INTERNAL"
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert set(error["details"]) == {"incident"}
    assert error["details"]["incident"] in error["message"]
    # One number for the person, the body, the header and the log lines.
    assert error["details"]["incident"] == error["request_id"] == response["X-Request-ID"]


def test_failed_csrf_check_is_403_permission_denied_asking_to_reload(signed_in, monkeypatch):
    client = signed_in(operator_at(PickupPointFactory()))

    def csrf_failed(**kwargs):
        # What ninja's session auth raises on an unsafe request without a valid token.
        raise HttpError(403, "CSRF check Failed")

    monkeypatch.setattr("pvz.api.shipments.shipment_find", csrf_failed)
    response = client.get("/api/v1/shipments/lookup", {"code": "ii11807135000"})

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "PERMISSION_DENIED",
        "message": "Страница устарела. Обновите её и повторите действие.",
        "details": {},
        "request_id": response["X-Request-ID"],
    }


BEYOND_64_BITS = 2**70  # found by schemathesis: SQLite refused it with OverflowError, a 500


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (f"/api/v1/points/{BEYOND_64_BITS}/expiring-today", {}),
        ("/api/v1/points/{point}/cells/labels.pdf", {"ids": BEYOND_64_BITS}),
    ],
    ids=["id in the path", "id in the query"],
)
def test_id_beyond_64_bits_is_404_not_found_not_500(signed_in, path, query):
    point = PickupPointFactory()
    client = signed_in(operator_at(point))

    response = client.get(path.format(point=point.pk), query)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
