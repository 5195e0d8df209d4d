"""Inviting by phone: a new or existing person gets the role at every chosen point, all or nothing, and
an SMS after commit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.staff.services import staff_invite
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def error_of(call: Callable[..., object], **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def test_owner_invites_a_new_person_as_manager_at_two_points_and_they_get_an_sms(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, clock
) -> None:
    first, second = PickupPointFactory(name="ПВЗ Тверская"), PickupPointFactory(name="ПВЗ Арбат")
    owner = operator_at(first, Role.OWNER)
    Membership.objects.create(user=owner, point=second, role=Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = staff_invite(
            actor=owner,
            phone="8 916 123-45-67",
            full_name="Анна Петрова",
            role=Role.MANAGER,
            points=[first, second],
        )

    user = User.objects.get(phone="+79161234567")
    assert (invitation.user, invitation.user_created, user.full_name) == (user, True, "Анна Петрова")
    assert sorted(Membership.objects.filter(user=user).values_list("point__name", "role", "is_active")) == [
        ("ПВЗ Арбат", Role.MANAGER, True),
        ("ПВЗ Тверская", Role.MANAGER, True),
    ]
    assert list(SmsMessage.objects.values_list("phone", "text")) == [
        (
            "+79161234567",
            "Вас добавили в OpenPVZ: Управляющий, ПВЗ Тверская, ПВЗ Арбат. Чтобы начать работу, войдите по "
            "номеру телефона +79161234567 — код для входа придёт в SMS.",
        )
    ]
    invite_record = AuditRecord.objects.get(action="staff.invite")
    assert (invite_record.actor, invite_record.object_id, invite_record.details) == (
        owner,
        str(user.pk),
        {"role": "manager", "points": [first.pk, second.pk], "user_created": True},
    )


def test_an_existing_person_just_gets_the_membership_and_keeps_their_name(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    point = PickupPointFactory()
    manager = operator_at(point, Role.MANAGER)
    existing = UserFactory(phone="+79161234567", full_name="Иван Иванов")

    with django_capture_on_commit_callbacks(execute=True):
        invitation = staff_invite(
            actor=manager, phone="+79161234567", full_name="", role=Role.OPERATOR, points=[point]
        )

    assert (invitation.user, invitation.user_created) == (existing, False)
    assert User.objects.get(pk=existing.pk).full_name == "Иван Иванов"
    assert (
        Membership.objects.filter(user=existing, point=point, role=Role.OPERATOR, is_active=True).count() == 1
    )
    assert SmsMessage.objects.count() == 1


def test_inviting_someone_who_already_holds_the_role_sends_no_second_sms(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(actor=owner, phone="+79161234567", full_name="Анна", role=Role.OPERATOR, points=[point])

    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(actor=owner, phone="+79161234567", full_name="Анна", role=Role.OPERATOR, points=[point])

    assert SmsMessage.objects.count() == 1
    assert Membership.objects.filter(role=Role.OPERATOR).count() == 1


def test_manager_cannot_invite_a_manager_and_nothing_is_saved(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    point = PickupPointFactory()
    manager = operator_at(point, Role.MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        error = error_of(
            staff_invite,
            actor=manager,
            phone="+79161234567",
            full_name="Анна",
            role=Role.MANAGER,
            points=[point],
        )

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert User.objects.filter(phone="+79161234567").exists() is False
    assert SmsMessage.objects.count() == 0


def test_owner_cannot_invite_another_owner() -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)

    error = error_of(
        staff_invite, actor=owner, phone="+79161234567", full_name="Анна", role=Role.OWNER, points=[point]
    )

    assert error.code == ErrorCode.PERMISSION_DENIED


def test_inviting_to_own_and_a_foreign_point_is_refused_and_nothing_is_saved(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    own, foreign = PickupPointFactory(), PickupPointFactory()
    owner = operator_at(own, Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True):
        error = error_of(
            staff_invite,
            actor=owner,
            phone="+79161234567",
            full_name="Анна",
            role=Role.OPERATOR,
            points=[own, foreign],
        )

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert User.objects.filter(phone="+79161234567").exists() is False
    assert Membership.objects.filter(role=Role.OPERATOR).count() == 0
    assert AuditRecord.objects.filter(action__in=["staff.invite", "membership.grant"]).count() == 0
    assert SmsMessage.objects.count() == 0


def test_a_bad_phone_says_what_is_wrong() -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)

    error = error_of(
        staff_invite, actor=owner, phone="+7 916", full_name="Анна", role=Role.OPERATOR, points=[point]
    )

    assert (error.code, error.details) == (ErrorCode.VALIDATION_FAILED, {"field": "phone"})
    assert str(error.message) == (
        "В номере телефона не хватает цифр. Введите номер полностью, например +7 916 123-45-67."
    )
    assert User.objects.count() == 1


def test_a_new_person_needs_a_name() -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)

    error = error_of(
        staff_invite, actor=owner, phone="+79161234567", full_name="  ", role=Role.OPERATOR, points=[point]
    )

    assert (error.code, error.details) == (ErrorCode.VALIDATION_FAILED, {"field": "full_name"})


def test_no_points_is_refused() -> None:
    owner = operator_at(PickupPointFactory(), Role.OWNER)

    error = error_of(
        staff_invite, actor=owner, phone="+79161234567", full_name="Анна", role=Role.OPERATOR, points=[]
    )

    assert (error.code, error.details) == (ErrorCode.VALIDATION_FAILED, {"field": "points"})


def test_a_deactivated_person_is_not_invited_but_pointed_to_reactivation() -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)
    UserFactory(phone="+79161234567", is_active=False)

    error = error_of(
        staff_invite, actor=owner, phone="+79161234567", full_name="", role=Role.OPERATOR, points=[point]
    )

    assert error.code == ErrorCode.CONFLICT
    assert Membership.objects.filter(role=Role.OPERATOR).count() == 0
