"""Anomaly flags raised by rules over counter operations, and account suspensions. Failed sign-ins,
lockouts and SMS limits are `pvz.guard`'s; the parcels typed in at the counter, `counter.TypedParcel`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.network.models import PickupPoint


class Rule(models.TextChoices):
    UNSCANNED_ISSUES = "unscanned_issues", _("Выдачи без сканирования посылки")
    SMS_VERIFICATIONS = "sms_verifications", _("Много подтверждений по SMS подряд")
    OUTSIDE_HOURS = "outside_hours", _("Выдача вне часов работы")
    MANUAL_CODES = "manual_codes", _("Частый ручной ввод кодов")


class AnomalyFlag(models.Model):
    """A rule fired for an operator at a point; open until an owner, manager or admin resolves it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=24, choices=Rule.choices)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["point", "resolved_at"], name="anom_flag_point_open"),
            models.Index(fields=["user", "rule", "created_at"], name="anom_flag_user_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.user_id} @ {self.point_id}"


class Suspension(models.Model):
    """An account suspended after a flag; active while `lifted_at` is empty. A suspended user cannot
    sign in or make requests until the owner of the point or a platform admin lifts it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="+")
    flag = models.ForeignKey(AnomalyFlag, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(lifted_at__isnull=True), name="uniq_active_suspension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.point_id} ({'lifted' if self.lifted_at else 'active'})"
