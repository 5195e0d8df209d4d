"""«Сроки хранения» screens: «Истекает сегодня», the scan-out of expired parcels to the return zone, and the
extension button on the shipment card."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.network.models import CellKind
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.services import shipment_transition, shipments_expire_overdue
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
ONE_MICROSECOND = dt.timedelta(microseconds=1)
TODAY = "/expiry/"
RETURN_ZONE = "/expiry/return-zone/"
SCAN = "/expiry/return-zone/scan/"
LIST = "/expiry/return-zone/list/"
SCANNER = {"X-Pvz-Scanner": "1"}


def stored(point, address: str, **extra) -> Shipment:
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED, **extra)
    shipment_transition(
        actor=None,
        shipment_id=shipment.pk,
        to_status=Status.STORED,
        cell=CellFactory(point=point, address=address),
    )
    return Shipment.objects.get(pk=shipment.pk)


def scan(client: Client, code: str, *, scan_id: str | None = None):
    return client.post(SCAN, {"code": code, "scan_id": scan_id or str(uuid.uuid4())}, headers=SCANNER)


def kind(response) -> str:
    match = re.search(r'data-kind="([^"]*)"', response.content.decode())
    assert match is not None
    return match.group(1)


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-shipment="(\d+)"', html)]


# --- «Истекает сегодня»


def test_expiring_today_lists_todays_deadlines_by_cell_with_masked_phones(
    clock, sign_in, point, operator
) -> None:
    customer = CustomerFactory(phone="+79161234567", name="Анна")
    order = OrderFactory(customer=customer)
    later = stored(point, "B-01-1", order=order, partner=order.partner)
    earlier = stored(point, "A-01-1")
    clock.advance(days=1)
    tomorrow = stored(point, "A-02-1")
    clock.set(dt.datetime(2026, 12, 4, 9, 0, tzinfo=MSK))

    response = sign_in(operator, point).get(TODAY)

    assert response.status_code == 200
    html = response.content.decode()
    assert rows(html) == [earlier.pk, later.pk]
    assert tomorrow.pk not in rows(html)
    assert 'data-field="phone">+7 916 ***-**-67<' in html
    assert 'data-field="deadline">04.12.2026 23:59<' in html
    assert 'href="/expiry/" aria-current="page"' in html


def test_expiring_today_says_when_nothing_expires(sign_in, point, operator) -> None:
    html = sign_in(operator, point).get(TODAY).content.decode()

    assert "data-empty" in html


def test_the_expiry_screens_need_operate(sign_in, point) -> None:
    client = sign_in(operator_at(point, Role.SUPPORT), point)

    assert client.get(TODAY).status_code == 403
    assert client.get(RETURN_ZONE).status_code == 403
    assert client.get(LIST).status_code == 403
    assert scan(client, "ii11807135000").status_code == 403


# --- «Истёк срок: в зону возврата»


@pytest.fixture
def expired(clock, point) -> Shipment:
    shipment = stored(point, "A-03-2", barcode="ii11807135000")
    assert shipment.storage_deadline is not None
    clock.set(shipment.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()
    return shipment


def test_the_return_zone_page_is_a_scanner_screen_listing_the_expired_parcels(
    sign_in, point, operator, expired
):
    response = sign_in(operator, point).get(RETURN_ZONE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-scanner-input" in html and "autofocus" in html
    assert "pvz/scanner.js" in html and "pvz/expiry.js" in html
    assert re.search(r'name="scan_id" value="[0-9a-f-]{36}"', html)
    assert rows(html) == [expired.pk]
    assert 'data-field="cell">A-03-2<' in html


def test_a_scan_moves_the_parcel_to_the_return_zone_and_the_list_empties(
    sign_in, point, operator, expired
) -> None:
    client = sign_in(operator, point)

    response = scan(client, "шш11807135000")

    assert response.status_code == 200
    assert kind(response) == "moved"
    html = response.content.decode()
    assert 'data-scan-outcome="ok"' in html
    assert "Взято из ячейки A-03-2" in html
    after = Shipment.objects.select_related("cell").get(pk=expired.pk)
    assert (after.status, after.cell.kind) == (Status.AWAITING_DISPATCH, CellKind.RETURN_ZONE)
    assert rows(client.get(LIST).content.decode()) == []


def test_a_second_scan_is_harmless_and_a_resent_scan_acts_once(sign_in, point, operator, expired) -> None:
    client = sign_in(operator, point)
    scan_id = str(uuid.uuid4())
    scan(client, "ii11807135000", scan_id=scan_id)

    resent = scan(client, "ii11807135000", scan_id=scan_id)
    again = scan(client, "ii11807135000")

    assert kind(resent) == "moved"
    assert "data-replayed" in resent.content.decode()
    assert kind(again) == "already"
    assert 'data-scan-outcome="prompt"' in again.content.decode()
    assert expired.events.filter(to_status=Status.AWAITING_DISPATCH).count() == 1


def test_a_parcel_within_its_deadline_is_refused_and_stays(clock, sign_in, point, operator) -> None:
    shipment = stored(point, "A-01-1", barcode="ii11807135001")
    assert shipment.storage_deadline is not None
    clock.set(shipment.storage_deadline)

    response = scan(sign_in(operator, point), "ii11807135001")

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-error-code="STORAGE_NOT_EXPIRED"' in html
    assert 'data-scan-outcome="error"' in html
    assert Shipment.objects.get(pk=shipment.pk).status == Status.STORED


def test_another_points_parcel_is_not_found(clock, sign_in, point, operator) -> None:
    foreign = stored(PickupPointFactory(), "A-01-1", barcode="ii11807135002")
    assert foreign.storage_deadline is not None
    clock.set(foreign.storage_deadline + ONE_MICROSECOND)
    shipments_expire_overdue()

    response = scan(sign_in(operator, point), "ii11807135002")

    assert response.status_code == 404
    assert 'data-error-code="NOT_FOUND"' in response.content.decode()
    assert Shipment.objects.get(pk=foreign.pk).status == Status.EXPIRED


def test_without_javascript_the_scan_answers_with_the_whole_page(sign_in, point, operator, expired) -> None:
    response = sign_in(operator, point).post(SCAN, {"code": "ii11807135000", "scan_id": str(uuid.uuid4())})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="moved"' in html
    assert "data-scanner-input" in html
    assert rows(html) == []


def test_a_scan_without_its_id_is_refused(sign_in, point, operator) -> None:
    response = sign_in(operator, point).post(SCAN, {"code": "ii11807135000"}, headers=SCANNER)

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()


# --- Extension on the shipment card


def card(client: Client, shipment: Shipment) -> str:
    return client.get(f"/shipments/{shipment.pk}/").content.decode()


def extend(client: Client, shipment: Shipment, days: object, key: str | None = None):
    return client.post(f"/shipments/{shipment.pk}/extend/", {"days": days, "key": key or str(uuid.uuid4())})


def test_the_card_offers_extension_once_for_a_stored_parcel(clock, sign_in, point, operator) -> None:
    shipment = stored(point, "A-01-1")
    client = sign_in(operator, point)
    assert "data-extend-form" in card(client, shipment)

    response = extend(client, shipment, 3)

    assert response.status_code == 302
    assert response["Location"] == f"/shipments/{shipment.pk}/"
    html = card(client, shipment)
    assert "data-extend-form" not in html
    assert 'data-field="storage_deadline">07.12.2026 23:59' in html
    assert 'data-field="storage_extended">27.11.2026 10:00' in html
    assert "Продление хранения: +3 дн." in html
    assert Shipment.objects.get(pk=shipment.pk).storage_extended_by == operator


def test_the_card_offers_no_extension_to_who_may_not_operate_or_for_other_statuses(
    clock, sign_in, point, operator
) -> None:
    shipment = stored(point, "A-01-1")
    accepted = ShipmentFactory(point=point, status=Status.ACCEPTED)

    assert "data-extend-form" not in card(sign_in(operator_at(point, Role.SUPPORT), point), shipment)
    assert extend(sign_in(operator_at(point, Role.SUPPORT), point), shipment, 1).status_code == 403
    assert "data-extend-form" not in card(sign_in(operator, point), accepted)


def test_a_refused_extension_shows_its_code_and_changes_nothing(clock, sign_in, point, operator) -> None:
    shipment = stored(point, "A-01-1")
    client = sign_in(operator, point)

    response = extend(client, shipment, 8)

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()
    assert not ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).exists()
    extend(client, shipment, 1)
    second = extend(client, shipment, 1)
    assert second.status_code == 409
    assert 'data-error-code="ALREADY_EXTENDED"' in second.content.decode()


def test_a_resent_extension_form_extends_once(clock, sign_in, point, operator) -> None:
    shipment = stored(point, "A-01-1")
    client = sign_in(operator, point)
    key = str(uuid.uuid4())

    assert extend(client, shipment, 2, key).status_code == 302
    assert extend(client, shipment, 2, key).status_code == 302

    assert ShipmentEvent.objects.filter(kind=EventKind.EXTENSION).count() == 1


def test_extending_another_points_parcel_is_404(clock, sign_in, point, operator) -> None:
    foreign = stored(PickupPointFactory(), "A-01-1")

    assert extend(sign_in(operator, point), foreign, 1).status_code == 404
