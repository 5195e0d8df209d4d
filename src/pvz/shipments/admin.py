"""Django admin for customers, orders, shipments and their event log (platform admins only).

A shipment's status, cell and storage dates are read-only here: they change only through
`shipments.services.shipment_transition`, which writes the event that explains each change.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from pvz.core.admin import ReadOnlyAdmin
from pvz.shipments.models import Customer, Order, Shipment, ShipmentEvent

EVENT_FIELDS = ("at", "from_status", "to_status", "point", "cell", "actor", "reason", "visit")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["phone", "name", "pickup_number", "anonymized_at"]
    search_fields = ["phone", "name", "pickup_number"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ["number", "partner", "customer", "created_at"]
    list_filter = ["partner"]
    list_select_related = ["partner", "customer"]
    search_fields = ["^number", "customer__phone"]
    autocomplete_fields = ["partner", "customer"]


class ShipmentEventInline(admin.TabularInline[ShipmentEvent, Shipment]):
    model = ShipmentEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    ordering = ["at", "id"]
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin[Shipment]):
    list_display = ["posting_number", "barcode", "partner", "point", "status", "cell", "storage_deadline"]
    list_filter = ["status", "partner", "point"]
    list_select_related = ["partner", "point", "cell"]
    search_fields = ["^posting_number", "^barcode"]
    readonly_fields = ["status", "cell", "stored_at", "storage_deadline", "visit", "version"]
    autocomplete_fields = ["partner", "order", "point"]
    raw_id_fields = ["carriage", "tote"]
    inlines = [ShipmentEventInline]


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyAdmin[ShipmentEvent]):
    list_display = ["shipment", "at", "from_status", "to_status", "point", "actor"]
    list_filter = ["to_status", "point"]
    list_select_related = ["shipment", "point", "actor"]
    search_fields = ["^shipment__posting_number"]
