"""An id beyond PostgreSQL's bigint in the URL of a one-call scan endpoint is simply not found (404), as
the ORM path answers it: the database functions take bigint ids, so such a number never reaches them
(schemathesis found the 500 it gave)."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

HUGE = 2380805373405233676288


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/v1/acceptances/{HUGE}/scans", {"code": "ii11807135000", "scan_id": str(uuid.uuid4())}),
        (f"/api/v1/shipments/{HUGE}/place", {}),
        (f"/api/v1/points/{HUGE}/return-zone/scans", {"code": "ii11807135000"}),
        (f"/api/v1/counter/sessions/{HUGE}/scans", {"code": "ii11807135000"}),
        (f"/api/v1/acceptances/{-HUGE}/scans", {"code": "ii11807135000", "scan_id": str(uuid.uuid4())}),
    ],
)
def test_an_id_beyond_bigint_is_not_found(signed_in, path, body) -> None:
    client = signed_in(operator_at(PickupPointFactory()))

    answer = client.post(
        path, body, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
    )

    assert answer.status_code == 404, answer.content
    assert answer.json()["error"]["code"] == "NOT_FOUND"
