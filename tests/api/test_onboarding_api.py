"""The API of opening and closing points: the public application (multipart, no sign-in), the platform
admins' review, and closing a point by its owner."""

from __future__ import annotations

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint, PointStatus
from pvz.onboarding.models import ApplicationStatus, PointApplication
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, ShipmentFactory, operator_at
from tests.onboarding.conftest import APPLICANT_PHONE, form_data, png, private_media  # noqa: F401

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def _submit(client: Client, **changes) -> object:
    return client.post(f"{BASE}/point-applications", {**form_data(**changes), "photos": [png()]})


@pytest.fixture
def application(client: Client) -> PointApplication:
    assert _submit(client).status_code == 201
    return PointApplication.objects.get()


def test_anyone_may_apply_and_gets_the_number(client: Client) -> None:
    response = _submit(client)

    assert response.status_code == 201
    stored = PointApplication.objects.get()
    assert response.json() == {"number": stored.number}
    assert (stored.phone, stored.photos.count()) == (APPLICANT_PHONE, 1)


def test_a_bad_field_is_422_naming_it(client: Client) -> None:
    response = _submit(client, inn="123")

    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["details"]["field"]) == (
        "VALIDATION_FAILED",
        "inn",
    )


def test_the_fourth_application_from_one_address_is_429(client: Client) -> None:
    for n in range(3):
        assert _submit(client, phone=f"+7916111000{n}").status_code == 201

    response = _submit(client, phone="+79161110009")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"


def test_admin_lists_reads_and_approves(signed_in, application) -> None:
    client = signed_in(operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN))

    listed = client.get(f"{BASE}/point-applications", {"status": "pending"}).json()
    assert [row["id"] for row in listed] == [application.pk]
    assert client.get(f"{BASE}/point-applications/{application.pk}").json()["photo_ids"] == [
        application.photos.get().pk
    ]
    response = client.post(
        f"{BASE}/point-applications/{application.pk}/approve",
        {"code": "msk-7", "name": "ПВЗ Тверская", "timezone": "Europe/Moscow", "capacity": 300},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    point = PickupPoint.objects.get(code="msk-7")
    assert (body["status"], body["point_id"]) == ("approved", point.pk)
    again = client.post(
        f"{BASE}/point-applications/{application.pk}/reject",
        {"reason": "Поздно"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "CONFLICT")


def test_admin_rejects_with_a_reason(signed_in, application) -> None:
    client = signed_in(operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN))

    response = client.post(
        f"{BASE}/point-applications/{application.pk}/reject",
        {"reason": "Нет вывески"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reject_reason"]) == ("rejected", "Нет вывески")


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.OPERATOR, Role.SUPPORT])
def test_non_admins_get_403_from_the_review(signed_in, application, role) -> None:
    client = signed_in(operator_at(PickupPointFactory(), role))

    assert client.get(f"{BASE}/point-applications").status_code == 403
    assert client.get(f"{BASE}/point-applications/{application.pk}").status_code == 403
    response = client.post(
        f"{BASE}/point-applications/{application.pk}/approve",
        {"code": "msk-7", "name": "ПВЗ", "timezone": "UTC", "capacity": 10},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert PointApplication.objects.get().status == ApplicationStatus.PENDING


def test_anonymous_cannot_review(client: Client, application) -> None:
    assert client.get(f"{BASE}/point-applications").status_code == 401


# ---- closing ------------------------------------------------------------------------------------------


def test_owner_closes_their_point_through_the_api(signed_in) -> None:
    point = PickupPointFactory()
    client = signed_in(operator_at(point, Role.OWNER))
    url = f"{BASE}/points/{point.pk}/closing"

    started = client.post(f"{url}/start", {"reason": "Аренда"}, content_type="application/json")
    assert (started.status_code, started.json()["status"]) == (200, "closing")
    stored = ShipmentFactory(point=point, status=Status.STORED)

    refused = client.post(f"{url}/complete")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["remaining"]["to_issue"] == 1
    assert client.get(url).json()["leftovers"]["total"] == 1

    stored.status = Status.ISSUED
    stored.save(update_fields=["status"])
    done = client.post(f"{url}/complete")
    assert (done.status_code, done.json()["status"]) == (200, "closed")
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.CLOSED


def test_owner_of_another_point_gets_404_and_a_manager_403(signed_in) -> None:
    point = PickupPointFactory()
    stranger = signed_in(operator_at(PickupPointFactory(), Role.OWNER))
    url = f"{BASE}/points/{point.pk}/closing"

    assert (
        stranger.post(f"{url}/start", {"reason": "Чужая"}, content_type="application/json").status_code == 404
    )
    stranger.logout()
    manager = signed_in(operator_at(point, Role.MANAGER))
    response = manager.post(f"{url}/start", {"reason": "Хочу"}, content_type="application/json")

    assert (response.status_code, response.json()["error"]["code"]) == (403, "PERMISSION_DENIED")
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN
