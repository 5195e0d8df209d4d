"""«Приёмка» screens: planned carriages, a carriage's arrival, the scan screen and the discrepancy act."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.inbound.models import Acceptance, AcceptanceDamage, AcceptanceStatus, Carriage
from pvz.network.models import SizeClass
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PartnerFactory, PickupPointFactory, ShipmentFactory, operator_at
from tests.fakes.photos import PNG
from tests.inbound.conftest import load_delivery

pytestmark = pytest.mark.django_db

SCANNER = {"X-Pvz-Scanner": "1"}

# What a barcode scanner types when the Russian (ЙЦУКЕН) layout is active.
RUSSIAN_LAYOUT = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,.QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>",
    "йцукенгшщзхъфывапролджэячсмитьбюЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ",
)


@pytest.fixture
def carriage(point, clock) -> Carriage:
    for index in range(4):
        CellFactory(point=point, address=f"A-01-{index + 1}", size_class=SizeClass.XL, capacity=20)
    return load_delivery(
        point=point, partner=PartnerFactory(), parcels=6, totes=2, eta=clock.now() + dt.timedelta(hours=2)
    )


@pytest.fixture
def client_in(sign_in, point, operator) -> Client:
    return sign_in(operator, point)


@pytest.fixture
def opened(client_in, carriage) -> Acceptance:
    response = client_in.post(f"/acceptance/carriages/{carriage.pk}/start/")
    assert response.status_code == 302
    return Acceptance.objects.get(carriage=carriage)


def manifest(carriage: Carriage) -> list[Shipment]:
    return list(Shipment.objects.filter(carriage=carriage).order_by("posting_number"))


def scan(client: Client, acceptance: Acceptance, code: str, *, scan_id: str | None = None):
    data = {"code": code, "scan_id": scan_id or str(uuid.uuid4())}
    return client.post(f"/acceptance/{acceptance.pk}/scan/", data, headers=SCANNER)


def kind(response) -> str:
    match = re.search(r'data-kind="([^"]*)"', response.content.decode())
    assert match is not None
    return match.group(1)


def act_list(html: str, key: str) -> list[str]:
    section = re.search(rf'data-act-list="{key}">(.*?)</section>', html, re.S)
    assert section is not None, key
    return re.findall(r'data-act-line="([^"]+)"', section.group(1))


# ---- the list ------------------------------------------------------------------------------------------


def test_the_list_shows_planned_carriages_in_point_time_and_the_tote_balance(client_in, carriage) -> None:
    response = client_in.get("/acceptance/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-carriage="{carriage.number}"' in html
    assert f'href="/acceptance/carriages/{carriage.pk}/"' in html
    # 12:00 Moscow time: the clock stands at 10:00 MSK and the ETA is two hours later.
    assert "<b>12:00</b>" in html
    assert re.search(r'data-tote="in_transit">2<', html)
    assert "data-scan-input" not in html  # the page's own field takes the scan


def test_the_section_menu_leads_to_the_list(client_in) -> None:
    html = client_in.get("/").content.decode()

    assert 'href="/acceptance/"' in html


def test_a_carriage_code_typed_in_the_russian_layout_opens_the_carriage(client_in, carriage) -> None:
    response = client_in.get("/acceptance/find/", {"code": carriage.number.translate(RUSSIAN_LAYOUT)})

    assert response.status_code == 302
    assert response["Location"] == f"/acceptance/carriages/{carriage.pk}/"


def test_an_unknown_carriage_code_is_not_found_on_the_list(client_in, carriage) -> None:
    response = client_in.get("/acceptance/find/", {"code": "CAR-000"})

    assert response.status_code == 404
    assert 'data-error-code="NOT_FOUND"' in response.content.decode()


def test_an_approaching_carriage_is_announced_on_every_page_of_the_point(client_in, point, clock) -> None:
    soon = load_delivery(point=point, seed=9, eta=clock.now() + dt.timedelta(minutes=20))

    html = client_in.get("/").content.decode()

    assert f'data-approaching="{soon.number}"' in html
    assert f"Подъезжает транспорт: {soon.number}, ETA 10:20" in html


# ---- the carriage page -------------------------------------------------------------------------------


def test_a_bad_plate_is_refused_with_the_code_and_nothing_is_saved(client_in, carriage) -> None:
    response = client_in.post(
        f"/acceptance/carriages/{carriage.pk}/arrival/", {"driver_name": "Иванов", "vehicle_plate": "12345"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in html
    assert 'data-field-error="vehicle_plate"' in html
    carriage.refresh_from_db()
    assert carriage.arrived_at is None


def test_arrival_is_registered_with_the_plate_in_cyrillic(client_in, carriage, clock) -> None:
    response = client_in.post(
        f"/acceptance/carriages/{carriage.pk}/arrival/",
        {"driver_name": "Иванов И.", "vehicle_plate": "a123bc777", "seal_numbers": "ab1234, cd5678"},
    )

    assert response.status_code == 302
    carriage.refresh_from_db()
    assert (carriage.vehicle_plate, carriage.seal_numbers) == ("А123ВС777", ["AB1234", "CD5678"])
    assert carriage.arrived_at == clock.now()


def test_a_manager_changes_the_eta_in_point_time(sign_in, point, carriage) -> None:
    client = sign_in(operator_at(point, role=Role.MANAGER), point)

    response = client.post(f"/acceptance/carriages/{carriage.pk}/eta/", {"eta": "2026-11-27T14:20"})

    assert response.status_code == 302
    carriage.refresh_from_db()
    assert carriage.eta == dt.datetime(2026, 11, 27, 11, 20, tzinfo=dt.UTC)


def test_an_operator_may_not_change_the_eta(client_in, carriage) -> None:
    response = client_in.post(f"/acceptance/carriages/{carriage.pk}/eta/", {"eta": "2026-11-27T14:20"})

    assert response.status_code == 403


def test_starting_opens_the_acceptance_and_the_screen_has_the_scan_field(client_in, carriage) -> None:
    response = client_in.post(f"/acceptance/carriages/{carriage.pk}/start/")

    acceptance = Acceptance.objects.get(carriage=carriage)
    assert response["Location"] == f"/acceptance/{acceptance.pk}/"
    html = client_in.get(response["Location"]).content.decode()
    assert "data-scanner-input" in html
    assert "autofocus" in html
    assert "data-progress-scanned>0<" in html
    assert "data-progress-expected>6<" in html
    assert 'id="scan-input"' not in html  # the header's scan box is hidden on scan screens


# ---- scanning -----------------------------------------------------------------------------------------


def test_a_manifest_parcel_is_accepted_and_placed_with_its_cell_shown_and_spoken(
    client_in, carriage, opened
) -> None:
    parcel = manifest(carriage)[0]

    response = scan(client_in, opened, parcel.barcode.upper().translate(RUSSIAN_LAYOUT))

    html = response.content.decode()
    assert response.status_code == 200
    assert kind(response) == "ACCEPTED"
    assert 'data-scan-outcome="ok"' in html
    assert 'data-cell="A-01-1"' in html
    assert 'data-speak="А ноль один один"' in html
    assert "data-progress-scanned>1<" in html
    assert Shipment.objects.get(pk=parcel.pk).status == Status.STORED


def test_a_tote_scan_shows_its_expected_content(client_in, carriage, opened) -> None:
    tote = manifest(carriage)[0].tote
    assert tote is not None
    inside = [s for s in manifest(carriage) if s.tote_id == tote.pk]

    response = scan(client_in, opened, tote.barcode)

    html = response.content.decode()
    assert kind(response) == "TOTE_OPENED"
    assert sorted(re.findall(r'data-line="([^"]+)"', html)) == sorted(s.barcode for s in inside)


def test_a_parcel_of_this_point_not_in_the_manifest_is_surplus_with_a_warning(
    client_in, point, carriage, opened
) -> None:
    stray = ShipmentFactory(point=point, status=Status.EXPECTED)

    response = scan(client_in, opened, stray.barcode)

    assert kind(response) == "SURPLUS"
    assert 'data-scan-outcome="warning"' in response.content.decode()
    assert "data-progress-surplus>1<" in response.content.decode()


def test_a_parcel_of_another_point_is_put_aside(client_in, carriage, opened) -> None:
    foreign = ShipmentFactory(point=PickupPointFactory(), status=Status.EXPECTED)

    response = scan(client_in, opened, foreign.barcode)

    assert kind(response) == "OTHER_POINT"
    assert "Отложите: отправление другой точки" in response.content.decode()
    assert Shipment.objects.get(pk=foreign.pk).status == Status.EXPECTED


def test_an_unknown_code_is_not_found_with_the_error_sound(client_in, carriage, opened) -> None:
    response = scan(client_in, opened, "ii99999999999")

    assert kind(response) == "UNKNOWN"
    assert 'data-scan-outcome="error"' in response.content.decode()
    assert "Не найдено" in response.content.decode()


def test_a_second_scan_of_the_same_parcel_is_harmless_and_says_where_it_is(
    client_in, carriage, opened
) -> None:
    parcel = manifest(carriage)[0]
    scan(client_in, opened, parcel.barcode)

    response = scan(client_in, opened, parcel.barcode)

    assert kind(response) == "ALREADY_ACCEPTED"
    assert 'data-scan-outcome="prompt"' in response.content.decode()
    assert 'data-cell="A-01-1"' in response.content.decode()


def test_a_replayed_scan_id_answers_again_without_acting_twice(client_in, carriage, opened) -> None:
    parcel = manifest(carriage)[0]
    scan_id = str(uuid.uuid4())
    scan(client_in, opened, parcel.barcode, scan_id=scan_id)
    events = ShipmentEvent.objects.filter(shipment=parcel).count()

    again = scan(client_in, opened, parcel.barcode, scan_id=scan_id)

    assert kind(again) == "ACCEPTED"
    assert "data-replayed" in again.content.decode()
    assert ShipmentEvent.objects.filter(shipment=parcel).count() == events


def test_a_scan_after_closing_is_refused_with_its_code(client_in, carriage, opened) -> None:
    client_in.post(f"/acceptance/{opened.pk}/close/")

    response = scan(client_in, opened, manifest(carriage)[0].barcode)

    assert response.status_code == 409
    assert 'data-error-code="ACCEPTANCE_CLOSED"' in response.content.decode()


# ---- undo, damage, close ------------------------------------------------------------------------------


def test_undo_takes_back_the_last_scan_once_per_key(client_in, carriage, opened) -> None:
    first, second = manifest(carriage)[:2]
    scan(client_in, opened, first.barcode)
    scan(client_in, opened, second.barcode)
    key = str(uuid.uuid4())

    response = client_in.post(f"/acceptance/{opened.pk}/undo/", {"action_id": key}, headers=SCANNER)
    resent = client_in.post(f"/acceptance/{opened.pk}/undo/", {"action_id": key}, headers=SCANNER)

    assert kind(response) == kind(resent) == "undone"
    assert second.posting_number in response.content.decode()
    assert "data-progress-scanned>1<" in response.content.decode()
    assert Shipment.objects.get(pk=second.pk).status == Status.EXPECTED
    assert Shipment.objects.get(pk=first.pk).status == Status.STORED


def test_undo_with_nothing_to_undo_says_so_with_the_code(client_in, opened) -> None:
    response = client_in.post(
        f"/acceptance/{opened.pk}/undo/", {"action_id": str(uuid.uuid4())}, headers=SCANNER
    )

    assert response.status_code == 409
    assert 'data-error-code="NOTHING_TO_UNDO"' in response.content.decode()


def test_damage_with_a_photo_sends_the_parcel_to_inspection(
    client_in, carriage, opened, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    parcel = manifest(carriage)[0]
    scan(client_in, opened, parcel.barcode)
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)

    with photo.open("rb") as upload:
        response = client_in.post(
            f"/acceptance/{opened.pk}/damage/",
            {"shipment_id": parcel.pk, "note": "Мокрая коробка", "photo": upload},
            headers=SCANNER,
        )

    assert kind(response) == "damaged"
    damage = AcceptanceDamage.objects.get(acceptance=opened)
    assert (damage.shipment_id, damage.note) == (parcel.pk, "Мокрая коробка")
    assert damage.photo.name.endswith(".png")
    assert Shipment.objects.get(pk=parcel.pk).status == Status.DAMAGED


def test_the_close_confirmation_counts_the_future_shortages(client_in, carriage, opened) -> None:
    scan(client_in, opened, manifest(carriage)[0].barcode)

    response = client_in.get(f"/acceptance/{opened.pk}/close/")

    assert 'data-shortage-count="5"' in response.content.decode()
    assert Acceptance.objects.get(pk=opened.pk).status == AcceptanceStatus.OPEN


def test_closing_shows_the_act_with_exactly_the_shortages_and_the_surplus(
    client_in, point, carriage, opened
) -> None:
    parcels = manifest(carriage)
    for parcel in parcels[:4]:
        scan(client_in, opened, parcel.barcode)
    stray = ShipmentFactory(point=point, status=Status.EXPECTED)
    scan(client_in, opened, stray.barcode)

    response = client_in.post(f"/acceptance/{opened.pk}/close/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(f"/acceptance/{opened.pk}/act/", 302)]
    assert sorted(act_list(html, "shortage")) == sorted(p.posting_number for p in parcels[4:])
    assert act_list(html, "surplus") == [stray.posting_number]
    assert act_list(html, "damaged") == []
    assert re.search(r'data-count="accepted">4<', html)
    assert "data-print" in html


def test_the_act_of_an_open_acceptance_is_not_there_yet(client_in, opened) -> None:
    response = client_in.get(f"/acceptance/{opened.pk}/act/")

    assert response.status_code == 409


# ---- access -------------------------------------------------------------------------------------------


def test_another_points_carriage_and_acceptance_are_not_found(client_in, clock) -> None:
    elsewhere = load_delivery(point=PickupPointFactory(), seed=11)
    foreign = Acceptance.objects.create(carriage=elsewhere, opened_at=clock.now())

    assert client_in.get(f"/acceptance/carriages/{elsewhere.pk}/").status_code == 404
    assert client_in.post(f"/acceptance/carriages/{elsewhere.pk}/start/").status_code == 404
    assert client_in.get(f"/acceptance/{foreign.pk}/").status_code == 404
    assert scan(client_in, foreign, "ii1").status_code == 404


def test_staff_without_the_operate_permission_are_refused(sign_in, point, carriage) -> None:
    client = sign_in(operator_at(point, role=Role.SUPPORT), point)

    assert client.get("/acceptance/").status_code == 403
    assert client.get(f"/acceptance/carriages/{carriage.pk}/").status_code == 403
    assert client.post(f"/acceptance/carriages/{carriage.pk}/start/").status_code == 403
    assert not Acceptance.objects.filter(carriage=carriage).exists()


def test_a_fragile_parcel_is_said_fragile_on_the_answer(client_in, carriage, opened) -> None:
    fragile, plain = manifest(carriage)[:2]
    Shipment.objects.filter(pk=fragile.pk).update(fragile=True)

    shown = scan(client_in, opened, fragile.barcode).content.decode()
    quiet = scan(client_in, opened, plain.barcode).content.decode()

    assert 'data-flag="fragile"' in shown
    assert 'data-flag="fragile"' not in quiet
