import pytest
from django.test import Client

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import MembershipFactory, PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def test_picker_lists_only_the_users_points(sign_in, point: PickupPoint, operator: User):
    elsewhere = PickupPointFactory(name="ПВЗ Чужой")
    client = sign_in(operator)

    html = client.get("/points/").content.decode()

    assert f'data-point-id="{point.pk}"' in html
    assert "ПВЗ Тверская" in html
    assert f'data-point-id="{elsewhere.pk}"' not in html


def test_picking_a_point_keeps_it_in_the_session_and_opens_the_dashboard(
    sign_in, point: PickupPoint, operator: User
):
    client = sign_in(operator)

    response = client.post("/points/", {"point_id": point.pk})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[POINT_SESSION_KEY] == point.pk
    assert client.get("/").status_code == 200


def test_picking_a_point_returns_to_the_page_that_asked_for_it(sign_in, point: PickupPoint, operator: User):
    client = sign_in(operator)
    asked = client.get("/issue/")
    assert asked["Location"] == "/points/?next=%2Fissue%2F"

    response = client.post("/points/", {"point_id": point.pk, "next": "/issue/"})

    assert response["Location"] == "/issue/"


def test_picking_a_point_the_user_does_not_belong_to_is_404(sign_in, operator: User):
    elsewhere = PickupPointFactory()
    client = sign_in(operator)

    response = client.post("/points/", {"point_id": elsewhere.pk})

    assert response.status_code == 404
    assert POINT_SESSION_KEY not in client.session


def test_switching_point_from_the_header_keeps_the_user_signed_in(sign_in, point: PickupPoint):
    second = PickupPointFactory(name="ПВЗ Арбат")
    user = operator_at(point)
    Membership.objects.create(user=user, point=second, role=Role.OPERATOR)
    client = sign_in(user, point)
    header = client.get("/").content.decode()
    assert f'<option value="{second.pk}">ПВЗ Арбат</option>' in header

    response = client.post("/points/", {"point_id": second.pk, "next": "/"})

    assert response["Location"] == "/"
    assert client.session[POINT_SESSION_KEY] == second.pk
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "<h1>ПВЗ Арбат</h1>" in client.get("/").content.decode()


def test_a_point_the_user_lost_is_forgotten_and_the_picker_asked_again(sign_in, point: PickupPoint):
    membership = MembershipFactory(point=point, role=Role.OPERATOR)
    client = sign_in(membership.user, point)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/points/?next=%2F"
    assert POINT_SESSION_KEY not in client.session


def test_a_user_without_points_is_told_so(sign_in):
    client = sign_in(UserFactory())

    html = client.get("/points/").content.decode()

    assert "У вас пока нет ни одной точки." in html
    assert "NO_MEMBERSHIP" in html


def test_anonymous_visitor_is_sent_to_login(client: Client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_the_session_idle_timeout_is_refreshed_at_most_once_a_minute(client, monkeypatch) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pvz.web import middleware

    client.force_login(UserFactory())
    now = [1_800_000_000.0]
    monkeypatch.setattr(middleware.time, "time", lambda: now[0])
    session_writes = []

    def writes() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get("/api/v1/me")
        return sum(
            q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"] for q in captured
        )

    session_writes.append(writes())  # the first request of this fake clock, far from the sign-in time
    now[0] += 30
    session_writes.append(writes())
    now[0] += 3600
    session_writes.append(writes())
    now[0] += 59
    session_writes.append(writes())

    assert session_writes[1:] == [0, 1, 0]
