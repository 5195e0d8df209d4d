"""Django admin for webhooks (platform admins): endpoints, the outbox, the delivery log, the dead-letter
list, and a "replay" action. Deliveries and events are history: read-only, changed only by the worker
and `delivery_replay`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pvz.core.admin import ReadOnlyAdmin
from pvz.core.errors import DomainError
from pvz.webhooks.models import (
    DeadLetter,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from pvz.webhooks.services import delivery_replay, webhook_endpoint_create, webhook_endpoint_update
from pvz.webhooks.urlguard import webhook_url_check


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    """Shows the SSRF guard's refusal on the URL field (the services apply the guard again)."""

    url = forms.URLField(
        label=WebhookEndpoint._meta.get_field("url").verbose_name, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["partner", "url", "is_active", "event_types", "description"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if "url" not in self.changed_data:
            return url
        try:
            return webhook_url_check(url)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["url", "partner", "is_active", "created_at"]
    list_filter = ["is_active", "partner"]
    fields = ["partner", "url", "is_active", "event_types", "description", "secret", "previous_secret_until"]
    readonly_fields = ["secret", "previous_secret_until"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = ["secret", "previous_secret_until"]
        return [*readonly, "partner"] if obj is not None else readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: its deliveries are history

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        user = request.user if request.user.is_authenticated else None
        if change:
            webhook_endpoint_update(actor=user, endpoint=obj, changed=list(form.changed_data))
            return
        created = webhook_endpoint_create(
            actor=user,
            partner=obj.partner,
            url=obj.url,
            event_types=obj.event_types,
            description=obj.description,
        )
        obj.pk, obj.secret = created.pk, created.secret


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin[OutboxEvent]):
    list_display = ["event_id", "type", "partner", "ordering_key", "created_at", "fanned_out_at"]
    list_filter = ["type", "partner"]
    search_fields = ["=event_id", "=ordering_key"]


class DeliveryAttemptInline(admin.TabularInline[DeliveryAttempt, WebhookDelivery]):
    model = DeliveryAttempt
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Отправить повторно"))
def replay(
    modeladmin: admin.ModelAdmin[WebhookDelivery], request: HttpRequest, queryset: QuerySet[WebhookDelivery]
) -> None:
    user = request.user if request.user.is_authenticated else None
    done = 0
    for delivery in queryset:
        try:
            delivery_replay(actor=user, delivery=delivery)
        except DomainError as exc:
            modeladmin.message_user(request, f"{delivery.pk}: {exc.message} ({exc.code})", messages.WARNING)
        else:
            done += 1
    modeladmin.message_user(request, _("Поставлено на повторную отправку: %(n)s") % {"n": done})


class _DeliveryAdminBase(ReadOnlyAdmin[WebhookDelivery]):
    list_display = [
        "id",
        "event_id_display",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    list_select_related = ["event", "endpoint"]
    search_fields = ["=event__event_id", "=ordering_key"]
    inlines = [DeliveryAttemptInline]
    actions = [replay]

    @admin.display(description=_("событие"))
    def event_id_display(self, obj: WebhookDelivery) -> str:
        return obj.event.event_id

    @admin.display(description=_("тип"))
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_DeliveryAdminBase):
    list_filter = ["status", "endpoint"]


@admin.register(DeadLetter)
class DeadLetterAdmin(_DeliveryAdminBase):
    list_filter = ["endpoint"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).filter(status=DeliveryStatus.DEAD)
