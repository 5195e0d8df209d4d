"""The «Размещение» screen: one scan field; a parcel scan shows (and in auto mode takes) its cell."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.network.models import SizeClass
from pvz.shipments.models import ShipmentEvent
from pvz.shipments.statuses import Status
from pvz.web.speech import cell_address_spoken
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db

PAGE = "/placement/"
SCAN = "/placement/scan/"
SCANNER = {"X-Pvz-Scanner": "1"}


def accepted(point, **extra):
    return ShipmentFactory(point=point, status=Status.ACCEPTED, **extra)


def scan(client: Client, code: str, *, scan_id: str | None = None, **fields: object):
    """One scan as scanner.js sends it: the code, a fresh UUID, and the hidden fields of the last answer."""
    data = {"code": code, "scan_id": scan_id or str(uuid.uuid4()), **fields}
    return client.post(SCAN, data, headers=SCANNER)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, name
    return match.group(1)


@pytest.fixture
def manual(operator: User) -> User:
    operator.auto_placement = False
    operator.save()
    return operator


def test_the_page_has_the_scan_field_and_the_auto_placement_switch(sign_in, point, operator) -> None:
    client = sign_in(operator, point)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-scanner-input" in html
    assert "autofocus" in html
    assert 'role="switch" aria-checked="true"' in html
    assert "Автораспределение" in html
    assert "pvz/scanner.js" in html
    assert re.search(r'name="scan_id" value="[0-9a-f-]{36}"', html)


def test_the_page_needs_operate(sign_in, point) -> None:
    client = sign_in(operator_at(point, role=Role.SUPPORT), point)

    assert client.get(PAGE).status_code == 403
    assert scan(client, "A-01-1").status_code == 403


def test_manual_mode_shows_the_suggested_cell_then_the_cell_scan_places_it(sign_in, point, manual) -> None:
    CellFactory(point=point, address="A-03-2", size_class=SizeClass.S, capacity=4)
    shipment = accepted(point, barcode="ii11807135000")
    client = sign_in(manual, point)

    first = scan(client, "шш11807135000")

    assert first.status_code == 200
    html = first.content.decode()
    assert 'data-kind="suggested"' in html
    assert 'data-scan-outcome="prompt"' in html
    assert '<p class="cell-huge" data-cell="A-03-2">A-03-2</p>' in html
    assert 'data-speak="А ноль три два"' in html
    assert "Свободно 4 из 4" in html
    shipment.refresh_from_db()
    assert shipment.status == Status.ACCEPTED  # only suggested so far

    second = scan(client, "ф-03-2", pending=hidden(html, "pending"), suggested=hidden(html, "suggested"))

    html = second.content.decode()
    assert 'data-kind="placed"' in html
    assert 'data-scan-outcome="ok"' in html
    assert hidden(html, "pending") == ""
    shipment.refresh_from_db()
    assert shipment.status == Status.STORED
    assert shipment.cell is not None
    assert shipment.cell.address == "A-03-2"


def test_manual_mode_accepts_another_cell_that_fits(sign_in, point, manual) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    CellFactory(point=point, address="B-01-1", size_class=SizeClass.L)
    shipment = accepted(point)
    client = sign_in(manual, point)

    response = scan(client, "B-01-1", pending=shipment.pk, suggested="A-01-1")

    html = response.content.decode()
    assert 'data-kind="placed"' in html
    assert "Предлагалась A-01-1; выбранная ячейка подходит." in html
    shipment.refresh_from_db()
    assert shipment.cell is not None
    assert shipment.cell.address == "B-01-1"


def test_auto_mode_places_the_parcel_at_the_first_scan(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-03-2", size_class=SizeClass.S)
    shipment = accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)

    response = scan(client, "ii11807135000")

    html = response.content.decode()
    assert 'data-kind="placed"' in html
    assert 'data-scan-outcome="ok"' in html
    assert 'data-speak="А ноль три два"' in html
    shipment.refresh_from_db()
    assert shipment.status == Status.STORED
    assert shipment.cell is not None
    assert shipment.cell.address == "A-03-2"


@pytest.mark.parametrize(
    ("capacity", "size", "code", "status"),
    [(1, SizeClass.L, "CELL_FULL", 409), (5, SizeClass.S, "CELL_TOO_SMALL", 422)],
)
def test_a_refused_cell_shows_the_code_and_the_parcel_keeps_waiting(
    sign_in, point, manual, capacity, size, code, status
) -> None:
    cell = CellFactory(point=point, address="A-01-1", size_class=size, capacity=capacity)
    if code == "CELL_FULL":
        ShipmentFactory(point=point, status=Status.STORED, cell=cell)
    shipment = accepted(point, size_class=SizeClass.M, posting_number="23281294-0063-2")
    client = sign_in(manual, point)

    response = scan(client, "A-01-1", pending=shipment.pk, suggested="B-01-1")

    assert response.status_code == status
    html = response.content.decode()
    assert f'data-error-code="{code}"' in html
    assert f'<code class="code">{code}</code>' in html
    assert 'data-scan-outcome="error"' in html
    assert hidden(html, "pending") == str(shipment.pk)
    assert "Отправление 23281294-0063-2 всё ещё ждёт ячейку (предложена B-01-1)." in html
    shipment.refresh_from_db()
    assert shipment.status == Status.ACCEPTED


def test_no_free_cell_is_reported_with_its_code(sign_in, point, operator) -> None:
    accepted(point, barcode="ii11807135000", size_class=SizeClass.XL)
    client = sign_in(operator, point)

    response = scan(client, "ii11807135000")

    assert response.status_code == 409
    assert 'data-error-code="NO_FREE_CELL"' in response.content.decode()


def test_a_parcel_that_is_not_accepted_cannot_be_placed(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1")
    ShipmentFactory(point=point, barcode="ii11807135000", status=Status.EXPECTED)
    client = sign_in(operator, point)

    response = scan(client, "ii11807135000")

    html = response.content.decode()
    assert 'data-error-code="INVALID_TRANSITION"' in html
    assert "Разместить можно только принятое отправление. Это — «Ожидается»." in html


def test_a_replayed_scan_places_once_and_answers_the_same(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    CellFactory(point=point, address="A-01-2", size_class=SizeClass.S)
    shipment = accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)
    scan_id = str(uuid.uuid4())

    first = scan(client, "ii11807135000", scan_id=scan_id)
    again = scan(client, "ii11807135000", scan_id=scan_id)

    assert 'data-kind="placed"' in first.content.decode()
    html = again.content.decode()
    assert 'data-kind="placed"' in html
    assert '<p class="cell-huge" data-cell="A-01-1">A-01-1</p>' in html
    assert "data-replayed" in html
    assert ShipmentEvent.objects.filter(shipment=shipment, to_status=Status.STORED).count() == 1


def test_a_new_scan_of_a_stored_parcel_shows_where_it_lies(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)
    scan(client, "ii11807135000")

    response = scan(client, "ii11807135000")

    html = response.content.decode()
    assert 'data-kind="stored"' in html
    assert '<p class="cell-huge" data-cell="A-01-1">A-01-1</p>' in html


def test_another_points_parcel_is_not_found(sign_in, point, operator) -> None:
    accepted(PickupPointFactory(), barcode="ii11807135999")
    client = sign_in(operator, point)

    response = scan(client, "ii11807135999")

    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-error-code="NOT_FOUND"' in html
    assert "Не найдено на этой точке." in html
    assert 'data-field="raw">ii11807135999<' in html


def test_an_unknown_code_that_is_a_partners_label_says_whose(sign_in, point, operator) -> None:
    PartnerFactory(name="Озон", barcode_patterns=[r"ii\d{11}"])
    accepted(PickupPointFactory(), barcode="ii11807135999")  # at another point: never revealed
    client = sign_in(operator, point)

    response = scan(client, "шш11807135999")  # the Russian layout

    assert response.status_code == 404
    html = response.content.decode()
    assert "Похоже на этикетку Озон, но на этой точке такого отправления нет." in html
    assert "Не найдено на этой точке." not in html


def test_move_mode_takes_a_stored_parcel_to_the_scanned_cell(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    CellFactory(point=point, address="B-02-1")
    shipment = accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)
    scan(client, "ii11807135000")  # auto mode: into A-01-1

    picked = scan(client, "ii11807135000", action="move")

    html = picked.content.decode()
    assert 'data-kind="move_picked"' in html
    assert '<p class="cell-huge cell-huge-from" data-cell="A-01-1">A-01-1</p>' in html
    moved = scan(client, "B-02-1", action="move", pending=hidden(html, "pending"))

    html = moved.content.decode()
    assert 'data-kind="moved"' in html
    assert "Было: A-01-1" in html
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cell.address if shipment.cell else None) == (Status.STORED, "B-02-1")


def test_a_replayed_move_scan_moves_once(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    CellFactory(point=point, address="B-02-1")
    shipment = accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)
    scan(client, "ii11807135000")
    scan_id = str(uuid.uuid4())

    scan(client, "B-02-1", scan_id=scan_id, action="move", pending=shipment.pk)
    again = scan(client, "B-02-1", scan_id=scan_id, action="move", pending=shipment.pk)

    assert "data-replayed" in again.content.decode()
    assert ShipmentEvent.objects.filter(shipment=shipment, kind="move").count() == 1


def test_a_cell_scanned_with_no_parcel_waiting_asks_for_the_parcel(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", capacity=3)
    client = sign_in(operator, point)

    response = scan(client, "A-01-1")

    html = response.content.decode()
    assert 'data-kind="cell_only"' in html
    assert "Свободно 3 из 3" in html
    assert 'data-speak=""' in html


def test_the_switch_persists_the_operators_mode(sign_in, point, operator) -> None:
    client = sign_in(operator, point)

    response = client.post("/placement/mode/", {"auto": ""}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'role="switch" aria-checked="false"' in response.content.decode()
    operator.refresh_from_db()
    assert operator.auto_placement is False
    client.post("/placement/mode/", {"auto": "1"})
    operator.refresh_from_db()
    assert operator.auto_placement is True


def test_without_javascript_a_scan_renders_the_whole_page_with_the_answer(sign_in, point, operator) -> None:
    CellFactory(point=point, address="A-01-1", size_class=SizeClass.S)
    accepted(point, barcode="ii11807135000")
    client = sign_in(operator, point)

    response = client.post(SCAN, {"code": "ii11807135000", "scan_id": str(uuid.uuid4())})

    html = response.content.decode()
    assert "<html" in html
    assert 'data-kind="placed"' in html


def test_a_scan_without_its_uuid_is_refused(sign_in, point, operator) -> None:
    client = sign_in(operator, point)

    response = client.post(SCAN, {"code": "A-01-1"}, headers=SCANNER)

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()


@pytest.mark.parametrize(
    ("address", "spoken"),
    [("A-03-2", "А ноль три два"), ("B-10-1", "Бэ один ноль один"), ("AB-7-12", "А Бэ семь один два")],
)
def test_cell_addresses_are_spoken_sign_by_sign(address: str, spoken: str) -> None:
    assert cell_address_spoken(address) == spoken
