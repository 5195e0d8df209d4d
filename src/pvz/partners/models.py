"""Partner API keys, and the tracking points partners report for their carriages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.inbound.models import Carriage
from pvz.network.models import Partner


class PartnerApiKey(models.Model):
    """One key a partner's system calls the partner API with. The plaintext `pvzk_<prefix>_<secret>` is
    shown once at creation; only the public `prefix` and the sha256 of the secret are stored. A key works
    while it is not revoked and `now < expires_at` (no expiry when null)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("название"), max_length=100)
    prefix = models.CharField(_("префикс"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("создан"))
    expires_at = models.DateTimeField(_("действует до"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("последнее использование"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["partner", "-created_at", "-id"]
        verbose_name = _("API-ключ партнёра")
        verbose_name_plural = _("API-ключи партнёров")

    def __str__(self) -> str:
        return f"pvzk_{self.prefix}_… ({self.name})"


class CarriageTrackingPoint(models.Model):
    """Where a carriage was at a moment, as its partner reported it: coordinates, a text, or both."""

    carriage = models.ForeignKey(Carriage, on_delete=models.CASCADE, related_name="tracking_points")
    at = models.DateTimeField()
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["carriage", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["carriage", "at"], name="uniq_tracking_point_at"),
        ]

    def __str__(self) -> str:
        return f"{self.carriage_id} @ {self.at.isoformat()}"
