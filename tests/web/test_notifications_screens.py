"""«Уведомления»: the in-app list with its unread count and "mark read", the personal settings (kind ×
channel switches, quiet hours), and the browser's push subscription."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pvz.audit.models import AuditRecord
from pvz.notifications.models import PushSubscription, QuietHours, StaffChannel, StaffKind, StaffPreference
from pvz.notifications.staff_services import staff_notify

pytestmark = pytest.mark.django_db

SUBSCRIPTION = {
    "endpoint": "https://push.example.org/send/abc",
    "keys": {"p256dh": "BPk", "auth": "c2VjcmV0"},
}


def _alert(user, point, key: str = "k"):  # type: ignore[no-untyped-def]
    staff_notify(
        kind=StaffKind.ANOMALY_ALERT,
        key=key,
        users=[user],
        point=point,
        render=lambda: ("Тревога", "ПВЗ Тверская: тревога"),
        link="/anomalies/",
    )


def test_the_list_shows_own_messages_with_the_unread_count_and_marks_them_read(
    sign_in, point, operator, clock
) -> None:
    _alert(operator, point)
    client = sign_in(operator, point)

    page = client.get("/notifications/")

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("data-staff-message=") == 1
    assert "ПВЗ Тверская: тревога" in html
    assert "Непрочитанных: 1." in html
    response = client.post("/notifications/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert "Непрочитанных: 0." in client.get("/notifications/").content.decode()


def test_settings_show_defaults_push_on_email_off(sign_in, point, operator) -> None:
    html = sign_in(operator, point).get("/account/notifications/").content.decode()

    assert 'name="anomaly_alert:push" value="1" aria-label="Тревога: Push-уведомления" checked>' in html
    assert 'name="anomaly_alert:email" value="1" aria-label="Тревога: E-mail">' in html
    assert "data-push-off" in html  # no VAPID keys in the test settings


def test_saving_settings_stores_every_switch_and_the_quiet_hours(sign_in, point, operator) -> None:
    client = sign_in(operator, point)

    response = client.post(
        "/account/notifications/",
        {
            "anomaly_alert:email": "1",
            "expiring_today:push": "1",
            "quiet_start": "22:00",
            "quiet_end": "08:00",
        },
    )

    assert response.status_code == 302
    stored = dict(
        ((row.kind, row.channel), row.enabled) for row in StaffPreference.objects.filter(user=operator)
    )
    assert len(stored) == len(StaffKind) * len(StaffChannel)
    assert stored[(StaffKind.ANOMALY_ALERT, StaffChannel.EMAIL)] is True
    assert stored[(StaffKind.ANOMALY_ALERT, StaffChannel.PUSH)] is False
    assert stored[(StaffKind.EXPIRING_TODAY, StaffChannel.PUSH)] is True
    quiet = QuietHours.objects.get(user=operator)
    assert (quiet.start, quiet.end) == (dt.time(22, 0), dt.time(8, 0))
    assert AuditRecord.objects.filter(action="notifications.preferences_saved", actor=operator).count() == 1


def test_one_sided_quiet_hours_are_refused_and_nothing_is_stored(sign_in, point, operator) -> None:
    response = sign_in(operator, point).post(
        "/account/notifications/", {"quiet_start": "22:00", "quiet_end": ""}
    )

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()
    assert not StaffPreference.objects.exists()
    assert not QuietHours.objects.exists()


def test_a_browser_subscribes_and_unsubscribes_for_push(sign_in, point, operator, settings, clock) -> None:
    settings.PVZ_VAPID_PRIVATE_KEY = "private"
    settings.PVZ_VAPID_PUBLIC_KEY = "public"
    client = sign_in(operator, point)
    assert 'data-vapid-key="public"' in client.get("/account/notifications/").content.decode()

    subscribed = client.post(
        "/notifications/push/subscribe/", json.dumps(SUBSCRIPTION), content_type="application/json"
    )

    assert subscribed.status_code == 204
    row = PushSubscription.objects.get()
    assert (row.user_id, row.endpoint, row.p256dh, row.auth) == (
        operator.pk,
        SUBSCRIPTION["endpoint"],
        "BPk",
        "c2VjcmV0",
    )
    unsubscribed = client.post(
        "/notifications/push/unsubscribe/",
        json.dumps({"endpoint": SUBSCRIPTION["endpoint"]}),
        content_type="application/json",
    )
    assert unsubscribed.status_code == 204
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "http://push.example.org/plain-http", "keys": {"p256dh": "BPk", "auth": "c2VjcmV0"}},
        {"endpoint": "https://push.example.org/x", "keys": {"p256dh": "", "auth": "c2VjcmV0"}},
        {"keys": {}},
    ],
)
def test_an_incomplete_subscription_is_refused(sign_in, point, operator, settings, body) -> None:
    settings.PVZ_VAPID_PRIVATE_KEY = "private"
    settings.PVZ_VAPID_PUBLIC_KEY = "public"

    response = sign_in(operator, point).post(
        "/notifications/push/subscribe/", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 422
    assert not PushSubscription.objects.exists()


def test_subscribing_while_push_is_off_is_a_conflict(sign_in, point, operator) -> None:
    response = sign_in(operator, point).post(
        "/notifications/push/subscribe/", json.dumps(SUBSCRIPTION), content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "PUSH_OFF")


def test_every_staff_page_registers_the_service_worker(sign_in, point, operator) -> None:
    html = sign_in(operator, point).get("/").content.decode()

    assert 'src="/static/pvz/push.js" data-sw="/static/pvz/sw.js"' in html
    assert "data-unread-badge" in html
