"""Django admin for inventory counts (platform admins only): history, viewable only."""

from __future__ import annotations

from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.inventory.models import InventoryCount


@admin.register(InventoryCount)
class InventoryCountAdmin(ReadOnlyAdmin[InventoryCount]):
    list_display = ["pk", "point", "zone", "status", "started_by", "started_at", "finished_at"]
    list_filter = ["status", "point"]
    list_select_related = ["point", "started_by"]
