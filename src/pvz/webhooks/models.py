"""Platform → partner webhooks: endpoints, the transactional outbox, deliveries and their attempt log.

The outbox row is written in the transaction of the change it reports (one INSERT on the scan path); the
worker later fans it out into one delivery per active endpoint of the partner and sends those."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel
from pvz.network.models import Partner


class EventType(models.TextChoices):
    SHIPMENT_STATUS_CHANGED = "shipment.status_changed", _("Смена статуса отправления")
    SHIPMENT_MOVED = "shipment.moved", _("Перемещение отправления")
    SHIPMENT_STORAGE_EXTENDED = "shipment.storage_extended", _("Продление хранения")
    CARRIAGE_UPDATED = "carriage.updated", _("Изменение перевозки")


class WebhookEndpoint(TimeStampedModel):
    """Where a partner receives its events. The secret signs every request (Standard Webhooks); after a
    rotation the previous secret signs too, next to the new one, until `previous_secret_until`."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100, help_text=_("whsec_… — показывается партнёру для проверки подписи")
    )
    # The secret a rotation replaced, still signing until `previous_secret_until` (then blanked).
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Empty: every event type; else only the listed types (EventType values).
    event_types = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("адрес вебхуков")
        verbose_name_plural = _("адреса вебхуков")

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        known = set(EventType.values)
        if not isinstance(self.event_types, list) or not set(self.event_types) <= known:
            raise ValidationError(
                {
                    "event_types": _("Список типов событий из: %(types)s.")
                    % {"types": ", ".join(sorted(known))}
                }
            )

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def secrets_at(self, at: dt.datetime) -> list[str]:
        """The secrets a request sent at `at` is signed with: the current one, then the previous one
        while its overlap lasts (strictly before `previous_secret_until`)."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and at < self.previous_secret_until:
            secrets.append(self.previous_secret)
        return secrets


class OutboxEvent(models.Model):
    """One event for one partner, immutable once fanned out; `event_id` is the stable id partners
    deduplicate by (it is the `webhook-id` header of every attempt)."""

    event_id = models.CharField(max_length=40, unique=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=40, choices=EventType.choices)
    # Events with the same key reach each endpoint in the order of their ids ("shipment:<id>").
    ordering_key = models.CharField(max_length=60)
    payload = models.JSONField()
    # Ids the fan-out resolves into payload fields once (order number, point code), so the scan that
    # writes the row reads nothing it has not already loaded; emptied when resolved.
    lookups = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("событие для партнёра")
        verbose_name_plural = _("события для партнёров")
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(fanned_out_at__isnull=True), name="webhooks_outbox_new"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Ожидает доставки")
    DELIVERED = "delivered", _("Доставлено")
    DEAD = "dead", _("Не доставлено")


class WebhookDelivery(models.Model):
    """One event to one endpoint: retried with backoff until a 2xx answer or `give_up_at` (then dead)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    # Copied from the event: the worker's "an older one of the same shipment is still pending" check.
    ordering_key = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("доставка вебхука")
        verbose_name_plural = _("доставки вебхуков")
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhooks_one_delivery")]
        indexes = [
            # The worker's pick: due pending deliveries in the claim's order, so a claim reads about a
            # batch of rows from the index instead of sorting the whole backlog.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_due",
            ),
            # The ordering check: pending deliveries of one shipment to one endpoint.
            models.Index(
                fields=["endpoint", "ordering_key", "event"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_order",
            ),
            models.Index(fields=["status", "-id"], name="webhooks_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}: {self.status}"


class DeadLetter(WebhookDelivery):
    """The dead-letter list: deliveries given up after three days, waiting for a manual replay."""

    class Meta:
        proxy = True
        verbose_name = _("недоставленный вебхук")
        verbose_name_plural = _("недоставленные вебхуки")


class DeliveryAttempt(models.Model):
    """The delivery log: one row per HTTP attempt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("попытка доставки")
        verbose_name_plural = _("попытки доставки")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
