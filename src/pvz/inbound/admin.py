"""Django admin for carriages, their manifests and totes (platform admins only)."""

from __future__ import annotations

from django.contrib import admin

from pvz.inbound.models import Carriage, ManifestLine, ManifestTote, Tote


class ManifestToteInline(admin.TabularInline[ManifestTote, Carriage]):
    model = ManifestTote
    raw_id_fields = ["tote"]
    extra = 0


class ManifestLineInline(admin.TabularInline[ManifestLine, Carriage]):
    model = ManifestLine
    # Raw ids: a manifest has hundreds of lines, and a select of every shipment per line would not load.
    raw_id_fields = ["shipment", "tote"]
    extra = 0


@admin.register(Carriage)
class CarriageAdmin(admin.ModelAdmin[Carriage]):
    list_display = ["number", "partner", "point", "flow", "status", "eta", "arrived_at", "closed_at"]
    list_filter = ["flow", "status", "partner", "point"]
    list_select_related = ["partner", "point"]
    search_fields = ["^number"]
    autocomplete_fields = ["partner", "point"]
    inlines = [ManifestToteInline, ManifestLineInline]


@admin.register(Tote)
class ToteAdmin(admin.ModelAdmin[Tote]):
    list_display = ["barcode", "partner", "point", "status"]
    list_filter = ["status", "partner"]
    list_select_related = ["partner", "point"]
    search_fields = ["^barcode"]
    autocomplete_fields = ["partner", "point"]
