"""«Журнал»: owners see their points' records, platform admins everything, managers 403; filters by
point-local day, action, actor phone and object id; newest first by seq; the CSV export is recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.audit.services import audit_record
from pvz.core.clock import FrozenClock
from pvz.network.models import PickupPoint
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point_b() -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Б")


def _seqs(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'data-audit-seq="(\d+)"', html)]


def _records(point: PickupPoint, point_b: PickupPoint) -> dict[str, AuditRecord]:
    actor = UserFactory(phone="+79161112233")
    return {
        "a1": audit_record(action="shipment.transition", actor=actor, point_id=point.pk, object_id=101),
        "b1": audit_record(action="shipment.transition", point_id=point_b.pk, object_id=201),
        "a2": audit_record(action="export.csv", point_id=point.pk),
        "none": audit_record(action="auth.login_failed", actor_phone="+79990000000"),
    }


def test_owner_sees_only_their_points_records_newest_first(sign_in, point, point_b, clock) -> None:
    records = _records(point, point_b)
    owner = operator_at(point, Role.OWNER)

    html = sign_in(owner, point).get("/audit/").content.decode()

    assert _seqs(html) == [records["a2"].seq, records["a1"].seq]
    scoped_all = sign_in(owner, point).get("/audit/", {"scope": "all"}).content.decode()
    assert _seqs(scoped_all) == [records["a2"].seq, records["a1"].seq]


def test_platform_admin_with_all_points_sees_every_record(sign_in, point, point_b, clock) -> None:
    records = _records(point, point_b)
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    html = sign_in(admin, point).get("/audit/", {"scope": "all"}).content.decode()

    # Every record: the four above, records without a point included, and the admin's own sign-in.
    login = AuditRecord.objects.get(action="auth.login", actor=admin)
    assert _seqs(html) == sorted([login.seq, *(r.seq for r in records.values())], reverse=True)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPERATOR])
def test_managers_and_operators_get_403(sign_in, point, role) -> None:
    user = operator_at(point, role)
    client = sign_in(user, point)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_menu_shows_the_journal_to_owners_only(sign_in, point) -> None:
    assert "Журнал" in sign_in(operator_at(point, Role.OWNER), point).get("/").content.decode()
    assert "Журнал" not in sign_in(operator_at(point, Role.MANAGER), point).get("/").content.decode()


def test_filters_by_action_phone_and_object_id(sign_in, point, point_b, clock) -> None:
    records = _records(point, point_b)
    client = sign_in(operator_at(point, Role.OWNER), point)

    assert _seqs(client.get("/audit/", {"action": "export.csv"}).content.decode()) == [records["a2"].seq]
    assert _seqs(client.get("/audit/", {"actor_phone": "8 916 111-22-33"}).content.decode()) == [
        records["a1"].seq
    ]
    assert _seqs(client.get("/audit/", {"object_id": "101"}).content.decode()) == [records["a1"].seq]
    assert _seqs(client.get("/audit/", {"object_id": "201"}).content.decode()) == []


def test_date_range_is_whole_days_at_the_point(sign_in, clock: FrozenClock) -> None:
    point = PickupPointFactory(timezone="Asia/Yekaterinburg")  # UTC+5
    owner = operator_at(point, Role.OWNER)
    local = point.tz
    clock.set(dt.datetime(2026, 11, 26, 23, 59, 59, 999999, tzinfo=local))
    late = audit_record(action="test.late", point_id=point.pk)
    clock.set(dt.datetime(2026, 11, 27, 0, 0, tzinfo=local))
    early = audit_record(action="test.early", point_id=point.pk)
    client = sign_in(owner, point)

    day_26 = client.get("/audit/", {"date_from": "2026-11-26", "date_to": "2026-11-26"}).content.decode()
    day_27 = client.get("/audit/", {"date_from": "2026-11-27", "date_to": "2026-11-27"}).content.decode()
    assert _seqs(day_26) == [late.seq]
    assert _seqs(day_27) == [early.seq]
    bad = client.get("/audit/", {"date_from": "2026-11-28", "date_to": "2026-11-27"})
    assert "Дата «С» позже даты «По»." in bad.content.decode()


def test_pages_go_back_by_seq(sign_in, point, clock) -> None:
    written = [audit_record(action="test.page", point_id=point.pk) for _ in range(55)]
    client = sign_in(operator_at(point, Role.OWNER), point)

    first = client.get("/audit/", {"action": "test.page"}).content.decode()
    assert _seqs(first) == [r.seq for r in reversed(written[5:])]
    assert f"before={written[5].seq}" in first
    second = client.get("/audit/", {"action": "test.page", "before": written[5].seq}).content.decode()
    assert _seqs(second) == [r.seq for r in reversed(written[:5])]
    assert "data-audit-next" not in second


def test_csv_export_streams_the_filtered_rows_and_is_recorded(sign_in, point, point_b, clock) -> None:
    records = _records(point, point_b)
    owner = operator_at(point, Role.OWNER)
    client = sign_in(owner, point)

    response = client.get("/audit/export.csv", {"action": "shipment.transition"}, REMOTE_ADDR="192.0.2.8")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == [
        "seq", "at", "action", "actor_phone", "ip", "user_agent", "point", "object_type", "object_id",
        "details", "hash",
    ]  # fmt: skip
    assert len(rows) == 2
    a1 = records["a1"]
    assert rows[1][:4] == [
        str(a1.seq),
        a1.at.astimezone(point.tz).isoformat(),
        "shipment.transition",
        "+79161112233",
    ]
    assert rows[1][6] == point.name
    assert rows[1][10] == a1.hash
    export = AuditRecord.objects.filter(action="export.csv", actor=owner).get()
    assert (export.ip, export.point_id, export.details) == (
        "192.0.2.8",
        point.pk,
        {"filters": {"action": "shipment.transition"}},
    )


def test_csv_cells_that_look_like_formulas_are_neutralised(sign_in, point, clock) -> None:
    audit_record(action="auth.login_failed", point_id=point.pk, actor_phone="=HYPERLINK(1)")
    client = sign_in(operator_at(point, Role.OWNER), point)

    body = b"".join(
        client.get("/audit/export.csv", {"action": "auth.login_failed"}).streaming_content
    ).decode()

    assert list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1][3] == "'=HYPERLINK(1)"
