"""The factors API: /me/factors and /points/{id}/factor-policy."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.core import mail
from django.test import Client

from pvz.accounts.roles import Role
from pvz.factors.models import TotpDevice
from pvz.factors.selectors import point_requires_second_factor
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


@pytest.fixture
def api(client: Client):
    def sign_in(user) -> Client:
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return sign_in


@pytest.fixture
def point():
    return PickupPointFactory()


def test_factors_need_a_sign_in(client):
    response = client.get("/api/v1/me/factors")

    assert response.status_code == 401


def test_a_new_person_has_no_factors(api, user):
    response = api(user).get("/api/v1/me/factors")

    assert response.status_code == 200
    assert response.json() == {
        "email": None,
        "email_confirmed": False,
        "totp": False,
        "totp_pending": False,
        "backup_codes_left": 0,
        "required": False,
    }


def test_an_app_is_enrolled_through_the_api_and_deleted_with_a_code(api, user, clock):
    client = api(user)

    started = client.post("/api/v1/me/factors/totp", content_type="application/json")
    assert started.status_code == 201
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/OpenPVZ:")
    totp = pyotp.TOTP(secret)
    confirmed = client.post(
        "/api/v1/me/factors/totp/confirm", {"code": totp.at(clock.now())}, content_type="application/json"
    )
    assert confirmed.status_code == 200
    assert len(confirmed.json()["backup_codes"]) == 10
    assert client.get("/api/v1/me/factors").json()["backup_codes_left"] == 10

    replay = client.delete(
        "/api/v1/me/factors/totp", {"code": totp.at(clock.now())}, content_type="application/json"
    )
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "CODE_INVALID"
    deleted = client.delete(
        "/api/v1/me/factors/totp",
        {"code": confirmed.json()["backup_codes"][0]},
        content_type="application/json",
    )
    assert deleted.status_code == 200
    assert deleted.json()["totp"] is False
    assert not TotpDevice.objects.filter(user=user).exists()


def test_a_second_enrolment_is_a_conflict(api, user, enrol):
    enrol(user)

    response = api(user).post("/api/v1/me/factors/totp", content_type="application/json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


def test_backup_codes_are_regenerated_through_the_api(api, user, enrol):
    _app, old = enrol(user)

    response = api(user).post("/api/v1/me/factors/backup-codes", content_type="application/json")

    assert response.status_code == 200
    assert not set(response.json()["backup_codes"]) & set(old)


def test_an_e_mail_is_added_and_confirmed_through_the_api(api, user, django_capture_on_commit_callbacks):
    client = api(user)

    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(
            "/api/v1/me/factors/email", {"email": "a@example.ru"}, content_type="application/json"
        )
    assert added.status_code == 202
    assert added.json()["email"] == "a@example.ru"
    code = re.search(r"\d{6}", mail.outbox[-1].body).group(0)
    wrong = client.post(
        "/api/v1/me/factors/email/confirm",
        {"code": f"{(int(code) + 1) % 1_000_000:06d}"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"] == {"attempts_left": 4}
    confirmed = client.post(
        "/api/v1/me/factors/email/confirm", {"code": code}, content_type="application/json"
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["email_confirmed"] is True


def test_a_malformed_e_mail_is_refused(api, user):
    response = api(user).post("/api/v1/me/factors/email", {"email": "nope"}, content_type="application/json")

    assert response.status_code == 422


def test_everyone_at_the_point_reads_the_rule(api, point):
    response = api(operator_at(point)).get(f"/api/v1/points/{point.pk}/factor-policy")

    assert response.status_code == 200
    assert response.json() == {
        "point_id": point.pk,
        "require_second_factor": False,
        "set_by_id": None,
        "updated_at": None,
    }


def test_the_rule_of_a_foreign_point_is_not_found(api, point):
    response = api(operator_at(PickupPointFactory())).get(f"/api/v1/points/{point.pk}/factor-policy")

    assert response.status_code == 404


def test_the_owner_switches_the_rule_through_the_api(api, point, clock):
    owner = operator_at(point, Role.OWNER)

    response = api(owner).put(
        f"/api/v1/points/{point.pk}/factor-policy",
        {"require_second_factor": True},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["require_second_factor"] is True
    assert response.json()["set_by_id"] == owner.pk
    assert point_requires_second_factor(point=point)


def test_a_platform_admin_switches_the_rule_through_the_api(api, point):
    response = api(operator_at(point, Role.PLATFORM_ADMIN)).put(
        f"/api/v1/points/{point.pk}/factor-policy",
        {"require_second_factor": True},
        content_type="application/json",
    )

    assert response.status_code == 200


def test_a_manager_may_not_switch_the_rule(api, point):
    response = api(operator_at(point, Role.MANAGER)).put(
        f"/api/v1/points/{point.pk}/factor-policy",
        {"require_second_factor": True},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert not point_requires_second_factor(point=point)
