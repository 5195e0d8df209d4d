"""URLs of the audit log viewer («Журнал»), included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.views import audit

urlpatterns: list[URLPattern] = [
    path("audit/", audit.audit_list, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
]
