"""Django admin for partner API keys (platform admins only): creating a key shows its plaintext once,
in a message; revoking and rotating are actions. Keys are never edited or deleted (history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError
from pvz.partners.models import CarriageTrackingPoint, PartnerApiKey
from pvz.partners.services import key_create, key_revoke, key_rotate

ALL_KEY_FIELDS = [
    "partner",
    "name",
    "prefix",
    "created_by",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
    "replaced_by",
]


def _show_plaintext(request: HttpRequest, key: PartnerApiKey, plaintext: str) -> None:
    messages.warning(
        request,
        _("Ключ «%(name)s» для %(partner)s: %(key)s — скопируйте его сейчас, он больше не будет показан.")
        % {"name": key.name, "partner": key.partner, "key": plaintext},
    )


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(admin.ModelAdmin[PartnerApiKey]):
    list_display = ["prefix", "name", "partner", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    search_fields = ["prefix", "name", "partner__code", "partner__name"]
    fields = ["partner", "name", "expires_at"]
    autocomplete_fields = ["partner"]
    actions = ["revoke_keys", "rotate_keys"]

    def get_fields(self, request: HttpRequest, obj: PartnerApiKey | None = None) -> Any:
        return ALL_KEY_FIELDS if obj is not None else ["partner", "name", "expires_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: PartnerApiKey | None = None) -> list[str]:
        return ALL_KEY_FIELDS if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PartnerApiKey, form: Any, change: bool) -> None:
        if change:
            return  # every field is read-only
        issued = key_create(
            actor=request.user,  # type: ignore[arg-type]
            partner=obj.partner,
            name=obj.name,
            expires_at=obj.expires_at,
        )
        obj.pk = issued.key.pk
        obj.prefix = issued.key.prefix
        obj.created_at = issued.key.created_at
        _show_plaintext(request, issued.key, issued.plaintext)

    @admin.action(description=_("Отозвать выбранные ключи"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[PartnerApiKey]) -> None:
        for key in queryset:
            key_revoke(actor=request.user, key=key)  # type: ignore[arg-type]
        messages.success(request, _("Отозвано ключей: %(count)s.") % {"count": queryset.count()})

    @admin.action(description=_("Перевыпустить выбранные ключи (старые действуют ещё период перекрытия)"))
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[PartnerApiKey]) -> None:
        for key in queryset.select_related("partner"):
            try:
                issued = key_rotate(actor=request.user, key=key)  # type: ignore[arg-type]
            except DomainError as error:
                messages.error(request, f"{key}: {error.message}")
                continue
            _show_plaintext(request, issued.key, issued.plaintext)


@admin.register(CarriageTrackingPoint)
class CarriageTrackingPointAdmin(admin.ModelAdmin[CarriageTrackingPoint]):
    list_display = ["carriage", "at", "lat", "lon", "text"]
    list_select_related = ["carriage"]
    search_fields = ["carriage__number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
