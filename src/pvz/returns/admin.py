"""Django admin for customer returns (platform admins only): return reasons are edited here until the
partner settings screen arrives; the returns themselves are history, viewable only."""

from __future__ import annotations

from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.returns.models import CustomerReturn, ReturnReason


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin[ReturnReason]):
    list_display = ["title", "code", "partner", "position", "is_active"]
    list_filter = ["partner", "is_active"]
    search_fields = ["title", "code"]


@admin.register(CustomerReturn)
class CustomerReturnAdmin(ReadOnlyAdmin[CustomerReturn]):
    list_display = ["number", "point", "shipment", "reason", "condition", "accepted_by", "accepted_at"]
    list_filter = ["point", "condition"]
    list_select_related = ["point", "shipment", "reason", "accepted_by"]
    search_fields = ["number", "shipment__posting_number"]
