"""The audit log in Django admin: read-only (the model refuses changes anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pvz.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin[AuditRecord]):
    list_display = ["seq", "at", "action", "actor_phone", "ip", "point", "object_type", "object_id"]
    list_filter = ["action"]
    list_select_related = ["point"]
    search_fields = ["=actor_phone", "=object_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
