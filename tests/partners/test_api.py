"""The partner API: authenticated by partner key only, scoped to the key's partner."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from pvz.inbound.models import CarriageStatus
from pvz.partners.models import CarriageTrackingPoint
from pvz.partners.services import key_create, key_revoke, key_rotate
from pvz.shipments.models import ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CarriageFactory, PickupPointFactory, operator_at
from tests.partners.conftest import PartnerWorld

pytestmark = pytest.mark.django_db

BASE = "/api/v1/partner"


def _post(client: Client, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def _patch(client: Client, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.patch(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# ---- authentication -------------------------------------------------------------------------------------


def test_without_a_key_it_is_401_with_the_error_body(ours: PartnerWorld) -> None:
    response = Client().get(f"{BASE}/shipments/{ours.stored.barcode}")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "NOT_AUTHENTICATED",
            "message": "Войдите в систему, чтобы продолжить.",
            "details": {},
            "request_id": response["X-Request-ID"],
        }
    }


def test_a_wrong_key_is_401(ours: PartnerWorld) -> None:
    client = Client(headers={"Authorization": f"Bearer {ours.key[:-2]}xx"})

    assert _error(client.get(f"{BASE}/shipments/{ours.stored.barcode}")) == (401, "NOT_AUTHENTICATED")


def test_the_key_may_come_in_x_api_key(ours: PartnerWorld) -> None:
    client = Client(headers={"X-Api-Key": ours.key})

    assert client.get(f"{BASE}/shipments/{ours.stored.barcode}").status_code == 200


def test_a_revoked_key_is_401(ours: PartnerWorld) -> None:
    key_revoke(actor=None, key=ours.partner.api_keys.get())

    assert _error(ours.client().get(f"{BASE}/carriages")) == (401, "NOT_AUTHENTICATED")


def test_a_rotated_key_works_until_the_overlap_ends_to_the_second(
    ours: PartnerWorld, clock: FrozenClock
) -> None:
    start = clock.now()
    new = key_rotate(actor=None, key=ours.partner.api_keys.get())
    new_client = Client(headers={"Authorization": f"Bearer {new.plaintext}"})

    clock.set(start + dt.timedelta(days=7, seconds=-1))
    assert ours.client().get(f"{BASE}/carriages").status_code == 200
    clock.set(start + dt.timedelta(days=7))
    assert _error(ours.client().get(f"{BASE}/carriages")) == (401, "NOT_AUTHENTICATED")
    assert new_client.get(f"{BASE}/carriages").status_code == 200


def test_a_users_session_counts_for_nothing(ours: PartnerWorld) -> None:
    client = Client()
    client.force_login(operator_at(ours.point), backend="pvz.accounts.backends.PhoneCodeBackend")

    assert _error(client.get(f"{BASE}/shipments/{ours.stored.barcode}")) == (401, "NOT_AUTHENTICATED")


def test_a_partner_key_opens_no_staff_endpoint(ours: PartnerWorld) -> None:
    assert _error(ours.client().get("/api/v1/me")) == (401, "NOT_AUTHENTICATED")


# ---- shipment status and history ------------------------------------------------------------------------


def test_shipment_status_and_history_without_personal_data(ours: PartnerWorld) -> None:
    response = ours.client().get(f"{BASE}/shipments/{ours.stored.barcode.upper()}")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "barcode": ours.stored.barcode,
        "posting_number": ours.stored.posting_number,
        "status": {"code": "STORED", "label": "На хранении"},
        "point_code": ours.point.code,
        "storage_deadline": "2026-12-04T23:59:59.999+03:00",
        "events": [
            {
                "kind": "transition",
                "from_status": "ACCEPTED",
                "to_status": "STORED",
                "at": "2026-11-27T10:00:00+03:00",
                "reason": ShipmentEvent.objects.get(shipment=ours.stored).reason,
            }
        ],
    }
    text = response.content.decode()
    assert ours.stored.order.customer.phone not in text


def test_another_partners_shipment_is_404(ours: PartnerWorld, theirs: PartnerWorld) -> None:
    response = ours.client().get(f"{BASE}/shipments/{theirs.stored.barcode}")

    assert _error(response) == (404, "NOT_FOUND")
    assert _error(ours.client().get(f"{BASE}/shipments/nosuchbarcode")) == (404, "NOT_FOUND")


# ---- cancel ---------------------------------------------------------------------------------------------


def test_cancel_moves_a_stored_shipment_to_cancelled_with_the_reason(ours: PartnerWorld) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/cancel", {"reason": "Отказ"})

    assert response.status_code == 200
    assert response.json() == {
        "barcode": ours.stored.barcode,
        "status": {"code": "CANCELLED", "label": str(Status.CANCELLED.label)},
        "cancelled_at": "2026-11-27T10:00:00+03:00",
        "already": False,
    }
    event = ShipmentEvent.objects.get(shipment=ours.stored, to_status=Status.CANCELLED)
    assert (event.actor, event.details["cancel_reason"]) == (None, "Отказ")
    assert AuditRecord.objects.get(action="shipment.cancelled").actor is None


def test_cancel_again_is_harmless_and_a_replay_repeats_the_first_answer(ours: PartnerWorld) -> None:
    path = f"{BASE}/shipments/{ours.stored.barcode}/cancel"
    first = _post(ours.client(), path, {"reason": "Отказ"}, key="k-1")

    replay = _post(ours.client(), path, {"reason": "Отказ"}, key="k-1")
    again = _post(ours.client(), path, {"reason": "Отказ"}, key="k-2")

    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    assert again.json()["already"] is True
    assert ShipmentEvent.objects.filter(shipment=ours.stored, to_status=Status.CANCELLED).count() == 1


def test_a_replay_with_the_rotated_key_is_still_a_replay(ours: PartnerWorld) -> None:
    path = f"{BASE}/shipments/{ours.stored.barcode}/cancel"
    first = _post(ours.client(), path, {"reason": "Отказ"}, key="k-1")
    new = key_rotate(actor=None, key=ours.partner.api_keys.get())

    replay = _post(
        Client(headers={"Authorization": f"Bearer {new.plaintext}"}), path, {"reason": "Отказ"}, "k-1"
    )

    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content


def test_the_same_request_key_of_two_partners_does_not_collide(
    ours: PartnerWorld, theirs: PartnerWorld
) -> None:
    mine = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/cancel", {"reason": "a"}, key="same")
    other = _post(
        theirs.client(), f"{BASE}/shipments/{theirs.stored.barcode}/cancel", {"reason": "a"}, key="same"
    )

    assert (mine.status_code, other.status_code) == (200, 200)
    assert "Idempotent-Replayed" not in other


def test_cancel_without_an_idempotency_key_is_400(ours: PartnerWorld) -> None:
    response = ours.client().post(
        f"{BASE}/shipments/{ours.stored.barcode}/cancel",
        data=json.dumps({"reason": "a"}),
        content_type="application/json",
    )

    assert _error(response) == (400, "VALIDATION_FAILED")


def test_cancelling_another_partners_shipment_is_404_and_changes_nothing(
    ours: PartnerWorld, theirs: PartnerWorld
) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{theirs.stored.barcode}/cancel", {"reason": "a"})

    assert _error(response) == (404, "NOT_FOUND")
    theirs.stored.refresh_from_db()
    assert theirs.stored.status == Status.STORED


def test_cancel_without_a_reason_is_422(ours: PartnerWorld) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/cancel", {"reason": ""})

    assert _error(response) == (422, "VALIDATION_FAILED")


# ---- extend storage -------------------------------------------------------------------------------------


def test_extend_moves_the_deadline_by_whole_local_days(ours: PartnerWorld) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/extend", {"days": 3})

    assert response.status_code == 200
    assert response.json() == {
        "barcode": ours.stored.barcode,
        "days": 3,
        "previous_deadline": "2026-12-04T23:59:59.999+03:00",
        "storage_deadline": "2026-12-07T23:59:59.999+03:00",
    }
    ours.stored.refresh_from_db()
    assert ours.stored.storage_extended_by is None


def test_extend_twice_is_409_already_extended(ours: PartnerWorld) -> None:
    path = f"{BASE}/shipments/{ours.stored.barcode}/extend"
    _post(ours.client(), path, {"days": 1})

    assert _error(_post(ours.client(), path, {"days": 1})) == (409, "ALREADY_EXTENDED")


@pytest.mark.parametrize("days", [0, 8])
def test_extend_outside_1_to_7_days_is_422(ours: PartnerWorld, days: int) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/extend", {"days": days})

    assert _error(response) == (422, "VALIDATION_FAILED")


def test_extending_another_partners_shipment_is_404(ours: PartnerWorld, theirs: PartnerWorld) -> None:
    response = _post(ours.client(), f"{BASE}/shipments/{theirs.stored.barcode}/extend", {"days": 1})

    assert _error(response) == (404, "NOT_FOUND")


# ---- carriages ------------------------------------------------------------------------------------------


def test_update_sets_the_eta_and_records_tracking_points(ours: PartnerWorld) -> None:
    response = _patch(
        ours.client(),
        f"{BASE}/carriages/{ours.carriage.number.lower()}",
        {
            "eta": "2026-11-28T14:30:00+03:00",
            "tracking_points": [
                {"at": "2026-11-27T09:20:00+03:00", "text": "МКАД, 41 км"},
                {"at": "2026-11-27T09:00:00+03:00", "lat": "55.755800", "lon": "37.617300"},
            ],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == ours.carriage.number
    assert body["eta"] == "2026-11-28T14:30:00+03:00"
    assert body["tracking_points"] == [
        {"at": "2026-11-27T09:00:00+03:00", "lat": "55.755800", "lon": "37.617300", "text": ""},
        {"at": "2026-11-27T09:20:00+03:00", "lat": None, "lon": None, "text": "МКАД, 41 км"},
    ]
    record = AuditRecord.objects.get(action="carriage.partner_updated")
    assert record.actor is None
    assert record.details == {
        "partner": ours.partner.pk,
        "key": ours.partner.api_keys.get().prefix,
        "number": ours.carriage.number,
        "eta": "2026-11-28T11:30:00+00:00",
        "tracking_points": 2,
    }
    assert AuditRecord.objects.filter(action="carriage.eta_updated").count() == 1


def test_a_tracking_point_at_the_same_moment_replaces_the_earlier_one(ours: PartnerWorld) -> None:
    path = f"{BASE}/carriages/{ours.carriage.number}"
    _patch(ours.client(), path, {"tracking_points": [{"at": "2026-11-27T09:00:00+03:00", "text": "A"}]})

    _patch(ours.client(), path, {"tracking_points": [{"at": "2026-11-27T09:00:00+03:00", "text": "B"}]})

    assert list(CarriageTrackingPoint.objects.values_list("text", flat=True)) == ["B"]


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"at": "2026-11-27T09:00:00+03:00", "lat": "55.1"}, "tracking_points.0"),
        ({"at": "2026-11-27T09:00:00+03:00"}, "tracking_points.0"),
        ({"at": "2026-11-27T10:05:01+03:00", "text": "x"}, "tracking_points.0.at"),
    ],
    ids=["lat-without-lon", "neither-place-nor-text", "more-than-5-min-ahead"],
)
def test_a_bad_tracking_point_is_422_and_nothing_is_saved(
    ours: PartnerWorld, point: dict, field: str
) -> None:
    response = _patch(
        ours.client(),
        f"{BASE}/carriages/{ours.carriage.number}",
        {"eta": "2026-11-28T14:30:00+03:00", "tracking_points": [point]},
    )

    assert _error(response) == (422, "VALIDATION_FAILED")
    assert response.json()["error"]["details"] == {"field": field}
    assert CarriageTrackingPoint.objects.count() == 0
    ours.carriage.refresh_from_db()
    assert ours.carriage.eta != dt.datetime(2026, 11, 28, 11, 30, tzinfo=dt.UTC)


def test_a_tracking_point_5_minutes_ahead_is_accepted(ours: PartnerWorld) -> None:
    response = _patch(
        ours.client(),
        f"{BASE}/carriages/{ours.carriage.number}",
        {"tracking_points": [{"at": "2026-11-27T10:05:00+03:00", "text": "x"}]},
    )

    assert response.status_code == 200


def test_the_eta_of_an_arrived_carriage_is_409(ours: PartnerWorld) -> None:
    carriage = CarriageFactory(partner=ours.partner, point=ours.point, status=CarriageStatus.ARRIVED)

    response = _patch(
        ours.client(), f"{BASE}/carriages/{carriage.number}", {"eta": "2026-11-28T14:30:00+03:00"}
    )

    assert _error(response) == (409, "CONFLICT")


def test_updating_another_partners_carriage_is_404(ours: PartnerWorld, theirs: PartnerWorld) -> None:
    response = _patch(
        ours.client(), f"{BASE}/carriages/{theirs.carriage.number}", {"eta": "2026-11-28T14:30:00+03:00"}
    )

    assert _error(response) == (404, "NOT_FOUND")
    assert _error(ours.client().get(f"{BASE}/carriages/{theirs.carriage.number}")) == (404, "NOT_FOUND")


def test_the_carriage_list_pages_through_the_partners_own_only(
    ours: PartnerWorld, theirs: PartnerWorld
) -> None:
    more = [CarriageFactory(partner=ours.partner, point=ours.point) for _ in range(2)]
    numbers = [ours.carriage.number, *(carriage.number for carriage in more)]

    first = ours.client().get(f"{BASE}/carriages", {"limit": 2}).json()
    second = ours.client().get(f"{BASE}/carriages", {"limit": 2, "after": first["next_after"]}).json()

    assert [row["number"] for row in first["carriages"]] == numbers[:2]
    assert first["next_after"] == more[0].pk
    assert [row["number"] for row in second["carriages"]] == numbers[2:]
    assert second["next_after"] is None


def test_the_carriage_list_filters_by_status_and_updated_since(
    ours: PartnerWorld, clock: FrozenClock
) -> None:
    clock.advance(hours=1)
    planned = CarriageFactory(partner=ours.partner, point=ours.point, status=CarriageStatus.PLANNED)
    client = ours.client()

    by_status = client.get(f"{BASE}/carriages", {"status": "planned"}).json()
    since = client.get(f"{BASE}/carriages", {"updated_since": planned.updated_at.isoformat()}).json()

    assert [row["number"] for row in by_status["carriages"]] == [planned.number]
    assert [row["number"] for row in since["carriages"]] == [planned.number]
    assert _error(client.get(f"{BASE}/carriages", {"status": "bogus"})) == (422, "VALIDATION_FAILED")


def test_updated_since_without_an_offset_is_422(ours: PartnerWorld) -> None:
    response = ours.client().get(f"{BASE}/carriages", {"updated_since": "2026-11-27T10:00:00"})

    assert _error(response) == (422, "VALIDATION_FAILED")
    assert response.json()["error"]["details"] == {"field": "updated_since"}


# ---- limits ---------------------------------------------------------------------------------------------


def test_an_oversized_body_is_413(ours: PartnerWorld, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = _post(ours.client(), f"{BASE}/shipments/{ours.stored.barcode}/cancel", {"reason": "x" * 2000})

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "Слишком большой запрос.",
        "details": {"max_bytes": 1000},
        "request_id": response["X-Request-ID"],
    }


@pytest.fixture
def partner_limit(settings, clock: FrozenClock) -> FrozenClock:
    """2 requests a minute per partner key, in a cache of this test alone (10:00:00 starts a window)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "partner-limit"}
    }
    from django.core.cache import cache

    cache.clear()
    settings.PVZ_API_RATE_LIMIT_PARTNER = "2/min"
    return clock


def test_each_partner_key_has_its_own_rate_limit(ours: PartnerWorld, partner_limit: FrozenClock) -> None:
    client = ours.client()
    other = key_create(actor=None, partner=ours.partner, name="second").plaintext

    assert [client.get(f"{BASE}/carriages").status_code for _ in range(2)] == [200, 200]
    refused = client.get(f"{BASE}/carriages")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert Client(headers={"X-Api-Key": other}).get(f"{BASE}/carriages").status_code == 200
    partner_limit.advance(seconds=60)
    assert client.get(f"{BASE}/carriages").status_code == 200


def test_points_of_other_partners_serve_no_partner_endpoint(ours: PartnerWorld) -> None:
    """A partner key names no point: the staff's point endpoints stay closed to it."""
    point = PickupPointFactory()

    assert _error(ours.client().get(f"/api/v1/points/{point.pk}/totes/balance")) == (401, "NOT_AUTHENTICATED")


@pytest.mark.parametrize("offset", ["+23:19", "-20:00"])
def test_times_with_offsets_postgresql_cannot_store_are_taken_as_the_same_instant(
    ours: PartnerWorld, offset: str
) -> None:
    """Found by schemathesis on PostgreSQL: an offset beyond ±15:59 reached the query (a 500)."""
    response = ours.client().get(f"{BASE}/carriages", {"updated_since": f"2026-11-01T10:00:00{offset}"})

    assert response.status_code == 200
    assert [row["number"] for row in response.json()["carriages"]] == [ours.carriage.number]


def test_a_time_out_of_range_once_in_utc_is_422(ours: PartnerWorld) -> None:
    response = ours.client().get(f"{BASE}/carriages", {"updated_since": "0001-01-01T00:10:00+23:00"})

    assert _error(response) == (422, "VALIDATION_FAILED")
