"""GET /api/v1/audit: scoped like the screen, filtered, keyset-paginated."""

from __future__ import annotations

import pytest

from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.audit.services import audit_record
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def points():
    return PickupPointFactory(), PickupPointFactory()


def _seqs(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [record["seq"] for record in response.json()["records"]]


def test_owner_lists_own_points_only_and_a_foreign_point_is_404(signed_in, points, clock) -> None:
    a, b = points
    own = audit_record(action="test.a", point_id=a.pk, object_id=7)
    audit_record(action="test.b", point_id=b.pk)
    audit_record(action="auth.login_failed")
    api = signed_in(operator_at(a, Role.OWNER))

    assert _seqs(api.get("/api/v1/audit")) == [own.seq]
    assert _seqs(api.get(f"/api/v1/audit?point={a.pk}&object_id=7")) == [own.seq]
    foreign = api.get(f"/api/v1/audit?point={b.pk}")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "NOT_FOUND")
    body = api.get("/api/v1/audit").json()["records"][0]
    assert (body["action"], body["point_id"], body["object_id"], body["hash"]) == (
        "test.a",
        a.pk,
        "7",
        own.hash,
    )
    assert body["at"].endswith("+03:00")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPERATOR])
def test_managers_and_operators_get_403(signed_in, points, role) -> None:
    a, _ = points
    api = signed_in(operator_at(a, role))

    for url in ("/api/v1/audit", f"/api/v1/audit?point={a.pk}"):
        response = api.get(url)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "PERMISSION_DENIED")


def test_platform_admin_sees_everything_and_pages_by_seq(signed_in, points, clock) -> None:
    a, b = points
    admin = operator_at(a, Role.PLATFORM_ADMIN)
    api = signed_in(admin)
    for n in range(5):
        audit_record(action="test.page", point_id=(a if n % 2 else b).pk)
    seqs = list(AuditRecord.objects.filter(action="test.page").order_by("-seq").values_list("seq", flat=True))

    first = api.get("/api/v1/audit?action=test.page&limit=3")
    assert _seqs(first) == seqs[:3]
    assert first.json()["next_before"] == seqs[2]
    second = api.get(f"/api/v1/audit?action=test.page&limit=3&before={seqs[2]}")
    assert _seqs(second) == seqs[3:]
    assert second.json()["next_before"] is None


def test_reversed_dates_are_422(signed_in, points) -> None:
    a, _ = points
    api = signed_in(operator_at(a, Role.OWNER))

    response = api.get("/api/v1/audit?date_from=2026-11-28&date_to=2026-11-27")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
