"""Screens of opening and closing a point: the public application form and its confirmation, the platform
admins' review (list, card, photos, approve, reject), and «Закрытие точки»."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.closing.services import point_close_complete, point_close_start
from pvz.network.models import PickupPoint, PointStatus
from pvz.onboarding.models import ApplicationStatus, PointApplication
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, ShipmentFactory, operator_at
from tests.onboarding.conftest import APPLICANT_PHONE, form_data, png, png_bytes, private_media  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(point: PickupPoint) -> User:
    return operator_at(point, Role.PLATFORM_ADMIN)


def _apply(client: Client, **changes) -> object:
    return client.post("/apply/", {**form_data(**changes), "photos": [png()]})


# ---- the public form ----------------------------------------------------------------------------------


def test_anyone_can_open_the_form(client: Client) -> None:
    response = client.get("/apply/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Заявка на открытие пункта выдачи" in html
    assert 'name="photos"' in html


def test_submitting_shows_the_application_number(client: Client, clock) -> None:
    response = _apply(client)

    assert response.status_code == 302
    assert response["Location"] == "/apply/sent/"
    application = PointApplication.objects.get()
    page = client.get("/apply/sent/").content.decode()
    assert f"<strong data-application-number>{application.number}</strong>" in page
    assert application.photos.count() == 1


def test_confirmation_page_without_a_submission_goes_back_to_the_form(client: Client) -> None:
    response = client.get("/apply/sent/")

    assert (response.status_code, response["Location"]) == (302, "/apply/")


def test_a_bad_field_is_shown_next_to_it_and_nothing_is_saved(client: Client) -> None:
    response = _apply(client, email="nope")

    assert response.status_code == 422
    assert "Это не похоже на адрес e-mail" in response.content.decode()
    assert PointApplication.objects.count() == 0


def test_a_missing_required_field_is_422(client: Client) -> None:
    response = client.post("/apply/", {**form_data(), "address": ""})

    assert response.status_code == 422
    assert PointApplication.objects.count() == 0


def test_the_fourth_submission_from_one_address_in_an_hour_is_429(client: Client, clock) -> None:
    for n in range(3):
        assert _apply(client, phone=f"+7916111000{n}").status_code == 302

    response = _apply(client, phone="+79161110009")

    assert response.status_code == 429
    assert 'data-error-code="RATE_LIMITED"' in response.content.decode()
    assert PointApplication.objects.count() == 3


def test_a_second_pending_application_from_the_phone_is_409(client: Client) -> None:
    _apply(client)

    response = _apply(client)

    assert response.status_code == 409
    assert "уже есть заявка на рассмотрении" in response.content.decode()


# ---- the review ---------------------------------------------------------------------------------------


@pytest.fixture
def application(client: Client) -> PointApplication:
    _apply(client)
    client.logout()
    return PointApplication.objects.get()


def test_platform_admin_sees_the_list_without_choosing_a_point(sign_in, admin, application) -> None:
    response = sign_in(admin).get("/onboarding/applications/", {"status": "pending"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-application="{application.pk}"' in html
    assert "Москва, ул. Тверская, 7" in html


def test_list_filter_hides_other_statuses(sign_in, admin, application) -> None:
    html = sign_in(admin).get("/onboarding/applications/", {"status": "approved"}).content.decode()

    assert f'data-application="{application.pk}"' not in html
    assert "data-empty" in html


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.OPERATOR, Role.SUPPORT])
def test_nobody_else_may_open_the_review_403(sign_in, point, application, role) -> None:
    client = sign_in(operator_at(point, role), point)

    for path in (
        "/onboarding/applications/",
        f"/onboarding/applications/{application.pk}/",
        f"/onboarding/photos/{application.photos.get().pk}/",
    ):
        assert client.get(path).status_code == 403
    assert (
        client.post(f"/onboarding/applications/{application.pk}/reject/", {"reason": "x"}).status_code == 403
    )
    assert PointApplication.objects.get().status == ApplicationStatus.PENDING
    assert AuditRecord.objects.filter(action="access.denied").count() == 4


def test_anonymous_is_sent_to_sign_in(client: Client, application) -> None:
    response = client.get(f"/onboarding/applications/{application.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_card_shows_the_application_its_photos_and_a_prefilled_approval_form(
    sign_in, admin, application
) -> None:
    client = sign_in(admin)
    html = client.get(f"/onboarding/applications/{application.pk}/").content.decode()
    photo = application.photos.get()

    assert APPLICANT_PHONE in html
    assert f'src="/onboarding/photos/{photo.pk}/"' in html
    assert f'value="pvz-{application.number}"' in html
    assert 'value="400"' in html  # 40 m² × 10
    served = client.get(f"/onboarding/photos/{photo.pk}/")
    assert (served.status_code, served["Content-Type"], served["Cache-Control"]) == (
        200,
        "image/png",
        "private, no-store",
    )
    # What was stored: the upload re-encoded (pvz.core.uploads), the same pixels.
    with photo.file.open("rb") as stored:
        assert served.content == stored.read()
    assert Image.open(io.BytesIO(served.content)).tobytes() == Image.open(io.BytesIO(png_bytes())).tobytes()


def test_an_unknown_application_or_photo_is_404(sign_in, admin) -> None:
    client = sign_in(admin)

    assert client.get("/onboarding/applications/999999/").status_code == 404
    assert client.get("/onboarding/photos/999999/").status_code == 404


def test_approve_from_the_card_creates_the_point_and_shows_it(sign_in, admin, application) -> None:
    client = sign_in(admin)

    response = client.post(
        f"/onboarding/applications/{application.pk}/approve/",
        {"code": "msk-7", "name": "ПВЗ Тверская", "timezone": "Europe/Moscow", "capacity": 300},
    )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/onboarding/applications/{application.pk}/",
    )
    html = client.get(response["Location"]).content.decode()
    assert 'data-approved-point="msk-7"' in html
    assert "data-approve-form" not in html
    assert PickupPoint.objects.get(code="msk-7").memberships.get().user.phone == APPLICANT_PHONE


def test_approving_again_is_409_with_the_message(sign_in, admin, application) -> None:
    client = sign_in(admin)
    data = {"code": "msk-7", "name": "ПВЗ Тверская", "timezone": "Europe/Moscow", "capacity": 300}
    client.post(f"/onboarding/applications/{application.pk}/approve/", data)

    response = client.post(f"/onboarding/applications/{application.pk}/approve/", {**data, "code": "msk-8"})

    assert response.status_code == 409
    assert 'data-error-code="CONFLICT"' in response.content.decode()


def test_a_bad_timezone_is_shown_on_its_field(sign_in, admin, application) -> None:
    response = sign_in(admin).post(
        f"/onboarding/applications/{application.pk}/approve/",
        {"code": "msk-7", "name": "ПВЗ", "timezone": "Mars/Base", "capacity": 300},
    )

    assert response.status_code == 422
    assert "Неизвестный часовой пояс: Mars/Base." in response.content.decode()


def test_reject_needs_a_reason_and_then_shows_it(sign_in, admin, application) -> None:
    client = sign_in(admin)

    assert (
        client.post(f"/onboarding/applications/{application.pk}/reject/", {"reason": ""}).status_code == 422
    )
    response = client.post(f"/onboarding/applications/{application.pk}/reject/", {"reason": "Нет вывески"})

    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "<dd data-reject-reason>Нет вывески</dd>" in html


# ---- closing ------------------------------------------------------------------------------------------


@pytest.fixture
def owner(point: PickupPoint) -> User:
    return operator_at(point, Role.OWNER)


def test_owner_starts_closing_from_the_page_with_a_confirmation(sign_in, point, owner) -> None:
    client = sign_in(owner, point)
    assert "data-close-start" in client.get("/closing/").content.decode()

    unconfirmed = client.post("/closing/start/", {"reason": "Аренда"})
    assert unconfirmed.status_code == 422
    response = client.post(
        "/closing/start/", {"reason": "Аренда", "planned_on": "2026-12-31", "confirm": "on"}
    )

    assert (response.status_code, response["Location"]) == (302, "/closing/")
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.CLOSING
    html = client.get("/closing/").content.decode()
    assert 'data-point-status="closing"' in html
    assert "Планируемая дата: 31.12.2026." in html


def test_page_lists_what_must_still_leave_and_completing_is_refused(sign_in, point, owner) -> None:
    point_close_start(actor=owner, point=point, reason="Аренда")
    ShipmentFactory(point=point, status=Status.STORED)
    ShipmentFactory(point=point, status=Status.AWAITING_DISPATCH)
    client = sign_in(owner, point)

    html = client.get("/closing/").content.decode()
    assert '<tr data-leftover="to_issue"><td>' in html
    assert '<td class="mono">1</td><td><a href="/expiry/">' in html
    assert '<td class="mono">1</td><td><a href="/dispatch/">' in html

    response = client.post("/closing/complete/")
    assert response.status_code == 409
    body = response.content.decode()
    assert "на хранении 1" in body
    assert "в зоне возврата 1" in body
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.CLOSING


def test_completing_an_empty_point_closes_it_and_it_leaves_the_point_picker(sign_in, point, owner) -> None:
    point_close_start(actor=owner, point=point, reason="Аренда")
    client = sign_in(owner, point)

    response = client.post("/closing/complete/")

    assert response.status_code == 200
    assert 'data-point-status="closed"' in response.content.decode()
    picker = client.get("/points/").content.decode()
    assert point.name not in picker
    assert client.get("/closing/").status_code == 302  # the point is no longer anyone's current point


def test_manager_sees_the_page_but_may_not_close(sign_in, point) -> None:
    client = sign_in(operator_at(point, Role.MANAGER), point)

    html = client.get("/closing/").content.decode()
    assert "data-owner-only" in html
    response = client.post("/closing/start/", {"reason": "Хочу", "confirm": "on"})

    assert response.status_code == 403
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


def test_operator_cannot_open_the_closing_page(sign_in, point) -> None:
    assert sign_in(operator_at(point), point).get("/closing/").status_code == 403


def test_owner_of_another_point_cannot_close_this_one(sign_in, point) -> None:
    other = PickupPointFactory()
    client = sign_in(operator_at(other, Role.OWNER), point)  # the session names a point not theirs

    response = client.post("/closing/start/", {"reason": "Чужая", "confirm": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/points/")
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


def test_owner_still_reads_the_statistics_of_their_closed_point(sign_in, point, owner) -> None:
    ShipmentFactory(point=point, status=Status.ISSUED)
    ShipmentFactory(point=point, status=Status.DISPATCHED)
    point_close_start(actor=owner, point=point, reason="Аренда")
    point_close_complete(actor=owner, point=point)
    other_closed = PickupPointFactory(status=PointStatus.CLOSED, is_active=False)

    html = sign_in(owner).get("/closing/history/").content.decode()

    assert f'data-closed-point="{point.code}"' in html
    assert '<td class="mono" data-stat="shipments">2</td>' in html
    assert "Аренда" in html
    assert f'data-closed-point="{other_closed.code}"' not in html  # not theirs


def test_platform_admin_sees_every_closed_point_and_an_operator_none(sign_in, point) -> None:
    closed = PickupPointFactory(status=PointStatus.CLOSED, is_active=False)
    admin_html = sign_in(operator_at(point, Role.PLATFORM_ADMIN)).get("/closing/history/").content.decode()
    assert f'data-closed-point="{closed.code}"' in admin_html

    operator_html = sign_in(operator_at(point)).get("/closing/history/").content.decode()
    assert "data-empty" in operator_html
