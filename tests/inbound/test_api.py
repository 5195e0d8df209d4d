"""Inbound API: scoped to the caller's points, *operate* for writes, Idempotency-Key on every write."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.accounts.roles import Role
from pvz.inbound.models import AcceptanceScan
from pvz.inbound.services import acceptance_open
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, operator_at
from tests.fakes.photos import JPEG

pytestmark = pytest.mark.django_db


def post(client, url, body=None, key=None):
    return client.post(
        url,
        body or {},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def test_anonymous_caller_gets_401(client, delivery) -> None:
    assert client.get(f"/api/v1/points/{delivery.point.pk}/carriages").status_code == 401
    assert post(client, f"/api/v1/carriages/{delivery.carriage.pk}/acceptance").status_code == 401


def test_another_points_carriage_and_acceptance_are_404(signed_in, delivery, acceptance) -> None:
    stranger = signed_in(operator_at(PickupPointFactory()))

    assert stranger.get(f"/api/v1/points/{delivery.point.pk}/carriages").status_code == 404
    assert post(stranger, f"/api/v1/carriages/{delivery.carriage.pk}/arrival").status_code == 404
    response = post(
        stranger, f"/api/v1/acceptances/{acceptance.pk}/scans", {"code": "x", "scan_id": str(uuid.uuid4())}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_writes_need_the_operate_permission(signed_in, delivery, acceptance) -> None:
    support = signed_in(operator_at(delivery.point, role=Role.SUPPORT))

    assert support.get(f"/api/v1/points/{delivery.point.pk}/carriages").status_code == 200
    response = post(support, f"/api/v1/acceptances/{acceptance.pk}/close")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_happy_path_open_scan_undo_damage_close_act(signed_in, delivery, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(delivery.operator)
    parcels = delivery.shipments()

    planned = client.get(f"/api/v1/points/{delivery.point.pk}/carriages").json()
    assert [row["carriage"]["id"] for row in planned] == [delivery.carriage.pk]
    assert planned[0]["expected_shipments"] == 6

    arrival = post(
        client,
        f"/api/v1/carriages/{delivery.carriage.pk}/arrival",
        {"driver_name": "Пётр", "vehicle_plate": "a123bc77", "seal_numbers": ["1234"]},
    )
    assert arrival.status_code == 200 and arrival.json()["vehicle_plate"] == "А123ВС77"

    opened = post(client, f"/api/v1/carriages/{delivery.carriage.pk}/acceptance")
    assert opened.status_code == 200
    acceptance_id = opened.json()["id"]
    assert opened.json()["progress"]["expected"] == 6

    scans = f"/api/v1/acceptances/{acceptance_id}/scans"
    for parcel in parcels[:3]:
        body = post(
            client, scans, {"code": parcel.barcode, "scan_id": str(uuid.uuid4()), "auto_place": True}
        ).json()
        assert body["outcome"] == "ACCEPTED" and body["placed"] is True and body["cell"]
    unknown = post(client, scans, {"code": "nope", "scan_id": str(uuid.uuid4())}).json()
    assert unknown["outcome"] == "UNKNOWN" and "nope" in unknown["message"]

    undone = post(client, f"/api/v1/acceptances/{acceptance_id}/undo")
    assert undone.status_code == 200 and undone.json()["undone_outcome"] == "UNKNOWN"

    damaged = client.post(
        f"/api/v1/acceptances/{acceptance_id}/damaged",
        {
            "shipment_id": parcels[0].pk,
            "note": "Порван пакет",
            "photo": SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg"),
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert damaged.status_code == 200, damaged.json()
    assert damaged.json()["shipment"]["status"] == "DAMAGED" and damaged.json()["has_photo"] is True

    closed = post(client, f"/api/v1/acceptances/{acceptance_id}/close")
    assert closed.status_code == 200
    act = closed.json()
    assert act["counts"] == {
        "expected": 6,
        "accepted": 3,
        "shortage": 3,
        "surplus": 0,
        "damaged": 1,
        "other_point": 0,
        "surplus_without_data": 0,
    }
    assert client.get(f"/api/v1/acceptances/{acceptance_id}/act").json() == act

    late = post(client, scans, {"code": parcels[4].barcode, "scan_id": str(uuid.uuid4())})
    assert late.status_code == 409 and late.json()["error"]["code"] == "ACCEPTANCE_CLOSED"


def test_scan_with_a_replayed_idempotency_key_returns_the_first_answer(
    signed_in, delivery, acceptance
) -> None:
    client = signed_in(delivery.operator)
    parcel = delivery.shipments()[0]
    url = f"/api/v1/acceptances/{acceptance.pk}/scans"
    body = {"code": parcel.barcode, "scan_id": str(uuid.uuid4())}

    first = post(client, url, body, key="k-1")
    again = post(client, url, body, key="k-1")
    mismatch = post(client, url, {**body, "code": delivery.shipments()[1].barcode}, key="k-1")

    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert AcceptanceScan.objects.count() == 1
    assert Shipment.objects.get(pk=delivery.shipments()[1].pk).status == Status.EXPECTED


def test_same_scan_id_under_a_new_key_is_answered_by_the_service_replay(
    signed_in, delivery, acceptance
) -> None:
    client = signed_in(delivery.operator)
    url = f"/api/v1/acceptances/{acceptance.pk}/scans"
    body = {"code": delivery.shipments()[0].barcode, "scan_id": str(uuid.uuid4())}

    first = post(client, url, body)
    again = post(client, url, body)

    assert again.json()["replayed"] is True and first.json()["replayed"] is False
    assert AcceptanceScan.objects.count() == 1


def test_write_without_idempotency_key_is_400(signed_in, delivery) -> None:
    client = signed_in(delivery.operator)
    response = client.post(
        f"/api/v1/carriages/{delivery.carriage.pk}/acceptance", content_type="application/json"
    )
    assert response.status_code == 400


def test_eta_patch_and_carriage_lookup(signed_in, delivery, clock) -> None:
    client = signed_in(delivery.operator)
    eta = "2026-11-27T10:20:00+03:00"

    response = client.patch(
        f"/api/v1/carriages/{delivery.carriage.pk}/eta",
        {"eta": eta},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert response.status_code == 200 and response.json()["eta"] == eta
    number = delivery.carriage.number.lower().replace("car", "сфк")
    found = client.get(f"/api/v1/points/{delivery.point.pk}/carriages/lookup", {"code": number})
    assert found.json()["id"] == delivery.carriage.pk


def test_tote_balance_and_acceptance_read(signed_in, delivery) -> None:
    client = signed_in(delivery.operator)
    acceptance = acceptance_open(actor=delivery.operator, carriage=delivery.carriage)

    balance = client.get(f"/api/v1/points/{delivery.point.pk}/totes/balance").json()
    assert balance == {"in_transit": 2, "full": 0, "empty": 0, "returns": 0, "sent_back": 0}
    assert client.get(f"/api/v1/acceptances/{acceptance.pk}").json()["status"] == "open"


def test_one_parcel_scan_with_auto_placement_costs_a_fixed_number_of_queries(signed_in, delivery) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(delivery.operator)
    acceptance_id = post(client, f"/api/v1/carriages/{delivery.carriage.pk}/acceptance").json()["id"]
    first, second = delivery.in_tote()[:2]
    scans = f"/api/v1/acceptances/{acceptance_id}/scans"
    post(client, scans, {"code": first.barcode, "scan_id": str(uuid.uuid4()), "auto_place": True})

    with CaptureQueriesContext(connection) as captured:
        response = post(
            client, scans, {"code": second.barcode, "scan_id": str(uuid.uuid4()), "auto_place": True}
        )

    assert response.status_code == 200 and response.json()["placed"] is True
    # 61 before the performance work of issue 3, 39 before issue 13. Now, on PostgreSQL: the session with
    # its user, platform roles and suspension (one query); the idempotency claim; the scan as one
    # function call (access, acceptance, parcel, manifest line, both transitions with their events and
    # webhook rows, the cell, the scan row, the tote, the progress); the "ready" SMS with its job (one
    # statement); the idempotency answer; and the test transaction's savepoint and its release. SQLite runs
    # the Python path.
    expected = 7 if connection.vendor == "postgresql" else 31
    assert len(captured) == expected, "\n".join(query["sql"][:120] for query in captured)


def test_the_scan_answer_says_whether_the_parcel_is_fragile(signed_in, delivery) -> None:
    client = signed_in(delivery.operator)
    fragile, plain = delivery.shipments()[:2]
    Shipment.objects.filter(pk=fragile.pk).update(fragile=True)
    acceptance_id = post(client, f"/api/v1/carriages/{delivery.carriage.pk}/acceptance").json()["id"]
    scans = f"/api/v1/acceptances/{acceptance_id}/scans"

    answers = [
        post(client, scans, {"code": parcel.barcode, "scan_id": str(uuid.uuid4())}).json()
        for parcel in (fragile, plain)
    ]

    assert [answer["shipment"]["fragile"] for answer in answers] == [True, False]


def test_the_scan_answer_built_without_validation_is_what_validation_gives(delivery, acceptance) -> None:
    from ninja.renderers import JSONRenderer

    from pvz.api.inbound.acceptances import ScanOutcomeOut, _scan_out
    from pvz.inbound.services import acceptance_scan

    tote = delivery.lines()[0].tote
    codes = [tote.barcode, delivery.in_tote()[0].barcode, delivery.in_tote()[0].barcode, "ii99999999999"]
    render = JSONRenderer().render
    for code in codes:
        outcome = acceptance_scan(
            actor=delivery.operator, acceptance=acceptance, code=code, scan_id=uuid.uuid4(), auto_place=True
        )
        built = _scan_out(outcome)
        validated = ScanOutcomeOut.model_validate(built.model_dump())
        assert render(None, validated.model_dump(), response_status=200) == render(
            None, built.model_dump(), response_status=200
        ), code
