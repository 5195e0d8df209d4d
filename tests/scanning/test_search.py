"""«Поиск предметов»: every kind of query finds its parcels, only at the points the caller may search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.core.errors import DomainError, ErrorCode
from pvz.scanning.search import SearchKind, shipments_search
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    ToteFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PickupPointFactory()


@pytest.fixture
def operator(point):
    return operator_at(point)


@pytest.fixture
def customer():
    return CustomerFactory(phone="+79161234567", pickup_number="12345678")


@pytest.fixture
def parcel(point, customer):
    order = OrderFactory(number="23281294", customer=customer)
    return ShipmentFactory(
        point=point,
        order=order,
        partner=order.partner,
        posting_number="23281294-0063-2",
        barcode="ii11807135000",
        status=Status.ACCEPTED,
    )


def ids(result) -> list[int]:
    return [hit.shipment.pk for hit in result.hits]


def refused(code: ErrorCode, action) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("23281294-0063-2", SearchKind.POSTING_NUMBER),
        ("ii11807135000", SearchKind.BARCODE),
        ("II11807135000", SearchKind.BARCODE),
        ("шш11807135000", SearchKind.BARCODE),  # scanned with the Russian keyboard layout
        (" ii11807135000\n", SearchKind.BARCODE),
        ("23281294", SearchKind.ORDER_NUMBER),
        ("12345678*0000", SearchKind.PICKUP_CODE),
        ("+79161234567", SearchKind.PHONE),
        ("+7 (916) 123-45-67", SearchKind.PHONE),
        ("8 916 123-45-67", SearchKind.PHONE),
        ("89161234567", SearchKind.PHONE),
        ("9161234567", SearchKind.PHONE),
    ],
)
def test_every_kind_of_query_finds_the_parcel(point, operator, parcel, query, kind) -> None:
    result = shipments_search(user=operator, point=point, query=query)

    assert ids(result) == [parcel.pk]
    assert result.hits[0].matched_by == (kind,)


def test_a_tote_barcode_lists_the_parcels_that_came_in_it(point, operator, parcel) -> None:
    tote = ToteFactory(barcode="%101%12345678901")
    parcel.tote = tote
    parcel.save()
    ShipmentFactory(point=point)  # not in the tote

    result = shipments_search(user=operator, point=point, query="%101%12345678901")

    assert ids(result) == [parcel.pk]
    assert result.hits[0].matched_by == (SearchKind.TOTE,)


def test_a_cell_address_lists_what_lies_in_it_in_any_layout(point, operator) -> None:
    cell = CellFactory(point=point, address="A-03-2")
    second, first = (
        ShipmentFactory(point=point, posting_number="23281294-0002-1", status=Status.ACCEPTED),
        ShipmentFactory(point=point, posting_number="23281294-0001-1", status=Status.ACCEPTED),
    )
    for shipment in (second, first):
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
    gone = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_transition(actor=None, shipment_id=gone.pk, to_status=Status.STORED, cell=cell)
    shipment_transition(actor=None, shipment_id=gone.pk, to_status=Status.ISSUED)

    result = shipments_search(user=operator, point=point, query="ф-03-2")

    assert result.cells == (cell,)
    assert ids(result) == [first.pk, second.pk]
    assert result.matched_kinds == (SearchKind.CELL,)


def test_an_empty_cell_is_found_with_nothing_in_it(point, operator) -> None:
    cell = CellFactory(point=point, address="B-01-1")

    result = shipments_search(user=operator, point=point, query="b-01-1")

    assert (result.cells, result.hits) == ((cell,), ())


def test_a_special_place_address_lists_its_parcels(point, operator) -> None:
    CellFactory(point=point, address="RETURNS", kind="return_zone")

    assert shipments_search(user=operator, point=point, query="returns").cells[0].address == "RETURNS"


def test_nothing_found_is_an_empty_result(point, operator, parcel) -> None:
    result = shipments_search(user=operator, point=point, query="ii99999999999")

    assert (result.hits, result.cells, result.truncated) == ((), (), False)
    assert result.normalized == "ii99999999999"


@pytest.mark.parametrize(
    ("query", "detail"),
    [("", "min_length"), ("   ", "min_length"), ("ab", "min_length"), ("x" * 101, "max_length")],
)
def test_a_too_short_or_too_long_query_is_a_validation_error(point, operator, query, detail) -> None:
    error = refused(
        ErrorCode.VALIDATION_FAILED, lambda: shipments_search(user=operator, point=point, query=query)
    )

    assert detail in error.details


def test_a_hundred_characters_are_still_searched(point, operator) -> None:
    assert shipments_search(user=operator, point=point, query="x" * 100).hits == ()


@pytest.mark.parametrize("query", ["+7 916 123", "+7 (999) 000-00-00-00-00", "+999 123 456 789"])
def test_a_malformed_phone_says_what_is_wrong(point, operator, query) -> None:
    error = refused(
        ErrorCode.VALIDATION_FAILED, lambda: shipments_search(user=operator, point=point, query=query)
    )

    assert error.details["reading"] == "phone"
    assert "телефон" in str(error.message)


def test_plain_digits_that_are_no_phone_are_searched_as_numbers(point, operator) -> None:
    shipment = ShipmentFactory(point=point, barcode="123456789012345")

    result = shipments_search(user=operator, point=point, query="123456789012345")

    assert ids(result) == [shipment.pk]
    assert result.phone is None


def test_a_customer_with_parcels_at_two_points_is_found_only_at_the_searched_one(
    point, operator, customer, parcel
) -> None:
    elsewhere = PickupPointFactory()
    order = OrderFactory(customer=customer)
    there = ShipmentFactory(point=elsewhere, order=order, partner=order.partner)

    assert ids(shipments_search(user=operator, point=point, query="+79161234567")) == [parcel.pk]
    assert ids(shipments_search(user=operator, point=None, query="+79161234567")) == [parcel.pk]
    assert there.pk not in ids(shipments_search(user=operator, point=None, query=there.barcode))


def test_a_user_of_several_points_searches_all_of_them_only_when_asked(
    point, operator, customer, parcel
) -> None:
    second = PickupPointFactory()
    Membership.objects.create(user=operator, point=second, role=Role.OPERATOR)
    order = OrderFactory(customer=customer)
    there = ShipmentFactory(point=second, order=order, partner=order.partner)

    assert ids(shipments_search(user=operator, point=point, query="89161234567")) == [parcel.pk]
    assert set(ids(shipments_search(user=operator, point=None, query="89161234567"))) == {parcel.pk, there.pk}


def test_another_points_parcel_is_not_found_by_any_identifier(point, operator) -> None:
    foreign = ShipmentFactory(point=PickupPointFactory(), posting_number="55555555-0001-1", barcode="ii5555")

    for query in ("55555555-0001-1", "ii5555", foreign.order.number):
        assert shipments_search(user=operator, point=None, query=query).hits == ()


def test_searching_a_point_the_caller_does_not_work_at_is_not_found(operator) -> None:
    refused(
        ErrorCode.NOT_FOUND,
        lambda: shipments_search(user=operator, point=PickupPointFactory(), query="ii11807135000"),
    )


def test_the_full_phone_is_shown_only_to_those_who_manage_the_point(point, parcel) -> None:
    seen = {
        role: shipments_search(user=operator_at(point, role), point=point, query="23281294")
        .hits[0]
        .phone_visible
        for role in (Role.OPERATOR, Role.MANAGER, Role.OWNER, Role.SUPPORT)
    }

    assert seen == {Role.OPERATOR: False, Role.MANAGER: True, Role.OWNER: True, Role.SUPPORT: False}


def test_results_are_limited_newest_first_and_say_so(point, operator, customer) -> None:
    order = OrderFactory(customer=customer, number="77777777")
    made = [ShipmentFactory(point=point, order=order, partner=order.partner) for _ in range(4)]

    result = shipments_search(user=operator, point=point, query="77777777", limit=3)

    assert len(result.hits) == 3
    assert result.truncated is True
    assert set(ids(result)) <= {s.pk for s in made}
    assert shipments_search(user=operator, point=point, query="77777777", limit=4).truncated is False


def test_one_query_reading_several_ways_merges_the_hits(point, operator, customer) -> None:
    # "89161234567" is this customer's phone and also another parcel's label barcode.
    order = OrderFactory(customer=customer)
    by_phone = ShipmentFactory(point=point, order=order, partner=order.partner)
    by_barcode = ShipmentFactory(point=point, barcode="89161234567")

    result = shipments_search(user=operator, point=point, query="89161234567")

    assert {hit.shipment.pk: hit.matched_by for hit in result.hits} == {
        by_phone.pk: (SearchKind.PHONE,),
        by_barcode.pk: (SearchKind.BARCODE,),
    }


def test_a_search_takes_a_fixed_number_of_queries(point, operator, customer) -> None:
    order = OrderFactory(customer=customer, number="88888888")
    for _ in range(5):
        ShipmentFactory(point=point, order=order, partner=order.partner)

    shipments_search(user=operator, point=point, query="88888888")  # the user's platform roles, cached
    with CaptureQueriesContext(connection) as few:
        shipments_search(user=operator, point=point, query="88888888")
    for _ in range(20):
        ShipmentFactory(point=point, order=order, partner=order.partner)
    with CaptureQueriesContext(connection) as many:
        shipments_search(user=operator, point=point, query="88888888")

    assert len(many) == len(few)
