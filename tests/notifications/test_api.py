"""`/api/v1/me/notifications`: the caller's own messages and unread count, marking read, and preferences."""

from __future__ import annotations

import pytest

from pvz.notifications.models import QuietHours, StaffKind
from pvz.notifications.staff_services import staff_notify
from tests.api.conftest import signed_in as signed_in  # the API tests' sign-in fixture
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

BASE = "/api/v1/me/notifications"


def _alert(user, point, key: str) -> None:  # type: ignore[no-untyped-def]
    staff_notify(kind=StaffKind.ANOMALY_ALERT, key=key, users=[user], point=point, render=lambda: ("T", key))


def test_anonymous_callers_get_401(client) -> None:
    assert client.get(BASE).status_code == 401


def test_the_caller_sees_only_own_messages_newest_first_and_marks_them_read(signed_in, clock) -> None:
    point = PickupPointFactory()
    user, other = operator_at(point), operator_at(point)
    _alert(user, point, "first")
    clock.advance(minutes=1)
    _alert(user, point, "second")
    _alert(other, point, "theirs")
    client = signed_in(user)

    listed = client.get(BASE).json()

    assert listed["unread"] == 2
    assert [m["text"] for m in listed["messages"]] == ["second", "first"]
    assert listed["messages"][0]["created_at"] == "2026-11-27T10:01:00+03:00"
    assert client.post(f"{BASE}/read").json() == {"marked": 2}
    assert client.get(BASE).json()["unread"] == 0


def test_preferences_read_and_set(signed_in) -> None:
    user = operator_at(PickupPointFactory())
    client = signed_in(user)

    before = client.get(f"{BASE}/preferences").json()
    response = client.put(
        f"{BASE}/preferences",
        {
            "choices": [{"kind": "anomaly_alert", "channel": "email", "enabled": True}],
            "quiet_start": "22:00:00",
            "quiet_end": "08:00:00",
        },
        content_type="application/json",
    )

    assert {"kind": "anomaly_alert", "channel": "email", "enabled": False} in before["choices"]
    assert (before["push_enabled"], before["vapid_public_key"]) == (False, "")
    after = response.json()
    assert response.status_code == 200
    assert {"kind": "anomaly_alert", "channel": "email", "enabled": True} in after["choices"]
    assert (after["quiet_start"], after["quiet_end"]) == ("22:00:00", "08:00:00")


def test_one_sided_quiet_hours_are_422_and_nothing_changes(signed_in) -> None:
    user = operator_at(PickupPointFactory())

    response = signed_in(user).put(
        f"{BASE}/preferences", {"quiet_start": "22:00:00"}, content_type="application/json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert not QuietHours.objects.exists()


def test_quiet_hours_with_a_timezone_offset_are_422_and_nothing_changes(signed_in) -> None:
    """Found by schemathesis: an aware time reached the database (a 500 on SQLite)."""
    user = operator_at(PickupPointFactory())

    response = signed_in(user).put(
        f"{BASE}/preferences",
        {"quiet_start": "22:40:03+01:13", "quiet_end": "08:00:00"},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert not QuietHours.objects.exists()
