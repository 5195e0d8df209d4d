import datetime as dt
import re

import pytest

from pvz.network.models import PickupPoint
from pvz.shipments.statuses import Status
from tests.conftest import MSK
from tests.factories import CarriageFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def _count(html: str, key: str) -> int:
    match = re.search(rf'data-count="{key}">(\d+)<', html)
    assert match is not None, key
    return int(match.group(1))


def test_dashboard_shows_todays_counts_for_the_current_point(sign_in, point: PickupPoint, operator, clock):
    today_eta = dt.datetime(2026, 11, 27, 14, 0, tzinfo=MSK)
    tomorrow_eta = dt.datetime(2026, 11, 28, 9, 0, tzinfo=MSK)
    ShipmentFactory(point=point, carriage=CarriageFactory(point=point, eta=today_eta))
    ShipmentFactory(point=point, carriage=CarriageFactory(point=point, eta=tomorrow_eta))
    later = dt.datetime(2026, 12, 1, 23, 59, tzinfo=MSK)
    ShipmentFactory.create_batch(2, point=point, status=Status.STORED, storage_deadline=later)
    tonight = dt.datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=MSK)
    ShipmentFactory(point=point, status=Status.STORED, storage_deadline=tonight)
    ShipmentFactory(point=point, status=Status.AWAITING_DISPATCH)
    ShipmentFactory(status=Status.STORED, storage_deadline=tonight)  # another point's parcel
    client = sign_in(operator, point)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _count(html, "expected_today") == 1
    assert _count(html, "stored") == 3
    assert _count(html, "expiring_today") == 1
    assert _count(html, "awaiting_dispatch") == 1
    assert f'data-live-counts="/ws/points/{point.pk}/"' in html
