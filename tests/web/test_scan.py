import pytest

from pvz.network.models import PickupPoint
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def test_scanning_a_shipment_opens_its_card(sign_in, point: PickupPoint, operator):
    shipment = ShipmentFactory(point=point, barcode="ii11807135000")
    client = sign_in(operator, point)

    response = client.get("/scan/", {"code": "шш11807135000"})

    assert response.status_code == 302
    assert response["Location"] == f"/shipments/{shipment.pk}/"


def test_scanning_a_cell_lists_what_it_holds(sign_in, point: PickupPoint, operator):
    cell = CellFactory(point=point, address="B-02-1")
    ShipmentFactory(point=point, cell=cell, status=Status.STORED, posting_number="55555555-0001-1")
    client = sign_in(operator, point)

    response = client.get("/scan/", {"code": "b-02-1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="cell-address">B-02-1</span>' in html
    assert 'data-count="cell_shipments">1<' in html
    assert "55555555-0001-1" in html


def test_an_unknown_scan_is_404_and_shows_what_was_typed_and_what_to_do(
    sign_in, point: PickupPoint, operator
):
    client = sign_in(operator, point)

    response = client.get("/scan/", {"code": " шш000 "})

    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-field="raw"> шш000 <' in html
    assert 'data-field="normalized">ii000<' in html
    assert "NOT_FOUND" in html
    assert "Введите вручную номер, напечатанный под штрихкодом." in html
    assert 'href="/search/"' in html


def test_another_points_parcel_is_not_found_here(sign_in, point: PickupPoint, operator):
    ShipmentFactory(point=PickupPointFactory(), barcode="ii11807135999")
    client = sign_in(operator, point)

    response = client.get("/scan/", {"code": "ii11807135999"})

    assert response.status_code == 404


def test_the_scan_box_is_in_the_header_of_every_point_page(sign_in, point: PickupPoint, operator):
    client = sign_in(operator, point)

    # Pages with a scan station of their own (acceptance, placement, issue, inventory) leave it out, so
    # that the two fields do not compete for the scanner's keystrokes.
    for url in ("/", "/search/", "/returnflow/"):
        html = client.get(url).content.decode()
        assert '<form class="scanbox" action="/scan/" method="get" role="search">' in html
        assert "data-scan-input" in html
