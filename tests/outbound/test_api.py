"""The return-carriage API: permissions, the whole flow, idempotent replay and the hand-over answers."""

from __future__ import annotations

import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.outbound.models import Dispatch
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


def post(client, url: str, body: dict | None = None, key: str | None = None):
    return client.post(
        url,
        body or {},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def test_the_whole_flow_through_the_api(yard, signed_in) -> None:
    client = signed_in(yard.operator)
    parcels = [yard.waiting(), yard.waiting()]

    created = post(
        client, f"/api/v1/points/{yard.point.pk}/return-carriages", {"partner_id": yard.partner.pk}
    )
    assert created.status_code == 201, created.json()
    carriage = created.json()
    assert "courier_code" not in carriage and carriage["eligible"] == 2 and carriage["in_totes"] == 0
    base = f"/api/v1/return-carriages/{carriage['id']}"
    tote = post(client, f"{base}/totes", {"code": "%101%55500000001"}).json()["tote"]
    for parcel in parcels:
        answer = post(client, f"{base}/totes/{tote['id']}/parcels", {"code": parcel.barcode})
        assert answer.status_code == 200, answer.json()
    assert answer.json()["in_totes"] == 2
    sealed = post(client, f"{base}/totes/{tote['id']}/seal", {"seal_number": "PL1234"}).json()
    assert (sealed["sealed"], len(sealed["parcels"])) == (True, 2)
    code = Dispatch.objects.get(carriage_id=carriage["id"]).courier_code

    act = post(client, f"{base}/handover/code", {"code": code})

    assert act.status_code == 200, act.json()
    assert act.json()["counts"] == {"parcels": 2, "totes": 1, "empty_totes": 0}
    assert client.get(f"{base}/act").json() == act.json()
    assert set(Shipment.objects.values_list("status", flat=True)) == {Status.DISPATCHED}


def test_a_replayed_scan_returns_the_first_answer_and_adds_nothing(yard, signed_in) -> None:
    client = signed_in(yard.operator)
    carriage = yard.carriage()
    base = f"/api/v1/return-carriages/{carriage.pk}"
    tote = post(client, f"{base}/totes", {"code": "%101%55500000001"}).json()["tote"]
    parcel = yard.waiting()
    key = str(uuid.uuid4())

    first = post(client, f"{base}/totes/{tote['id']}/parcels", {"code": parcel.barcode}, key)
    replay = post(client, f"{base}/totes/{tote['id']}/parcels", {"code": parcel.barcode}, key)

    assert first.json() == replay.json() and first.json()["created"] is True
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_a_wrong_code_is_answered_and_its_try_stays_counted(yard, signed_in) -> None:
    client = signed_in(yard.operator)
    carriage = yard.carriage()
    base = f"/api/v1/return-carriages/{carriage.pk}"
    post(client, f"{base}/empty-totes", {"code": yard.empty_tote("%101%10000000001").barcode})
    dispatch = Dispatch.objects.get(carriage=carriage)
    wrong = f"{(int(dispatch.courier_code) + 1) % 1_000_000:06d}"

    answer = post(client, f"{base}/handover/code", {"code": wrong})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "CODE_INVALID"
    assert answer.json()["error"]["details"] == {"attempts_left": 4}
    dispatch.refresh_from_db()
    assert dispatch.code_attempts == 1


def test_a_wrong_partner_scan_is_409_with_its_code(yard, signed_in) -> None:
    from tests.factories import PartnerFactory

    client = signed_in(yard.operator)
    carriage = yard.carriage()
    base = f"/api/v1/return-carriages/{carriage.pk}"
    tote = post(client, f"{base}/totes", {"code": "%101%55500000001"}).json()["tote"]

    answer = post(
        client, f"{base}/totes/{tote['id']}/parcels", {"code": yard.waiting(PartnerFactory()).barcode}
    )

    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "WRONG_PARTNER")


def test_anonymous_is_401(yard, client) -> None:
    carriage = yard.carriage()
    assert client.get(f"/api/v1/return-carriages/{carriage.pk}").status_code == 401
    assert (
        post(client, f"/api/v1/return-carriages/{carriage.pk}/totes", {"code": "%101%1234567"}).status_code
        == 401
    )


def test_another_points_carriage_is_404(yard, signed_in) -> None:
    carriage = yard.carriage()
    client = signed_in(operator_at(PickupPointFactory()))

    assert client.get(f"/api/v1/return-carriages/{carriage.pk}").status_code == 404
    scan = post(client, f"/api/v1/return-carriages/{carriage.pk}/totes", {"code": "%101%55500000001"})
    assert scan.status_code == 404
    listing = client.get(f"/api/v1/points/{yard.point.pk}/return-carriages")
    assert listing.status_code == 404


def test_a_role_without_operate_is_403(yard, signed_in) -> None:
    carriage = yard.carriage()
    client = signed_in(operator_at(yard.point, role=Role.SUPPORT))

    assert client.get(f"/api/v1/return-carriages/{carriage.pk}").status_code == 403
    created = post(
        client, f"/api/v1/points/{yard.point.pk}/return-carriages", {"partner_id": yard.partner.pk}
    )
    assert created.status_code == 403
    assert not ShipmentEvent.objects.exists()
