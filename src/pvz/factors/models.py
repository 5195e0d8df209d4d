"""A person's second factors and a point's rule that its staff must have one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.network.models import PickupPoint


class FactorMethod(models.TextChoices):
    TOTP = "totp", _("Приложение-аутентификатор")
    BACKUP = "backup", _("Резервный код")
    EMAIL = "email", _("Код по e-mail")


class EmailFactor(models.Model):
    """One e-mail address per person; it becomes a factor once a code sent to it has been typed back."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_factor"
    )
    email = models.EmailField(_("e-mail"))
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class TotpDevice(models.Model):
    """An authenticator app. The secret is stored encrypted (`pvz.factors.sealing`) and shown only while
    enrolling; `last_used_step` is the newest 30-second step whose code was accepted, so no code (and no
    older step) is accepted twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class BackupCode(models.Model):
    """A single-use code for when the authenticator app is out of reach; kept as a keyed hash."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"backup {self.user_id}"


class PointFactorPolicy(models.Model):
    """The owner's rule for one point: everyone working there signs in with a second factor."""

    point = models.OneToOneField(PickupPoint, on_delete=models.CASCADE, related_name="factor_policy")
    require_second_factor = models.BooleanField(_("требовать второй фактор"), default=False)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.point_id}: {self.require_second_factor}"
