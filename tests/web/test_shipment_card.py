import datetime as dt

import pytest

from pvz.accounts.models import Membership
from pvz.accounts.roles import Role
from pvz.core.clock import FrozenClock
from pvz.network.models import PickupPoint, SizeClass
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PickupPointFactory,
    ShipmentFactory,
    UserFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def yekaterinburg() -> PickupPoint:
    return PickupPointFactory(name="ПВЗ Екатеринбург", timezone="Asia/Yekaterinburg")


def test_card_shows_the_parcel_and_its_whole_history_in_the_points_local_time(
    sign_in, yekaterinburg: PickupPoint, clock: FrozenClock
):
    point = yekaterinburg
    operator = UserFactory(full_name="Петров Пётр")
    Membership.objects.create(user=operator, point=point, role=Role.OPERATOR)
    partner = PartnerFactory(name="Озон")
    customer = CustomerFactory(name="Иванова Мария", phone="+79161234567")
    shipment = ShipmentFactory(
        point=point,
        partner=partner,
        order=OrderFactory(partner=partner, customer=customer, number="23281294"),
        posting_number="23281294-0063-2",
        barcode="ii11807135000",
        size_class=SizeClass.M,
        weight_g=1250,
        declared_value_kop=123450,
        amount_due_kop=99900,
        id_check_required=True,
    )
    cell = CellFactory(point=point, address="A-03-2")
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.ACCEPTED)
    clock.advance(hours=1)
    shipment_transition(actor=operator, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell)
    client = sign_in(operator, point)

    response = client.get(f"/shipments/{shipment.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="mono" data-field="posting_number">23281294-0063-2</span>' in html
    assert 'data-field="barcode">ii11807135000<' in html
    assert 'data-field="partner">Озон<' in html
    assert 'data-field="order">23281294<' in html
    assert "Иванова Мария" in html
    assert 'data-field="customer_phone">+7 916 ***-**-67<' in html
    assert "+79161234567" not in html
    assert 'data-status="STORED">На хранении<' in html
    assert 'data-field="cell">A-03-2<' in html
    # Stored 27.11 at 12:00 local (10:00 Moscow); 7 days, to the end of the last local day.
    assert 'data-field="storage_deadline">04.12.2026 23:59 <span class="muted">(Asia/Yekaterinburg)' in html
    assert 'data-field="size">Средний (M)<' in html
    assert 'data-field="weight">1,25 кг<' in html
    assert f'data-field="declared_value">1{NBSP}234,50{NBSP}₽<' in html
    assert f"<strong>999,00{NBSP}₽</strong>" in html
    assert "Нужна: покажите паспорт при выдаче" in html
    next_labels = ["Выдано", "Отказ", "Срок хранения истёк", "Отменено партнёром", "Утеряно"]
    assert '<li data-status="ISSUED">Выдано</li>' in html
    positions = [html.index(f">{label}</li>") for label in next_labels]
    assert positions == sorted(positions)
    assert html.count("<tr data-event=") == 2
    first = html.index('<tr data-event="EXPECTED-ACCEPTED">')
    second = html.index('<tr data-event="ACCEPTED-STORED">')
    assert first < second
    assert "27.11.2026 12:00:00" in html[first:second]
    assert "Ожидается → <strong>Принято</strong>" in html[first:second]
    assert "Петров Пётр" in html[first:second]
    assert "27.11.2026 13:00:00" in html[second:]
    assert "Принято → <strong>На хранении</strong>" in html[second:]
    assert "<td>A-03-2</td>" in html[second:]


def test_card_of_a_final_status_says_there_is_nothing_next(sign_in, point: PickupPoint, operator):
    shipment = ShipmentFactory(point=point, status=Status.LOST)
    client = sign_in(operator, point)

    html = client.get(f"/shipments/{shipment.pk}/").content.decode()

    assert "Это конечный статус: дальнейших переходов нет." in html


def test_operator_of_point_a_gets_404_for_a_shipment_of_point_b(sign_in, point: PickupPoint, operator):
    shipment_b = ShipmentFactory(point=PickupPointFactory())
    client = sign_in(operator, point)

    response = client.get(f"/shipments/{shipment_b.pk}/")

    assert response.status_code == 404
    assert "NOT_FOUND" in response.content.decode()


def test_a_card_of_the_users_other_point_is_404_until_switching_there(sign_in, point: PickupPoint):
    point_b = PickupPointFactory()
    user = operator_at(point)
    Membership.objects.create(user=user, point=point_b, role=Role.OPERATOR)
    shipment_b = ShipmentFactory(point=point_b)
    client = sign_in(user, point)

    assert client.get(f"/shipments/{shipment_b.pk}/").status_code == 404
    client.post("/points/", {"point_id": point_b.pk})
    assert client.get(f"/shipments/{shipment_b.pk}/").status_code == 200


def test_card_needs_a_signed_in_user(client, point: PickupPoint):
    shipment = ShipmentFactory(point=point)

    response = client.get(f"/shipments/{shipment.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/shipments/{shipment.pk}/"


def test_dates_in_the_card_follow_the_point_not_the_server(sign_in, clock: FrozenClock):
    point = PickupPointFactory(timezone="Asia/Vladivostok")
    user = operator_at(point)
    shipment = ShipmentFactory(point=point, status=Status.STORED)
    shipment.storage_deadline = dt.datetime(2026, 12, 4, 14, 59, 59, tzinfo=dt.UTC)
    shipment.save()
    client = sign_in(user, point)

    html = client.get(f"/shipments/{shipment.pk}/").content.decode()

    assert "05.12.2026 00:59" in html
