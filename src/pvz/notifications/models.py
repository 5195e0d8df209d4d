"""Messages to customers (one row per message, kept whether it was sent or not) and to staff (one in-app
message per person, delivered further by e-mail and Web Push per their preferences and quiet hours)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel


class NotificationKind(models.TextChoices):
    SHIPMENT_READY = "shipment_ready", _("Заказ готов к выдаче")
    RETURN_ACCEPTED = "return_accepted", _("Возврат принят")
    EXPIRING_TOMORROW = "expiring_tomorrow", _("Завтра истекает срок хранения")
    RETURNED_TO_SENDER = "returned_to_sender", _("Заказ возвращён отправителю")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


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


class StaffKind(models.TextChoices):
    TRANSPORT_APPROACHING = "transport_approaching", _("Подъезжает перевозка")
    EXPIRING_TODAY = "expiring_today", _("Сегодня истекает срок хранения")
    ANOMALY_ALERT = "anomaly_alert", _("Тревога")
    BACKUP_FAILED = "backup_failed", _("Резервная копия не создана")


class StaffChannel(models.TextChoices):
    """Where a staff message goes besides the in-app list, which always gets it."""

    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Push-уведомления")


class StaffMessage(models.Model):
    """One message to one person, shown in their in-app list at once whatever their quiet hours."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_messages"
    )
    point = models.ForeignKey(
        "network.PickupPoint", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=StaffKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # One message per event and person (e.g. `transport_approaching:<carriage>:<user>`), whatever reruns.
    dedup_key = models.CharField(max_length=160, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Ожидает отправки")
    SENT = "sent", _("Отправлено")
    FAILED = "failed", _("Не отправлено")


class StaffDelivery(models.Model):
    """A staff message on one outside channel; `due_at` is when it may go (the end of quiet hours)."""

    message = models.ForeignKey(StaffMessage, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=StaffChannel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "channel"], name="staff_delivery_once")]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.channel}: {self.message_id}"


class StaffPreference(models.Model):
    """A person's explicit choice for one kind on one channel; without a row the channel's default holds."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=StaffKind.choices)
    channel = models.CharField(max_length=10, choices=StaffChannel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="staff_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}: {self.enabled}"


class QuietHours(models.Model):
    """Local times (in the timezone of the message's point) between which outside channels wait: from
    `start` inclusive to `end` exclusive, across midnight when `start` is later than `end`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    start = models.TimeField()
    end = models.TimeField()

    def __str__(self) -> str:
        return f"{self.start}–{self.end}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (endpoint and its keys) for one person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.endpoint
