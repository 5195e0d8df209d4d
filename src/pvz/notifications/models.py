"""Messages to customers: one row per message, kept whether it was sent or not."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel


class NotificationKind(models.TextChoices):
    SHIPMENT_READY = "shipment_ready", _("Заказ готов к выдаче")
    RETURN_ACCEPTED = "return_accepted", _("Возврат принят")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Ожидает отправки")
    SENT = "sent", _("Отправлено")
    FAILED = "failed", _("Не отправлено")
    WITHDRAWN = "withdrawn", _("Отозвано до отправки")


class Notification(TimeStampedModel):
    customer = models.ForeignKey("shipments.Customer", on_delete=models.PROTECT, related_name="notifications")
    shipment = models.ForeignKey(
        "shipments.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    # Copied at creation: the message says what was true when it was written, whatever changes later.
    recipient = models.CharField(max_length=100)
    text = models.TextField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # One notification of a kind per shipment visit, whatever retries happen upstream.
    dedup_key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"
