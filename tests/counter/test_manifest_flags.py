"""The partner's manifest flags at the counter: try-on only where allowed (inspecting always is), an order
sold whole is taken whole or refused whole, and the flags reach the API and the session screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import IssueLine, LineResult, LineState
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services import (
    line_inspect,
    line_refuse,
    line_take,
    line_try_on,
    session_finish,
    session_scan,
)
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import CellFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def scan(counter, session, parcel) -> IssueLine:
    return session_scan(actor=counter.operator, session=session, code=parcel.barcode).line


def refuse(counter, session, line: IssueLine) -> None:
    reason = refusal_reasons_for(partner=counter.partner)[0]
    line_refuse(actor=counter.operator, session=session, line_id=line.pk, reason_id=reason.pk)


def order_of(counter, count: int, **flags) -> list[Shipment]:
    """`count` parcels of one order of the counter's customer, STORED at the counter's point."""
    order = OrderFactory(partner=counter.partner, customer=counter.customer)
    cell = counter.point.cells.get(address="A-01-1")
    parcels = []
    for _ in range(count):
        shipment = ShipmentFactory(
            point=counter.point, partner=counter.partner, order=order, status=Status.ACCEPTED, **flags
        )
        parcels.append(
            shipment_transition(
                actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell
            ).shipment
        )
    return parcels


def status_of(parcel: Shipment) -> str:
    return Shipment.objects.get(pk=parcel.pk).status


# ---- try-on ---------------------------------------------------------------------------------------------


def test_try_on_is_refused_where_the_partner_does_not_allow_it_and_the_line_stays(counter) -> None:
    parcel = counter.stored(try_on_allowed=False)
    session = counter.session()
    line = scan(counter, session, parcel)

    with pytest.raises(DomainError) as error:
        line_try_on(actor=counter.operator, session=session, line_id=line.pk)

    assert error.value.code == ErrorCode.TRY_ON_NOT_ALLOWED
    assert error.value.http_status == 409
    assert IssueLine.objects.get(pk=line.pk).state == LineState.TAKEN
    # Inspecting is always allowed.
    assert (
        line_inspect(actor=counter.operator, session=session, line_id=line.pk).state == LineState.INSPECTING
    )


def test_try_on_where_allowed_then_taken_is_issued(counter) -> None:
    parcel = counter.stored(try_on_allowed=True)
    session = counter.session()
    line = scan(counter, session, parcel)

    assert line_try_on(actor=counter.operator, session=session, line_id=line.pk).state == LineState.TRYING_ON
    # A parcel being tried on is still taken at the finish unless refused.
    result = session_finish(actor=counter.operator, session=session)

    assert [o.result for o in result.lines] == [LineResult.ISSUED]
    assert status_of(parcel) == Status.ISSUED


def test_a_refused_parcel_cannot_be_tried_on_until_the_refusal_is_undone(counter) -> None:
    parcel = counter.stored(try_on_allowed=True)
    session = counter.session()
    line = scan(counter, session, parcel)
    refuse(counter, session, line)

    with pytest.raises(DomainError):
        line_try_on(actor=counter.operator, session=session, line_id=line.pk)
    line_take(actor=counter.operator, session=session, line_id=line.pk)
    assert line_try_on(actor=counter.operator, session=session, line_id=line.pk).state == LineState.TRYING_ON


# ---- an order sold whole --------------------------------------------------------------------------------


def test_splitting_an_order_sold_whole_is_refused_and_changes_nothing(counter) -> None:
    first, second = order_of(counter, 2, partial_refusal_allowed=False)
    session = counter.session()
    kept = scan(counter, session, first)
    refused = scan(counter, session, second)
    refuse(counter, session, refused)

    with pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)

    assert error.value.code == ErrorCode.PARTIAL_REFUSAL_NOT_ALLOWED
    assert sorted(line["line_id"] for line in error.value.details["lines"]) == sorted([kept.pk, refused.pk])
    assert {line["code"] for line in error.value.details["lines"]} == {"PARTIAL_REFUSAL_NOT_ALLOWED"}
    assert (status_of(first), status_of(second)) == (Status.STORED, Status.STORED)
    assert IssueLine.objects.get(pk=kept.pk).result == LineResult.PENDING


@pytest.mark.parametrize("refuse_both", [True, False], ids=["refused-whole", "taken-whole"])
def test_an_order_sold_whole_goes_through_taken_whole_or_refused_whole(counter, refuse_both) -> None:
    parcels = order_of(counter, 2, partial_refusal_allowed=False)
    session = counter.session()
    lines = [scan(counter, session, parcel) for parcel in parcels]
    if refuse_both:
        for line in lines:
            refuse(counter, session, line)

    result = session_finish(actor=counter.operator, session=session)

    expected = LineResult.REFUSED if refuse_both else LineResult.ISSUED
    assert [o.result for o in result.lines] == [expected, expected]


def test_one_parcel_of_the_order_saying_whole_is_enough(counter) -> None:
    order = OrderFactory(partner=counter.partner, customer=counter.customer)
    cell = counter.point.cells.get(address="A-01-1")
    parcels = [
        shipment_transition(
            actor=None,
            shipment_id=ShipmentFactory(
                point=counter.point,
                partner=counter.partner,
                order=order,
                status=Status.ACCEPTED,
                partial_refusal_allowed=whole,
            ).pk,
            to_status=Status.STORED,
            cell=cell,
        ).shipment
        for whole in (True, False)
    ]
    session = counter.session()
    lines = [scan(counter, session, parcel) for parcel in parcels]
    refuse(counter, session, lines[0])

    with pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)
    assert error.value.code == ErrorCode.PARTIAL_REFUSAL_NOT_ALLOWED


def test_partial_refusal_allowed_by_default_and_other_orders_do_not_count(counter) -> None:
    first, second = order_of(counter, 2)  # the default: partial refusal allowed
    whole = order_of(counter, 1, partial_refusal_allowed=False)[0]
    session = counter.session()
    scan(counter, session, first)
    refuse(counter, session, scan(counter, session, second))
    refuse(counter, session, scan(counter, session, whole))

    result = session_finish(actor=counter.operator, session=session)

    assert sorted(o.result for o in result.lines) == sorted(
        [LineResult.ISSUED, LineResult.REFUSED, LineResult.REFUSED]
    )


def test_a_parcel_of_the_order_not_scanned_into_the_visit_does_not_count(counter) -> None:
    """The rest of an order sold whole may not have arrived yet: the visit decides what it holds."""
    taken, _later = order_of(counter, 2, partial_refusal_allowed=False)
    session = counter.session()
    scan(counter, session, taken)

    result = session_finish(actor=counter.operator, session=session)

    assert [o.result for o in result.lines] == [LineResult.ISSUED]


def test_split_order_outranks_the_other_blocking_checks(counter) -> None:
    first, second = order_of(counter, 2, partial_refusal_allowed=False, amount_due_kop=10_000)
    session = counter.session()
    scan(counter, session, first)
    refuse(counter, session, scan(counter, session, second))

    with pytest.raises(DomainError) as error:
        session_finish(actor=counter.operator, session=session)

    assert error.value.code == ErrorCode.PARTIAL_REFUSAL_NOT_ALLOWED
    codes = sorted(line["code"] for line in error.value.details["lines"])
    assert codes == ["PARTIAL_REFUSAL_NOT_ALLOWED", "PARTIAL_REFUSAL_NOT_ALLOWED", "PAYMENT_REQUIRED"]


# ---- API and screen -------------------------------------------------------------------------------------


def test_api_shows_the_flags_and_refuses_a_try_on_with_409(counter, signed_in) -> None:
    parcel = counter.stored(try_on_allowed=False, fragile=True, partial_refusal_allowed=False)
    session = counter.session()
    line = scan(counter, session, parcel)
    client = signed_in(counter.operator)
    base = f"/api/v1/counter/sessions/{session.pk}/lines/{line.pk}"

    answer = client.post(
        f"{base}/try-on", content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "TRY_ON_NOT_ALLOWED"

    shown = client.post(
        f"{base}/inspect", content_type="application/json", headers={"Idempotency-Key": "k-2"}
    )
    assert shown.status_code == 200
    body = shown.json()
    assert body["state"] == "inspecting"
    assert (
        body["shipment"]["try_on_allowed"],
        body["shipment"]["fragile"],
        body["shipment"]["partial_refusal_allowed"],
    ) == (False, True, False)


def test_session_screen_shows_the_flags_and_the_try_on_button_only_where_allowed(counter, client) -> None:
    CellFactory(point=counter.point, address="C-01-1", size_class=SizeClass.XL, capacity=20)
    may = counter.stored(try_on_allowed=True, fragile=True)
    may_not = counter.stored(cell="C-01-1")
    session = counter.session()
    may_line, may_not_line = scan(counter, session, may), scan(counter, session, may_not)
    client.force_login(counter.operator, backend="pvz.accounts.backends.PhoneCodeBackend")
    web_session = client.session
    web_session[POINT_SESSION_KEY] = counter.point.pk
    web_session.save()

    page = client.get(reverse("web:issue_session", args=[session.pk])).content.decode()

    try_on = reverse("web:issue_line", args=[session.pk, may_line.pk, "try-on"])
    assert try_on in page
    assert reverse("web:issue_line", args=[session.pk, may_not_line.pk, "try-on"]) not in page
    assert reverse("web:issue_line", args=[session.pk, may_not_line.pk, "inspect"]) in page
    assert page.count('data-flag="fragile"') == 1
    assert page.count('data-flag="try_on"') == 1
