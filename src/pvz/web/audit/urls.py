"""URLs of the audit log viewer («Журнал»), included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.audit import views as audit

urlpatterns: list[URLPattern] = [
    path("audit/", audit.audit_list, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
]
