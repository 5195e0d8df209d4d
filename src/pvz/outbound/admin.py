"""Django admin for return carriages' hand-overs (platform admins only): history, viewable only. The
courier code and the signature file are left out of the page."""

from __future__ import annotations

from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.outbound.models import Dispatch


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdmin[Dispatch]):
    list_display = ["carriage", "created_at", "handed_over_at", "method", "courier_name"]
    list_filter = ["method"]
    list_select_related = ["carriage"]
    exclude = ["courier_code", "signature"]
