"""Django admin for partners, pickup points and cells (platform admins only)."""

from __future__ import annotations

from django.contrib import admin

from pvz.network.models import Cell, Partner, PartnerPoint, PickupPoint


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin[Partner]):
    list_display = ["code", "name", "storage_days", "return_window_days", "id_check_threshold_kop"]
    search_fields = ["code", "name"]


class PartnerPointInline(admin.TabularInline[PartnerPoint, PickupPoint]):
    model = PartnerPoint
    fields = ["partner", "storage_days"]
    autocomplete_fields = ["partner"]
    extra = 0


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin[PickupPoint]):
    list_display = ["code", "name", "address", "timezone", "capacity", "status", "is_active"]
    list_filter = ["status", "is_active", "timezone"]
    search_fields = ["code", "name", "address"]
    # Closing goes through «Закрытие точки» (checked, audited), never through a field edited here.
    readonly_fields = ["status", "closing_started_at", "closing_reason", "closing_planned_on", "closed_at"]
    inlines = [PartnerPointInline]


@admin.register(Cell)
class CellAdmin(admin.ModelAdmin[Cell]):
    list_display = ["address", "point", "kind", "size_class", "capacity", "is_active"]
    list_filter = ["point", "kind", "size_class", "is_active"]
    list_select_related = ["point"]
    search_fields = ["address", "point__code"]
    autocomplete_fields = ["point"]
