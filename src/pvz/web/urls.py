"""The staff web UI's URLs: each area (`pvz.web.<area>`: views, forms, urls; templates in
`templates/web/<area>/`) contributes its own, included here; the section placeholders come last."""

from django.urls import include, path

from pvz.web.home.urls import dashboard_urls, placeholder_urls

app_name = "web"

# Each area in the order its URLs are tried; the section placeholders last.
AREAS = (
    "signin",
    "scan",
    "cells",
    "acceptance",
    "placement",
    "search",
    "expiry",
    "inventory",
    "counter",
    "outbound",
    "returns",
    "returnflow",
    "audit",
    "anomalies",
    "staff",
    "onboarding",
    "closing",
    "account",
    "factors",
    "partners",
    "notifications",
)

urlpatterns = [
    *dashboard_urls,
    *(path("", include(f"pvz.web.{area}.urls")) for area in AREAS),
    *placeholder_urls,
]
