"""The public application: checked fields, photos by content, one pending per phone, three per IP an hour,
the SMS with the number; nothing in the system is reachable before approval."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.accounts.models import SmsMessage, User
from pvz.accounts.services import login_code_request
from pvz.audit.models import AuditRecord
from pvz.core.errors import ErrorCode
from pvz.onboarding.models import ApplicationPhoto, ApplicationStatus, PointApplication
from tests.onboarding.conftest import APPLICANT_PHONE, png

pytestmark = pytest.mark.django_db


def _error(excinfo: pytest.ExceptionInfo) -> tuple[str, str | None]:
    return str(excinfo.value.code), excinfo.value.details.get("field")


def test_submit_stores_a_pending_application_with_the_normalised_phone_and_texts_the_number(
    submit, clock, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(photos=(png(), png("second.png")))

    stored = PointApplication.objects.get()
    assert (stored.status, stored.phone, stored.area_m2, stored.ip) == (
        ApplicationStatus.PENDING,
        APPLICANT_PHONE,
        40,
        "203.0.113.5",
    )
    assert stored.submitted_at == clock.now()
    assert application.number == f"{stored.pk:06d}"
    photos = list(ApplicationPhoto.objects.filter(application=stored))
    assert [
        (p.content_type, p.file.name.startswith(f"private/point-applications/{stored.pk}/")) for p in photos
    ] == [
        ("image/png", True),
        ("image/png", True),
    ]
    sms = SmsMessage.objects.get()
    assert sms.phone == APPLICANT_PHONE
    assert sms.text == f"Заявка №{application.number} на открытие ПВЗ принята. О решении сообщим по SMS."
    record = AuditRecord.objects.get(action="onboarding.submit")
    assert (record.actor_phone, record.object_id, record.details) == (
        APPLICANT_PHONE,
        str(stored.pk),
        {"photos": 2},
    )


def test_a_pending_applicant_has_no_account_so_a_login_code_is_never_sent(
    submit, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit()
    with django_capture_on_commit_callbacks(execute=True):
        login_code_request(phone=APPLICANT_PHONE)

    assert User.objects.filter(phone=APPLICANT_PHONE).exists() is False
    # Only the «Заявка … принята» message: the login code went nowhere, as for any unknown phone.
    assert [m.text[:6] for m in SmsMessage.objects.filter(phone=APPLICANT_PHONE)] == ["Заявка"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"applicant_name": " "}, "applicant_name"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"inn": "12345"}, "inn"),
        ({"inn": "77123456789a"}, "inn"),
        ({"address": "Мск"}, "address"),
        ({"area_m2": 4}, "area_m2"),
        ({"area_m2": 10_001}, "area_m2"),
        ({"opening_hours": ""}, "opening_hours"),
    ],
)
def test_submit_refuses_a_bad_field_and_saves_nothing(submit, changes, field) -> None:
    with pytest.raises(Exception) as excinfo:
        submit(**changes)

    assert _error(excinfo) == (ErrorCode.VALIDATION_FAILED, field)
    assert PointApplication.objects.count() == 0


def test_submit_accepts_the_area_bounds_and_an_empty_inn(submit) -> None:
    small = submit(area_m2=5, inn="", phone="+79161110001")
    large = submit(area_m2=10_000, inn="7712345678", phone="+79161110002")

    assert (small.area_m2, small.inn, large.area_m2) == (5, "", 10_000)


def test_submit_refuses_a_sixth_photo_and_a_file_that_is_not_an_image(submit) -> None:
    with pytest.raises(Exception) as too_many:
        submit(photos=tuple(png() for _ in range(6)))
    fake = SimpleUploadedFile("room.jpg", b"GIF89a not a jpeg", content_type="image/jpeg")
    with pytest.raises(Exception) as not_image:
        submit(photos=(fake,))

    assert _error(too_many) == (ErrorCode.VALIDATION_FAILED, "photos")
    assert _error(not_image) == (ErrorCode.VALIDATION_FAILED, "photo")
    assert PointApplication.objects.count() == 0


def test_submit_takes_five_photos(submit) -> None:
    application = submit(photos=tuple(png() for _ in range(5)))

    assert application.photos.count() == 5


def test_second_pending_application_from_the_same_phone_is_a_conflict(submit) -> None:
    submit(phone="+79161234567")

    with pytest.raises(Exception) as excinfo:
        submit(phone="8 (916) 123-45-67", ip="198.51.100.7")

    assert _error(excinfo) == (ErrorCode.CONFLICT, "phone")
    assert PointApplication.objects.count() == 1


def test_a_rejected_application_does_not_block_a_new_one_from_the_same_phone(submit) -> None:
    first = submit()
    PointApplication.objects.filter(pk=first.pk).update(status=ApplicationStatus.REJECTED)

    second = submit()

    assert second.pk != first.pk


def test_fourth_application_from_one_ip_within_an_hour_is_rate_limited_until_the_first_is_an_hour_old(
    submit, clock
) -> None:
    for n in range(3):
        submit(phone=f"+7916111000{n}")
        clock.advance(minutes=10)
    clock.advance(minutes=29, seconds=59)  # the first is 59:59 old

    with pytest.raises(Exception) as excinfo:
        submit(phone="+79161110009")

    assert _error(excinfo) == (ErrorCode.RATE_LIMITED, None)
    assert excinfo.value.details["retry_after"] == 2
    clock.advance(seconds=1)  # exactly an hour: the first no longer counts
    submit(phone="+79161110009")
    assert PointApplication.objects.count() == 4


def test_the_ip_limit_counts_per_address(submit) -> None:
    for n in range(3):
        submit(phone=f"+7916111000{n}")

    other = submit(phone="+79161110005", ip="198.51.100.7")

    assert other.ip == "198.51.100.7"
