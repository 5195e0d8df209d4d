"""A storage extension and a partner's cancellation leave one audit record each, pointing at their
shipment event (itself sealed into the chain in batches); per-parcel scans into the return zone leave
none; a refused or replayed write leaves none."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.network.services import special_places_ensure
from pvz.shipments.cancellation import shipment_cancel
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_extend_storage, shipment_to_return_zone, shipment_transition
from pvz.shipments.statuses import Status
from tests.audit.records import no_new_records, the_record
from tests.factories import CellFactory, PickupPointFactory, ShipmentFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point(db):
    point = PickupPointFactory()
    special_places_ensure(actor=None, point=point)
    return point


def stored(point) -> Shipment:
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=CellFactory(point=point)
    )
    return Shipment.objects.select_related("point").get(pk=shipment.pk)


def test_an_extension_is_one_record_and_its_replay_none(point, clock) -> None:
    operator = operator_at(point)
    shipment = stored(point)

    extension = shipment_extend_storage(actor=operator, shipment=shipment, days=3, key="ext-1")
    with no_new_records():
        shipment_extend_storage(actor=operator, shipment=shipment, days=3, key="ext-1")

    record = the_record("shipment.extended", actor=operator, point_id=point.pk, obj=shipment)
    assert record.details == {
        "days": 3,
        "event": extension.event.pk,
        "new_deadline": extension.shipment.storage_deadline.astimezone(dt.UTC).isoformat(),
    }


def test_a_second_extension_records_nothing(point, clock) -> None:
    operator = operator_at(point)
    shipment = stored(point)
    shipment_extend_storage(actor=operator, shipment=shipment, days=1, key=None)

    with no_new_records(), pytest.raises(DomainError) as error:
        shipment_extend_storage(actor=operator, shipment=shipment, days=1, key=None)
    assert error.value.code == ErrorCode.ALREADY_EXTENDED


def test_a_partners_cancellation_is_one_record_without_its_words_and_a_repeat_none(point, clock) -> None:
    shipment = stored(point)

    cancellation = shipment_cancel(actor=None, shipment=shipment, reason="Клиент Иванов передумал", key="c-1")
    with no_new_records():
        shipment_cancel(actor=None, shipment=shipment, reason="Клиент Иванов передумал", key="c-2")

    record = the_record("shipment.cancelled", actor=None, point_id=point.pk, obj=shipment)
    assert record.details == {"event": cancellation.event.pk}


def test_cancelling_a_parcel_not_on_a_shelf_records_nothing(point, clock) -> None:
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)

    with no_new_records(), pytest.raises(DomainError) as error:
        shipment_cancel(actor=None, shipment=shipment, reason="передумал", key=None)
    assert error.value.code == ErrorCode.INVALID_TRANSITION


def test_a_return_zone_scan_writes_no_chained_record(point, clock) -> None:
    operator = operator_at(point)
    shipment = stored(point)
    shipment_cancel(actor=None, shipment=shipment, reason="передумал", key=None)

    with no_new_records():
        shipment_to_return_zone(actor=operator, point=point, code=shipment.barcode, key=None)
