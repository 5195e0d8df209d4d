"""«Тревоги»: the point's flags for owners and managers, resolving, lifting; the suspended page."""

from __future__ import annotations

import pytest

from pvz.accounts.roles import Role
from pvz.anomalies.models import AnomalyFlag, Rule, Suspension
from pvz.anomalies.services import anomaly_flag_raise
from pvz.network.models import PickupPoint
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(point: PickupPoint, operator, settings, clock) -> AnomalyFlag:
    settings.PVZ_ANOMALY_SUSPEND = True
    return anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=operator, point=point, details={"issued": 2})


def test_owner_sees_the_points_flags_and_suspensions(sign_in, point, operator, flagged) -> None:
    client = sign_in(operator_at(point, Role.OWNER), point)

    response = client.get("/anomalies/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-flag="{flagged.pk}" data-flag-rule="outside_hours"' in html
    assert "Выдача вне часов работы" in html
    assert f'data-suspension="{Suspension.objects.get().pk}"' in html
    assert "Снять блокировку" in html


def test_manager_sees_flags_but_no_lift_button(sign_in, point, flagged) -> None:
    client = sign_in(operator_at(point, Role.MANAGER), point)

    html = client.get("/anomalies/").content.decode()

    assert f'data-flag="{flagged.pk}"' in html
    assert "Снять может владелец точки" in html
    assert "Снять блокировку</button>" not in html


def test_another_points_flags_are_not_listed(sign_in, point, flagged) -> None:
    other = PickupPointFactory()
    client = sign_in(operator_at(other, Role.OWNER), other)

    html = client.get("/anomalies/").content.decode()

    assert "data-flag=" not in html
    assert "Тревог нет." in html


def test_operator_gets_403(sign_in, point) -> None:
    client = sign_in(operator_at(point, Role.OPERATOR), point)

    assert client.get("/anomalies/").status_code == 403


def test_resolving_a_flag_from_the_list(sign_in, point, flagged) -> None:
    manager = operator_at(point, Role.MANAGER)
    client = sign_in(manager, point)

    response = client.post(f"/anomalies/flags/{flagged.pk}/resolve/", follow=True)

    assert response.redirect_chain == [("/anomalies/", 302)]
    assert "Тревога закрыта." in response.content.decode()
    assert AnomalyFlag.objects.get().resolved_by == manager


def test_another_points_owner_cannot_resolve_or_lift(sign_in, point, flagged) -> None:
    other = PickupPointFactory()
    client = sign_in(operator_at(other, Role.OWNER), other)

    assert client.post(f"/anomalies/flags/{flagged.pk}/resolve/").status_code == 404
    assert client.post(f"/anomalies/suspensions/{Suspension.objects.get().pk}/lift/").status_code == 404
    assert AnomalyFlag.objects.get().resolved_at is None
    assert Suspension.objects.get().lifted_at is None


def test_manager_cannot_lift_a_suspension(sign_in, point, flagged) -> None:
    client = sign_in(operator_at(point, Role.MANAGER), point)

    assert client.post(f"/anomalies/suspensions/{Suspension.objects.get().pk}/lift/").status_code == 403
    assert Suspension.objects.get().lifted_at is None


def test_owner_lifts_a_suspension_and_the_employee_works_again(
    sign_in, client, point, operator, flagged
) -> None:
    sign_in(operator_at(point, Role.OWNER), point)

    response = client.post(f"/anomalies/suspensions/{Suspension.objects.get().pk}/lift/", follow=True)

    assert "Блокировка снята" in response.content.decode()
    client.logout()
    assert sign_in(operator, point).get("/").status_code == 200


def test_suspended_employee_sees_the_suspended_page(sign_in, point, operator, flagged) -> None:
    client = sign_in(operator, point)

    response = client.get("/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "Учётная запись приостановлена" in html
    assert "ACCOUNT_SUSPENDED" in html


def test_menu_offers_the_alarms_to_owners(sign_in, point) -> None:
    client = sign_in(operator_at(point, Role.OWNER), point)

    assert 'href="/anomalies/"' in client.get("/").content.decode()


def test_suspension_ends_the_employees_open_session(sign_in, point, operator, settings) -> None:
    settings.PVZ_ANOMALY_SUSPEND = True
    client = sign_in(operator, point)
    assert client.get("/").status_code == 200

    anomaly_flag_raise(rule=Rule.MANUAL_CODES, user=operator, point=point, details={})
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?ended=suspended")
