"""«Сотрудники»: owners see and manage their point's staff, managers operators only; invitations, optional
permissions that work on the next request, withdrawal and deactivation that signs the person out."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint
from pvz.staff.models import PermissionGrant
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_outbox(settings: Settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"


def member(point: PickupPoint, role: str, **user: object) -> tuple[User, Membership]:
    person = UserFactory(**user)
    return person, Membership.objects.create(user=person, point=point, role=role)


def rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-membership="(\d+)" data-role="(\w+)"', html)


def test_owner_sees_everybody_at_the_point_but_not_other_points(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    _, manager = member(point, Role.MANAGER, full_name="Борис Управляющий")
    _, operator = member(point, Role.OPERATOR, full_name="Вера Операторова", phone="+79161234567")
    member(PickupPointFactory(), Role.OPERATOR)

    response = sign_in(owner, point).get("/staff/")

    html = response.content.decode()
    assert response.status_code == 200
    assert rows(html) == [
        (str(owner.memberships.get().pk), "owner"),
        (str(manager.pk), "manager"),
        (str(operator.pk), "operator"),
    ]
    assert "+79161234567" in html  # staff managers see full phones
    assert 'data-perm-toggle="view_finance"' in html
    assert 'data-action="deactivate"' in html


def test_manager_sees_and_manages_operators_only(sign_in, point: PickupPoint) -> None:
    operator_at(point, Role.OWNER)
    manager = operator_at(point, Role.MANAGER)
    member(point, Role.MANAGER)
    _, operator = member(point, Role.OPERATOR)

    html = sign_in(manager, point).get("/staff/").content.decode()

    assert rows(html) == [(str(operator.pk), "operator")]
    assert 'data-perm-toggle="manage_point"' in html
    assert 'data-action="withdraw"' in html
    assert 'data-action="deactivate"' not in html
    assert ('<option value="operator"' in html, '<option value="manager"' in html) == (True, False)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPPORT])
def test_roles_without_staff_management_get_403(sign_in, point: PickupPoint, role: str) -> None:
    user = operator_at(point, role)

    assert sign_in(user, point).get("/staff/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_section_is_in_the_menu_for_staff_managers_only(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    operator = operator_at(point)

    assert 'href="/staff/"' in sign_in(owner, point).get("/").content.decode()
    assert 'href="/staff/"' not in sign_in(operator, point).get("/").content.decode()


def test_owner_invites_a_person_and_they_get_the_sms(
    sign_in, point: PickupPoint, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    owner = operator_at(point, Role.OWNER)
    client = sign_in(owner, point)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invite/",
            {
                "phone": "8 916 123-45-67",
                "full_name": "Анна Петрова",
                "role": "manager",
                "points": [point.pk],
            },
        )

    assert (response.status_code, response["Location"]) == (302, "/staff/")
    user = User.objects.get(phone="+79161234567")
    assert list(user.memberships.values_list("point", "role")) == [(point.pk, "manager")]
    assert SmsMessage.objects.get().text.startswith("Вас добавили в OpenPVZ: Управляющий, ПВЗ Тверская.")
    assert "Анна Петрова добавлен(а)." in client.get("/staff/").content.decode()


def test_a_bad_phone_shows_what_is_wrong_and_saves_nothing(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)

    response = sign_in(owner, point).post(
        "/staff/invite/", {"phone": "12", "full_name": "Анна", "role": "operator", "points": [point.pk]}
    )

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()
    assert Membership.objects.filter(role=Role.OPERATOR).count() == 0


def test_manager_cannot_invite_a_manager(sign_in, point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)

    response = sign_in(manager, point).post(
        "/staff/invite/",
        {"phone": "+79161234567", "full_name": "Анна", "role": "manager", "points": [point.pk]},
    )

    assert response.status_code == 422
    assert User.objects.filter(phone="+79161234567").exists() is False


def test_inviting_to_a_foreign_point_is_refused_and_nothing_saved(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    foreign = PickupPointFactory()

    response = sign_in(owner, point).post(
        "/staff/invite/",
        {"phone": "+79161234567", "full_name": "Анна", "role": "operator", "points": [point.pk, foreign.pk]},
    )

    assert response.status_code == 422
    assert User.objects.filter(phone="+79161234567").exists() is False


def test_a_granted_permission_opens_its_page_on_the_next_request(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER)
    manager_client = Client()
    manager_client.force_login(manager, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = manager_client.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()
    assert manager_client.get("/audit/").status_code == 403

    response = sign_in(owner, point).post(f"/staff/{membership.pk}/perms/view_audit/", {"granted": "1"})

    assert response.status_code == 302
    assert manager_client.get("/audit/").status_code == 200
    sign_in(owner, point).post(f"/staff/{membership.pk}/perms/view_audit/", {"granted": "0"})
    assert manager_client.get("/audit/").status_code == 403


def test_manager_cannot_touch_an_operator_of_another_point(sign_in, point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    _, foreign = member(PickupPointFactory(), Role.OPERATOR)

    client = sign_in(manager, point)

    assert client.post(f"/staff/{foreign.pk}/withdraw/").status_code == 404
    assert client.post(f"/staff/{foreign.pk}/perms/manage_point/", {"granted": "1"}).status_code == 404
    assert Membership.objects.get(pk=foreign.pk).is_active is True
    assert PermissionGrant.objects.count() == 0


def test_manager_cannot_touch_the_owner_they_do_not_see(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager = operator_at(point, Role.MANAGER)

    response = sign_in(manager, point).post(f"/staff/{owner.memberships.get().pk}/withdraw/")

    assert response.status_code == 404


def test_manager_withdraws_an_operator(sign_in, point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    _, operator = member(point, Role.OPERATOR)

    response = sign_in(manager, point).post(f"/staff/{operator.pk}/withdraw/")

    assert response.status_code == 302
    assert Membership.objects.get(pk=operator.pk).is_active is False


def test_deactivated_persons_next_request_is_anonymous(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER)
    manager_client = Client()
    manager_client.force_login(manager, backend="pvz.accounts.backends.PhoneCodeBackend")
    assert manager_client.get("/points/").status_code == 200

    response = sign_in(owner, point).post(f"/staff/{membership.pk}/deactivate/")

    assert response.status_code == 302
    after = manager_client.get("/points/")
    assert after.status_code == 302
    assert after["Location"].startswith("/login/")
    assert User.objects.get(pk=manager.pk).is_active is False
    page = sign_in(owner, point).get("/staff/").content.decode()
    assert 'data-action="reactivate"' in page


def test_owner_reactivates_a_deactivated_person(sign_in, point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    manager, membership = member(point, Role.MANAGER, is_active=False)

    sign_in(owner, point).post(f"/staff/{membership.pk}/reactivate/")

    assert User.objects.get(pk=manager.pk).is_active is True


def test_nobody_deactivates_themself_from_the_screen(sign_in, point: PickupPoint) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    own = Membership.objects.create(user=admin, point=point, role=Role.MANAGER)
    client = sign_in(admin, point)

    client.post(f"/staff/{own.pk}/deactivate/")

    assert User.objects.get(pk=admin.pk).is_active is True
    assert "Нельзя отключить самого себя." in client.get("/staff/").content.decode()
