"""The scan router and the partners' label patterns: namesakes resolve to the pattern's partner, and an
unknown code says whose label it looks like without revealing any other point's shipment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pvz.accounts.models import User
from pvz.network.models import Partner, PickupPoint
from pvz.scanning.selectors import ScanTarget, scan_resolve
from pvz.shipments.models import Shipment
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory()


@pytest.fixture
def operator(point: PickupPoint) -> User:
    return operator_at(point)


@pytest.fixture
def ozon() -> Partner:
    return PartnerFactory(name="Ozon", barcode_patterns=[r"ii\d{11}", r"\d{15}"])


def test_an_unknown_label_says_whose_label_it_looks_like(point, operator, ozon):
    result = scan_resolve(user=operator, point=point, raw="шш99999999999")

    assert result.target is ScanTarget.NOT_FOUND
    assert result.normalized == "ii99999999999"
    assert result.label_partners == (ozon,)
    assert result.shipment is None


def test_a_code_of_no_pattern_gets_no_hint(point, operator, ozon):
    result = scan_resolve(user=operator, point=point, raw="4607001234567")

    assert result.target is ScanTarget.NOT_FOUND
    assert result.label_partners == ()


def test_the_hint_does_not_reveal_a_shipment_of_another_point(point, operator, ozon):
    ShipmentFactory(partner=ozon, point=PickupPointFactory(), barcode="ii99999999999")

    result = scan_resolve(user=operator, point=point, raw="ii99999999999")

    assert result.target is ScanTarget.NOT_FOUND
    assert (result.shipment, result.shipments) == (None, ())
    assert result.label_partners == (ozon,)  # what any such code would say, found elsewhere or not


def test_namesakes_here_resolve_to_the_partner_whose_pattern_the_code_matches(point, operator, ozon):
    ours = ShipmentFactory(partner=ozon, point=point, barcode="ii55555555555")
    theirs = ShipmentFactory(partner=PartnerFactory(name="Другой"), point=point, barcode="ii55555555555")
    Shipment.objects.filter(pk=theirs.pk).update(updated_at=timezone.now() + dt.timedelta(days=1))

    result = scan_resolve(user=operator, point=point, raw="II55555555555")

    assert (result.target, result.shipment) == (ScanTarget.SHIPMENT, ours)


def test_without_patterns_the_newest_namesake_here_wins_as_before(point, operator):
    ShipmentFactory(point=point, barcode="ii55555555555")
    newest = ShipmentFactory(point=point, barcode="ii55555555555")
    Shipment.objects.filter(pk=newest.pk).update(updated_at=timezone.now() + dt.timedelta(days=1))

    assert scan_resolve(user=operator, point=point, raw="ii55555555555").shipment == newest


def test_a_shipment_found_once_reads_no_patterns_and_an_unknown_one_reads_them_once(point, operator, ozon):
    ShipmentFactory(partner=ozon, point=point, barcode="ii11807135000")
    scan_resolve(user=operator, point=point, raw="ii11807135000")  # warms the caller's per-user caches

    with CaptureQueriesContext(connection) as found:
        scan_resolve(user=operator, point=point, raw="ii11807135000")
    with CaptureQueriesContext(connection) as missing:
        scan_resolve(user=operator, point=point, raw="ii11807135001")

    # Measured before patterns existed: 2 each (the caller's access, the lookup).
    assert (len(found), len(missing)) == (2, 3)


def test_the_scan_page_says_whose_label_it_looks_like(client, point, operator, ozon):
    client.force_login(operator, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()

    response = client.get("/scan/", {"code": "шш99999999999"})

    html = response.content.decode()
    assert response.status_code == 404
    assert f'data-label-partner="{ozon.code}"' in html
    assert "Похоже на этикетку Ozon, но на этом ПВЗ такого отправления нет." in html
