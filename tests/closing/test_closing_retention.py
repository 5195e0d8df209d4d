"""Retention: PVZ_RETENTION_DAYS after a point closed, customers whose every parcel was at such points are
anonymised (name, phone, pickup number, their messages and codes); documents and statistics stay; a
customer with any parcel at another point keeps everything; runs are idempotent and audited once each."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.accounts.models import SmsMessage
from pvz.audit.models import AuditRecord
from pvz.closing.retention import customers_anonymise_retired
from pvz.closing.tasks import anonymize_retired_customers
from pvz.core.errors import NotFound
from pvz.counter.models import CodeKind, CustomerCode, IssueLine, IssueSession
from pvz.counter.tokens import pickup_code_verify
from pvz.network.models import PickupPoint, PointStatus
from pvz.notifications.models import Notification, NotificationKind
from pvz.returns.models import ReturnVisit
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_suffix
from pvz.shipments.statuses import Status
from tests.factories import CustomerFactory, OrderFactory, PickupPointFactory, ShipmentFactory, UserFactory

pytestmark = pytest.mark.django_db

DAYS = 365


@pytest.fixture(autouse=True)
def retention(settings) -> None:
    settings.PVZ_RETENTION_DAYS = DAYS


def _closed_point(closed_at: dt.datetime) -> PickupPoint:
    return PickupPointFactory(status=PointStatus.CLOSED, is_active=False, closed_at=closed_at)


def _parcel(customer: Customer, point: PickupPoint, status: str = Status.ISSUED) -> Shipment:
    return ShipmentFactory(point=point, order=OrderFactory(customer=customer), status=status)


def _traces(customer: Customer, point: PickupPoint) -> None:
    """Every other place that holds the customer's phone: an SMS, issue and return codes, an ID check."""
    shipment = _parcel(customer, point)
    staff = UserFactory()
    Notification.objects.create(
        customer=customer,
        shipment=shipment,
        kind=NotificationKind.SHIPMENT_READY,
        recipient=customer.phone,
        text="Заказ ждёт вас",
        dedup_key=f"ready:{shipment.pk}",
    )
    SmsMessage.objects.create(phone=customer.phone, text="Заказ ждёт вас", created_at=point.closed_at)
    session = IssueSession.objects.create(
        point=point, customer=customer, opened_by=staff, opened_at=point.closed_at
    )
    IssueLine.objects.create(
        session=session,
        shipment=shipment,
        scanned_at=point.closed_at,
        scanned_by=staff,
        id_document="passport",
        id_last4="1234",
    )
    CustomerCode.objects.create(
        kind=CodeKind.ISSUE,
        subject_id=session.pk,
        customer=customer,
        phone=customer.phone,
        code_hash="x",
        created_at=point.closed_at,
        expires_at=point.closed_at,
    )
    visit = ReturnVisit.objects.create(
        point=point, customer=customer, opened_by=staff, opened_at=point.closed_at
    )
    CustomerCode.objects.create(
        kind=CodeKind.RETURN,
        subject_id=visit.pk,
        customer=customer,
        phone=customer.phone,
        code_hash="x",
        created_at=point.closed_at,
        expires_at=point.closed_at,
    )


def test_customer_is_kept_one_second_before_the_period_ends_and_anonymised_at_it(clock) -> None:
    point = _closed_point(clock.now() - dt.timedelta(days=DAYS) + dt.timedelta(seconds=1))
    customer = CustomerFactory(phone="+79167770011", name="Анна Смирнова", pickup_number="10000077")
    _parcel(customer, point)

    assert customers_anonymise_retired().customers == 0
    assert Customer.objects.get(pk=customer.pk).phone == "+79167770011"

    clock.advance(seconds=1)  # exactly the period: it is over
    assert customers_anonymise_retired().customers == 1

    anonymised = Customer.objects.get(pk=customer.pk)
    assert (anonymised.name, anonymised.phone, anonymised.pickup_number, anonymised.anonymized_at) == (
        "",
        f"anon-{customer.pk}",
        f"anon-{customer.pk}",
        clock.now(),
    )


def test_one_second_after_the_period_the_customer_is_anonymised(clock) -> None:
    point = _closed_point(clock.now() - dt.timedelta(days=DAYS, seconds=1))
    customer = CustomerFactory()
    _parcel(customer, point)

    assert anonymize_retired_customers.call() == 1
    assert Customer.objects.get(pk=customer.pk).anonymized_at == clock.now()


def test_every_stored_trace_of_the_customer_is_cleared_and_documents_stay(clock) -> None:
    point = _closed_point(clock.now() - dt.timedelta(days=DAYS + 1))
    customer = CustomerFactory(phone="+79167770022", pickup_number="10000088")
    _traces(customer, point)
    shipments_before = Shipment.objects.filter(point=point).count()

    customers_anonymise_retired()

    notification = Notification.objects.get(customer=customer)
    assert (notification.recipient, notification.text) == ("", "")
    assert SmsMessage.objects.filter(phone="+79167770022").count() == 0
    assert list(SmsMessage.objects.values_list("phone", "text")) == [("", "")]
    codes = CustomerCode.objects.order_by("pk").values_list("kind", "phone")
    assert list(codes) == [(CodeKind.ISSUE, ""), (CodeKind.RETURN, "")]
    assert list(IssueLine.objects.values_list("id_document", "id_last4")) == [("passport", "")]
    # Documents and statistics stay: the parcels, their sessions and visits, linked to the anonymous row.
    assert Shipment.objects.filter(point=point).count() == shipments_before
    assert IssueSession.objects.filter(customer=customer).count() == 1
    # The old pickup number serves nobody any more.
    with pytest.raises(NotFound):
        pickup_code_verify(code=f"10000088*{pickup_code_suffix('10000088')}")


def test_customer_with_a_parcel_at_an_open_or_recently_closed_point_keeps_everything(clock) -> None:
    old = _closed_point(clock.now() - dt.timedelta(days=DAYS + 10))
    recent = _closed_point(clock.now() - dt.timedelta(days=10))
    open_point = PickupPointFactory()
    closing = PickupPointFactory(status=PointStatus.CLOSING)
    only_old = CustomerFactory()
    _parcel(only_old, old)
    kept = []
    for other in (recent, open_point, closing):
        customer = CustomerFactory()
        _parcel(customer, old)
        _parcel(customer, other, Status.STORED)
        kept.append(customer)
    returned_elsewhere = CustomerFactory()
    _parcel(returned_elsewhere, old)
    ReturnVisit.objects.create(
        point=open_point, customer=returned_elsewhere, opened_by=UserFactory(), opened_at=clock.now()
    )
    kept.append(returned_elsewhere)
    never_at_old = CustomerFactory()
    _parcel(never_at_old, open_point)
    kept.append(never_at_old)

    assert customers_anonymise_retired().customers == 1

    assert Customer.objects.get(pk=only_old.pk).anonymized_at == clock.now()
    assert list(Customer.objects.filter(pk__in=[c.pk for c in kept], anonymized_at__isnull=False)) == []


def test_a_point_closed_without_a_date_never_starts_the_period(clock) -> None:
    point = PickupPointFactory(status=PointStatus.CLOSED, is_active=False, closed_at=None)
    customer = CustomerFactory()
    _parcel(customer, point)

    assert customers_anonymise_retired().customers == 0


def test_runs_are_idempotent_batched_and_audited_once_each_with_counts(clock) -> None:
    point = _closed_point(clock.now() - dt.timedelta(days=DAYS + 1))
    customers = [CustomerFactory() for _ in range(5)]
    for customer in customers:
        _parcel(customer, point)

    first = customers_anonymise_retired(batch_size=2)
    second = customers_anonymise_retired(batch_size=2)

    assert (first.points, first.customers, second.customers) == (1, 5, 0)
    assert Customer.objects.filter(anonymized_at__isnull=True).count() == 0
    assert len({c.phone for c in Customer.objects.all()}) == 5
    records = list(AuditRecord.objects.filter(action="retention.anonymize").order_by("seq"))
    assert [r.details for r in records] == [
        {"points": 1, "customers": 5, "retention_days": DAYS},
        {"points": 1, "customers": 0, "retention_days": DAYS},
    ]


def test_retention_period_is_a_setting(settings, clock) -> None:
    settings.PVZ_RETENTION_DAYS = 30
    point = _closed_point(clock.now() - dt.timedelta(days=30))
    customer = CustomerFactory()
    _parcel(customer, point)

    assert customers_anonymise_retired().customers == 1
