"""The header scan box's URL, included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.scan import views as scan

urlpatterns: list[URLPattern] = [
    path("scan/", scan.scan, name="scan"),
]
