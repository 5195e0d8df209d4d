"""Django admin for opening applications: view only; reviewing happens on the review screen, where it is
checked, audited and texted."""

from __future__ import annotations

from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.onboarding.models import PointApplication


@admin.register(PointApplication)
class PointApplicationAdmin(ReadOnlyAdmin[PointApplication]):
    list_display = ["id", "applicant_name", "phone", "address", "status", "submitted_at", "point"]
    list_filter = ["status"]
    list_select_related = ["point"]
    search_fields = ["applicant_name", "phone", "address"]
