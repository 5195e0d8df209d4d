import pytest

from pvz.accounts.models import User
from pvz.inbound.models import ManifestTote
from pvz.network.models import PickupPoint
from pvz.scanning.selectors import ManifestCounts, ScanTarget, scan_resolve
from pvz.shipments.statuses import Status
from tests.factories import (
    CarriageFactory,
    CellFactory,
    CustomerFactory,
    ManifestLineFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    ToteFactory,
    UserFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory()


@pytest.fixture
def operator(point: PickupPoint) -> User:
    return operator_at(point)


def test_a_label_barcode_resolves_to_the_shipment(point, operator):
    shipment = ShipmentFactory(point=point, barcode="ii11807135000")

    result = scan_resolve(user=operator, point=point, raw="II11807135000")

    assert result.target is ScanTarget.SHIPMENT
    assert result.shipment == shipment
    assert result.normalized == "ii11807135000"


def test_a_barcode_typed_in_the_russian_layout_resolves_to_the_shipment(point, operator):
    shipment = ShipmentFactory(point=point, barcode="ii11807135000")

    result = scan_resolve(user=operator, point=point, raw="шш11807135000")

    assert result.target is ScanTarget.SHIPMENT
    assert result.shipment == shipment
    assert result.raw == "шш11807135000"
    assert result.normalized == "ii11807135000"


def test_a_posting_number_resolves_to_the_shipment(point, operator):
    shipment = ShipmentFactory(point=point, posting_number="23281294-0063-2")

    result = scan_resolve(user=operator, point=point, raw="23281294-0063-2")

    assert result.target is ScanTarget.SHIPMENT
    assert result.shipment == shipment


def test_a_tote_at_the_point_resolves_with_its_expected_shipments(point, operator):
    tote = ToteFactory(barcode="%101%12345678901", point=point)
    expected = ShipmentFactory(point=point, tote=tote, status=Status.EXPECTED)
    ShipmentFactory(point=point, tote=tote, status=Status.ACCEPTED)

    result = scan_resolve(user=operator, point=point, raw="%101%12345678901")

    assert result.target is ScanTarget.TOTE
    assert result.tote == tote
    assert result.shipments == (expected,)


def test_a_tote_still_on_its_way_in_a_carriage_to_the_point_resolves(point, operator):
    tote = ToteFactory(barcode="%101%12345678902", point=None)
    carriage = CarriageFactory(point=point)
    ManifestTote.objects.create(carriage=carriage, tote=tote)
    line = ManifestLineFactory(carriage=carriage, shipment=ShipmentFactory(point=point), tote=tote)

    result = scan_resolve(user=operator, point=point, raw="%101%12345678902")

    assert result.target is ScanTarget.TOTE
    assert result.shipments == (line.shipment,)


def test_a_tote_of_another_point_is_not_found(point, operator):
    ToteFactory(barcode="%101%12345678903", point=PickupPointFactory())

    result = scan_resolve(user=operator, point=point, raw="%101%12345678903")

    assert result.target is ScanTarget.NOT_FOUND


def test_a_cell_resolves_with_the_parcels_it_holds(point, operator):
    cell = CellFactory(point=point, address="A-03-2")
    held = ShipmentFactory(point=point, cell=cell, status=Status.STORED)

    result = scan_resolve(user=operator, point=point, raw="a-03-2")

    assert result.target is ScanTarget.CELL
    assert result.cell == cell
    assert result.shipments == (held,)


def test_a_carriage_resolves_with_its_manifest_counts(point, operator):
    carriage = CarriageFactory(point=point, number="CAR-20261127001")
    ManifestTote.objects.create(carriage=carriage, tote=ToteFactory())
    ManifestLineFactory(carriage=carriage, shipment=ShipmentFactory(point=point, status=Status.EXPECTED))
    ManifestLineFactory(carriage=carriage, shipment=ShipmentFactory(point=point, status=Status.ACCEPTED))

    result = scan_resolve(user=operator, point=point, raw="сфк-20261127001")  # "car" in the Russian layout

    assert result.target is ScanTarget.CARRIAGE
    assert result.carriage == carriage
    assert result.manifest == ManifestCounts(totes=1, shipments=2, still_expected=1)


def test_a_pickup_code_lists_the_customers_stored_parcels_at_this_point_only(point, operator):
    customer = CustomerFactory(pickup_number="12345678")
    order = OrderFactory(customer=customer)
    ready = ShipmentFactory(point=point, order=order, partner=order.partner, status=Status.STORED)
    ShipmentFactory(point=point, order=order, partner=order.partner, status=Status.EXPECTED)
    ShipmentFactory(point=PickupPointFactory(), order=order, partner=order.partner, status=Status.STORED)

    result = scan_resolve(user=operator, point=point, raw="12345678*0042")

    assert result.target is ScanTarget.CUSTOMER
    assert result.customer == customer
    assert result.shipments == (ready,)


def test_a_pickup_code_of_a_customer_with_nothing_at_this_point_is_not_found(point, operator):
    customer = CustomerFactory(pickup_number="87654321")
    order = OrderFactory(customer=customer)
    ShipmentFactory(point=PickupPointFactory(), order=order, partner=order.partner, status=Status.STORED)

    result = scan_resolve(user=operator, point=point, raw="87654321*0042")

    assert result.target is ScanTarget.NOT_FOUND


def test_an_unknown_code_is_not_found_and_keeps_what_was_typed(point, operator):
    result = scan_resolve(user=operator, point=point, raw=" шш999 ")

    assert result.target is ScanTarget.NOT_FOUND
    assert result.found is False
    assert result.raw == " шш999 "
    assert result.normalized == "ii999"


def test_an_empty_scan_is_not_found(point, operator):
    result = scan_resolve(user=operator, point=point, raw=" \t")

    assert result.target is ScanTarget.NOT_FOUND
    assert result.normalized == ""


def test_a_shipment_of_another_point_is_not_found(point, operator):
    ShipmentFactory(point=PickupPointFactory(), barcode="ii11807135777")

    result = scan_resolve(user=operator, point=point, raw="ii11807135777")

    assert result.target is ScanTarget.NOT_FOUND
    assert result.shipment is None


def test_nothing_resolves_for_a_user_who_does_not_work_at_the_point(point):
    cell = CellFactory(point=point, address="A-01-1")
    stranger = UserFactory()

    result = scan_resolve(user=stranger, point=point, raw=cell.address)

    assert result.target is ScanTarget.NOT_FOUND
