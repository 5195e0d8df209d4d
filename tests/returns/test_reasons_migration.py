"""The migrations that made refusal and return reasons one table (counter 0008, returns 0003/0004) keep
every reason and every return's reason: run from the state before them with a partner's own return reason
and a customer return that points at it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pvz.counter.models import ReasonKind, RefusalReason
from pvz.returns.models import CustomerReturn, ReturnReason
from tests.factories import CustomerFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, UserFactory

BEFORE = [("counter", "0007_typedparcel_moved"), ("returns", "0002_default_return_reasons")]
AT = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_return_reasons_and_the_returns_pointing_at_them_survive_the_merge() -> None:
    partner, point, customer, user = PartnerFactory(), PickupPointFactory(), CustomerFactory(), UserFactory()
    shipment = ShipmentFactory(partner=partner, point=point)
    refusals_before = sorted(RefusalReason.objects.values_list("pk", "code"))

    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    OldReturnReason = old.get_model("returns", "ReturnReason")
    own = OldReturnReason.objects.create(partner_id=partner.pk, code="late", title="Опоздал", position=1)
    visit = old.get_model("returns", "ReturnVisit").objects.create(
        point_id=point.pk, customer_id=customer.pk, opened_by_id=user.pk, opened_at=AT
    )
    old.get_model("returns", "CustomerReturn").objects.create(
        number="R-1",
        point_id=point.pk,
        visit_id=visit.pk,
        customer_id=customer.pk,
        shipment_id=shipment.pk,
        shipment_visit=1,
        reason_id=own.pk,
        condition="intact",
        issued_at=AT,
        window_ends_at=AT,
        accepted_by_id=user.pk,
        accepted_at=AT,
    )
    old_defaults = sorted(OldReturnReason.objects.filter(partner=None).values_list("code", "title"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = CustomerReturn.objects.get(number="R-1").reason
    assert isinstance(moved, ReturnReason)
    assert (moved.kind, moved.partner_id, moved.code, moved.title) == (
        ReasonKind.RETURN,
        partner.pk,
        "late",
        "Опоздал",
    )
    assert sorted(ReturnReason.objects.filter(partner=None).values_list("code", "title")) == old_defaults
    assert sorted(RefusalReason.objects.values_list("pk", "code")) == refusals_before
