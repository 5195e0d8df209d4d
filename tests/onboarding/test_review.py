"""A platform admin's review: approve creates the point, the owner's account and the OWNER membership in
one transaction and texts the owner; reject needs a reason and texts it; a reviewed application is final;
nobody else may read or review."""

from __future__ import annotations

import pytest

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.accounts.roles import Role
from pvz.accounts.selectors import points_for_user
from pvz.audit.models import AuditRecord
from pvz.core.errors import ErrorCode
from pvz.network.models import Cell, PickupPoint, PointStatus
from pvz.onboarding import selectors
from pvz.onboarding.models import ApplicationStatus, PointApplication
from pvz.onboarding.services import PointDraft, application_approve, application_reject
from tests.factories import PickupPointFactory, UserFactory, operator_at
from tests.onboarding.conftest import APPLICANT_PHONE

pytestmark = pytest.mark.django_db

DRAFT = PointDraft(code="msk-tverskaya-7", name="ПВЗ Тверская 7", timezone="Europe/Moscow", capacity=400)


def _approve(admin, application, draft: PointDraft = DRAFT) -> PointApplication:
    return application_approve(actor=admin, application=application, draft=draft)


def test_approve_creates_the_point_the_owner_and_the_membership_and_texts_the_owner(
    submit, admin, clock, django_capture_on_commit_callbacks
) -> None:
    application = submit()

    with django_capture_on_commit_callbacks(execute=True):
        approved = _approve(admin, application)

    point = PickupPoint.objects.get(code="msk-tverskaya-7")
    assert (point.name, point.address, point.timezone, point.capacity, point.status, point.is_active) == (
        "ПВЗ Тверская 7",
        "Москва, ул. Тверская, 7",
        "Europe/Moscow",
        400,
        PointStatus.OPEN,
        True,
    )
    owner = User.objects.get(phone=APPLICANT_PHONE)
    assert owner.full_name == "Иван Петров"
    assert list(Membership.objects.filter(user=owner).values_list("role", "point_id", "is_active")) == [
        (Role.OWNER, point.pk, True)
    ]
    assert list(points_for_user(user=owner)) == [point]
    assert set(Cell.objects.filter(point=point).values_list("address", flat=True)) == {
        "INSPECTION",
        "RETURNS",
        "TRANSIT",
        "CONSUMABLES",
    }
    assert (approved.status, approved.point, approved.owner, approved.reviewed_by, approved.reviewed_at) == (
        ApplicationStatus.APPROVED,
        point,
        owner,
        admin,
        clock.now(),
    )
    assert SmsMessage.objects.filter(phone=APPLICANT_PHONE).order_by("id").last().text == (
        "Точка «ПВЗ Тверская 7» одобрена. Вход в OpenPVZ по номеру +79161234567, код придёт по SMS."
    )
    record = AuditRecord.objects.get(action="onboarding.approve")
    assert (record.actor, record.point_id, record.object_id) == (admin, point.pk, str(application.pk))


def test_approve_reuses_an_existing_account_with_the_applicants_phone(submit, admin) -> None:
    existing = UserFactory(phone=APPLICANT_PHONE, full_name="Иван (оператор)")
    application = submit()

    _approve(admin, application)

    assert User.objects.filter(phone=APPLICANT_PHONE).count() == 1
    assert Membership.objects.get(user=existing, role=Role.OWNER).point.code == "msk-tverskaya-7"


def test_approve_is_all_or_nothing_when_the_membership_cannot_be_granted(submit, admin, monkeypatch) -> None:
    application = submit()

    def broken_grant(**kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("pvz.onboarding.services.membership_grant", broken_grant)
    with pytest.raises(RuntimeError):
        _approve(admin, application)

    assert PickupPoint.objects.filter(code="msk-tverskaya-7").exists() is False
    assert User.objects.filter(phone=APPLICANT_PHONE).exists() is False
    assert PointApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING
    assert AuditRecord.objects.filter(action="onboarding.approve").exists() is False


def test_approving_twice_is_a_conflict_and_creates_nothing_more(submit, admin) -> None:
    application = submit()
    _approve(admin, application)

    with pytest.raises(Exception) as excinfo:
        _approve(
            admin, application, PointDraft(code="other-code", name="Другая", timezone="UTC", capacity=10)
        )

    assert str(excinfo.value.code) == ErrorCode.CONFLICT
    assert PickupPoint.objects.filter(code="other-code").exists() is False


def test_approving_a_rejected_application_is_a_conflict(submit, admin) -> None:
    application = submit()
    application_reject(actor=admin, application=application, reason="Помещение в подвале")

    with pytest.raises(Exception) as excinfo:
        _approve(admin, application)

    assert (str(excinfo.value.code), excinfo.value.details["status"]) == (ErrorCode.CONFLICT, "rejected")
    assert User.objects.filter(phone=APPLICANT_PHONE).exists() is False


def test_approve_refuses_a_taken_code_a_bad_code_an_unknown_timezone_and_a_bad_capacity(
    submit, admin
) -> None:
    PickupPointFactory(code="taken")
    application = submit()
    cases = [
        (PointDraft(code="taken", name="ПВЗ", timezone="UTC", capacity=10), (ErrorCode.CONFLICT, "code")),
        (
            PointDraft(code="пвз 1", name="ПВЗ", timezone="UTC", capacity=10),
            (ErrorCode.VALIDATION_FAILED, "code"),
        ),
        (
            PointDraft(code="ok", name="ПВЗ", timezone="Mars/Base", capacity=10),
            (ErrorCode.VALIDATION_FAILED, "timezone"),
        ),
        (
            PointDraft(code="ok", name="ПВЗ", timezone="UTC", capacity=0),
            (ErrorCode.VALIDATION_FAILED, "capacity"),
        ),
    ]
    for draft, expected in cases:
        with pytest.raises(Exception) as excinfo:
            _approve(admin, application, draft)
        assert (str(excinfo.value.code), excinfo.value.details.get("field")) == expected

    assert PointApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_reject_stores_the_reason_and_texts_it_without_creating_an_account(
    submit, admin, django_capture_on_commit_callbacks
) -> None:
    application = submit()

    with django_capture_on_commit_callbacks(execute=True):
        rejected = application_reject(actor=admin, application=application, reason="  Площадь меньше 20 м²  ")

    assert (rejected.status, rejected.reject_reason, rejected.reviewed_by) == (
        ApplicationStatus.REJECTED,
        "Площадь меньше 20 м²",
        admin,
    )
    assert SmsMessage.objects.get(phone=APPLICANT_PHONE).text == (
        f"Заявка №{application.number} на открытие ПВЗ отклонена. Причина: Площадь меньше 20 м²"
    )
    assert User.objects.filter(phone=APPLICANT_PHONE).exists() is False
    assert AuditRecord.objects.get(action="onboarding.reject").details == {"reason": "Площадь меньше 20 м²"}


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_reject_needs_a_reason_of_at_most_500_characters(submit, admin, reason) -> None:
    application = submit()

    with pytest.raises(Exception) as excinfo:
        application_reject(actor=admin, application=application, reason=reason)

    assert (str(excinfo.value.code), excinfo.value.details["field"]) == (
        ErrorCode.VALIDATION_FAILED,
        "reason",
    )
    assert PointApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_rejecting_an_approved_application_is_a_conflict(submit, admin) -> None:
    application = submit()
    _approve(admin, application)

    with pytest.raises(Exception) as excinfo:
        application_reject(actor=admin, application=application, reason="Передумали")

    assert str(excinfo.value.code) == ErrorCode.CONFLICT


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.OPERATOR, Role.SUPPORT])
def test_nobody_but_a_platform_admin_may_read_or_review(submit, role) -> None:
    application = submit()
    user = operator_at(PickupPointFactory(), role)

    for call in (
        lambda: selectors.applications_list(user=user),
        lambda: selectors.application_get(user=user, application_id=application.pk),
        lambda: _approve(user, application),
        lambda: application_reject(actor=user, application=application, reason="Нет"),
    ):
        with pytest.raises(Exception) as excinfo:
            call()
        assert str(excinfo.value.code) == ErrorCode.PERMISSION_DENIED
    assert PointApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_list_filters_by_status_newest_first(submit, admin, clock) -> None:
    first = submit(phone="+79161110001")
    clock.advance(minutes=1)
    second = submit(phone="+79161110002")
    application_reject(actor=admin, application=first, reason="Нет")

    assert list(selectors.applications_list(user=admin)) == [second, first]
    assert list(selectors.applications_list(user=admin, status="pending")) == [second]
    assert list(selectors.applications_list(user=admin, status="rejected")) == [first]
