"""Inbound writes leave one audit record each (ETA, arrival, acceptance open / damage / close, tote
moves); scans stay out of the chain (their shipment events are sealed in batches); refusals leave none."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from pvz.audit.context import AuditContext, use_audit_context
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import CarriageStatus, ToteStatus
from pvz.inbound.services import (
    acceptance_close,
    acceptance_mark_damaged,
    acceptance_open,
    acceptance_scan,
    carriage_eta_update,
    carriage_register_arrival,
    tote_send_back,
    tote_use_for_returns,
)
from pvz.network.models import CellKind
from tests.audit.records import no_new_records, the_record
from tests.factories import CarriageFactory, CellFactory, PickupPointFactory, operator_at
from tests.fakes.photos import PNG

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (PVZ terminal)"


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def scan(delivery, acceptance, code: str, *, auto: bool = False):
    return acceptance_scan(
        actor=delivery.operator, acceptance=acceptance, code=code, scan_id=uuid.uuid4(), auto_place=auto
    )


def test_an_eta_change_is_recorded_with_the_requests_actor_ip_and_user_agent(clock) -> None:
    point = PickupPointFactory()
    operator = operator_at(point)
    old = clock.now() + dt.timedelta(hours=1)
    carriage = CarriageFactory(point=point, eta=old)
    new = clock.now() + dt.timedelta(hours=3)
    request = RequestFactory().post("/", HTTP_USER_AGENT=AGENT, REMOTE_ADDR="192.0.2.7")
    request.user = operator

    with use_audit_context(AuditContext(ip="192.0.2.7", user_agent=AGENT, request=request)):
        carriage_eta_update(actor=None, carriage=carriage, eta=new)

    record = the_record("carriage.eta_updated", actor=operator, point_id=point.pk, obj=carriage)
    assert (record.ip, record.user_agent) == ("192.0.2.7", AGENT)
    assert record.details == {"number": carriage.number, "old_eta": utc(old), "eta": utc(new)}


def test_a_refused_eta_change_records_nothing(clock) -> None:
    carriage = CarriageFactory(status=CarriageStatus.ARRIVED)

    with no_new_records(), pytest.raises(DomainError) as error:
        carriage_eta_update(actor=None, carriage=carriage, eta=clock.now())
    assert error.value.code == ErrorCode.CONFLICT


def test_arrival_is_recorded_once_and_repeating_it_records_nothing(clock) -> None:
    point = PickupPointFactory()
    operator = operator_at(point)
    carriage = CarriageFactory(point=point)
    act = {"driver_name": "Пётр Иванов", "vehicle_plate": "А123ВС77", "seal_numbers": ["1234", "5678"]}

    carriage_register_arrival(actor=operator, carriage=carriage, **act)
    with no_new_records():
        carriage_register_arrival(actor=operator, carriage=carriage, **act)
    with no_new_records(), pytest.raises(DomainError) as error:
        carriage_register_arrival(actor=operator, carriage=carriage, driver_name="Другой")
    assert error.value.code == ErrorCode.CONFLICT

    record = the_record("carriage.arrived", actor=operator, point_id=point.pk, obj=carriage)
    assert record.details == {
        "number": carriage.number,
        "arrived_at": utc(clock.now()),
        "vehicle_plate": "А123ВС77",
        "seals": 2,
    }
    assert "Пётр" not in str(record.details)


def test_opening_is_recorded_once_however_many_operators_join(delivery) -> None:
    acceptance = acceptance_open(actor=delivery.operator, carriage=delivery.carriage)
    with no_new_records():
        acceptance_open(actor=operator_at(delivery.point), carriage=delivery.carriage)

    record = the_record(
        "acceptance.opened", actor=delivery.operator, point_id=delivery.point.pk, obj=acceptance
    )
    assert record.details == {
        "carriage": delivery.carriage.pk,
        "number": delivery.carriage.number,
        "arrival_registered": True,
    }


def test_opening_a_closed_carriage_records_nothing(delivery, acceptance) -> None:
    acceptance_close(actor=delivery.operator, acceptance=acceptance)

    with no_new_records(), pytest.raises(DomainError) as error:
        acceptance_open(actor=delivery.operator, carriage=delivery.carriage)
    assert error.value.code == ErrorCode.ACCEPTANCE_CLOSED


def test_scans_write_no_chained_record(delivery, acceptance) -> None:
    with no_new_records():
        for parcel in delivery.shipments()[:3]:
            scan(delivery, acceptance, parcel.barcode, auto=True)


def test_damage_is_recorded_on_the_parcel_without_the_note(delivery, acceptance, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    CellFactory(point=delivery.point, address="Z-01-1", kind=CellKind.INSPECTION)
    parcel = delivery.shipments()[0]
    scan(delivery, acceptance, parcel.barcode, auto=True)

    damage = acceptance_mark_damaged(
        actor=delivery.operator,
        acceptance=acceptance,
        shipment=parcel,
        note="Мокрая коробка",
        photo=ContentFile(PNG, name="x.png"),
    )

    record = the_record("acceptance.damaged", actor=delivery.operator, point_id=delivery.point.pk, obj=parcel)
    assert record.details == {"acceptance": acceptance.pk, "damage": damage.pk, "photo": True}


def test_damage_of_a_parcel_not_accepted_here_records_nothing(delivery, acceptance) -> None:
    with no_new_records(), pytest.raises(DomainError) as error:
        acceptance_mark_damaged(
            actor=delivery.operator, acceptance=acceptance, shipment=delivery.shipments()[0], note="вмятина"
        )
    assert error.value.code == ErrorCode.INVALID_TRANSITION


def test_closing_is_one_record_with_the_discrepancy_counts(delivery, acceptance) -> None:
    parcels = delivery.shipments()
    for parcel in parcels[:2]:
        scan(delivery, acceptance, parcel.barcode)

    acceptance_close(actor=delivery.operator, acceptance=acceptance)
    with no_new_records():
        acceptance_close(actor=delivery.operator, acceptance=acceptance)  # closed already: nothing new

    record = the_record(
        "acceptance.closed", actor=delivery.operator, point_id=delivery.point.pk, obj=acceptance
    )
    assert record.details == {
        "carriage": delivery.carriage.pk,
        "number": delivery.carriage.number,
        "expected": len(parcels),
        "accepted": 2,
        "shortage": len(parcels) - 2,
        "surplus": 0,
        "damaged": 0,
        "other_point": 0,
        "surplus_without_data": 0,
    }


def test_each_tote_move_is_one_record_and_a_refused_move_none(delivery, acceptance) -> None:
    tote = delivery.lines()[0].tote
    scan(delivery, acceptance, tote.barcode)
    acceptance_close(actor=delivery.operator, acceptance=acceptance)

    tote_use_for_returns(actor=delivery.operator, tote=tote, point=delivery.point)
    with no_new_records(), pytest.raises(DomainError) as error:
        tote_use_for_returns(actor=delivery.operator, tote=tote, point=delivery.point)
    assert error.value.code == ErrorCode.INVALID_TRANSITION
    record = the_record("tote.moved", actor=delivery.operator, point_id=delivery.point.pk, obj=tote)
    assert record.details == {"tote": tote.barcode, "from": ToteStatus.EMPTY, "to": ToteStatus.RETURNS}

    tote_send_back(actor=delivery.operator, tote=tote, point=delivery.point)
    moves = list(AuditRecord.objects.filter(action="tote.moved").order_by("seq"))
    assert [r.details["to"] for r in moves] == [ToteStatus.RETURNS, ToteStatus.SENT_BACK]
    assert moves[1].point_id == delivery.point.pk
