"""demo_network: a usable demo on the first run, and nothing new on any later run."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.inbound.models import Carriage, CarriageStatus
from pvz.network.models import Cell, CellKind, Partner, PickupPoint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.selectors import point_dashboard_counts
from pvz.shipments.statuses import Status

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def _run() -> str:
    out = io.StringIO()
    call_command("demo_network", stdout=out)
    return out.getvalue()


def test_second_run_creates_no_rows_and_prints_the_same_logins(clock):
    first = _run()
    before = _row_counts()

    clock.advance(days=3)  # a later day must not matter: idempotency is keyed on codes
    second = _run()

    assert _row_counts() == before
    assert second == first


def test_logins_table_lists_every_role_with_its_fixed_phone(clock):
    output = _run()

    assert "http://127.0.0.1:8000/" in output
    for phone in (
        "+79990000001",
        "+79990000002",
        "+79990000003",
        "+79990000004",
        "+79990000005",
        "+79990000006",
    ):
        assert phone in output
    roles = {
        (m.user.phone, m.role, m.point.code if m.point else None)
        for m in Membership.objects.select_related("user", "point")
    }
    assert roles == {
        ("+79990000001", Role.PLATFORM_ADMIN, None),
        ("+79990000002", Role.SUPPORT, None),
        ("+79990000003", Role.OWNER, "pvz-tverskaya"),
        ("+79990000003", Role.OWNER, "pvz-vladivostok"),
        ("+79990000004", Role.MANAGER, "pvz-tverskaya"),
        ("+79990000005", Role.OPERATOR, "pvz-tverskaya"),
        ("+79990000006", Role.OPERATOR, "pvz-vladivostok"),
    }


def test_network_has_partners_points_and_cells_with_special_places(clock):
    _run()

    assert set(Partner.objects.values_list("code", flat=True)) == {"ozon", "wildberries"}
    points = {p.code: p for p in PickupPoint.objects.all()}
    assert {code: p.timezone for code, p in points.items()} == {
        "pvz-tverskaya": "Europe/Moscow",
        "pvz-vladivostok": "Asia/Vladivostok",
    }
    for point in points.values():
        assert point.opening_hours["mon"] == ["09:00", "21:00"]
        assert Cell.objects.filter(point=point, kind=CellKind.REGULAR).count() == 24
        assert set(
            Cell.objects.filter(point=point).exclude(kind=CellKind.REGULAR).values_list("kind", flat=True)
        ) == {
            CellKind.INSPECTION,
            CellKind.RETURN_ZONE,
            CellKind.TRANSIT,
            CellKind.CONSUMABLES,
        }
        assert Cell.objects.filter(point=point, address="A-01-1", size_class="S").exists()


def test_dashboard_is_not_empty(clock):
    _run()

    tverskaya = PickupPoint.objects.get(code="pvz-tverskaya")
    counts = point_dashboard_counts(point=tverskaya)
    assert counts.expected_today == 40
    assert counts.stored == 12
    assert counts.expiring_today == 1
    assert counts.awaiting_dispatch == 2
    soon = Carriage.objects.filter(
        point=tverskaya, status=CarriageStatus.IN_TRANSIT, eta__lte=clock.now() + dt.timedelta(minutes=30)
    )
    assert soon.count() == 1


def test_stock_went_through_the_lifecycle_with_the_operator_as_actor(clock):
    _run()

    operator = User.objects.get(phone="+79990000005")
    stored = Shipment.objects.filter(point__code="pvz-tverskaya", status=Status.STORED)
    for shipment in stored:
        steps = list(shipment.events.values_list("from_status", "to_status", "actor"))
        assert steps == [
            (Status.EXPECTED, Status.ACCEPTED, operator.pk),
            (Status.ACCEPTED, Status.STORED, operator.pk),
        ]
    awaiting = Shipment.objects.filter(point__code="pvz-tverskaya", status=Status.AWAITING_DISPATCH)
    for shipment in awaiting:
        assert [e.to_status for e in shipment.events.all()] == [
            Status.ACCEPTED,
            Status.STORED,
            Status.REFUSED,
            Status.AWAITING_DISPATCH,
        ]
        assert shipment.cell is not None and shipment.cell.kind == CellKind.RETURN_ZONE
    assert ShipmentEvent.objects.filter(actor__isnull=True).count() == 0
