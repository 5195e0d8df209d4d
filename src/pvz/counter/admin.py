"""Django admin for issuing (platform admins only): refusal reasons are edited here until the partner
settings screen arrives; issue sessions are history, viewable only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from pvz.core.admin import ReadOnlyAdmin
from pvz.counter.models import IssueLine, IssueSession, RefusalReason


@admin.register(RefusalReason)
class RefusalReasonAdmin(admin.ModelAdmin[RefusalReason]):
    list_display = ["title", "code", "partner", "position", "is_active"]
    list_filter = ["partner", "is_active"]
    search_fields = ["title", "code"]


class IssueLineInline(admin.TabularInline[IssueLine, IssueSession]):
    model = IssueLine
    raw_id_fields = ["shipment"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(IssueSession)
class IssueSessionAdmin(ReadOnlyAdmin[IssueSession]):
    list_display = [
        "pk",
        "point",
        "customer",
        "status",
        "verification",
        "opened_by",
        "opened_at",
        "finished_at",
    ]
    list_filter = ["status", "verification", "point"]
    list_select_related = ["point", "customer", "opened_by"]
    inlines = [IssueLineInline]
