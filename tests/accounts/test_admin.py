from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from pvz.accounts.models import SmsMessage, User
from pvz.accounts.roles import Role
from pvz.core.clock import FrozenClock
from pvz.counter.models import IssueSession, RefusalReason
from pvz.inventory.models import InventoryCount
from pvz.outbound.models import Dispatch
from pvz.returns.models import ReturnReason
from pvz.shipments.models import ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import (
    CarriageFactory,
    CellFactory,
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
    ToteFactory,
    UserFactory,
    operator_at,
)

MODELS = [
    "accounts.user",
    "accounts.smsmessage",
    "network.partner",
    "network.pickuppoint",
    "network.cell",
    "shipments.customer",
    "shipments.order",
    "shipments.shipment",
    "shipments.shipmentevent",
    "inbound.carriage",
    "inbound.tote",
    "counter.refusalreason",
    "counter.issuesession",
    "inventory.inventorycount",
    "returns.returnreason",
    "outbound.dispatch",
]
# Rows a fresh database already holds besides the fixture's: the seeded default refusal reasons.
EXPECTED_ROWS = {"accounts.user": 2, "counter.refusalreason": 6, "returns.returnreason": 6}


@dataclass
class Network:
    admin: User
    operator: User
    objects: dict[str, Model]


def admin_url(label: str, view: str, *args: object) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


@pytest.fixture
def network(clock: FrozenClock) -> Network:
    """One of everything the admin shows, all at one point of one partner."""
    partner, point = PartnerFactory(), PickupPointFactory()
    PartnerPointFactory(partner=partner, point=point)
    admin = UserFactory(phone="+79161234567")
    admin.memberships.create(role=Role.PLATFORM_ADMIN, point=None)
    operator = operator_at(point)
    cell = CellFactory(point=point)
    carriage = CarriageFactory(partner=partner, point=point)
    shipment = ShipmentFactory(partner=partner, point=point)
    event = ShipmentEvent.objects.create(
        shipment=shipment,
        visit=1,
        point=point,
        from_status=Status.EXPECTED,
        to_status=Status.ACCEPTED,
        at=clock.now(),
    )
    objects: dict[str, Model] = {
        "accounts.user": admin,
        "accounts.smsmessage": SmsMessage.objects.create(
            phone=admin.phone, text="Код", created_at=clock.now()
        ),
        "network.partner": partner,
        "network.pickuppoint": point,
        "network.cell": cell,
        "shipments.customer": shipment.order.customer,
        "shipments.order": shipment.order,
        "shipments.shipment": shipment,
        "shipments.shipmentevent": event,
        "inbound.carriage": carriage,
        "inbound.tote": ToteFactory(partner=partner, point=point),
        "counter.refusalreason": RefusalReason.objects.create(partner=partner, code="late", title="Опоздал"),
        "counter.issuesession": IssueSession.objects.create(
            point=point, customer=shipment.order.customer, opened_by=operator, opened_at=clock.now()
        ),
        "inventory.inventorycount": InventoryCount.objects.create(
            point=point, started_by=operator, started_at=clock.now()
        ),
        "returns.returnreason": ReturnReason.objects.create(partner=partner, code="late", title="Опоздал"),
        "outbound.dispatch": Dispatch.objects.create(
            carriage=carriage,
            courier_code="904817",
            created_by=operator,
            created_at=clock.now(),
        ),
    }
    return Network(admin=admin, operator=operator, objects=objects)


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_changelist_lists_the_records_for_a_platform_admin(
    client: Client, network: Network, label: str
) -> None:
    client.force_login(network.admin)

    response = client.get(admin_url(label, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == EXPECTED_ROWS.get(label, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_record_page_opens_for_a_platform_admin(client: Client, network: Network, label: str) -> None:
    client.force_login(network.admin)

    response = client.get(admin_url(label, "change", network.objects[label].pk))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_operator_is_sent_to_the_admin_login(client: Client, network: Network, label: str) -> None:
    client.force_login(network.operator)

    response = client.get(admin_url(label, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_shipment_status_and_cell_cannot_be_edited_in_admin(client: Client, network: Network) -> None:
    client.force_login(network.admin)

    response = client.get(admin_url("shipments.shipment", "change", network.objects["shipments.shipment"].pk))

    editable = set(response.context["adminform"].form.fields)
    assert {"status", "cell", "stored_at", "storage_deadline", "version", "visit"}.isdisjoint(editable)
    assert {"posting_number", "barcode", "size_class"} <= editable


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    ["shipments.shipmentevent", "accounts.smsmessage", "counter.issuesession", "inventory.inventorycount"],
)
def test_history_records_cannot_be_added_changed_or_deleted(
    client: Client, network: Network, label: str
) -> None:
    client.force_login(network.admin)
    record = network.objects[label]

    add = client.get(admin_url(label, "add"))
    change = client.post(admin_url(label, "change", record.pk), {})
    delete = client.post(admin_url(label, "delete", record.pk), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.django_db
def test_user_search_finds_a_phone_typed_the_way_people_say_it(client: Client, network: Network) -> None:
    client.force_login(network.admin)

    response = client.get(admin_url("accounts.user", "changelist"), {"q": "8 916 123-45-67"})

    assert [user.pk for user in response.context["cl"].result_list] == [network.admin.pk]


@pytest.mark.django_db
def test_user_added_in_admin_gets_an_e164_phone_and_no_password(client: Client, network: Network) -> None:
    client.force_login(network.admin)

    response = client.post(
        admin_url("accounts.user", "add"),
        {
            "phone": "8 (903) 555-01-01",
            "full_name": "Иван Иванов",
            "is_active": "on",
            "language": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(full_name="Иван Иванов")
    assert created.phone == "+79035550101"
    assert created.has_usable_password() is False


@pytest.mark.django_db
def test_user_admin_refuses_an_invalid_phone_with_the_reason(client: Client, network: Network) -> None:
    client.force_login(network.admin)

    response = client.post(
        admin_url("accounts.user", "add"),
        {
            "phone": "123",
            "full_name": "Никто",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"] == [
        "В номере телефона не хватает цифр. Введите номер полностью, например +7 916 123-45-67."
    ]
    assert not User.objects.filter(full_name="Никто").exists()


@pytest.mark.django_db
def test_the_courier_code_is_not_shown_in_admin(client: Client, network: Network) -> None:
    client.force_login(network.admin)

    page = client.get(admin_url("outbound.dispatch", "change", network.objects["outbound.dispatch"].pk))

    assert page.status_code == 200
    assert "904817" not in page.content.decode()
