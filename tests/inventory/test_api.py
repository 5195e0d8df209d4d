"""Inventory API: scoped to the caller's points, manager vs operator, Idempotency-Key on every write."""

from __future__ import annotations

import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.inventory.models import InventoryScan
from pvz.inventory.services import inventory_start
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, operator_at
from tests.inventory.conftest import fresh, stored

pytestmark = pytest.mark.django_db


def post(client, url, body=None, key=None):
    return client.post(
        url,
        body or {},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def scan_body(code: str) -> dict[str, str]:
    return {"code": code, "scan_id": str(uuid.uuid4())}


def test_anonymous_caller_gets_401(client, shop) -> None:
    assert post(client, f"/api/v1/points/{shop.point.pk}/inventories").status_code == 401


def test_another_points_count_is_404_for_reads_and_writes(signed_in, shop) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point)
    stranger = signed_in(operator_at(PickupPointFactory(), role=Role.MANAGER))

    assert stranger.get(f"/api/v1/inventories/{count.pk}").status_code == 404
    assert stranger.get(f"/api/v1/inventories/{count.pk}/missing").status_code == 404
    assert post(stranger, f"/api/v1/points/{shop.point.pk}/inventories").status_code == 404
    response = post(stranger, f"/api/v1/inventories/{count.pk}/cell-scans", scan_body("A-01-1"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    assert post(stranger, f"/api/v1/inventories/{count.pk}/finish").status_code == 404


def test_operators_scan_but_only_managers_start_review_finish_and_cancel(signed_in, shop) -> None:
    client = signed_in(shop.operator)
    refused = post(client, f"/api/v1/points/{shop.point.pk}/inventories")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "PERMISSION_DENIED"
    count = inventory_start(actor=shop.manager, point=shop.point)

    assert client.get(f"/api/v1/inventories/{count.pk}").status_code == 200
    assert post(client, f"/api/v1/inventories/{count.pk}/cell-scans", scan_body("A-01-1")).status_code == 200
    for url in ("missing", "report"):
        assert client.get(f"/api/v1/inventories/{count.pk}/{url}").status_code == 403
    for url in ("finish", "cancel"):
        assert post(client, f"/api/v1/inventories/{count.pk}/{url}").status_code == 403
    support = signed_in(operator_at(shop.point, role=Role.SUPPORT))
    assert post(support, f"/api/v1/inventories/{count.pk}/cell-scans", scan_body("A-01-1")).status_code == 403


def test_start_scan_missing_finish_report(signed_in, shop) -> None:
    found = stored(shop.point, shop.a1)
    misplaced = stored(shop.point, shop.b1)
    missing = stored(shop.point, shop.a2)
    client = signed_in(shop.manager)

    started = post(client, f"/api/v1/points/{shop.point.pk}/inventories", {"zone": "a"})
    assert started.status_code == 200, started.json()
    body = started.json()
    assert (body["zone"], body["status"]) == ("A", "open")
    assert body["progress"] == {
        "cells_scanned": 0,
        "cells_in_scope": 2,
        "parcels_found": 0,
        "parcels_expected": 2,
        "misplaced": 0,
        "unknown": 0,
    }
    count_id = body["id"]
    second = post(client, f"/api/v1/points/{shop.point.pk}/inventories")
    assert second.status_code == 409 and second.json()["error"]["code"] == "CONFLICT"

    early = post(client, f"/api/v1/inventories/{count_id}/parcel-scans", scan_body(found.barcode))
    assert early.status_code == 409 and early.json()["error"]["code"] == "NO_CURRENT_CELL"
    outside = post(client, f"/api/v1/inventories/{count_id}/cell-scans", scan_body("B-01-1"))
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "CELL_OUT_OF_SCOPE"
    cell = post(client, f"/api/v1/inventories/{count_id}/cell-scans", scan_body("ф-01-1")).json()
    assert (cell["outcome"], cell["cell"]) == ("CELL", "A-01-1")
    assert (
        post(client, f"/api/v1/inventories/{count_id}/parcel-scans", scan_body(found.barcode)).json()[
            "outcome"
        ]
        == "FOUND"
    )
    moved = post(client, f"/api/v1/inventories/{count_id}/parcel-scans", scan_body(misplaced.barcode)).json()
    assert (moved["outcome"], moved["from_cell"], moved["cell"], moved["moved"]) == (
        "MISPLACED",
        "B-01-1",
        "A-01-1",
        True,
    )
    assert moved["progress"]["parcels_found"] == 2 and moved["progress"]["parcels_expected"] == 3

    listed = client.get(f"/api/v1/inventories/{count_id}/missing").json()
    assert [(row["shipment_id"], row["cell"], row["can_be_lost"]) for row in listed] == [
        (missing.pk, "A-01-2", True)
    ]
    closed_early = client.get(f"/api/v1/inventories/{count_id}/report")
    assert closed_early.status_code == 409

    finished = post(client, f"/api/v1/inventories/{count_id}/finish", {"confirmed_missing_ids": [missing.pk]})
    assert finished.status_code == 200, finished.json()
    report = finished.json()
    assert report["counts"] == {"found": 1, "misplaced": 1, "moved": 1, "missing": 1, "lost": 1, "unknown": 0}
    assert report["zones"] == [
        {"zone": "A", "found": 1, "misplaced": 1, "missing": 1, "lost": 1, "unknown": 0}
    ]
    assert client.get(f"/api/v1/inventories/{count_id}/report").json() == report
    assert fresh(missing).status == Status.LOST


def test_a_replayed_key_returns_the_first_answer_and_another_body_is_a_mismatch(signed_in, shop) -> None:
    parcel = stored(shop.point, shop.a2)
    count = inventory_start(actor=shop.manager, point=shop.point)
    client = signed_in(shop.operator)
    post(client, f"/api/v1/inventories/{count.pk}/cell-scans", scan_body("A-01-1"))
    key, body = str(uuid.uuid4()), scan_body(parcel.barcode)
    url = f"/api/v1/inventories/{count.pk}/parcel-scans"

    first = post(client, url, body, key=key)
    replay = post(client, url, body, key=key)
    mismatch = post(client, url, scan_body(parcel.barcode), key=key)

    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert InventoryScan.objects.filter(kind="parcel").count() == 1
    missing_key = client.post(url, scan_body(parcel.barcode), content_type="application/json")
    assert missing_key.status_code == 400


def test_finish_with_an_id_not_on_the_missing_list_changes_nothing(signed_in, shop) -> None:
    lost = stored(shop.point, shop.a1)
    count = inventory_start(actor=shop.manager, point=shop.point)
    client = signed_in(shop.manager)

    response = post(
        client, f"/api/v1/inventories/{count.pk}/finish", {"confirmed_missing_ids": [lost.pk, 999999]}
    )

    assert response.status_code == 422 and response.json()["error"]["details"] == {"shipment_ids": [999999]}
    assert fresh(lost).status == Status.STORED
    assert client.get(f"/api/v1/inventories/{count.pk}").json()["status"] == "open"
    cancelled = post(client, f"/api/v1/inventories/{count.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    listed = client.get(f"/api/v1/points/{shop.point.pk}/inventories").json()
    assert [row["id"] for row in listed] == [count.pk]


def test_a_parcel_scan_costs_a_fixed_number_of_queries(signed_in, shop) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    parcels = [stored(shop.point, shop.a1) for _ in range(2)]
    count = inventory_start(actor=shop.manager, point=shop.point)
    client = signed_in(shop.operator)
    base = f"/api/v1/inventories/{count.pk}"
    post(client, f"{base}/cell-scans", scan_body("A-01-1"))
    post(client, f"{base}/parcel-scans", scan_body(parcels[0].barcode))

    with CaptureQueriesContext(connection) as captured:
        response = post(client, f"{base}/parcel-scans", scan_body(parcels[1].barcode))

    assert response.status_code == 200 and response.json()["outcome"] == "FOUND"
    assert response.json()["progress"]["parcels_found"] == 2
    # On PostgreSQL: the session with its user (one query), the idempotency claim, the scan as one function
    # call (access, the count's lock, the current cell, the parcel, the scan row, the progress), the
    # idempotency answer, and the test transaction's savepoint and its release. SQLite runs the Python path
    # (the access check, the replay check, the count's lock, the current cell, the parcel, the repeat check,
    # the scan row, the progress: 17).
    expected = 6 if connection.vendor == "postgresql" else 17
    assert len(captured) == expected, "\n".join(query["sql"][:120] for query in captured)
