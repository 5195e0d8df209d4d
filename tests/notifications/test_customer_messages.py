"""Customer messages: each kind in Russian and English, e-mail copies through a real SMTP server, the
"expiring tomorrow" job and "returned to sender" after the hand-over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from pvz.accounts.models import SmsMessage
from pvz.closing.retention import customers_anonymise_retired
from pvz.network.models import PointStatus
from pvz.notifications.models import Channel, Notification, NotificationKind, NotificationStatus
from pvz.notifications.services import customer_language, customer_text, notification_send_now
from pvz.notifications.triggers import customers_notify_expiring_tomorrow
from pvz.outbound.models import Dispatch
from pvz.outbound.services import return_carriage_hand_over
from pvz.shipments.customer_links import customer_page_url
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.statuses import Status
from pvz.shipments.storage import end_of_local_day
from tests.factories import CustomerFactory, OrderFactory, PickupPointFactory, ShipmentFactory
from tests.fakes.smtp import fake_smtp
from tests.outbound.conftest import yard as yard  # the hand-over scene
from tests.outbound.test_services import filled

PICKUP = {
    "order": "23281294",
    "point": "ПВЗ на Тверской",
    "address": "Москва, Тверская, 1",
    "code": "10000001*1234",
    "link": "https://pvz.example.ru/c/abc/",
    "deadline": "04.12.2026",
    "partner": "Маркетплейс",
}
RETURN = {
    "order": "23281294",
    "point": "ПВЗ на Тверской",
    "date": "27.11.2026",
    "number": "R-1",
    "partner": "Маркетплейс",
}


@pytest.mark.parametrize(
    ("kind", "language", "context", "expected"),
    [
        (
            NotificationKind.SHIPMENT_READY,
            "ru",
            PICKUP,
            "Заказ 23281294 ждёт вас в ПВЗ на Тверской, Москва, Тверская, 1. Код получения: 10000001*1234. "
            "Хранится до 04.12.2026 включительно. QR-код для выдачи: https://pvz.example.ru/c/abc/",
        ),
        (
            NotificationKind.SHIPMENT_READY,
            "en",
            PICKUP,
            "Order 23281294 is waiting for you at ПВЗ на Тверской, Москва, Тверская, 1. Pickup code: "
            "10000001*1234. Kept until 04.12.2026 inclusive. QR code for pickup: https://pvz.example.ru/c/abc/",
        ),
        (
            NotificationKind.EXPIRING_TOMORROW,
            "ru",
            PICKUP,
            "Заказ 23281294 в ПВЗ на Тверской, Москва, Тверская, 1 хранится до завтра, 04.12.2026, "
            "включительно. Код получения: 10000001*1234. QR-код: https://pvz.example.ru/c/abc/",
        ),
        (
            NotificationKind.EXPIRING_TOMORROW,
            "en",
            PICKUP,
            "Order 23281294 at ПВЗ на Тверской, Москва, Тверская, 1 is kept only until tomorrow, 04.12.2026, "
            "inclusive. Pickup code: 10000001*1234. QR code: https://pvz.example.ru/c/abc/",
        ),
        (
            NotificationKind.RETURNED_TO_SENDER,
            "ru",
            PICKUP,
            "Заказ 23281294 не был получен в ПВЗ на Тверской и возвращён отправителю, Маркетплейс.",
        ),
        (
            NotificationKind.RETURNED_TO_SENDER,
            "en",
            PICKUP,
            "Order 23281294 was not collected at ПВЗ на Тверской and has been returned to the sender, "
            "Маркетплейс.",
        ),
        (
            NotificationKind.RETURN_ACCEPTED,
            "ru",
            RETURN,
            "Возврат заказа 23281294 принят в ПВЗ на Тверской 27.11.2026, номер возврата R-1. "
            "Деньги вернёт Маркетплейс по своим правилам.",
        ),
        (
            NotificationKind.RETURN_ACCEPTED,
            "en",
            RETURN,
            "The return of order 23281294 was accepted at ПВЗ на Тверской on 27.11.2026, return number R-1. "
            "Маркетплейс will refund you under its own rules.",
        ),
    ],
)
def test_each_customer_kind_reads_in_russian_and_english(kind, language, context, expected) -> None:
    assert customer_text(kind=kind, language=language, context=context) == expected


def test_texts_are_not_html_escaped() -> None:
    text = customer_text(
        kind=NotificationKind.RETURNED_TO_SENDER, language="ru", context={**PICKUP, "partner": "A&B <Shop>"}
    )

    assert text.endswith("отправителю, A&B <Shop>.")


@pytest.mark.parametrize(
    ("phone", "language"), [("+79161234567", "ru"), ("+77011234567", "ru"), ("+491701234567", "en")]
)
def test_customers_get_russian_on_plus_seven_numbers_and_english_otherwise(phone: str, language: str) -> None:
    assert customer_language(CustomerFactory.build(phone=phone)) == language


@pytest.mark.django_db
def test_expiring_tomorrow_texts_each_parcel_once_from_ten_local_time(clock) -> None:
    # The clock is 10:00 Moscow time on 27.11; the last storage day 28.11 is "tomorrow".
    point = PickupPointFactory(timezone="Europe/Moscow", name="ПВЗ на Тверской")
    tomorrow = clock.now().date() + dt.timedelta(days=1)
    due = ShipmentFactory(
        point=point, status=Status.STORED, storage_deadline=end_of_local_day(tomorrow, point)
    )
    ShipmentFactory(
        point=point,
        status=Status.STORED,
        storage_deadline=end_of_local_day(tomorrow + dt.timedelta(days=1), point),
    )
    ShipmentFactory(point=point, status=Status.ISSUED, storage_deadline=end_of_local_day(tomorrow, point))

    assert customers_notify_expiring_tomorrow(now=clock.now() - dt.timedelta(seconds=1)) == 0
    customers_notify_expiring_tomorrow(now=clock.now())
    customers_notify_expiring_tomorrow(now=clock.now())

    notification = Notification.objects.get()
    assert (notification.kind, notification.shipment_id) == (NotificationKind.EXPIRING_TOMORROW, due.pk)
    customer = due.order.customer
    # The QR link is signed with the real time of signing; its path is what stays the same.
    link_path = customer_page_url(customer).rsplit(":", 2)[0]
    prefix, link = notification.text.split("QR-код: ")
    assert prefix == (
        f"Заказ {due.order.number} в ПВЗ на Тверской, {point.address} хранится до завтра, 28.11.2026, "
        f"включительно. Код получения: {pickup_code_for(customer)}. "
    )
    assert link.startswith(link_path)


@pytest.mark.django_db
def test_a_customer_with_an_email_gets_a_copy_through_the_smtp_server(clock) -> None:
    point = PickupPointFactory(timezone="Europe/Moscow")
    customer = CustomerFactory(phone="+491701234567", email="anna@example.org")
    shipment = ShipmentFactory(
        point=point,
        order=OrderFactory(customer=customer),
        status=Status.STORED,
        storage_deadline=end_of_local_day(clock.now().date() + dt.timedelta(days=1), point),
    )
    customers_notify_expiring_tomorrow(now=clock.now())
    sms, mail = Notification.objects.order_by("pk")
    assert (sms.channel, mail.channel, mail.recipient) == (Channel.SMS, Channel.EMAIL, "anna@example.org")

    with (
        fake_smtp() as server,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=server.host,
            EMAIL_PORT=server.port,
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=5,
        ),
    ):
        sent = notification_send_now(notification_id=mail.pk)

    assert (sent.status, sent.sent_at) == (NotificationStatus.SENT, clock.now())
    [message] = server.messages
    assert message["To"] == "anna@example.org"
    # A long Cyrillic subject is folded into encoded words; unfolded it reads as sent.
    assert " ".join(str(message["Subject"]).split()) == "Завтра истекает срок хранения"
    assert message.get_content().strip() == mail.text
    assert mail.text.startswith(f"Order {shipment.order.number} at {point.name}")


@pytest.mark.django_db
def test_handing_over_the_return_carriage_tells_customers_whose_parcels_went_back(
    yard,
    django_capture_on_commit_callbacks,
) -> None:
    carriage, _tote, parcels = filled(yard)
    code = Dispatch.objects.get(carriage=carriage).courier_code

    with django_capture_on_commit_callbacks(execute=True):
        return_carriage_hand_over(actor=yard.operator, carriage=carriage, courier_code=code)

    notifications = Notification.objects.order_by("shipment_id")
    assert [(n.kind, n.shipment_id) for n in notifications] == [
        (NotificationKind.RETURNED_TO_SENDER, parcel.pk) for parcel in sorted(parcels, key=lambda p: p.pk)
    ]
    assert SmsMessage.objects.count() == 0  # sent by the worker, not in the request


@pytest.mark.django_db
def test_retention_anonymisation_clears_the_customers_email(settings, clock) -> None:
    settings.PVZ_RETENTION_DAYS = 30
    point = PickupPointFactory(
        status=PointStatus.CLOSED, is_active=False, closed_at=clock.now() - dt.timedelta(days=31)
    )
    customer = CustomerFactory(email="anna@example.org")
    ShipmentFactory(point=point, order=OrderFactory(customer=customer), status=Status.ISSUED)

    customers_anonymise_retired()

    customer.refresh_from_db()
    assert (customer.email, customer.anonymized_at) == ("", clock.now())
