"""Staff API: scoped to the caller's points (foreign point 404), owners manage managers and operators,
managers operators only; grants count on the next request; deactivation signs the person out."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint
from pvz.staff.models import PermissionGrant
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


@pytest.fixture(autouse=True)
def sms_outbox(settings: Settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Тверская")


def member(point: PickupPoint, role: str, **user: object) -> tuple[User, Membership]:
    person = UserFactory(**user)
    return person, Membership.objects.create(user=person, point=point, role=role)


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def send(client: Client, method: str, url: str, body: dict[str, object] | None = None):
    return getattr(client, method)(
        url,
        body if body is not None else {},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def staff_url(point: PickupPoint) -> str:
    return f"/api/v1/points/{point.pk}/staff"


def test_owner_lists_the_staff_with_their_grants(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER, full_name="Борис", phone="+79161234567")
    PermissionGrant.objects.create(
        membership=membership, perm="view_finance", granted_by=owner, created=point.created_at
    )

    response = as_user(owner).get(staff_url(point))

    assert response.status_code == 200
    body = {row["membership_id"]: row for row in response.json()}
    assert body[membership.pk] == {
        "membership_id": membership.pk,
        "user_id": manager.pk,
        "full_name": "Борис",
        "phone": "+79161234567",
        "is_active": True,
        "role": "manager",
        "grants": ["view_finance"],
        "grantable": ["view_audit", "view_finance"],
        "can_manage": True,
    }
    assert [row["role"] for row in response.json()] == ["owner", "manager"]


def test_manager_lists_operators_only(point: PickupPoint) -> None:
    operator_at(point, Role.OWNER)
    manager = operator_at(point, Role.MANAGER)
    _, operator = member(point, Role.OPERATOR)

    response = as_user(manager).get(staff_url(point))

    assert [row["membership_id"] for row in response.json()] == [operator.pk]


def test_a_foreign_point_is_404_and_an_operator_gets_403(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    operator = operator_at(point)

    assert as_user(owner).get(staff_url(PickupPointFactory())).status_code == 404
    assert as_user(operator).get(staff_url(point)).status_code == 403
    assert Client().get(staff_url(point)).status_code == 401


def test_owner_invites_by_phone_and_the_person_gets_an_sms(
    point: PickupPoint, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    owner = operator_at(point, Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            as_user(owner),
            "post",
            staff_url(point),
            {"phone": "8 916 123 45 67", "full_name": "Анна", "role": "operator"},
        )

    assert response.status_code == 201
    user = User.objects.get(phone="+79161234567")
    assert response.json()["user_id"] == user.pk
    assert response.json()["user_created"] is True
    assert [(m["role"], m["phone"]) for m in response.json()["memberships"]] == [("operator", "+79161234567")]
    assert SmsMessage.objects.get().phone == "+79161234567"


def test_manager_cannot_invite_a_manager(point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)

    response = send(
        as_user(manager),
        "post",
        staff_url(point),
        {"phone": "+79161234567", "full_name": "А", "role": "manager"},
    )

    assert (response.status_code, response.json()["error"]["code"]) == (403, "PERMISSION_DENIED")
    assert User.objects.filter(phone="+79161234567").exists() is False


def test_inviting_to_a_foreign_point_is_404_and_nothing_saved(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    foreign = PickupPointFactory()

    response = send(
        as_user(owner),
        "post",
        staff_url(point),
        {"phone": "+79161234567", "full_name": "Анна", "role": "operator", "points": [foreign.pk]},
    )

    assert response.status_code == 404
    assert User.objects.filter(phone="+79161234567").exists() is False


def test_a_bad_phone_is_422_naming_the_field(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)

    response = send(
        as_user(owner), "post", staff_url(point), {"phone": "abc", "full_name": "Анна", "role": "operator"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert response.json()["error"]["details"] == {"field": "phone"}


def test_a_grant_lets_the_manager_read_the_audit_log_on_the_next_request(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER)
    manager_api = as_user(manager)
    audit_url = f"/api/v1/audit?point={point.pk}"
    assert manager_api.get(audit_url).status_code == 403

    granted = send(
        as_user(owner), "post", f"{staff_url(point)}/{membership.pk}/grants", {"perm": "view_audit"}
    )

    assert (granted.status_code, granted.json()["grants"]) == (200, ["view_audit"])
    assert manager_api.get(audit_url).status_code == 200
    withdrawn = send(as_user(owner), "delete", f"{staff_url(point)}/{membership.pk}/grants/view_audit")
    assert (withdrawn.status_code, withdrawn.json()["grants"]) == (200, [])
    assert manager_api.get(audit_url).status_code == 403


def test_a_permission_the_role_may_not_get_is_422(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    _, operator = member(point, Role.OPERATOR)

    response = send(
        as_user(owner), "post", f"{staff_url(point)}/{operator.pk}/grants", {"perm": "view_finance"}
    )

    assert (response.status_code, response.json()["error"]["details"]) == (
        422,
        {"field": "perm", "perm": "view_finance"},
    )


def test_manager_cannot_touch_operators_of_another_point(point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    other = PickupPointFactory()
    _, foreign = member(other, Role.OPERATOR)
    api = as_user(manager)

    via_own_point = send(api, "post", f"{staff_url(point)}/{foreign.pk}/grants", {"perm": "manage_point"})
    via_their_point = send(api, "delete", f"{staff_url(other)}/{foreign.pk}")

    assert (via_own_point.status_code, via_their_point.status_code) == (404, 404)
    assert Membership.objects.get(pk=foreign.pk).is_active is True


def test_manager_withdraws_an_operator_of_their_point(point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    operator, membership = member(point, Role.OPERATOR)

    response = send(as_user(manager), "delete", f"{staff_url(point)}/{membership.pk}")

    assert (response.status_code, response.json()) == (200, {"user_id": operator.pk, "is_active": True})
    assert Membership.objects.get(pk=membership.pk).is_active is False


def test_deactivated_persons_next_api_call_is_401(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER)
    manager_api = as_user(manager)
    assert manager_api.get("/api/v1/me").status_code == 200

    response = send(as_user(owner), "post", f"{staff_url(point)}/{membership.pk}/deactivate")

    assert (response.status_code, response.json()) == (200, {"user_id": manager.pk, "is_active": False})
    assert manager_api.get("/api/v1/me").status_code == 401
    reactivated = send(as_user(owner), "post", f"{staff_url(point)}/{membership.pk}/reactivate")
    assert reactivated.json() == {"user_id": manager.pk, "is_active": True}


def test_manager_cannot_deactivate_an_operator(point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    operator, membership = member(point, Role.OPERATOR)

    response = send(as_user(manager), "post", f"{staff_url(point)}/{membership.pk}/deactivate")

    assert response.status_code == 403
    assert User.objects.get(pk=operator.pk).is_active is True


def test_writes_need_an_idempotency_key(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)

    response = as_user(owner).post(
        staff_url(point),
        {"phone": "+79161234567", "full_name": "А", "role": "operator"},
        content_type="application/json",
    )

    assert response.status_code == 400
