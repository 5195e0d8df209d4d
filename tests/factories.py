"""factory_boy factories for the domain; tests build exactly the data they need from these."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.inbound.models import Carriage, CarriageFlow, CarriageStatus, ManifestLine, Tote
from pvz.network.models import Cell, Partner, PartnerPoint, PickupPoint, SizeClass
from pvz.shipments.models import Customer, Order, Shipment
from pvz.shipments.statuses import Status


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"partner{n}")
    name = factory.Sequence(lambda n: f"Маркетплейс {n}")


class PickupPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickupPoint

    code = factory.Sequence(lambda n: f"pvz-{n}")
    name = factory.Sequence(lambda n: f"ПВЗ №{n}")
    address = factory.Sequence(lambda n: f"Москва, ул. Тестовая, д. {n}")
    timezone = "Europe/Moscow"


class PartnerPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerPoint

    partner = factory.SubFactory(PartnerFactory)
    point = factory.SubFactory(PickupPointFactory)


class CellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cell

    point = factory.SubFactory(PickupPointFactory)
    address = factory.Sequence(lambda n: f"A-{n // 5 + 1:02d}-{n % 5 + 1}")
    size_class = SizeClass.L
    capacity = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+7900{n:07d}")
    full_name = factory.Faker("name", locale="ru_RU")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    point = factory.SubFactory(PickupPointFactory)
    role = Role.OPERATOR


def operator_at(point: PickupPoint, role: str = Role.OPERATOR) -> User:
    user = UserFactory()
    Membership.objects.create(
        user=user, point=None if role in (Role.PLATFORM_ADMIN, Role.SUPPORT) else point, role=role
    )
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    phone = factory.Sequence(lambda n: f"+7916{n:07d}")
    name = factory.Faker("name", locale="ru_RU")
    pickup_number = factory.Sequence(lambda n: f"{10000000 + n}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    partner = factory.SubFactory(PartnerFactory)
    number = factory.Sequence(lambda n: f"{23281294 + n}")
    customer = factory.SubFactory(CustomerFactory)


class CarriageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carriage

    partner = factory.SubFactory(PartnerFactory)
    point = factory.SubFactory(PickupPointFactory)
    number = factory.Sequence(lambda n: f"CAR-{20260000 + n}")
    flow = CarriageFlow.DIRECT
    status = CarriageStatus.IN_TRANSIT
    eta = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))


class ToteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tote

    partner = factory.SubFactory(PartnerFactory)
    barcode = factory.Sequence(lambda n: f"%101%{10000000000 + n}")


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A shipment in EXPECTED status (set `status` only for read-side tests; writes go through services)."""

    class Meta:
        model = Shipment

    partner = factory.SubFactory(PartnerFactory)
    point = factory.SubFactory(PickupPointFactory)
    order = factory.SubFactory(OrderFactory, partner=factory.SelfAttribute("..partner"))
    posting_number = factory.LazyAttributeSequence(lambda o, n: f"{o.order.number}-{n % 10000:04d}-1")
    barcode = factory.Sequence(lambda n: f"ii{11807135000 + n}")
    size_class = SizeClass.S
    weight_g = 500
    status = Status.EXPECTED


class ManifestLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManifestLine

    carriage = factory.SubFactory(CarriageFactory)
    shipment = factory.SubFactory(ShipmentFactory)
