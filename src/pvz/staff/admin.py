"""Optional permission grants in Django admin, read-only: grants change through the staff services so
that each change is checked and audited."""

from __future__ import annotations

from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.staff.models import PermissionGrant


@admin.register(PermissionGrant)
class PermissionGrantAdmin(ReadOnlyAdmin[PermissionGrant]):
    list_display = ("membership", "perm", "granted_by", "created")
    list_filter = ("perm",)
    list_select_related = ("membership__user", "membership__point", "granted_by")
    search_fields = ("membership__user__phone", "membership__point__name")
