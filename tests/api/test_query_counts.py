"""Query counts do not grow with the data: no N+1 on the endpoints and pages that list things."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, UserFactory


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.django_db
def test_me_costs_the_same_for_one_point_and_for_five(signed_in) -> None:
    few, many = UserFactory(), UserFactory()
    Membership.objects.create(user=few, point=PickupPointFactory(), role=Role.OPERATOR)
    for _ in range(5):
        Membership.objects.create(user=many, point=PickupPointFactory(), role=Role.MANAGER)

    assert _queries(signed_in(few), "/api/v1/me") == _queries(signed_in(many), "/api/v1/me")


@pytest.mark.django_db
def test_lookup_and_card_cost_the_same_for_a_short_and_a_long_history(signed_in, clock) -> None:
    point = PickupPointFactory()
    operator = UserFactory()
    Membership.objects.create(user=operator, point=point, role=Role.OPERATOR)
    short = ShipmentFactory(point=point)
    long = ShipmentFactory(point=point)
    shipment_transition(actor=operator, shipment_id=short.pk, to_status=Status.ACCEPTED)
    for status in (Status.ACCEPTED, Status.STORED, Status.REFUSED, Status.AWAITING_DISPATCH):
        cell = CellFactory(point=point) if status == Status.STORED else None
        shipment_transition(actor=operator, shipment_id=long.pk, to_status=status, cell=cell)
    client = signed_in(operator)
    session = client.session
    session["point_id"] = point.pk
    session.save()

    lookup = "/api/v1/shipments/lookup?code={}"
    assert _queries(client, lookup.format(short.barcode)) == _queries(client, lookup.format(long.barcode))
    assert _queries(client, f"/shipments/{short.pk}/") == _queries(client, f"/shipments/{long.pk}/")


@pytest.mark.django_db
def test_an_api_call_does_not_work_out_the_web_pages_current_point(signed_in) -> None:
    user, point = UserFactory(), PickupPointFactory()
    Membership.objects.create(user=user, point=point, role=Role.OPERATOR)
    client = signed_in(user)
    without_point = _queries(client, "/api/v1/me")
    session = client.session
    session["point_id"] = point.pk  # what choosing a point on the web pages stores
    session.save()

    assert _queries(client, "/api/v1/me") == without_point
