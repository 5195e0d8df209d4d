"""Returns API: scoped to the caller's points, *operate* everywhere, Idempotency-Key on every write."""

from __future__ import annotations

import re
import uuid
import zlib

import pytest

from pvz.accounts.roles import Role
from pvz.returns.models import CustomerReturn
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, operator_at
from tests.returns.conftest import png

pytestmark = pytest.mark.django_db

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def inflated(pdf: bytes) -> bytes:
    parts = [pdf]
    for raw in _STREAM.findall(pdf):
        try:
            parts.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return b"\n".join(parts)


def key() -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}


def open_visit(client, desk) -> dict:
    response = client.post(
        f"/api/v1/returns/points/{desk.point.pk}/visits",
        {"code": pickup_code_for(desk.customer)},
        content_type="application/json",
        **key(),
    )
    assert response.status_code == 201, response.content
    return response.json()


def create(client, visit_id: int, shipment, reason_id: int, headers: dict[str, str], photos=()):
    data = {"code": shipment.posting_number, "reason_id": reason_id, "condition": "new", "note": ""}
    if photos:
        data["photos"] = list(photos)
    return client.post(f"/api/v1/returns/visits/{visit_id}/returns", data, **headers)


def test_a_return_through_the_api_with_a_photo_and_its_label(signed_in, desk):
    shipment = desk.issued()
    client = signed_in(desk.operator)
    visit = open_visit(client, desk)
    assert visit["verification"] == "pickup_code"
    assert [p["posting_number"] for p in visit["parcels"]] == [shipment.posting_number]
    assert visit["parcels"][0]["is_open"] is True
    assert visit["parcels"][0]["returnable_until"] == "2026-12-04T10:00:00+03:00"

    response = create(client, visit["id"], shipment, desk.reason().pk, key(), photos=[png()])

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.AWAITING_DISPATCH
    assert body["reason"]["code"] == "wrong_size"
    assert [p["content_type"] for p in body["photos"]] == ["image/png"]
    label = client.get(body["label_url"])
    assert label.status_code == 200
    assert label["Content-Type"] == "application/pdf"
    pdf = label.content
    assert pdf.startswith(b"%PDF")
    text = inflated(pdf)
    assert f"({body['number']})".encode() in text
    assert f"({shipment.posting_number})".encode() in text
    assert client.get(f"/api/v1/returns/{body['id']}").json() == body


def test_a_replayed_request_returns_the_first_answer(signed_in, desk):
    shipment = desk.issued()
    client = signed_in(desk.operator)
    visit = open_visit(client, desk)
    headers = key()

    first = create(client, visit["id"], shipment, desk.reason().pk, headers)
    again = create(client, visit["id"], shipment, desk.reason().pk, headers)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CustomerReturn.objects.count() == 1


def test_a_closed_window_is_409(signed_in, desk, clock):
    shipment = desk.issued()
    clock.advance(days=7, seconds=1)
    client = signed_in(desk.operator)
    visit = open_visit(client, desk)
    assert visit["parcels"][0]["is_open"] is False

    response = create(client, visit["id"], shipment, desk.reason().pk, key())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "RETURN_WINDOW_CLOSED"


def test_anonymous_is_401(client, desk):
    response = client.get(f"/api/v1/returns/points/{desk.point.pk}/reasons")
    assert response.status_code == 401


def test_another_points_visit_and_return_are_404(signed_in, desk):
    shipment = desk.issued()
    own = signed_in(desk.operator)
    visit = open_visit(own, desk)
    created = create(own, visit["id"], shipment, desk.reason().pk, key()).json()
    stranger = signed_in(operator_at(PickupPointFactory()))

    assert stranger.get(f"/api/v1/returns/visits/{visit['id']}").status_code == 404
    assert stranger.get(f"/api/v1/returns/{created['id']}").status_code == 404
    assert stranger.get(f"/api/v1/returns/{created['id']}/label.pdf").status_code == 404
    assert stranger.get(f"/api/v1/returns/points/{desk.point.pk}/reasons").status_code == 404


def test_a_role_without_operate_is_403(signed_in, desk):
    support = signed_in(operator_at(desk.point, role=Role.SUPPORT))
    response = support.post(
        f"/api/v1/returns/points/{desk.point.pk}/visits",
        {"code": pickup_code_for(desk.customer)},
        content_type="application/json",
        **key(),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
