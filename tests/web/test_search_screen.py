"""The «Поиск» page: one box, results with place, status and deadline, scoped to the user's points."""

from __future__ import annotations

import re

import pytest

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

PAGE = "/search/"


@pytest.fixture
def parcel(clock, point):
    customer = CustomerFactory(phone="+79161234567", name="Анна Петрова")
    order = OrderFactory(number="23281294", customer=customer)
    shipment = ShipmentFactory(
        point=point,
        order=order,
        partner=order.partner,
        posting_number="23281294-0063-2",
        barcode="ii11807135000",
        status=Status.ACCEPTED,
    )
    shipment_transition(
        actor=None,
        shipment_id=shipment.pk,
        to_status=Status.STORED,
        cell=CellFactory(point=point, address="A-03-2"),
    )
    return shipment


def hits(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-hit="(\d+)"', html)]


def test_the_empty_page_explains_what_can_be_searched(sign_in, point, operator) -> None:
    response = sign_in(operator, point).get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-search-empty" in html
    assert 'name="q"' in html
    assert 'href="/search/" aria-current="page"' in html
    assert 'name="everywhere"' not in html  # one point only: nothing to widen


@pytest.mark.parametrize(
    "query", ["шш11807135000", "23281294-0063-2", "23281294", "8 916 123-45-67", "ф-03-2"]
)
def test_a_query_shows_the_parcel_with_its_cell_status_deadline_and_a_link_to_its_card(
    sign_in, point, operator, parcel, query
) -> None:
    response = sign_in(operator, point).get(PAGE, {"q": query})

    assert response.status_code == 200
    html = response.content.decode()
    assert hits(html) == [parcel.pk]
    assert f'href="/shipments/{parcel.pk}/"' in html
    assert 'data-field="cell">A-03-2<' in html
    assert 'data-status="STORED"' in html
    assert 'data-field="deadline">04.12.2026 23:59<' in html
    assert 'data-field="phone">+7 916 ***-**-67<' in html


def test_the_card_shows_the_full_history(sign_in, point, operator, parcel) -> None:
    html = sign_in(operator, point).get(f"/shipments/{parcel.pk}/").content.decode()

    assert 'data-event="ACCEPTED-STORED"' in html


def test_a_manager_sees_the_full_phone(sign_in, point, parcel) -> None:
    html = sign_in(operator_at(point, Role.MANAGER), point).get(PAGE, {"q": "23281294"}).content.decode()

    assert 'data-field="phone">+79161234567<' in html


def test_nothing_found_says_so(sign_in, point, operator, parcel) -> None:
    response = sign_in(operator, point).get(PAGE, {"q": "ii00000000000"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ничего не найдено." in html
    assert hits(html) == []


def test_an_empty_cell_says_it_is_empty(sign_in, point, operator) -> None:
    CellFactory(point=point, address="B-01-1")

    html = sign_in(operator, point).get(PAGE, {"q": "B-01-1"}).content.decode()

    assert 'data-cell-found="B-01-1"' in html
    assert "Ячейка пуста." in html


@pytest.mark.parametrize(("query", "code"), [("ab", "VALIDATION_FAILED"), ("+7 916", "VALIDATION_FAILED")])
def test_a_malformed_query_is_explained(sign_in, point, operator, query, code) -> None:
    response = sign_in(operator, point).get(PAGE, {"q": query})

    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-error-code="{code}"' in html
    assert f'value="{query}"' in html


def test_another_points_parcel_is_found_only_when_the_user_works_there_and_asks(
    sign_in, point, operator
) -> None:
    second = PickupPointFactory()
    there = ShipmentFactory(point=second, barcode="ii11807135999")
    client = sign_in(operator, point)

    assert hits(client.get(PAGE, {"q": "ii11807135999", "everywhere": "1"}).content.decode()) == []

    Membership.objects.create(user=operator, point=second, role=Role.OPERATOR)
    here_only = client.get(PAGE, {"q": "ii11807135999"}).content.decode()
    everywhere = client.get(PAGE, {"q": "ii11807135999", "everywhere": "1"}).content.decode()

    assert hits(here_only) == []
    assert "Искать на всех моих точках" in here_only
    assert hits(everywhere) == [there.pk]
    # The card lives at the parcel's point: the result switches there and opens it.
    assert f'name="point_id" value="{second.pk}"' in everywhere
    assert f'name="next" value="/shipments/{there.pk}/"' in everywhere


def test_search_needs_sign_in(client) -> None:
    response = client.get(PAGE, {"q": "ii11807135000"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
