"""Writes on opening applications: the public submission, and a platform admin's approval or rejection.

Approval creates the point, the owner's account (or finds it by phone) and the OWNER membership in one
transaction; the applicant gets no account before that, so nothing can be done in the system until then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm, Role
from pvz.accounts.selectors import perms_at_point
from pvz.accounts.services import membership_grant, user_create
from pvz.accounts.sms import sms_send
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, PermissionDenied, RateLimited
from pvz.core.logging import get_logger
from pvz.core.phone import normalize_phone
from pvz.core.uploads import photo_clean
from pvz.network.models import PickupPoint, validate_timezone
from pvz.network.services import special_places_ensure
from pvz.onboarding.models import ApplicationPhoto, ApplicationStatus, PointApplication
from pvz.onboarding.statuses import APPLICATION

log = get_logger(__name__)

MAX_PHOTOS = 5
AREA_MIN, AREA_MAX = 5, 10_000
CAPACITY_MIN, CAPACITY_MAX = 1, 100_000
REASON_MAX = 500
IP_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class ApplicationForm:
    """What the public form sends, before checks."""

    applicant_name: str
    phone: str
    email: str
    address: str
    area_m2: int
    opening_hours: str
    legal_entity: str = ""
    inn: str = ""


def _text(value: str, *, field: str, label: str | Promise, low: int, high: int) -> str:
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise DomainError(
            _("%(label)s: от %(low)s до %(high)s символов.") % {"label": label, "low": low, "high": high},
            details={"field": field},
        )
    return value


def _checked(form: ApplicationForm) -> ApplicationForm:
    email = (form.email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("Это не похоже на адрес e-mail. Введите адрес, например name@example.ru."),
            details={"field": "email"},
        ) from None
    inn = (form.inn or "").strip()
    if inn and not (inn.isdigit() and len(inn) in (10, 12)):
        raise DomainError(
            _("ИНН — 10 цифр у организации или 12 у ИП; или оставьте поле пустым."), details={"field": "inn"}
        )
    if not AREA_MIN <= form.area_m2 <= AREA_MAX:
        raise DomainError(
            _("Площадь — от %(low)s до %(high)s м².") % {"low": AREA_MIN, "high": AREA_MAX},
            details={"field": "area_m2"},
        )
    return ApplicationForm(
        applicant_name=_text(form.applicant_name, field="applicant_name", label=_("Имя"), low=2, high=200),
        phone=normalize_phone(form.phone),
        email=email,
        address=_text(form.address, field="address", label=_("Адрес"), low=5, high=400),
        area_m2=form.area_m2,
        opening_hours=_text(
            form.opening_hours, field="opening_hours", label=_("Часы работы"), low=1, high=200
        ),
        legal_entity=_text(form.legal_entity, field="legal_entity", label=_("Юрлицо"), low=0, high=200),
        inn=inn,
    )


def _check_ip_rate(*, ip: str | None, now: dt.datetime) -> None:
    if not ip:
        return
    limit = settings.PVZ_APPLICATIONS_PER_IP_PER_HOUR
    recent = list(
        PointApplication.objects.filter(ip=ip, submitted_at__gt=now - IP_WINDOW)
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
    )
    if len(recent) >= limit:
        retry_after = max(int((recent[-limit] + IP_WINDOW - now).total_seconds()) + 1, 1)
        raise RateLimited(
            _("С этого адреса уже отправлено %(n)s заявки за час. Повторите через %(minutes)s мин.")
            % {"n": limit, "minutes": (retry_after + 59) // 60},
            details={"retry_after": retry_after},
        )


def _pending_conflict() -> Conflict:
    return Conflict(
        _("С этого номера уже есть заявка на рассмотрении. Дождитесь решения: мы пришлём его по SMS."),
        details={"field": "phone"},
    )


def application_submit(
    *, form: ApplicationForm, photos: Sequence[File[bytes]] = (), ip: str | None = None
) -> PointApplication:
    """A new PENDING application from the public form, with up to five photos of the premises. At most
    `PVZ_APPLICATIONS_PER_IP_PER_HOUR` per IP address in a rolling hour and one pending per phone. The
    applicant is texted the application number after commit."""
    form = _checked(form)
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            _("Не больше %(max)s фото.") % {"max": MAX_PHOTOS},
            details={"field": "photos", "count": len(photos), "max": MAX_PHOTOS},
        )
    cleaned = [photo_clean(photo) for photo in photos]
    try:
        with transaction.atomic():
            now = clock.now()
            _check_ip_rate(ip=ip, now=now)
            if PointApplication.objects.filter(phone=form.phone, status=ApplicationStatus.PENDING).exists():
                raise _pending_conflict()
            application = PointApplication.objects.create(
                applicant_name=form.applicant_name,
                phone=form.phone,
                email=form.email,
                legal_entity=form.legal_entity,
                inn=form.inn,
                address=form.address,
                area_m2=form.area_m2,
                opening_hours=form.opening_hours,
                ip=ip or None,
                submitted_at=now,
            )
            # Files last: every check has passed, so a failed transaction leaves at most an orphan file.
            for photo in cleaned:
                stored = ApplicationPhoto(
                    application=application, content_type=photo.content_type, size=photo.size
                )
                stored.file.save(f"photo.{photo.extension}", photo.file, save=False)
                stored.save()
            audit_record(
                action="onboarding.submit",
                actor_phone=form.phone,
                obj=application,
                details={"photos": len(photos)},
            )
            with translation.override("ru"):
                text = gettext_now(
                    "Заявка №%(number)s на открытие ПВЗ принята. О решении сообщим по SMS."
                ) % {"number": application.number}
            after_commit(sms_send, phone=form.phone, text=text)
    except IntegrityError:  # a parallel submission from the same phone won the race
        raise _pending_conflict() from None
    log.info("application_submitted", application_id=application.pk, ip=ip)
    return application


def _check_admin(actor: User) -> None:
    if Perm.ADMIN_PLATFORM not in perms_at_point(user=actor, point=None):
        raise PermissionDenied(details={"permission": str(Perm.ADMIN_PLATFORM)})


def _lock_pending(application: PointApplication) -> PointApplication:
    locked = PointApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.PENDING:
        raise Conflict(
            _("Заявка №%(number)s уже рассмотрена: %(status)s.")
            % {"number": locked.number, "status": locked.get_status_display().lower()},
            details={"application": locked.pk, "status": locked.status},
        )
    return locked


@dataclass(frozen=True)
class PointDraft:
    """The point an approval creates; the review screen prefills it from the application."""

    code: str
    name: str
    timezone: str
    capacity: int


def _checked_draft(draft: PointDraft) -> PointDraft:
    code = draft.code.strip().lower()
    try:
        validate_slug(code)
    except ValidationError:
        code = ""
    if not code or len(code) > 40:
        raise DomainError(
            _("Код точки: латинские буквы, цифры, дефис, до 40 символов, например msk-tverskaya-1."),
            details={"field": "code"},
        )
    try:
        validate_timezone(draft.timezone)
    except ValidationError:
        raise DomainError(
            _("Неизвестный часовой пояс: %(tz)s.") % {"tz": draft.timezone}, details={"field": "timezone"}
        ) from None
    if not CAPACITY_MIN <= draft.capacity <= CAPACITY_MAX:
        raise DomainError(
            _("Вместимость — от %(low)s до %(high)s отправлений.")
            % {"low": CAPACITY_MIN, "high": CAPACITY_MAX},
            details={"field": "capacity"},
        )
    name = _text(draft.name, field="name", label=_("Название"), low=2, high=200)
    return PointDraft(code=code, name=name, timezone=draft.timezone, capacity=draft.capacity)


def application_approve(*, actor: User, application: PointApplication, draft: PointDraft) -> PointApplication:
    """PENDING → APPROVED, all or nothing: the point (with its special places), the owner's account (an
    existing active account with the applicant's phone is reused) and the OWNER membership. The owner is
    texted after commit. A reviewed application is a CONFLICT."""
    _check_admin(actor)
    draft = _checked_draft(draft)
    with transaction.atomic():
        locked = _lock_pending(application)
        if PickupPoint.objects.filter(code=draft.code).exists():
            raise Conflict(
                _("Точка с кодом %(code)s уже есть. Выберите другой код.") % {"code": draft.code},
                details={"field": "code"},
            )
        owner = User.objects.filter(phone=locked.phone).first()
        if owner is None:
            owner = user_create(phone=locked.phone, full_name=locked.applicant_name, actor=actor)
        elif not owner.is_active:
            raise Conflict(
                _("Учётная запись заявителя заблокирована: разблокируйте её или отклоните заявку."),
                details={"field": "phone"},
            )
        point = PickupPoint.objects.create(
            code=draft.code,
            name=draft.name,
            address=locked.address,
            timezone=draft.timezone,
            capacity=draft.capacity,
        )
        special_places_ensure(actor=actor, point=point)
        membership_grant(actor=actor, user=owner, role=Role.OWNER, point=point)
        APPLICATION.set(locked, ApplicationStatus.APPROVED)
        locked.point = point
        locked.owner = owner
        locked.reviewed_by = actor
        locked.reviewed_at = clock.now()
        locked.save(update_fields=["status", "point", "owner", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(
            action="onboarding.approve",
            actor=actor,
            point_id=point.pk,
            obj=locked,
            details={"point": point.code, "owner_id": owner.pk},
        )
        with translation.override("ru"):
            text = gettext_now(
                "Точка «%(point)s» одобрена. Вход в OpenPVZ по номеру %(phone)s, код придёт по SMS."
            ) % {"point": point.name, "phone": owner.phone}
        after_commit(sms_send, phone=owner.phone, text=text)
    log.info("application_approved", application_id=locked.pk, point_id=point.pk, actor_id=actor.pk)
    return locked


def application_reject(*, actor: User, application: PointApplication, reason: str) -> PointApplication:
    """PENDING → REJECTED with the reason, which the applicant is texted after commit. No account is made."""
    _check_admin(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(
            _("Укажите причину отказа (до %(max)s символов): заявитель получит её по SMS.")
            % {"max": REASON_MAX},
            details={"field": "reason"},
        )
    with transaction.atomic():
        locked = _lock_pending(application)
        APPLICATION.set(locked, ApplicationStatus.REJECTED)
        locked.reject_reason = reason
        locked.reviewed_by = actor
        locked.reviewed_at = clock.now()
        locked.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(action="onboarding.reject", actor=actor, obj=locked, details={"reason": reason})
        with translation.override("ru"):
            text = gettext_now("Заявка №%(number)s на открытие ПВЗ отклонена. Причина: %(reason)s") % {
                "number": locked.number,
                "reason": reason,
            }
        after_commit(sms_send, phone=locked.phone, text=text)
    log.info("application_rejected", application_id=locked.pk, actor_id=actor.pk)
    return locked
