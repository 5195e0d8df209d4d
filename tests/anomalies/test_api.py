"""/api/v1/points/{point_id}/anomalies: list, resolve, lift; scoped to the point, 404 for another's."""

from __future__ import annotations

import pytest

from pvz.accounts.roles import Role
from pvz.anomalies.models import AnomalyFlag, Rule, Suspension
from pvz.anomalies.services import anomaly_flag_raise
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(counter, settings) -> AnomalyFlag:
    settings.PVZ_ANOMALY_SUSPEND = True
    return anomaly_flag_raise(
        rule=Rule.UNSCANNED_ISSUES, user=counter.operator, point=counter.point, details={"count": 3}
    )


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.PLATFORM_ADMIN])
def test_owner_manager_and_admin_list_the_points_flags(signed_in, counter, flagged, role) -> None:
    api = signed_in(operator_at(counter.point, role))

    response = api.get(f"/api/v1/points/{counter.point.pk}/anomalies")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(f["id"], f["rule"], f["user_id"], f["details"]) for f in body["flags"]] == [
        (flagged.pk, "unscanned_issues", counter.operator.pk, {"count": 3})
    ]
    assert [(s["user_id"], s["flag_id"]) for s in body["suspensions"]] == [(counter.operator.pk, flagged.pk)]


def test_operator_gets_403(signed_in, counter, flagged) -> None:
    api = signed_in(operator_at(counter.point, Role.OPERATOR))

    assert _error(api.get(f"/api/v1/points/{counter.point.pk}/anomalies")) == (403, "PERMISSION_DENIED")


def test_another_points_owner_gets_404_everywhere(signed_in, counter, flagged) -> None:
    api = signed_in(operator_at(PickupPointFactory(), Role.OWNER))
    suspension = Suspension.objects.get()
    base = f"/api/v1/points/{counter.point.pk}"

    assert _error(api.get(f"{base}/anomalies")) == (404, "NOT_FOUND")
    assert _error(api.post(f"{base}/anomalies/{flagged.pk}/resolve")) == (404, "NOT_FOUND")
    assert _error(api.post(f"{base}/suspensions/{suspension.pk}/lift")) == (404, "NOT_FOUND")
    assert Suspension.objects.get().lifted_at is None


def test_own_point_cannot_reach_another_points_flag(signed_in, counter, flagged) -> None:
    other = PickupPointFactory()
    api = signed_in(operator_at(other, Role.OWNER))

    assert _error(api.post(f"/api/v1/points/{other.pk}/anomalies/{flagged.pk}/resolve")) == (404, "NOT_FOUND")


def test_manager_resolves_a_flag(signed_in, counter, flagged, clock) -> None:
    manager = operator_at(counter.point, Role.MANAGER)
    api = signed_in(manager)

    response = api.post(f"/api/v1/points/{counter.point.pk}/anomalies/{flagged.pk}/resolve")

    assert response.status_code == 200, response.content
    assert response.json()["resolved_by_id"] == manager.pk
    assert AnomalyFlag.objects.get().resolved_at == clock.now()


def test_manager_cannot_lift_but_the_owner_can(signed_in, client, counter, flagged) -> None:
    suspension = Suspension.objects.get()
    url = f"/api/v1/points/{counter.point.pk}/suspensions/{suspension.pk}/lift"

    assert _error(signed_in(operator_at(counter.point, Role.MANAGER)).post(url)) == (403, "PERMISSION_DENIED")
    client.logout()
    response = signed_in(operator_at(counter.point, Role.OWNER)).post(url)

    assert response.status_code == 200, response.content
    assert response.json()["lifted_at"] is not None
    assert _error(client.post(url)) == (409, "CONFLICT")


def test_suspended_users_api_calls_are_refused(signed_in, counter, flagged) -> None:
    api = signed_in(counter.operator)

    response = api.get(f"/api/v1/points/{counter.point.pk}/anomalies")

    assert _error(response) == (403, "ACCOUNT_SUSPENDED")
