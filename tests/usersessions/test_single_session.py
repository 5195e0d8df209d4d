"""Single active session: a new login ends the user's other sessions, and the old device is told why on its
next request (pages go to the login page, the API answers 401 SESSION_ENDED)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from pvz.audit.models import AuditRecord
from pvz.usersessions.models import UserSession, session_key_hash
from pvz.usersessions.services import user_sessions_end
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db

BACKEND = "pvz.accounts.backends.PhoneCodeBackend"
NEW_LOGIN_TEXT = "Вы вошли на другом устройстве. Сеанс на этом устройстве завершён."


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def user():
    return operator_at(PickupPointFactory())


def test_a_new_login_sends_the_first_devices_next_page_to_login_with_the_message(user):
    first = _signed_in(user)
    second = _signed_in(user)

    response = first.get("/points/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?ended=new_login&next=%2Fpoints%2F"
    login_page = first.get(response["Location"])
    assert login_page.status_code == 200
    assert NEW_LOGIN_TEXT in login_page.content.decode()
    assert second.get("/points/").status_code == 200


def test_a_new_login_makes_the_api_answer_the_first_device_401_session_ended(user):
    first = _signed_in(user)
    second = _signed_in(user)

    response = first.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "SESSION_ENDED",
            "message": NEW_LOGIN_TEXT,
            "details": {"reason": "new_login"},
            "request_id": response["X-Request-ID"],
        }
    }
    assert second.get("/api/v1/me").status_code == 200


def test_the_dead_cookie_is_dropped_so_the_device_is_then_just_signed_out(user):
    first = _signed_in(user)
    _signed_in(user)

    first.get("/points/")
    again = first.get("/points/")

    assert first.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert again["Location"] == "/login/?next=/points/"


def test_a_new_login_ends_the_other_session_and_keeps_its_own(user):
    first = _signed_in(user)
    second = _signed_in(user)

    assert not Session.objects.filter(session_key=first.session.session_key).exists()
    assert Session.objects.filter(session_key=second.session.session_key).exists()
    ended = UserSession.objects.get(key_hash=session_key_hash(first.cookies["sessionid"].value))
    assert (ended.end_reason, ended.session_key) == ("new_login", "")
    live = UserSession.objects.get(key_hash=session_key_hash(second.session.session_key))
    assert (live.end_reason, live.ended_at, live.session_key) == ("", None, second.session.session_key)


def test_ending_sessions_is_audited_with_reason_and_count(user):
    _signed_in(user)
    assert not AuditRecord.objects.filter(action="auth.sessions_ended").exists()  # the first login ends none

    _signed_in(user)

    record = AuditRecord.objects.get(action="auth.sessions_ended")
    assert (record.actor, record.details) == (user, {"reason": "new_login", "count": 1})


def test_logins_of_other_users_do_not_end_a_session(user):
    first = _signed_in(user)
    _signed_in(UserFactory())

    assert first.get("/points/").status_code == 200


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("password_reset", "Пароль был сброшен. Сеанс на этом устройстве завершён, войдите снова."),
        ("deactivated", "Учётная запись отключена. Сеанс на этом устройстве завершён."),
        ("suspended", "Учётная запись приостановлена до проверки. Сеанс на этом устройстве завершён."),
    ],
)
def test_ending_all_sessions_for_a_reason_tells_the_device_that_reason(user, reason, text):
    client = _signed_in(user)
    key = client.session.session_key

    ended = user_sessions_end(user=user, reason=reason)

    assert ended == 1
    page = client.get("/points/")
    assert page["Location"] == f"/login/?ended={reason}&next=%2Fpoints%2F"
    assert text in client.get(page["Location"]).content.decode()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    api = client.get("/api/v1/me")
    assert (api.status_code, api.json()["error"]) == (
        401,
        {
            "code": "SESSION_ENDED",
            "message": text,
            "details": {"reason": reason},
            "request_id": api["X-Request-ID"],
        },
    )


def test_ending_sessions_with_a_kept_key_spares_that_session(user):
    client = _signed_in(user)

    ended = user_sessions_end(user=user, reason="suspended", keep_session_key=client.session.session_key)

    assert ended == 0
    assert client.get("/points/").status_code == 200


def test_an_unknown_reason_is_refused(user):
    with pytest.raises(ValueError):
        user_sessions_end(user=user, reason="bored")


def test_an_expired_session_is_not_counted_as_ended_and_its_record_is_dropped(user):
    first = _signed_in(user)
    Session.objects.filter(session_key=first.session.session_key).update(
        expire_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )

    ended = user_sessions_end(user=user, reason="password_reset")

    assert ended == 0
    assert not UserSession.objects.filter(user=user).exists()
    assert not AuditRecord.objects.filter(action="auth.sessions_ended").exists()


def test_a_cookie_of_an_unknown_session_is_just_anonymous(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32

    page = client.get("/points/")
    api = client.get("/api/v1/me")

    assert page["Location"] == "/login/?next=/points/"
    assert (api.status_code, api.json()["error"]["code"]) == (401, "NOT_AUTHENTICATED")


def test_signing_out_forgets_the_session_so_its_old_cookie_is_just_anonymous(user):
    client = _signed_in(user)
    key = client.session.session_key

    client.post("/logout/")
    client.cookies[settings.SESSION_COOKIE_NAME] = key

    assert not UserSession.objects.filter(user=user).exists()
    assert client.get("/points/")["Location"] == "/login/?next=/points/"


def test_the_login_page_ignores_an_unknown_reason(client):
    html = client.get("/login/?ended=<script>").content.decode()

    assert "data-session-ended-notice" not in html


def test_a_signed_in_request_costs_no_query_for_the_check(user, django_assert_num_queries):
    client = _signed_in(user)
    client.get("/api/v1/me")  # the idle refresh writes once; measure the steady state
    without = [m for m in settings.MIDDLEWARE if not m.startswith("pvz.usersessions.")]
    with override_settings(MIDDLEWARE=without):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as baseline:
            assert client.get("/api/v1/me").status_code == 200

    with django_assert_num_queries(len(baseline)):
        assert client.get("/api/v1/me").status_code == 200


def test_records_of_sessions_ended_longer_ago_than_a_cookie_lives_are_pruned_at_the_next_login(user, clock):
    _signed_in(user)
    _signed_in(user)
    assert UserSession.objects.filter(user=user, ended_at__isnull=False).count() == 1

    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 1)
    _signed_in(user)

    assert UserSession.objects.filter(user=user, ended_at__isnull=False).count() == 1  # only the latest


def test_an_htmx_request_of_the_ended_session_loads_the_login_page_as_the_whole_page(user):
    first = _signed_in(user)
    _signed_in(user)

    response = first.get("/points/", headers={"HX-Request": "true"})

    assert (response.status_code, response.content) == (200, b"")
    assert response["HX-Redirect"] == "/login/?ended=new_login"


def test_a_post_of_the_ended_session_goes_to_login_without_a_next_page(user):
    first = _signed_in(user)
    _signed_in(user)

    response = first.post("/points/", {"point_id": "1"})

    assert response["Location"] == "/login/?ended=new_login"
