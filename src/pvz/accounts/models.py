"""Users identified by phone, their roles at points, and one-time login codes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from pvz.accounts.roles import PLATFORM_ROLES, Role
from pvz.core.models import TimeStampedModel
from pvz.network.models import PickupPoint


class UserManager(BaseUserManager["User"]):
    def create_user(self, phone: str, **extra: Any) -> User:
        user = self.model(phone=phone, **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> User:
        user = self.create_user(phone, **extra)
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.create(user=user, role=Role.PLATFORM_ADMIN, point=None)
        return user


class User(AbstractBaseUser):
    phone = models.CharField(_("телефон"), max_length=16, unique=True, help_text=_("В формате E.164"))
    full_name = models.CharField(_("имя"), max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    language = models.CharField(max_length=8, blank=True)
    # «Автораспределение»: on, a parcel scan at placement (and acceptance) also puts it in the suggested
    # cell; off, the operator scans the parcel and then the cell label. Per operator, so it follows them.
    auto_placement = models.BooleanField(_("автораспределение"), default=True)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []

    def __str__(self) -> str:
        return self.full_name or self.phone

    @cached_property
    def platform_roles(self) -> frozenset[str]:
        return frozenset(
            self.memberships.filter(point__isnull=True, is_active=True).values_list("role", flat=True)
        )

    @property
    def is_platform_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.platform_roles

    # Django admin is for platform admins, who may do everything there.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_platform_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class Membership(TimeStampedModel):
    """A role of a user at one point, or platform-wide (point empty) for platform admin and support."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    point = models.ForeignKey(
        PickupPoint, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "point", "role"], name="uniq_membership"),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(PLATFORM_ROLES), point__isnull=True)
                    | (~models.Q(role__in=sorted(PLATFORM_ROLES)) & models.Q(point__isnull=False))
                ),
                name="platform_roles_have_no_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.point or '*'}"


class CodePurpose(models.TextChoices):
    LOGIN = "login", _("Вход")
    PASSWORD_RESET = "password_reset", _("Сброс пароля")
    EMAIL_CONFIRM = "email_confirm", _("Подтверждение e-mail")
    EMAIL_SECOND_FACTOR = "email_2fa", _("Второй фактор по e-mail")


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS. Stored as a keyed hash; single use; dead after too many wrong tries."""

    phone = models.CharField(max_length=16)
    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} ({self.purpose})"


class SmsMessage(models.Model):
    """The development SMS gateway's outbox: what would have been sent, for the demo and for tests."""

    phone = models.CharField(max_length=16)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"
