"""«Возвратный поток» screen, and how a cancelled parcel shows on the dashboard, on its card (where the
global scan box opens it) and on the scan-out screen."""

from __future__ import annotations

import re
import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.network.services import special_places_ensure
from pvz.shipments.cancellation import shipment_cancel
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_to_return_zone, shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db

BOARD = "/returnflow/"
BANNER = "Отменено партнёром: отнесите в зону возврата"


def parcel(point, *statuses: Status, address: str = "A-01-1", partner=None) -> Shipment:
    shipment = ShipmentFactory(point=point, **({"partner": partner} if partner else {}))
    for status in statuses:
        cell = CellFactory(point=point, address=address) if status == Status.STORED else None
        shipment_transition(actor=None, shipment_id=shipment.pk, to_status=status, cell=cell)
    return Shipment.objects.get(pk=shipment.pk)


def cancelled(point, address: str = "A-01-1") -> Shipment:
    shipment = parcel(point, Status.ACCEPTED, Status.STORED, address=address)
    shipment_cancel(actor=None, shipment=shipment, reason="Отмена заказа", key=None)
    return Shipment.objects.get(pk=shipment.pk)


def count(html: str, key: str) -> int:
    match = re.search(rf'data-count="{key}">(\d+)<', html)
    assert match is not None, key
    return int(match.group(1))


def test_the_board_lists_groups_to_move_and_overdue_rows(clock, sign_in, point, operator) -> None:
    special_places_ensure(actor=None, point=point)
    ozon = PartnerFactory(code="ozon", name="Ozon")
    old = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED, partner=ozon)
    clock.advance(days=3)
    fresh = parcel(point, Status.ACCEPTED, Status.DAMAGED, partner=ozon)
    lost = parcel(point, Status.ACCEPTED, Status.STORED, Status.LOST, address="A-01-2")

    response = sign_in(operator, point).get(BOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'data-flow-group="([^"]+)"', html) == ["ozon:expired", "ozon:damaged"]
    assert re.findall(r'data-shipment="(\d+)" data-stage="(\w+)"( data-overdue)?', html) == [
        (str(old.pk), "to_move", " data-overdue"),
        (str(fresh.pk), "to_move", ""),
        (str(lost.pk), "lost", ""),
    ]
    assert (count(html, "flow_to_move"), count(html, "flow_overdue"), count(html, "flow_lost")) == (2, 1, 1)
    assert "3 д 0 ч" in html


def test_the_board_needs_operate_and_is_in_the_menu(sign_in, point) -> None:
    support = sign_in(operator_at(point, role=Role.SUPPORT), point)

    assert support.get(BOARD).status_code == 403
    menu = sign_in(operator_at(point), point).get("/").content.decode()
    assert 'href="/returnflow/"' in menu


def test_the_board_of_an_empty_point_says_so(sign_in, point, operator) -> None:
    html = sign_in(operator, point).get(BOARD).content.decode()

    assert "data-empty" in html
    assert "data-flow-group" not in html


def test_the_dashboard_counts_cancelled_parcels(sign_in, point, operator) -> None:
    cancelled(point)

    html = sign_in(operator, point).get("/").content.decode()

    assert (count(html, "cancelled"), count(html, "stored")) == (1, 0)


def test_the_global_scan_opens_the_card_of_a_cancelled_parcel_with_the_banner(
    sign_in, point, operator
) -> None:
    shipment = cancelled(point)
    client = sign_in(operator, point)

    card = client.get("/scan/", {"code": shipment.barcode}, follow=True)

    assert card.redirect_chain == [(f"/shipments/{shipment.pk}/", 302)]
    assert "data-cancelled-banner" in card.content.decode()
    assert BANNER in card.content.decode()


def test_a_stored_parcels_card_has_no_banner(sign_in, point, operator) -> None:
    shipment = parcel(point, Status.ACCEPTED, Status.STORED)

    html = sign_in(operator, point).get(f"/shipments/{shipment.pk}/").content.decode()

    assert "data-cancelled-banner" not in html


def test_the_scan_out_screen_routes_a_cancelled_parcel_to_the_return_zone(sign_in, point, operator) -> None:
    shipment = cancelled(point)

    response = sign_in(operator, point).post(
        "/expiry/return-zone/scan/",
        {"code": shipment.barcode, "scan_id": str(uuid.uuid4())},
        headers={"X-Pvz-Scanner": "1"},
    )

    assert response.status_code == 200
    assert 'data-kind="moved"' in response.content.decode()
    after = Shipment.objects.select_related("cell").get(pk=shipment.pk)
    assert (after.status, after.cell.address) == (Status.AWAITING_DISPATCH, "RETURNS")


def test_another_points_parcel_is_not_on_the_board(sign_in, point, operator) -> None:
    parcel(PickupPointFactory(), Status.ACCEPTED, Status.STORED, Status.EXPIRED)

    html = sign_in(operator, point).get(BOARD).content.decode()

    assert "data-flow-group" not in html


def test_the_board_names_the_return_zone_and_shows_a_cell_by_its_address(sign_in, point, operator) -> None:
    special_places_ensure(actor=None, point=point)
    in_cell = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED, address="B-02-3")
    waiting = parcel(point, Status.ACCEPTED, Status.STORED, Status.EXPIRED, address="B-02-4")
    shipment_to_return_zone(actor=operator, point=point, code=waiting.barcode, key=None)

    html = sign_in(operator, point).get(BOARD).content.decode()

    cells = dict(re.findall(r'data-shipment="(\d+)".*?data-field="cell">([^<]+)<', html, flags=re.S))
    assert cells == {str(in_cell.pk): "B-02-3", str(waiting.pk): "Возврат"}
