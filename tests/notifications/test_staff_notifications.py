"""Staff notifications: in-app at once, outside channels per the person's choices, held by quiet hours."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import override_settings

from pvz.accounts.roles import Role
from pvz.anomalies.models import Rule
from pvz.anomalies.services import anomaly_flag_raise
from pvz.core.errors import DomainError
from pvz.factors.models import EmailFactor
from pvz.inbound.alerts import staff_notify_transport_approaching
from pvz.notifications.models import (
    DeliveryStatus,
    StaffChannel,
    StaffDelivery,
    StaffKind,
    StaffMessage,
    StaffPreference,
)
from pvz.notifications.selectors import staff_preferences, staff_unread_count
from pvz.notifications.staff_services import (
    staff_deliveries_send_due,
    staff_messages_mark_read,
    staff_notify,
    staff_preferences_save,
)
from pvz.notifications.triggers import staff_notify_expiring_today
from pvz.shipments.statuses import Status
from pvz.shipments.storage import end_of_local_day
from tests.factories import CarriageFactory, PickupPointFactory, ShipmentFactory, UserFactory, operator_at
from tests.fakes.smtp import fake_smtp


def _all_channels(user, *, email: bool, push: bool) -> None:  # type: ignore[no-untyped-def]
    staff_preferences_save(
        user=user,
        enabled={
            (kind, channel): email if channel == StaffChannel.EMAIL else push
            for kind in StaffKind
            for channel in StaffChannel
        },
        quiet_start=None,
        quiet_end=None,
    )


def _notify(user, point, key: str = "test:1"):  # type: ignore[no-untyped-def]
    return staff_notify(
        kind=StaffKind.ANOMALY_ALERT,
        key=key,
        users=[user],
        point=point,
        render=lambda: ("Тревога", "Текст тревоги"),
    )


@pytest.mark.django_db
def test_defaults_are_push_on_and_email_off() -> None:
    user = UserFactory()

    preferences = staff_preferences(user=user)

    assert preferences.enabled[(StaffKind.ANOMALY_ALERT, StaffChannel.PUSH)] is True
    assert preferences.enabled[(StaffKind.ANOMALY_ALERT, StaffChannel.EMAIL)] is False
    assert preferences.quiet_hours is None


@pytest.mark.django_db
def test_a_message_creates_deliveries_only_for_the_chosen_channels(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    staff_preferences_save(
        user=user,
        enabled={
            (StaffKind.ANOMALY_ALERT, StaffChannel.EMAIL): True,
            (StaffKind.ANOMALY_ALERT, StaffChannel.PUSH): False,
        },
        quiet_start=None,
        quiet_end=None,
    )

    (message,) = _notify(user, point)

    assert (message.title, message.text, message.read_at) == ("Тревога", "Текст тревоги", None)
    assert list(StaffDelivery.objects.values_list("channel", "due_at")) == [(StaffChannel.EMAIL, clock.now())]


@pytest.mark.django_db
def test_the_same_event_notifies_a_person_once(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)

    _notify(user, point)
    again = _notify(user, point)

    assert again == []
    assert StaffMessage.objects.count() == 1


@pytest.mark.django_db
def test_quiet_hours_hold_outside_channels_until_their_end_but_not_the_in_app_message(clock) -> None:
    # The clock is 10:00 Moscow time; quiet 09:00–10:30 in the point's timezone.
    point = PickupPointFactory(timezone="Europe/Moscow")
    user = operator_at(point)
    _all_channels(user, email=True, push=True)
    staff_preferences_save(user=user, enabled={}, quiet_start=dt.time(9, 0), quiet_end=dt.time(10, 30))

    _notify(user, point)

    assert staff_unread_count(user=user) == 1
    quiet_end = clock.now() + dt.timedelta(minutes=30)
    assert set(StaffDelivery.objects.values_list("due_at", flat=True)) == {quiet_end}
    with mock.patch("pvz.notifications.staff_services.staff_delivery_deliver") as deliver:
        clock.set(quiet_end - dt.timedelta(seconds=1))
        assert staff_deliveries_send_due() == 0
        clock.set(quiet_end)
        assert staff_deliveries_send_due() == 2
    assert deliver.call_count == 2
    assert set(StaffDelivery.objects.values_list("status", "sent_at")) == {(DeliveryStatus.SENT, quiet_end)}


@pytest.mark.django_db
def test_quiet_hours_ending_exactly_now_do_not_hold(clock) -> None:
    point = PickupPointFactory(timezone="Europe/Moscow")
    user = operator_at(point)
    _all_channels(user, email=False, push=True)
    staff_preferences_save(user=user, enabled={}, quiet_start=dt.time(8, 0), quiet_end=dt.time(10, 0))

    _notify(user, point)

    assert list(StaffDelivery.objects.values_list("due_at", flat=True)) == [clock.now()]


@pytest.mark.django_db
def test_quiet_hours_must_have_two_different_ends() -> None:
    user = UserFactory()

    with pytest.raises(DomainError):
        staff_preferences_save(user=user, enabled={}, quiet_start=dt.time(8, 0), quiet_end=None)
    with pytest.raises(DomainError):
        staff_preferences_save(user=user, enabled={}, quiet_start=dt.time(8, 0), quiet_end=dt.time(8, 0))
    assert StaffPreference.objects.count() == 0


@pytest.mark.django_db
def test_a_channel_without_an_address_is_recorded_as_failed(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    _all_channels(user, email=True, push=False)

    _notify(user, point)
    staff_deliveries_send_due()

    delivery = StaffDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.error) == (
        DeliveryStatus.FAILED,
        1,
        "NoAddress: no confirmed e-mail",
    )


@pytest.mark.django_db
def test_marking_read_clears_the_unread_count(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    _notify(user, point, key="a")
    _notify(user, point, key="b")

    assert staff_messages_mark_read(user=user) == 2

    assert staff_unread_count(user=user) == 0


@pytest.mark.django_db
def test_expiring_today_tells_the_point_staff_once_from_nine(clock) -> None:
    point = PickupPointFactory(timezone="Europe/Moscow")
    operator = operator_at(point)
    today = clock.now().date()
    ShipmentFactory.create_batch(
        2, point=point, status=Status.STORED, storage_deadline=end_of_local_day(today, point)
    )
    ShipmentFactory(
        point=point,
        status=Status.STORED,
        storage_deadline=end_of_local_day(today + dt.timedelta(days=1), point),
    )

    early = staff_notify_expiring_today(now=clock.now().replace(hour=8, minute=59))
    first = staff_notify_expiring_today(now=clock.now())
    second = staff_notify_expiring_today(now=clock.now())

    assert (early, first, second) == (0, 1, 0)
    message = StaffMessage.objects.get(user=operator)
    assert message.kind == StaffKind.EXPIRING_TODAY
    assert message.text == f"{point.name}: сегодня последний день хранения у 2 заказов."


@pytest.mark.django_db
def test_a_carriage_entering_the_approaching_window_notifies_once(clock) -> None:
    point = PickupPointFactory()
    operator = operator_at(point)
    carriage = CarriageFactory(point=point, eta=clock.now() + dt.timedelta(minutes=31))

    assert staff_notify_transport_approaching() == 0
    clock.advance(minutes=1)
    assert staff_notify_transport_approaching() == 1
    assert staff_notify_transport_approaching() == 0

    message = StaffMessage.objects.get(user=operator)
    assert (
        message.text
        == f"{point.name}: перевозка {carriage.number} от {carriage.partner.name} прибудет около 10:31."
    )


@pytest.mark.django_db
def test_an_anomaly_flag_alerts_the_point_owners_in_app_and_not_the_operator(clock) -> None:
    point = PickupPointFactory(name="ПВЗ на Тверской")
    owner = operator_at(point, Role.OWNER)
    operator = operator_at(point)
    operator.full_name = "Иван Петров"
    operator.save()

    flag = anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=operator, point=point, details={})

    message = StaffMessage.objects.get()
    assert (message.user_id, message.kind, message.point_id, message.link) == (
        owner.pk,
        StaffKind.ANOMALY_ALERT,
        point.pk,
        "/anomalies/",
    )
    assert message.title == "Тревога"
    assert (
        message.text
        == "ПВЗ на Тверской: тревога «Выдача вне часов работы», сотрудник Иван Петров. Раздел «Тревоги»."
    )
    assert message.dedup_key == f"anomaly_alert:{flag.pk}:{owner.pk}"


@pytest.mark.django_db
def test_a_staff_email_reaches_the_smtp_server_at_the_confirmed_address(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    EmailFactor.objects.create(
        user=user, email="op@example.org", created_at=clock.now(), confirmed_at=clock.now()
    )
    _all_channels(user, email=True, push=False)
    staff_notify(
        kind=StaffKind.ANOMALY_ALERT,
        key="mail",
        users=[user],
        point=point,
        render=lambda: ("Тревога", "Текст тревоги"),
        link="https://pvz.example.ru/anomalies/",
    )

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
        assert staff_deliveries_send_due() == 1

    [message] = server.messages
    assert (message["To"], str(message["Subject"]).strip()) == ("op@example.org", "Тревога")
    assert message.get_content().strip().splitlines() == [
        "Текст тревоги",
        "https://pvz.example.ru/anomalies/",
    ]


@pytest.mark.django_db
def test_an_unconfirmed_email_is_not_used(clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    EmailFactor.objects.create(user=user, email="op@example.org", created_at=clock.now())
    _all_channels(user, email=True, push=False)

    _notify(user, point)
    staff_deliveries_send_due()

    assert StaffDelivery.objects.get().error == "NoAddress: no confirmed e-mail"
