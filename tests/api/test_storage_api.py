"""Storage API: extension, the expiry lists, the scan-out to the return zone, and search."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.network.models import Cell, CellKind
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition, shipments_expire_overdue
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

ONE_MICROSECOND = dt.timedelta(microseconds=1)


@pytest.fixture
def point():
    return PickupPointFactory(timezone="Asia/Yekaterinburg")


@pytest.fixture
def operator(point):
    return operator_at(point)


@pytest.fixture
def api(signed_in, operator) -> Client:
    return signed_in(operator)


def stored(point, address: str = "A-01-1", **extra) -> Shipment:
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED, **extra)
    cell = Cell.objects.filter(point=point, address=address).first() or CellFactory(
        point=point, address=address
    )
    shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
    return Shipment.objects.get(pk=shipment.pk)


def post(client: Client, url: str, body: dict[str, object], key: str | None = None):
    return client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def extend_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/extend-storage"


def scan_url(point) -> str:
    return f"/api/v1/points/{point.pk}/return-zone/scans"


def error_code(response) -> str:
    return response.json()["error"]["code"]


# --- Extension


def test_extension_answers_both_deadlines_in_the_points_timezone(clock, api, point) -> None:
    # 27.11 10:00 MSK = 12:00 in Yekaterinburg; 7 days: 04.12 23:59:59.999999 +05:00.
    shipment = stored(point)

    response = post(api, extend_url(shipment), {"days": 7})

    assert response.status_code == 200
    body = response.json()
    assert body["days"] == 7
    assert body["previous_deadline"] == "2026-12-04T23:59:59.999+05:00"
    assert body["storage_deadline"] == "2026-12-11T23:59:59.999+05:00"
    assert body["extended_at"] == "2026-11-27T12:00:00+05:00"
    assert ShipmentEvent.objects.filter(shipment=shipment, kind=EventKind.EXTENSION).count() == 1


@pytest.mark.parametrize("days", [0, 8])
def test_extension_by_0_or_8_days_is_422(clock, api, point, days) -> None:
    shipment = stored(point)

    response = post(api, extend_url(shipment), {"days": days})

    assert (response.status_code, error_code(response)) == (422, "VALIDATION_FAILED")
    assert response.json()["error"]["details"]["field"] == "days"


def test_a_second_extension_is_409_already_extended(clock, api, point) -> None:
    shipment = stored(point)
    assert post(api, extend_url(shipment), {"days": 1}).status_code == 200

    response = post(api, extend_url(shipment), {"days": 1})

    assert (response.status_code, error_code(response)) == (409, "ALREADY_EXTENDED")


def test_extension_replay_returns_the_first_answer_and_a_changed_body_is_a_mismatch(
    clock, api, point
) -> None:
    shipment = stored(point)
    first = post(api, extend_url(shipment), {"days": 2}, key="k-1")

    replay = post(api, extend_url(shipment), {"days": 2}, key="k-1")
    changed = post(api, extend_url(shipment), {"days": 3}, key="k-1")

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (changed.status_code, error_code(changed)) == (422, "IDEMPOTENCY_MISMATCH")
    assert ShipmentEvent.objects.filter(shipment=shipment, kind=EventKind.EXTENSION).count() == 1


def test_extension_without_a_key_is_400(clock, api, point) -> None:
    shipment = stored(point)

    response = api.post(extend_url(shipment), {"days": 1}, content_type="application/json")

    assert (response.status_code, error_code(response)) == (400, "VALIDATION_FAILED")


def test_extension_of_another_points_parcel_is_404_and_without_operate_403(clock, signed_in, point) -> None:
    foreign = stored(PickupPointFactory())
    own = stored(point)

    assert post(signed_in(operator_at(point)), extend_url(foreign), {"days": 1}).status_code == 404
    support = post(signed_in(operator_at(point, Role.SUPPORT)), extend_url(own), {"days": 1})
    assert (support.status_code, error_code(support)) == (403, "PERMISSION_DENIED")
    assert Shipment.objects.get(pk=own.pk).storage_extended_at is None


def test_anonymous_callers_get_401(client: Client, point) -> None:
    shipment = ShipmentFactory(point=point)

    assert post(client, extend_url(shipment), {"days": 1}).status_code == 401
    assert post(client, scan_url(point), {"code": shipment.barcode}).status_code == 401
    assert client.get(f"/api/v1/points/{point.pk}/expiring-today").status_code == 401
    assert client.get(f"/api/v1/points/{point.pk}/expired").status_code == 401
    assert client.get("/api/v1/shipments/search", {"q": shipment.barcode}).status_code == 401


# --- Expiry lists and the return zone


def test_expiring_today_lists_by_cell_with_a_masked_phone(clock, api, point) -> None:
    customer = CustomerFactory(phone="+79161234567", name="Иван")
    order = OrderFactory(customer=customer)
    later = stored(point, "B-01-1", order=order, partner=order.partner)
    earlier = stored(point, "A-01-1")
    clock.set(dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))))

    body = api.get(f"/api/v1/points/{point.pk}/expiring-today").json()

    assert [item["id"] for item in body] == [earlier.pk, later.pk]
    assert body[1]["customer_phone"] == "+7 916 ***-**-67"
    assert body[1]["cell"] == "B-01-1"
    assert body[1]["storage_deadline"] == "2026-12-04T23:59:59.999+05:00"


def test_lists_of_another_point_are_404_and_without_operate_403(api, signed_in, point) -> None:
    other = PickupPointFactory()

    assert api.get(f"/api/v1/points/{other.pk}/expired").status_code == 404
    assert api.get(f"/api/v1/points/{other.pk}/expiring-today").status_code == 404
    support = signed_in(operator_at(point, Role.SUPPORT))
    assert support.get(f"/api/v1/points/{point.pk}/expired").status_code == 403


@pytest.fixture
def expired(clock, point) -> Shipment:
    shipment = stored(point, "A-03-2", barcode="ii11807135000")
    assert shipment.storage_deadline is not None
    clock.set(shipment.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()
    return shipment


def test_the_scan_moves_an_expired_parcel_to_the_return_zone(api, point, expired) -> None:
    assert [item["id"] for item in api.get(f"/api/v1/points/{point.pk}/expired").json()] == [expired.pk]

    response = post(api, scan_url(point), {"code": "шш11807135000"})

    assert response.status_code == 200
    assert response.json() == {
        "outcome": "moved",
        "shipment_id": expired.pk,
        "posting_number": expired.posting_number,
        "status": {"code": "AWAITING_DISPATCH", "label": "Ожидает отправки"},
        "cell": "RETURNS",
        "from_cell": "A-03-2",
    }
    after = Shipment.objects.get(pk=expired.pk)
    assert (after.status, after.cell.kind) == (Status.AWAITING_DISPATCH, CellKind.RETURN_ZONE)
    assert api.get(f"/api/v1/points/{point.pk}/expired").json() == []


def test_a_second_scan_answers_already_and_a_replay_the_first_answer(api, point, expired) -> None:
    first = post(api, scan_url(point), {"code": "ii11807135000"}, key="s-1")

    replay = post(api, scan_url(point), {"code": "ii11807135000"}, key="s-1")
    second = post(api, scan_url(point), {"code": "ii11807135000"}, key="s-2")
    mismatch = post(api, scan_url(point), {"code": "other"}, key="s-1")

    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert second.status_code == 200
    assert second.json()["outcome"] == "already"
    assert second.json()["cell"] == "RETURNS"
    assert (mismatch.status_code, error_code(mismatch)) == (422, "IDEMPOTENCY_MISMATCH")
    assert expired.events.filter(to_status=Status.AWAITING_DISPATCH).count() == 1


def test_a_stored_parcel_within_its_deadline_is_409_storage_not_expired(clock, api, point) -> None:
    shipment = stored(point, barcode="ii11807135001")
    assert shipment.storage_deadline is not None
    clock.set(shipment.storage_deadline)

    response = post(api, scan_url(point), {"code": "ii11807135001"})

    assert (response.status_code, error_code(response)) == (409, "STORAGE_NOT_EXPIRED")
    assert Shipment.objects.get(pk=shipment.pk).status == Status.STORED


def test_scanning_at_another_point_or_its_parcel_is_404(clock, api, operator, point) -> None:
    other = PickupPointFactory()
    foreign = stored(other, barcode="ii11807135002")
    assert foreign.storage_deadline is not None
    clock.set(foreign.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()

    assert post(api, scan_url(other), {"code": "ii11807135002"}).status_code == 404
    Membership.objects.create(user=operator, point=other, role=Role.OPERATOR)
    response = post(api, scan_url(point), {"code": "ii11807135002"})
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    assert Shipment.objects.get(pk=foreign.pk).status == Status.EXPIRED


# --- Search


def test_search_by_phone_in_any_format(api, point) -> None:
    customer = CustomerFactory(phone="+79161234567")
    order = OrderFactory(customer=customer)
    shipment = ShipmentFactory(point=point, order=order, partner=order.partner)

    body = api.get("/api/v1/shipments/search", {"q": "8 (916) 123-45-67"}).json()

    assert body["phone"] == "+79161234567"
    assert [hit["id"] for hit in body["results"]] == [shipment.pk]
    assert body["results"][0]["matched_by"] == ["phone"]
    assert body["results"][0]["customer_phone"] == "+7 916 ***-**-67"
    assert body["results"][0]["status"] == {"code": "EXPECTED", "label": "Ожидается"}


def test_managers_see_the_full_phone(signed_in, point) -> None:
    customer = CustomerFactory(phone="+79161234567")
    order = OrderFactory(customer=customer, number="31313131")
    ShipmentFactory(point=point, order=order, partner=order.partner)

    body = (
        signed_in(operator_at(point, Role.MANAGER)).get("/api/v1/shipments/search", {"q": "31313131"}).json()
    )

    assert body["results"][0]["customer_phone"] == "+79161234567"


def test_search_is_scoped_to_the_callers_points(api, point) -> None:
    other = PickupPointFactory()
    ShipmentFactory(point=other, barcode="ii11807135009")

    assert api.get("/api/v1/shipments/search", {"q": "ii11807135009"}).json()["results"] == []
    response = api.get("/api/v1/shipments/search", {"q": "ii11807135009", "point": other.pk})
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")


def test_a_malformed_query_is_422_and_a_cell_lists_its_contents(clock, api, point) -> None:
    shipment = stored(point, "A-03-2")

    short = api.get("/api/v1/shipments/search", {"q": "ab"})
    phone = api.get("/api/v1/shipments/search", {"q": "+7 916"})
    cell = api.get("/api/v1/shipments/search", {"q": "ф-03-2", "point": point.pk}).json()

    assert (short.status_code, error_code(short)) == (422, "VALIDATION_FAILED")
    assert (phone.status_code, error_code(phone)) == (422, "VALIDATION_FAILED")
    assert cell["cells"] == ["A-03-2"]
    assert [hit["id"] for hit in cell["results"]] == [shipment.pk]
    assert cell["results"][0]["cell"] == "A-03-2"
    assert cell["results"][0]["storage_deadline"] == "2026-12-04T23:59:59.999+05:00"
